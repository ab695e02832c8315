"""One run reports every problem (issue 10): a structural error hides no relation problem of the
parts that are sound on their own, and reports none that is only its echo. Pure function calls."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from strata import EnvironmentArgs, KubernetesClusterArgs, ResourcePoolArgs
from strata.catalog import load_catalog
from strata.cli import app
from strata.declarations import SpecError
from strata.declarations.checks import check_salvageable, problems_from_validation_error
from strata.declarations.errors import Problem, in_file_order
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
    env["pools"][0]["clusters"][0]["version"] = "1.99"  # not judged: its substrate is not sound
    env["pools"][1]["substrate"]["aws"]["zones"] = 4  # eu-central-1 has 3
    del env["pools"][1]["capacity"]
    env["pools"][1]["clusters"][0]["version"] = "1.98"
    env["pools"][1]["clusters"][1]["name"] = "payments"  # as pools[0].clusters[0]
    env["pools"][1]["clusters"][1]["nodePools"][1]["name"] = "general"
    assert _paths(env) == [
        "pools[0].substrate.aws.region",
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
            "bad-substrate-hides-version",
            lambda e: (
                e["pools"][0]["substrate"]["aws"].update(region="mars-1"),
                e["pools"][0]["clusters"][0].update(version="1.99"),
            ),
            ["pools[0].substrate.aws.region"],
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
