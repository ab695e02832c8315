"""One run reports every problem (issue 10): a structural error hides no relation problem of the
parts that are sound on their own, and reports none that is only its echo. Pure function calls."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from pydantic import ValidationError
from pydantic_core import PydanticCustomError, PydanticKnownError
from pydantic_core.core_schema import ErrorType
from typer.testing import CliRunner

from strata import EnvironmentArgs, KubernetesClusterArgs, ResourcePoolArgs
from strata.catalog import load_catalog
from strata.cli import app
from strata.declarations import SpecError
from strata.declarations.checks import check_salvageable, problems_from_validation_error
from strata.declarations.errors import Problem, in_file_order, show_value
from strata.declarations.models import Machine, Substrate
from strata.network import MAX_GKE_CLUSTERS_PER_POOL
from strata.validation import PLAN_CHECKS_SKIPPED, validate_environment

from .conftest import TODAY, minimal_environment, stack_environment

Env = dict[str, Any]
C0 = "pools[0].clusters[0]"


def _problems(env: Any) -> SpecError:
    with pytest.raises(SpecError) as info:
        validate_environment(env, today=TODAY)
    return info.value


def _paths(env: Any) -> list[str]:
    return [p.path for p in _problems(env).problems]


def _two_pools() -> Env:
    """eu-prod with a second, valid pool (its own clusters)."""
    env = stack_environment("eu-prod")
    edge = copy.deepcopy(env["pools"][0])
    edge["name"] = "edge"
    for c in edge["clusters"]:
        c["name"] = f"edge-{c['name']}"
    env["pools"].append(edge)
    validate_environment(env, today=TODAY)
    return env


# ---------------------------------------------------------------- the case


def test_min_above_max_does_not_hide_a_bad_version_in_the_same_cluster() -> None:
    env = stack_environment("eu-prod")
    env["pools"][0]["clusters"][0]["nodePools"][0].update(min=9, max=4)
    env["pools"][0]["clusters"][0]["version"] = "1.99"
    err = _problems(env)
    assert [(p.path, p.value) for p in err.problems] == [
        (f"{C0}.version", "1.99"),
        (f"{C0}.nodePools[0].min", 9),
    ]
    assert "not a Kubernetes version AWS offers" in err.problems[0].message


def test_min_above_max_does_not_hide_a_bad_version_in_another_pool() -> None:
    env = _two_pools()
    env["pools"][0]["clusters"][0]["nodePools"][0]["min"] = 10
    env["pools"][1]["clusters"][1]["version"] = "1.99"
    assert _paths(env) == ["pools[0].clusters[0].nodePools[0].min", "pools[1].clusters[1].version"]


def test_a_broken_pool_hides_nothing_in_another_pool() -> None:
    env = _two_pools()
    env["pools"][0]["substrate"]["aws"]["region"] = "eu-west-9"  # pool 0's structure fails
    env["pools"][0]["clusters"][0]["version"] = "1.99"  # judged: its substrate is still AWS
    env["pools"][1]["substrate"]["aws"]["zones"] = 4  # eu-central-1 has 3
    del env["pools"][1]["capacity"]
    env["pools"][1]["clusters"][0]["version"] = "1.98"
    env["pools"][1]["clusters"][1]["name"] = "payments"  # as pools[0].clusters[0]
    env["pools"][1]["clusters"][1]["nodePools"][1]["name"] = "general"
    assert _paths(env) == [
        "pools[0].substrate.aws.region",
        "pools[0].clusters[0].version",
        "pools[1].substrate.aws.zones",
        "pools[1].clusters[0].version",
        "pools[1].clusters[1].name",
        "pools[1].clusters[1].nodePools[1].name",
        "pools[1].capacity",  # not in the file: after the keys the pool holds
    ]


def test_a_broken_cluster_hides_nothing_in_its_sound_neighbours() -> None:
    env = stack_environment("eu-prod")
    env["pools"][0]["clusters"][0]["nodePools"][0]["max"] = 0
    env["pools"][0]["clusters"][1]["version"] = "1.99"
    env["pools"][0]["clusters"][1]["frameworks"][1]["spark"]["tenant"] = "ghost"
    env["pools"][0]["substrate"]["aws"]["zones"] = 4
    assert _paths(env) == [
        "pools[0].substrate.aws.zones",
        f"{C0}.nodePools[0].max",
        "pools[0].clusters[1].version",
        "pools[0].clusters[1].frameworks[1].spark.tenant",
    ]


def test_a_broken_cluster_still_has_its_names_version_and_references_judged() -> None:
    env = stack_environment("eu-prod")
    c = env["pools"][0]["clusters"][1]
    c["nodePools"][0]["min"] = 99  # the cluster's own structure fails
    c["version"] = "1.99"
    c["nodePools"][1]["name"] = "general"
    c["tenants"][1]["name"] = "risk"
    c["frameworks"][1]["spark"]["name"] = "events"
    c["frameworks"][0]["kafka"]["tenant"] = "ghost"
    c["apiEndpoint"] = {"publicAccessCidrs": ["2001:db8::/32"]}
    c1 = "pools[0].clusters[1]"
    assert _paths(env) == [
        f"{c1}.version",
        f"{c1}.nodePools[0].min",
        f"{c1}.nodePools[1].name",
        f"{c1}.tenants[1].name",
        f"{c1}.frameworks[0].kafka.tenant",
        f"{c1}.frameworks[1].name",
        f"{c1}.frameworks[2].elasticsearch.tenant",  # its tenant quants was renamed
        f"{c1}.apiEndpoint.publicAccessCidrs[0]",
    ]


def test_sites_are_judged_across_pools_when_the_structure_fails_elsewhere() -> None:
    env = stack_environment("fra-onprem")
    second = copy.deepcopy(env["pools"][0])
    second["name"] = "fra-dc1-b"
    second["substrate"]["bareMetal"]["hosts"] = second["substrate"]["bareMetal"]["hosts"][:1]
    second["clusters"] = []
    env["pools"][0]["substrate"]["bareMetal"]["hosts"] = env["pools"][0]["substrate"]["bareMetal"]["hosts"][1:]
    env["owner"] = "Platform Team"
    env["pools"].append(second)
    assert _paths(env) == ["owner"]  # the two pools' hosts are apart: nothing else
    env["pools"][0]["substrate"]["bareMetal"]["hosts"].append(second["substrate"]["bareMetal"]["hosts"][0])
    err = _problems(env)
    first = "pools[1].substrate.bareMetal.hosts[0]"
    assert [p.path for p in err.problems] == ["owner", f"{first}.name", f"{first}.address"]
    assert "a host belongs to one pool" in err.problems[1].message


# ---------------------------------------------------------------- never an echo of another problem


@pytest.mark.parametrize(
    ("label", "mutate", "expected"),
    [
        (
            "two-substrate-kinds-hide-version",
            lambda e: (
                e["pools"][0]["substrate"].update(gcp={"project": "acme-dev-1", "region": "europe-west3"}),
                e["pools"][0]["clusters"][0].update(version="1.99"),
            ),
            ["pools[0].substrate"],
        ),
        (
            "bad-region-hides-zones",  # the zones are judged against the region only
            lambda e: e["pools"][0]["substrate"]["aws"].update(region="mars-1", zones=6),
            ["pools[0].substrate.aws.region"],
        ),
        (
            "tenant-without-a-sound-name-may-be-the-one-referred-to",
            lambda e: e["pools"][0]["clusters"][0].update(
                tenants=[{"name": "Risk"}, {"name": "ops"}],
                frameworks=[{"kafka": {"name": "events", "tenant": "risk"}}],
            ),
            [f"{C0}.tenants[0].name"],
        ),
        (
            "tenant-data-classes-not-sound-hide-the-data-class-check",
            lambda e: e["pools"][0]["clusters"][0].update(
                tenants=[{"name": "risk", "dataClasses": ["internal", "top-secret"]}],
                frameworks=[{"kafka": {"name": "events", "tenant": "risk", "dataClass": "pci"}}],
            ),
            [f"{C0}.tenants[0].dataClasses[1]"],
        ),
        (
            "framework-tenant-not-sound-is-not-judged",
            lambda e: e["pools"][0]["clusters"][0].update(
                tenants=[{"name": "risk"}],
                frameworks=[{"kafka": {"name": "events", "tenant": "Nobody", "dataClass": "pci"}}],
            ),
            [f"{C0}.frameworks[0].kafka.tenant"],
        ),
        (
            "substrate-a-list",
            lambda e: (e["pools"][0].update(substrate=["aws"]), e["pools"][0]["clusters"][0].update(version="1.99")),
            ["pools[0].substrate"],
        ),
        (
            "malformed-version-is-one-problem",
            lambda e: e["pools"][0]["clusters"][0].update(version="banana", name=5),
            [f"{C0}.name", f"{C0}.version"],
        ),
        (
            "clusters-missing-names",
            lambda e: (
                e["pools"][0]["clusters"].append(copy.deepcopy(e["pools"][0]["clusters"][0])),
                [c.pop("name") for c in e["pools"][0]["clusters"]],
            ),
            [f"{C0}.name", "pools[0].clusters[1].name"],
        ),
        (
            "names-that-are-numbers",
            lambda e: (
                e["pools"].append(copy.deepcopy(e["pools"][0])),
                [p.update(name=7) for p in e["pools"]],
                [c.update(name=7) for p in e["pools"] for c in p["clusters"]],
            ),
            ["pools[0].name", f"{C0}.name", "pools[1].name", "pools[1].clusters[0].name"],
        ),
        (
            "capacity-invalid-is-not-missing",
            lambda e: e["pools"][0].update(capacity={"vcpus": "many"}),
            ["pools[0].capacity.vcpus", "pools[0].capacity.memoryGib"],
        ),
        (
            "invalid-tenant-is-no-missing-tenant",
            lambda e: e["pools"][0]["clusters"][0].update(
                tenants=[{"name": "risk", "isolation": "shared"}],
                frameworks=[{"kafka": {"name": "events", "tenant": "risk"}}],
            ),
            [f"{C0}.tenants[0].isolation"],
        ),
        (
            "tenants-not-a-list",
            lambda e: e["pools"][0]["clusters"][0].update(
                tenants={"name": "risk"}, frameworks=[{"kafka": {"name": "events", "tenant": "risk"}}]
            ),
            [f"{C0}.tenants"],
        ),
        (
            "framework-of-two-kinds-names-nothing",
            lambda e: e["pools"][0]["clusters"][0].update(
                tenants=[{"name": "risk"}],
                frameworks=[
                    {"kafka": {"name": "a", "tenant": "risk"}, "spark": {"name": "b", "tenant": "risk"}},
                    {"kafka": {"name": "b", "tenant": "risk"}},
                ],
            ),
            [f"{C0}.frameworks[0]"],
        ),
        (
            "node-pools-a-mapping",
            lambda e: e["pools"][0]["clusters"][0].update(nodePools={"name": "general"}),
            [f"{C0}.nodePools"],
        ),
        ("pools-a-mapping", lambda e: e.update(pools={"name": "core"}), ["pools"]),
        ("pools-of-scalars", lambda e: e.update(pools=[None, 3, "core", [], True]), [f"pools[{i}]" for i in range(5)]),
        ("clusters-a-string", lambda e: e["pools"][0].update(clusters="apps"), ["pools[0].clusters"]),
    ],
)
def test_salvage_never_reports_an_echo(label: str, mutate: Any, expected: list[str]) -> None:
    env = minimal_environment()
    mutate(env)
    err = _problems(env)
    assert [p.path for p in err.problems] == expected, [str(p) for p in err.problems]
    assert err.note == PLAN_CHECKS_SKIPPED


JUNK: list[Any] = [None, -1, "Ü", [{}], {"zz": 1}]


def _nodes(node: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _nodes(v, (*at, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _nodes(v, (*at, i))


def _replaced(env: Env, at: tuple[Any, ...], value: Any) -> Any:
    if not at:
        return copy.deepcopy(value)
    out = copy.deepcopy(env)
    node: Any = out
    for part in at[:-1]:
        node = node[part]
    node[at[-1]] = copy.deepcopy(value)
    return out


@pytest.mark.parametrize("base", ["two-aws-pools", "fra-onprem", "eu-prod-gcp"])
def test_one_structural_error_anywhere_gives_exactly_the_structural_problems(base: str) -> None:
    """Every value of a valid environment replaced by each junk value in turn: where the structure
    fails, salvage finds nothing (the environment was sound: anything would be an echo) and never
    crashes."""
    env = _two_pools() if base == "two-aws-pools" else stack_environment(base)
    catalog = load_catalog()
    judged = 0
    for at in _nodes(env):
        for junk in JUNK:
            bad = _replaced(env, at, junk)
            try:
                EnvironmentArgs.model_validate(bad, by_alias=True, by_name=False)
                continue  # still valid in structure (a default, an optional value): not this test's
            except ValidationError as exc:
                structural = {(p.path, p.message) for p in problems_from_validation_error(exc)}
            assert check_salvageable(bad, catalog) == [], (at, junk, structural)
            judged += 1
    assert judged > 200


# ---------------------------------------------------------------- the note, the order, no repeats


def test_the_note_comes_exactly_when_the_plan_was_not_judged() -> None:
    structural = minimal_environment()
    structural["owner"] = "Platform Team"
    err = _problems(structural)
    assert err.note == PLAN_CHECKS_SKIPPED and str(err).endswith("\n" + PLAN_CHECKS_SKIPPED)

    relation = minimal_environment()
    relation["pools"][0]["clusters"][0]["version"] = "1.99"
    err = _problems(relation)
    assert err.note is None and PLAN_CHECKS_SKIPPED not in str(err)

    plan = minimal_environment()
    plan["pools"][0]["capacity"]["vcpus"] = 8  # the ledger overdrawn: judged by the plan
    err = _problems(plan)
    assert err.note is None and [p.path for p in err.problems] == ["pools[0].capacity"]

    args = EnvironmentArgs.model_validate(relation, by_alias=True, by_name=False)
    assert _problems(args).note is None


def test_problems_follow_the_file_not_the_model() -> None:
    env = minimal_environment()
    env = {"pools": env["pools"], "owner": "Platform Team", "name": env["name"], "jurisdiction": ["mars", "eu"]}
    node_pool = env["pools"][0]["clusters"][0]["nodePools"][0]
    env["pools"][0]["clusters"][0]["nodePools"][0] = {"zz": 1, **node_pool, "min": 9, "max": 4}
    del env["pools"][0]["clusters"][0]["nodePools"][0]["machine"]
    env["pools"][0]["clusters"][0]["version"] = "1.99"
    np0 = f"{C0}.nodePools[0]"
    expected = [f"{C0}.version", f"{np0}.zz", f"{np0}.min", f"{np0}.machine", "owner", "jurisdiction[0]"]
    assert _paths(env) == expected
    assert str(_problems(env)) == str(_problems(copy.deepcopy(env)))  # and the same every run


def test_a_model_given_in_python_is_ordered_by_its_fields() -> None:
    env = minimal_environment()
    env["pools"].append(copy.deepcopy(env["pools"][0]))
    env["pools"][1].update(name="edge", capacity=None)
    env["pools"][1]["clusters"][0]["name"] = "edge-apps"
    env["pools"][1]["clusters"][0]["nodePools"][0]["max"] = 451  # past the provider's limit
    env["pools"][0]["clusters"][0]["version"] = "1.99"
    args = EnvironmentArgs.model_validate(env, by_alias=True, by_name=False)
    assert _paths(args) == [f"{C0}.version", "pools[1].capacity", "pools[1].clusters[0].nodePools[0].max"]


def test_in_file_order_drops_repeats_and_survives_odd_keys() -> None:
    data = {"b": {"x.y": 1, 2: "two"}, "a": [0, 1]}
    problems = [
        Problem("a[1]", "m"),
        Problem("b[2]", "m"),
        Problem("nowhere.at.all", "m"),
        Problem("b.x.y", "m", [1]),
        Problem("a[1]", "m"),
        Problem("(root)", "m"),
        Problem("b", "m"),
        Problem("a[7].q", "m"),
    ]
    assert [p.path for p in in_file_order(problems, data)] == [
        "(root)",
        "b",
        "b.x.y",
        "b[2]",
        "a[1]",
        "a[7].q",
        "nowhere.at.all",
    ]
    # data of another shape holds none of the paths: the first reported comes first, among siblings
    assert [p.path for p in in_file_order(problems, ["not", "a", "mapping"])] == [
        "(root)",
        "a[1]",
        "a[7].q",
        "b",
        "b[2]",
        "b.x.y",
        "nowhere.at.all",
    ]


def test_models_inside_a_mapping_are_salvaged_too() -> None:
    """The Python API takes a mapping that holds models: they are judged like the file's mappings."""
    env = minimal_environment()
    cluster = KubernetesClusterArgs.model_validate(env["pools"][0]["clusters"][0], by_alias=True)
    env["pools"][0]["clusters"] = [cluster.model_copy(update={"version": "1.99"}), cluster]
    env["pools"][0]["name"] = "Core"
    assert _paths(env) == ["pools[0].name", f"{C0}.version", "pools[0].clusters[1].name"]

    env = minimal_environment()
    env["pools"][0] = ResourcePoolArgs.model_validate(env["pools"][0], by_alias=True).model_copy(
        update={"capacity": None}
    )
    env["owner"] = "Platform Team"
    assert _paths(env) == ["owner", "pools[0].capacity"]


# ---------------------------------------------------------------- the command line


def test_the_command_line_prints_every_problem_and_what_was_not_checked(tmp_path: Path) -> None:
    """The issue's case through `strata plan`: min > max and a bad version in one cluster are both
    printed, in file order, and the text and JSON say that capacity and names wait for the fix."""
    env = stack_environment("eu-prod")
    cluster = env["pools"][0]["clusters"][0]
    cluster["version"] = "1.99"
    cluster["nodePools"][0].update(min=9, max=4)
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text(yaml.safe_dump({"config": {"platform:environment": env}}, sort_keys=False))
    text = CliRunner().invoke(app, ["plan", str(path)])
    assert text.exit_code == 2
    lines = [line.strip() for line in text.stderr.splitlines()]
    assert lines[1].startswith('pools[0].clusters[0].version: "1.99" — not a Kubernetes version AWS offers')
    assert lines[2] == "pools[0].clusters[0].nodePools[0].min: 9 — must not exceed max (4)"
    assert f"Not checked yet: {PLAN_CHECKS_SKIPPED}." in lines
    doc = json.loads(CliRunner().invoke(app, ["plan", str(path), "--format", "json"]).stdout)
    assert [p["path"] for p in doc["problems"]] == [
        "pools[0].clusters[0].version",
        "pools[0].clusters[0].nodePools[0].min",
    ]
    assert doc["notChecked"] == PLAN_CHECKS_SKIPPED
    # once the structure is sound, the plan's own checks run and nothing is left unchecked
    cluster["nodePools"][0].update(min=3, max=4)
    path.write_text(yaml.safe_dump({"config": {"platform:environment": env}}, sort_keys=False))
    doc = json.loads(CliRunner().invoke(app, ["plan", str(path), "--format", "json"]).stdout)
    assert [p["path"] for p in doc["problems"]] == ["pools[0].clusters[0].version"]
    assert "notChecked" not in doc


# ---------------------------------------------------------------- what needs only the kind of substrate


def test_a_region_typo_does_not_hide_a_version_the_substrate_kind_does_not_offer() -> None:
    env = minimal_environment()
    env["pools"][0]["substrate"]["aws"]["region"] = "eu-centrl-1"
    env["pools"][0]["clusters"][0]["version"] = "1.40"
    err = _problems(env)
    assert [(p.path, p.value) for p in err.problems] == [
        ("pools[0].substrate.aws.region", "eu-centrl-1"),
        (f"{C0}.version", "1.40"),
    ]
    assert "did you mean eu-central-1" in err.problems[0].message
    assert err.problems[1].message.startswith("not a Kubernetes version AWS offers")
    assert err.note == PLAN_CHECKS_SKIPPED


@pytest.mark.parametrize(
    ("substrate", "expected"),
    [
        # a cloud pool's capacity, its endpoint's IPv4 blocks: the kind is enough
        ({"aws": {"region": "eu-centrl-1"}}, ["pools[0].substrate.aws.region", "apiEndpoint", "capacity"]),
        ({"aws": None}, ["pools[0].substrate", "apiEndpoint", "capacity"]),
        ({"aws": {"region": "eu-west-1", "zones": "two"}}, ["pools[0].substrate.aws.zones", "apiEndpoint", "capacity"]),
        ({"gcp": {"project": "Acme!", "region": "europe-west3"}}, ["pools[0].substrate.gcp.project", "capacity"]),
        (
            {"aws": {"region": "eu-west-1", "zz": 1}, "azure": {}},
            ["pools[0].substrate.aws.zz", "pools[0].substrate.azure", "apiEndpoint", "capacity"],
        ),
        # no kind, or two: nothing is judged on the pool's behalf
        (
            {"aws": {"region": "eu-west-1"}, "gcp": {"project": "acme-dev-1", "region": "europe-west3"}},
            ["pools[0].substrate"],
        ),
        ({"azure": {"region": "westeurope"}}, ["pools[0].substrate.azure"]),
        ("aws", ["pools[0].substrate"]),
    ],
)
def test_what_needs_only_the_kind_is_judged_on_a_broken_substrate(substrate: Any, expected: list[str]) -> None:
    env = minimal_environment()
    env["pools"][0]["substrate"] = substrate
    del env["pools"][0]["capacity"]
    env["pools"][0]["clusters"][0]["apiEndpoint"] = {"publicAccessCidrs": ["2001:db8::/32"]}
    paths = _paths(env)
    full = {"apiEndpoint": f"{C0}.apiEndpoint.publicAccessCidrs[0]", "capacity": "pools[0].capacity"}
    assert paths == [full.get(p, p) for p in expected]


def test_too_many_gke_clusters_are_judged_on_a_broken_gcp_substrate() -> None:
    env = stack_environment("eu-prod-gcp")
    pool = env["pools"][0]
    pool["substrate"]["gcp"]["project"] = "Acme!"
    template = pool["clusters"][0]
    pool["clusters"] = [dict(copy.deepcopy(template), name=f"c{j}") for j in range(MAX_GKE_CLUSTERS_PER_POOL + 1)]
    paths = _paths(env)
    assert paths[:2] == ["pools[0].substrate.gcp.project", "pools[0].clusters"]


def test_a_bare_metal_kind_judges_versions_but_not_hosts_on_a_broken_site() -> None:
    env = stack_environment("fra-onprem")
    site = env["pools"][0]["substrate"]["bareMetal"]
    site["country"] = "de"
    env["pools"][0]["clusters"][0]["version"] = "1.99"
    err = _problems(env)
    assert [p.path for p in err.problems] == ["pools[0].substrate.bareMetal.country", f"{C0}.version"]
    assert "bare metal offers" in err.problems[1].message


# ---------------------------------------------------------------- references against tenants sound in part


def test_a_tenant_with_a_bad_field_still_counts_for_references() -> None:
    env = minimal_environment()
    cluster = env["pools"][0]["clusters"][0]
    cluster["tenants"] = [{"name": "risk", "isolation": "dedicatd", "dataClasses": ["internal"]}]
    cluster["frameworks"] = [
        {"kafka": {"name": "events", "tenant": "nobody"}},
        {"spark": {"name": "batch", "tenant": "risk", "dataClass": "pci"}},
        {"flink": {"name": "stream", "tenant": "risk", "dataClass": "internal"}},
    ]
    err = _problems(env)
    assert [(p.path, p.value) for p in err.problems] == [
        (f"{C0}.tenants[0].isolation", "dedicatd"),
        (f"{C0}.frameworks[0].kafka.tenant", "nobody"),
        (f"{C0}.frameworks[1].spark.dataClass", "pci"),
    ]
    assert err.problems[1].message == "no such tenant in this cluster; tenants: risk"
    assert err.problems[2].message == "tenant 'risk' does not declare this data class; it declares internal"


def test_a_framework_with_a_bad_field_still_has_its_tenant_judged() -> None:
    env = minimal_environment()
    cluster = env["pools"][0]["clusters"][0]
    cluster["tenants"] = [{"name": "risk"}]
    cluster["frameworks"] = [{"kafka": {"name": "events", "tenant": "nobody", "brokers": "three"}}]
    assert _paths(env) == [f"{C0}.frameworks[0].kafka.tenant", f"{C0}.frameworks[0].kafka.brokers"]


def test_references_with_tenants_of_one_name() -> None:
    """Two tenants named alike (a problem of its own): a data class either declares is no problem."""
    env = minimal_environment()
    cluster = env["pools"][0]["clusters"][0]
    quota = {"cpu": 4, "memoryGib": 8}
    cluster["tenants"] = [
        {"name": "risk", "dataClasses": ["internal"], "quota": quota},
        {"name": "risk", "dataClasses": ["pci"], "quota": quota},
    ]
    small = {"cpu": 0.5, "memoryGib": 1}  # within either tenant's quota
    cluster["frameworks"] = [
        {"kafka": {"name": "events", "tenant": "risk", "dataClass": "pci", "brokers": 1, "size": small}},
        {"spark": {"name": "batch", "tenant": "risk", "dataClass": "public", "executors": 1, "size": small}},
    ]
    err = _problems(env)
    assert [p.path for p in err.problems] == [f"{C0}.tenants[1].name", f"{C0}.frameworks[1].spark.dataClass"]
    assert err.problems[1].message.endswith("it declares internal, pci")


# ---------------------------------------------------------------- bare metal: hosts listed twice, hosts short


def _short_site_with_a_host_twice() -> Env:
    env = stack_environment("fra-onprem")
    hosts = env["pools"][0]["substrate"]["bareMetal"]["hosts"]
    hosts.append(dict(hosts[0], name="fra-g99"))  # fra-g01's address again
    env["pools"][0]["clusters"][0]["nodePools"][0]["max"] = 50
    return env


def test_a_host_listed_twice_does_not_hide_a_shortage_and_says_what_waits() -> None:
    err = _problems(_short_site_with_a_host_twice())
    assert [p.path for p in err.problems] == ["pools[0].substrate.bareMetal.hosts[14]", f"{C0}.nodePools[0]"]
    assert "same address as hosts[0]" in err.problems[0].message
    assert "needs 50 host(s)" in err.problems[1].message and "short by 40" in err.problems[1].message
    assert err.note == PLAN_CHECKS_SKIPPED


def test_a_host_listed_twice_alone_still_says_what_waits() -> None:
    env = _short_site_with_a_host_twice()
    env["pools"][0]["clusters"][0]["nodePools"][0]["max"] = 4
    err = _problems(env)
    assert [p.path for p in err.problems] == ["pools[0].substrate.bareMetal.hosts[14]"]
    assert err.note == PLAN_CHECKS_SKIPPED


def test_a_shortage_is_not_passed_on_to_the_next_cluster() -> None:
    """core asks for 50 hosts of a shape the memory hosts fit too: it takes none of them, so ml,
    whose memory hosts a smaller core leaves alone, is not reported short (an echo); the note says
    what waits for the fix."""
    env = stack_environment("fra-onprem")
    env["pools"][0]["clusters"][0]["nodePools"][0]["max"] = 50
    err = _problems(env)
    assert [p.path for p in err.problems] == [f"{C0}.nodePools[0]"]
    assert err.note == PLAN_CHECKS_SKIPPED


def test_a_pool_that_could_not_be_planned_is_said_to_wait() -> None:
    env = minimal_environment()
    env["pools"][0]["clusters"][0]["nodePools"][0]["machine"]["vcpus"] = 1000  # no machine type fits
    err = _problems(env)
    assert [p.path for p in err.problems] == [f"{C0}.nodePools[0].machine"]
    assert err.note == PLAN_CHECKS_SKIPPED


# ---------------------------------------------------------------- messages in the house style


@pytest.mark.parametrize(
    ("at", "value", "message"),
    [
        (
            (C0, "tenants"),
            [{"name": "risk", "isolation": "dedicatd"}],
            "must be one of namespace, virtual, dedicated; did you mean dedicated?",
        ),
        ((C0, "tenants"), [{"name": "risk", "runtime": "firecracker"}], "must be one of default, gvisor, kata"),
        ((C0, "tenants"), [{"name": "risk", "isolation": 3}], "must be one of namespace, virtual, dedicated"),
        ((C0, "nodePools", 0, "machine", "vcpus"), 8.0, "must be an integer (a whole number, not 8.0)"),
        ((C0, "nodePools", 0, "machine", "vcpus"), 2.5, "must be an integer (a whole number, not 2.5)"),
        ((C0, "nodePools", 0, "machine", "vcpus"), "4", "must be an integer, written without quotes"),
        ((C0, "nodePools", 0, "machine", "vcpus"), "four", "must be an integer"),
        ((C0, "nodePools", 0, "machine", "gpus"), True, "must be an integer, not true or false"),
        ((C0, "nodePools", 0, "machine", "memoryGib"), "lots", "must be a number"),
        ((C0, "nodePools", 0, "machine", "memoryGib"), "16", "must be a number, written without quotes"),
        ((C0, "nodePools", 0, "machine", "memoryGib"), False, "must be a number, not true or false"),
        ((C0, "nodePools", 0, "machine", "memoryGib"), float("inf"), "must be a finite number (not infinity or NaN)"),
        ((C0, "nodePools", 0, "machine", "vcpus"), 0, "must be greater than 0"),
        ((C0, "nodePools", 0, "machine", "memoryGib"), -1, "must be greater than 0"),
        ((C0, "nodePools", 0, "min"), -1, "must be at least 0"),
        ((C0, "controlPlane"), {"ha": "yes"}, "must be true or false"),
        ((C0, "controlPlane"), {"ha": "true"}, "must be true or false, written without quotes"),
        ((C0, "name"), 7, "must be text"),
        ((C0, "nodePools"), [], "must hold at least one item"),
        ((C0, "nodePools"), {"name": "general"}, "must be a list"),
        ((C0, "nodePools", 0, "machine"), [4, 16], "must be a mapping"),
        ((C0, "tenants"), [{"name": "risk", "quota": 8}], "must be a mapping"),
        (("pools", 0, "substrate", "aws", "zones"), 7, "must be at most 6"),
        (("pools", 0, "substrate", "aws", "zones"), 0, "must be at least 1"),
        (("pools", 0, "substrate"), "aws", "must be a mapping"),
        (
            ("pools", 0, "substrate"),
            {"gcp": {"project": "Acme!", "region": "europe-west3"}},
            "must match '^[a-z][-a-z0-9]{4,28}[a-z0-9]$': the GCP project ID the pool is built in "
            "(it must exist, with billing and the APIs enabled)",
        ),
    ],
)
def test_structural_problems_say_what_the_value_must_be(at: tuple[Any, ...], value: Any, message: str) -> None:
    env = minimal_environment()
    node: Any = env["pools"][0]["clusters"][0] if at[0] == C0 else env
    for part in at[1:-1] if at[0] == C0 else at[:-1]:
        node = node[part]
    node[at[-1]] = value
    messages = [p.message for p in _problems(env).problems]
    assert message in messages, messages
    assert not any("Input should" in m or "String should" in m for m in messages), messages


def test_a_site_country_pattern_says_what_it_means() -> None:
    env = stack_environment("fra-onprem")
    env["pools"][0]["substrate"]["bareMetal"]["country"] = "de"
    env["pools"][0]["substrate"]["bareMetal"]["ssh"]["user"] = "x; reboot"
    assert [str(p) for p in _problems(env).problems] == [
        "pools[0].substrate.bareMetal.country: \"de\" — must match '^[A-Z]{2}$': the site's country, "
        "ISO 3166-1 alpha-2 (DE): what residency is judged by",
        "pools[0].substrate.bareMetal.ssh.user: \"x; reboot\" — must match '^[a-z_][a-z0-9_-]{0,31}$': "
        "a POSIX user name (what useradd takes) with passwordless sudo on every host",
    ]


def _context(kind: str) -> dict[str, Any]:
    """Whatever context a pydantic error of ``kind`` needs (a number, or a text where it must be)."""
    ctx: dict[str, Any] = {}
    while True:
        try:
            PydanticKnownError(kind, ctx or None)  # type: ignore[arg-type]
            return ctx
        except (KeyError, TypeError) as exc:
            wanted = re.search(r"'(\w+)' (required in context|context value must be a String)", str(exc))
            assert wanted, exc
            ctx[wanted.group(1)] = 1 if wanted.group(2).startswith("required") else "x"


ERROR_TYPES = get_args(ErrorType)


@pytest.mark.parametrize("kind", ERROR_TYPES)
def test_every_error_pydantic_can_give_has_a_message(kind: str) -> None:
    loc = ("pools", 0, "clusters", 0, "tenants", 0, "isolation")
    data = ValidationError.from_exception_data(
        "EnvironmentArgs", [{"type": kind, "loc": loc, "input": {"a": [1.0, None, True]}, "ctx": _context(kind)}]
    )
    (problem,) = problems_from_validation_error(data)
    assert problem.path == "pools[0].clusters[0].tenants[0].isolation"
    assert problem.message and not re.match(r"(\w+ )?(input|string|value|data) should", problem.message, re.I)
    assert json.loads(json.dumps(problem.as_dict())) == problem.as_dict()
    str(problem)


def test_a_custom_pydantic_error_keeps_its_own_message() -> None:
    data = ValidationError.from_exception_data(
        "EnvironmentArgs", [{"type": PydanticCustomError("odd", "odd {x}", {"x": 1}), "loc": ("name",), "input": 1}]
    )
    assert [str(p) for p in problems_from_validation_error(data)] == ["name: 1 — odd 1"]


def test_literal_values_come_from_pydantic_when_the_model_does_not_say() -> None:
    err = ValidationError.from_exception_data(
        "EnvironmentArgs",
        [{"type": "literal_error", "loc": ("nowhere",), "input": "bbx", "ctx": {"expected": "'ax', 'bb' or 'c'"}}],
    )
    assert problems_from_validation_error(err)[0].message == "must be one of ax, bb, c; did you mean bb?"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("eu-west-1", '"eu-west-1"'),
        ("trailing\\", '"trailing\\"'),  # text as written
        (8.0, "8.0"),
        (False, "false"),
        (None, "null"),
        (2**31, "2147483648"),
        pytest.param(10**5000, "1.000e+5000", id="an-integer-of-5001-digits"),
        (float("inf"), "Infinity"),
        (float("nan"), "NaN"),
        ({"vcpus": 64, "memoryGib": 512.0, "gpus": 0}, '{"vcpus": 64, "memoryGib": 512.0, "gpus": 0}'),
        ({"ha": False}, '{"ha": false}'),
        ([1, "a", None, ("b",)], '[1, "a", null, ["b"]]'),
        ({1: "one"}, '{"1": "one"}'),
        (list(range(100)), "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21..."),
        ("x" * 100, '"' + "x" * 76 + "..."),
    ],
)
def test_values_are_shown_as_json_writes_them(value: Any, shown: str) -> None:
    assert show_value(value) == shown
    assert len(show_value(value)) <= 80


def test_values_that_hold_themselves_or_a_model_are_shown_too() -> None:
    loop: list[Any] = []
    loop.append(loop)
    assert show_value(loop) == "[" * 77 + "..."
    deep: list[Any] = []
    node = deep
    for _ in range(10_000):
        node.append([])
        node = node[0]
    assert show_value(deep).startswith("[[[")
    machine = Machine(vcpus=2, memory_gib=4)
    assert show_value(machine) == '{"vcpus": 2, "memoryGib": 4.0, "gpus": 0}'
    assert show_value(Substrate(aws={"region": "eu-west-1"})) == '{"aws": {"region": "eu-west-1", "zones": 3}}'


def test_plan_problems_show_their_values_as_json_too() -> None:
    env = stack_environment("fra-onprem")
    env["pools"][0]["clusters"][1]["controlPlane"] = {"ha": True}
    env["pools"][0]["capacity"] = {"vcpus": 64, "memoryGib": 512.0, "gpus": 0}
    text = str(_problems(env))
    assert "{'" not in text and "False" not in text and "True" not in text
    assert '{"ha": true}' in text or '{"vcpus": 64, "memoryGib": 512.0, "gpus": 0}' in text
