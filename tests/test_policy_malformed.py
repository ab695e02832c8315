"""No rule crashes on a property with an unexpected shape: it is a violation on that resource,
naming the property, and every other verdict of the call still comes back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strata.analyzer import analyze, pack_policies, reconcile_config, running_pack

from .policy_fixtures import aws_baseline, gcp_baseline, mutate, run_of, tenant_namespace

PACK = Path(__file__).resolve().parents[1] / "policies"
AS_OF = {"supported-kubernetes-version": {"asOf": "2026-11-23"}}


@pytest.fixture(scope="module")
def pack() -> Iterator[Any]:
    with running_pack(PACK) as stub:
        yield stub


def case(
    id_: str, baseline: Any, name: str, type_: str, rule: str, words: str, change: dict[str, Any]
) -> tuple[str, Any, str, str, dict[str, Any], str, str]:
    """One malformed mutation: a resource of a baseline, the change, the rule that must flag it and
    words its message must contain (the property's path)."""
    return (id_, baseline, name, type_, change, rule, words)


CASES = [
    case("region-a-number", aws_baseline, "eu-core-vpc", "Vpc", "pool-in-jurisdiction", "region", {"region": 42}),
    case(
        "region-a-list", aws_baseline, "eu-core-key", "Key", "pool-in-jurisdiction", "region", {"region": ["eu-west-1"]}
    ),
    case(
        "location-an-object",
        gcp_baseline,
        "eu-core-keys",
        "KeyRing",
        "pool-in-jurisdiction",
        "location",
        {"location": {"a": 1}},
    ),
    case(
        "version-a-number",
        aws_baseline,
        "payments-eks",
        "Cluster",
        "supported-kubernetes-version",
        "version",
        {"version": 1.35},
    ),
    case(
        "node-version-a-list",
        gcp_baseline,
        "payments-general",
        "NodePool",
        "supported-kubernetes-version",
        "version",
        {"version": ["1.29"]},
    ),
    case(
        "cidrs-a-string",
        aws_baseline,
        "payments-eks",
        "Cluster",
        "cluster-api-private",
        "vpcConfig.publicAccessCidrs",
        {"vpcConfig__endpointPublicAccess": True, "vpcConfig__publicAccessCidrs": "0.0.0.0/0"},
    ),
    case(
        "cidr-not-a-cidr",
        aws_baseline,
        "payments-eks",
        "Cluster",
        "cluster-api-private",
        "office",
        {"vpcConfig__endpointPublicAccess": True, "vpcConfig__publicAccessCidrs": ["office"]},
    ),
    case(
        "gke-block-without-cidr",
        gcp_baseline,
        "payments-gke",
        "Cluster",
        "cluster-api-private",
        "cidrBlock",
        {
            "privateClusterConfig__enablePrivateEndpoint": False,
            "masterAuthorizedNetworksConfig__cidrBlocks": [{"displayName": "office"}],
        },
    ),
    case(
        "public-flag-a-string",
        aws_baseline,
        "payments-eks",
        "Cluster",
        "cluster-api-private",
        "endpointPublicAccess",
        {"vpcConfig__endpointPublicAccess": "false"},
    ),
    case(
        "resources-a-string",
        aws_baseline,
        "payments-eks",
        "Cluster",
        "cluster-secrets-encrypted",
        "encryptionConfig.resources",
        {"encryptionConfig__resources": "secrets"},
    ),
    case(
        "key-a-number",
        aws_baseline,
        "payments-eks",
        "Cluster",
        "cluster-secrets-encrypted",
        "keyArn",
        {"encryptionConfig__provider__keyArn": 42},
    ),
    case(
        "hop-limit-a-word",
        aws_baseline,
        "payments-general",
        "LaunchTemplate",
        "node-metadata-protected",
        "httpPutResponseHopLimit",
        {"metadataOptions__httpPutResponseHopLimit": "one"},
    ),
    case(
        "metadata-options-a-string",
        aws_baseline,
        "payments-general",
        "LaunchTemplate",
        "node-metadata-protected",
        "metadataOptions",
        {"metadataOptions": "required"},
    ),
    case(
        "node-config-a-list",
        gcp_baseline,
        "payments-general",
        "NodePool",
        "workload-identity",
        "nodeConfig",
        {"nodeConfig": ["GKE_METADATA"]},
    ),
    case(
        "workload-pool-a-number",
        gcp_baseline,
        "payments-gke",
        "Cluster",
        "workload-identity",
        "workloadPool",
        {"workloadIdentityConfig__workloadPool": 7},
    ),
    case("tags-a-list", aws_baseline, "eu-core-key", "Key", "required-labels", "tags", {"tags": ["strata:owner"]}),
    case(
        "tag-value-an-object",
        aws_baseline,
        "eu-core-vpc",
        "Vpc",
        "required-labels",
        "strata:owner",
        {"tags__strata:owner": {"name": "x"}},
    ),
    case(
        "network-policy-a-boolean",
        gcp_baseline,
        "payments-gke",
        "Cluster",
        "cluster-network-policy",
        "networkPolicy",
        {"datapathProvider": None, "networkPolicy": True},
    ),
    case(
        "certificate-config-a-string",
        gcp_baseline,
        "payments-gke",
        "Cluster",
        "cluster-static-credentials",
        "clientCertificateConfig",
        {"masterAuth__clientCertificateConfig": "off"},
    ),
]


@pytest.mark.parametrize(
    ("case", "baseline", "name", "type_", "change", "rule", "words"), CASES, ids=[c[0] for c in CASES]
)
def test_a_malformed_property_is_a_violation_naming_it(
    pack: Any, case: str, baseline: Any, name: str, type_: str, change: dict[str, Any], rule: str, words: str
) -> None:
    regs = [*mutate(baseline(), name, type_, **change), tenant_namespace(["personal-eu"])]
    cfg = reconcile_config(pack_policies(pack), AS_OF)
    found = analyze(pack, run_of(regs), cfg)  # a crashing rule would raise PackError here
    mine = [v for v in found if v.policy == rule and v.urn.endswith(f"::{name}")]
    assert mine, f"no {rule} verdict on {name}: {[(v.policy, v.message) for v in found]}"
    assert all(v.level == "mandatory" for v in mine)
    assert any(words in v.message for v in mine), [v.message for v in mine]
    assert not any("bug in Strata" in v.message for v in found), [v.message for v in found]


def test_other_verdicts_survive_a_malformed_resource(pack: Any) -> None:
    regs = mutate(mutate(aws_baseline(), "eu-core-vpc", "Vpc", region=42), "eu-core-key", "Key", region="us-east-1")
    found = analyze(pack, run_of(regs), reconcile_config(pack_policies(pack), AS_OF))
    flagged = {(v.policy, v.urn.split("::")[-1]) for v in found}
    assert {("pool-in-jurisdiction", "eu-core-vpc"), ("pool-in-jurisdiction", "eu-core-key")} <= flagged


def test_data_class_residency_on_malformed_objects_and_clusters(pack: Any) -> None:
    """A namespace whose metadata is a string, labels given as a list, and a classed namespace on a
    cluster whose region is a number: each is judged (that cluster cannot be placed), none crashes."""
    from dataclasses import replace

    from .policy_fixtures import _struct

    odd = tenant_namespace(["personal-eu"], tenant="odd")
    odd = replace(odd, inputs={"metadata": "odd"}, raw_inputs=_struct({"metadata": "odd"}))
    listed = tenant_namespace(["personal-eu"], tenant="listed")
    listed_inputs = {"metadata": {"name": "listed", "labels": ["dataclass.strata.io/personal-eu=true"]}}
    listed = replace(listed, inputs=listed_inputs, raw_inputs=_struct(listed_inputs))
    regs = [
        *mutate(aws_baseline(), "payments-eks", "Cluster", region=7),
        odd,
        listed,
        tenant_namespace(["personal-eu"]),
    ]
    found = analyze(pack, run_of(regs), reconcile_config(pack_policies(pack), AS_OF))
    by_name = {(v.policy, v.urn.split("::")[-1]): v.message for v in found}
    assert ("data-class-residency", "payments-odd") not in by_name  # no label anywhere: nothing to judge
    assert ("data-class-residency", "payments-listed") not in by_name  # a list is no label map (the API refuses it)
    message = by_name[("data-class-residency", "payments-risk")]
    assert "cannot be placed" in message and "property region is a number" in message
    assert not any("bug in Strata" in m for m in by_name.values())
