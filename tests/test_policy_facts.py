"""The facts under the pack: where location values are, how much of the internet CIDRs admit,
where data-class labels hide, default providers as the engine makes them, and the type table
generated from the provider SDKs."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from strata.default_providers import default_provider_name, provider_inputs, with_default_providers
from strata.offline import OfflineRun
from strata.policy.cidrs import BadCidr, exposure
from strata.policy.data_classes import data_classes
from strata.policy.location import from_reference, parse
from strata.policy.types import all_types, type_facts

from .policy_fixtures import reg

ROOT = Path(__file__).resolve().parents[1]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("provider_types", ROOT / "tools" / "provider_types.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["provider_types"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- location values


@pytest.mark.parametrize(
    ("provider", "value", "countries"),
    [
        ("aws", "eu-central-1", {"DE"}),
        ("aws", "eu-central-1a", {"DE"}),
        ("aws", "us-east-1-bos-1a", {"US"}),  # a Local Zone
        ("aws", "eu-central-2", {"CH"}),
        ("aws", "eu-mars-1", set()),
        ("gcp", "europe-west3", {"DE"}),
        ("gcp", "europe-west3-b", {"DE"}),
        ("gcp", "EUROPE-WEST3", {"DE"}),
        ("gcp", "projects/p/zones/us-east1-b", {"US"}),
        ("gcp", "https://www.googleapis.com/compute/v1/projects/p/regions/asia-east1", {"TW"}),
        ("gcp", "EU", {"DE", "FR", "NL", "IE", "PL", "FI", "BE", "SE", "IT", "ES"} | set()),
        ("gcp", "EUR4", {"FI", "NL"}),
        ("gcp", "eur5", {"BE", "GB"}),
        ("gcp", "nam4", {"US"}),
        ("gcp", "global", set()),
        ("gcp", "mars-central1", set()),
    ],
)
def test_location_values_become_countries(provider: str, value: str, countries: set[str]) -> None:
    found = parse(provider, value)
    assert found is not None
    if provider == "gcp" and value == "EU":
        assert countries <= found.countries and "GB" not in found.countries and "CH" not in found.countries
    else:
        assert found.countries == frozenset(countries)


def test_references_carry_their_place_in_their_text() -> None:
    assert from_reference("gcp", "projects/p/locations/europe-west1/keyRings/r").countries == {"BE"}  # type: ignore[union-attr]
    assert from_reference("aws", "arn:aws:kms:us-west-2:111122223333:key/abc").countries == {"US"}  # type: ignore[union-attr]
    assert from_reference("gcp", "my-key-ring") is None
    assert from_reference("aws", "arn:aws:iam::111122223333:role/x") is None  # global: no region in the ARN


# ---------------------------------------------------------------- CIDRs by meaning


@pytest.mark.parametrize(
    ("blocks", "everything", "wider_than_a_16"),
    [
        (["0.0.0.0/0"], True, True),
        (["0.0.0.0/1", "128.0.0.0/1"], True, True),
        (["::/0"], True, True),
        (["2000::/3"], True, True),
        (["0.0.0.0/1"], False, True),
        (["8.0.0.0/8"], False, True),
        (["81.2.69.160/28", "81.2.69.176/28"], False, False),
        (["10.0.0.0/8", "192.168.0.0/16", "100.64.0.0/10"], False, False),  # no internet client comes from these
        ([" 203.0.113.0/24 "], False, False),
    ],
)
def test_cidr_lists_are_measured_not_spelled(blocks: list[str], everything: bool, wider_than_a_16: bool) -> None:
    seen = exposure(blocks)
    assert seen.everything is everything
    assert seen.wider_than(16, 48) is wider_than_a_16


def test_a_block_that_is_not_a_cidr_is_named() -> None:
    with pytest.raises(BadCidr, match=r"10\.0\.0\.0/33"):
        exposure(["10.0.0.0/8", "10.0.0.0/33"])


# ---------------------------------------------------------------- data classes wherever they sit


@pytest.mark.parametrize(
    "props",
    [
        {"metadata": {"labels": {"dataclass.strata.io/personal-eu": "true"}}},
        {"spec": {"template": {"metadata": {"labels": {"dataclass.strata.io/personal-eu": "true"}}}}},
        {
            "spec": {
                "jobTemplate": {
                    "spec": {"template": {"metadata": {"labels": {"dataclass.strata.io/personal-eu": "TRUE"}}}}
                }
            }
        },
        {"values": {"primary": {"podLabels": {"dataclass.strata.io/personal-eu": True}}}},
        {"yaml": 'metadata:\n  labels:\n    "dataclass.strata.io/personal-eu": "true"\n'},
        {"objs": [{"metadata": {"labels": {"dataclass.strata.io/personal-eu": "true"}}}]},
        {"valueYamlFiles": ["podLabels: {dataclass.strata.io/personal-eu: 'true'}\n"]},
        {"data": {"config.json": json.dumps({"labels": {"dataclass.strata.io/personal-eu": "true"}})}},
        {"yaml": 'metadata: {labels: {"\\x64ataclass.strata.io/personal-eu": !!str true}}\n'},
        {"yaml": "metadata:\n  labels:\n    dataclass.strata.io/personal-eu: 'True'\n"},
    ],
    ids=[
        "metadata",
        "pod-template",
        "cronjob",
        "helm-values",
        "configgroup-yaml",
        "objs",
        "values-file",
        "json-text",
        "escaped-key-and-tag",
        "capitalised",
    ],
)
def test_a_data_class_is_read_wherever_it_sits(props: dict[str, Any]) -> None:
    scan = data_classes(props)
    assert (scan.classes, scan.hidden, scan.unreadable) == ({"personal-eu"}, [], None)


def test_false_values_selectors_and_other_labels_are_not_classes() -> None:
    props = {"metadata": {"labels": {"dataclass.strata.io/pci": "false", "app": "x"}}}
    assert data_classes(props).classes == set()
    guard = {"spec": {"podSelector": {"matchLabels": {"dataclass.strata.io/personal-eu": "true"}}}}
    assert data_classes(guard).classes == set()  # a NetworkPolicy that selects the class does not handle it
    # ... but a chart may render any value as a label: in Helm values a "selector" is read
    assert data_classes({"values": guard["spec"]}, manifests=False).classes == {"personal-eu"}


def test_an_unknown_label_is_reported_as_hidden_not_as_no_class() -> None:
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert data_classes({"metadata": {"name": "x", "labels": unknown}}).hidden == ["metadata.labels"]
    assert data_classes({"metadata": {"labels": {"dataclass.strata.io/personal-eu": unknown}}}).hidden == [
        "metadata.labels.dataclass.strata.io/personal-eu"
    ]
    assert data_classes({"spec": unknown}).hidden == ["spec"]
    assert data_classes({"metadata": {"name": unknown}}).hidden == ["metadata.name"]  # under metadata: could be


def test_what_cannot_be_read_is_said_not_passed() -> None:
    import pulumi

    deep: dict[str, Any] = {}
    node = deep
    for _ in range(100):
        node["x"] = {}
        node = node["x"]
    assert "too large or too deep" in (data_classes(deep).unreadable or "")
    assert "file asset" in (data_classes({"valueYamlFiles": [pulumi.FileAsset("values.yaml")]}).unreadable or "")
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    assert "aliases" in (data_classes({"yaml": bomb}).unreadable or "")
    text = pulumi.StringAsset("podLabels:\n  dataclass.strata.io/personal-eu: 'true'\n")
    assert data_classes({"valueYamlFiles": [text]}).classes == {"personal-eu"}


def test_a_huge_list_beside_the_label_does_not_hide_it() -> None:
    props = {"values": {"podLabels": {"dataclass.strata.io/personal-eu": "true"}, "padding": [0] * 200_001}}
    scan = data_classes(props)
    assert scan.classes == {"personal-eu"} and scan.unreadable is None


# ---------------------------------------------------------------- default providers


def test_default_provider_names_follow_the_engine() -> None:
    assert default_provider_name("7.51.1") == "default_7_51_1"
    assert default_provider_name("4.0.0-alpha.1+build5") == "default_4_0_0_alpha_1_build5"
    assert default_provider_name("") == "default"


def test_default_provider_inputs_are_the_stack_config_as_strings() -> None:
    config = {
        "aws:region": "eu-west-1",
        "aws:defaultTags": {"tags": {"b": "2", "a": "1"}},
        "aws:skipMetadataApiCheck": True,
        "aws:accessKey": {"secure": "v1:abc"},
        "gcp:project": "p",
        "payments:environment": {"name": "x"},
    }
    inputs = provider_inputs("aws", config, "7.51.1", environ={})
    assert inputs["region"] == "eu-west-1"
    assert inputs["defaultTags"] == '{"tags":{"a":"1","b":"2"}}'  # compact, keys sorted, as Go marshals
    assert inputs["skipMetadataApiCheck"] == "true"
    assert inputs["accessKey"][0] == "secret"
    assert inputs["version"] == "7.51.1"
    assert "project" not in inputs and "environment" not in inputs


def test_check_config_fills_an_unset_region_from_the_environment_like_the_provider() -> None:
    assert provider_inputs("aws", {}, "7.51.1", environ={"AWS_DEFAULT_REGION": "eu-north-1"})["region"] == "eu-north-1"
    pinned = provider_inputs("aws", {"aws:region": "eu-west-1"}, "7.51.1", environ={"AWS_REGION": "us-east-1"})
    assert pinned["region"] == "eu-west-1"
    assert provider_inputs("gcp", {}, "10.2.0", environ={"GOOGLE_ZONE": "europe-west1-b"})["zone"] == "europe-west1-b"


def test_with_default_providers_points_each_package_at_one_provider() -> None:
    bucket = reg("aws:s3/bucket:Bucket", "b", {})
    queue = reg("aws:sqs/queue:Queue", "q", {})
    explicit = reg(
        "aws:sqs/queue:Queue", "q2", {}, provider="urn:pulumi:eu-prod::platform::pulumi:providers:aws::mine::id"
    )
    ns = reg("kubernetes:core/v1:Namespace", "n", {})
    run = OfflineRun(project="platform", stack="eu-prod")
    from dataclasses import replace

    run.registrations.extend(replace(r, version="9.9.9") for r in (bucket, queue, explicit, ns))
    seen = with_default_providers(run, {"aws:region": "eu-west-1"}, environ={})
    names = [r.name for r in seen.registrations]
    assert names == ["default_9_9_9", "b", "q", "q2", "default_9_9_9", "n"]
    aws_default = seen.registrations[0]
    assert aws_default.urn == "urn:pulumi:eu-prod::platform::pulumi:providers:aws::default_9_9_9"
    assert aws_default.inputs == {"region": "eu-west-1", "version": "9.9.9"}
    assert seen.registrations[1].provider.startswith(aws_default.urn + "::")
    assert seen.registrations[3].provider.startswith("urn:pulumi:eu-prod::platform::pulumi:providers:aws::mine")
    assert run.registrations[0].provider == ""  # the offline run itself is left as the mocks saw it


# ---------------------------------------------------------------- the type table


def test_the_type_table_is_what_the_installed_sdks_say() -> None:
    tool = _tool()
    committed = (ROOT / "components" / "strata" / "catalog" / "data" / "provider_types.json").read_text()
    assert tool.render(tool.build()) == committed, "run: python tools/provider_types.py --write"


def _resource_classes(package: str, modules: list[str]) -> dict[str, Any]:
    """Token → class, from the package's own registration of its modules (not from the generator)."""
    init = Path(importlib.util.find_spec(package).origin).read_text()  # type: ignore[arg-type, union-attr]
    registry = json.loads(re.search(r'resource_modules="""(.*?)"""', init, re.S).group(1))  # type: ignore[union-attr]
    out: dict[str, Any] = {}
    for entry in registry:
        if entry["mod"].split("/")[0] in modules:
            module = importlib.import_module(entry["fqn"])
            out.update({token: getattr(module, name) for token, name in entry["classes"].items()})
    return out


#: The kinds of resource the residency rule must judge, on both clouds (databases, buckets, queues
#: and streams, managed Kafka, caches, file systems, registries, secrets, log sinks, VMs, ...).
AWS_MODULES = ["rds", "s3", "sqs", "kinesis", "msk", "elasticache", "efs", "ecr", "secretsmanager", "cloudwatch", "ec2"]
GCP_MODULES = ["sql", "storage", "pubsub", "managedkafka", "redis", "filestore", "artifactregistry", "secretmanager"]
GCP_MODULES += ["logging", "compute", "bigquery", "container", "kms", "spanner", "alloydb"]


@pytest.mark.parametrize(("package", "modules"), [("pulumi_aws", AWS_MODULES), ("pulumi_gcp", GCP_MODULES)])
def test_no_located_type_is_missing(package: str, modules: list[str]) -> None:
    classes = _resource_classes(package, modules)
    located = 0
    for token, cls in classes.items():
        params = set(inspect.signature(cls._internal_init).parameters)
        if params & {"region", "location", "zone"}:
            located += 1
            facts = type_facts(token)
            assert facts is not None and (facts.located or facts.global_kind), f"{token} has a location input"
    assert located > 100


def test_every_located_entry_names_inputs_its_sdk_has() -> None:
    classes = _resource_classes("pulumi_gcp", ["container", "storage", "kms", "bigquery", "logging"])
    classes.update(_resource_classes("pulumi_aws", ["ebs", "dynamodb", "secretsmanager", "eks"]))
    for token, cls in classes.items():
        facts = type_facts(token)
        if facts is None:
            continue
        params = {
            re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), p)
            for p in inspect.signature(cls._internal_init).parameters
        }
        for path in (*facts.at, *facts.also):
            assert path.lstrip("@").split(".")[0].split("[")[0] in params, f"{token}: {path}"
    assert len(all_types()) > 2400
