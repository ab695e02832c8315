"""A corpus of bad specs: each is rejected with exit 2, a message naming the path, and nothing
registered. Every case is a small mutation of a valid environment."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from strata.cli import app
from strata.declarations import SpecError
from strata.offline import OfflineRun

from .conftest import minimal_environment, plan_offline, stack_environment

Env = dict[str, Any]
C0 = "pools[0].clusters[0]"
NP0 = f"{C0}.nodePools[0]"


def _set(path: str, value: Any) -> Callable[[Env], None]:
    """A mutation setting a dotted/indexed path (``pools.0.foo``) to ``value``."""

    def apply(env: Env) -> None:
        *head, last = path.split(".")
        node: Any = env
        for part in head:
            node = node[int(part)] if part.isdigit() else node[part]
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return apply


def _drop(path: str) -> Callable[[Env], None]:
    def apply(env: Env) -> None:
        *head, last = path.split(".")
        node: Any = env
        for part in head:
            node = node[int(part)] if part.isdigit() else node[part]
        del node[last]

    return apply


def _second_pool(env: Env) -> None:
    env["pools"].append(copy.deepcopy(env["pools"][0]))
    env["pools"][1]["clusters"][0]["name"] = "other"


def _dup_cluster_across_pools(env: Env) -> None:
    env["pools"].append(copy.deepcopy(env["pools"][0]))
    env["pools"][1]["name"] = "edge"


def _dup(list_path: str) -> Callable[[Env], None]:
    def apply(env: Env) -> None:
        node: Any = env
        for part in list_path.split("."):
            node = node[int(part)] if part.isdigit() else node[part]
        node.append(copy.deepcopy(node[0]))

    return apply


def _with_tenant(**tenant: Any) -> Callable[[Env], None]:
    def apply(env: Env) -> None:
        env["pools"][0]["clusters"][0]["tenants"] = [{"name": "risk", "dataClasses": ["internal"], **tenant}]

    return apply


def _with_framework(fw: dict[str, Any], tenant: dict[str, Any] | None = None) -> Callable[[Env], None]:
    def apply(env: Env) -> None:
        c = env["pools"][0]["clusters"][0]
        c["tenants"] = [tenant or {"name": "risk", "dataClasses": ["internal"]}]
        c["frameworks"] = [fw]

    return apply


BARE_METAL = {
    "bareMetal": {
        "site": "fra-dc1",
        "country": "DE",
        "hosts": [{"name": "h1", "address": "10.1.0.1", "vcpus": 32, "memoryGib": 128}],
        "ssh": {"user": "strata"},
    }
}

# (id, mutation, the path the message must name)
CASES: list[tuple[str, Callable[[Env], None], str]] = [
    ("unknown-top-level-key", _set("region", "eu-west-1"), "region"),
    ("unknown-pool-key", _set("pools.0.size", 3), "pools[0].size"),
    ("snake-case-key", _set("pools.0.clusters.0.node_pools", []), f"{C0}.node_pools"),
    ("unknown-node-pool-key", _set("pools.0.clusters.0.nodePools.0.instanceType", "m5.large"), f"{NP0}.instanceType"),
    ("missing-name", _drop("name"), "name"),
    ("missing-owner", _drop("owner"), "owner"),
    ("missing-pools", _drop("pools"), "pools"),
    ("empty-pools", _set("pools", []), "pools"),
    ("vcpus-not-a-number", _set("pools.0.clusters.0.nodePools.0.machine.vcpus", "eight"), f"{NP0}.machine.vcpus"),
    ("memory-negative", _set("pools.0.clusters.0.nodePools.0.machine.memoryGib", -4), f"{NP0}.machine.memoryGib"),
    ("min-above-max", _set("pools.0.clusters.0.nodePools.0.min", 9), f"{NP0}.min"),
    ("min-negative", _set("pools.0.clusters.0.nodePools.0.min", -1), f"{NP0}.min"),
    ("max-zero", _set("pools.0.clusters.0.nodePools.0.max", 0), f"{NP0}.max"),
    ("zero-zones", _set("pools.0.substrate.aws.zones", 0), "pools[0].substrate.aws.zones"),
    ("seven-zones", _set("pools.0.substrate.aws.zones", 7), "pools[0].substrate.aws.zones"),
    ("more-zones-than-region", _set("pools.0.substrate.aws.zones", 4), "pools[0].substrate.aws.zones"),
    ("zones-not-a-number", _set("pools.0.substrate.aws.zones", "three"), "pools[0].substrate.aws.zones"),
    ("unknown-aws-region", _set("pools.0.substrate.aws.region", "eu-central-9"), "pools[0].substrate.aws.region"),
    (
        "unknown-gcp-region",
        _set("pools.0.substrate", {"gcp": {"project": "acme-dev-1", "region": "europe-west99"}}),
        "pools[0].substrate.gcp.region",
    ),
    (
        "gcp-project-syntax",
        _set("pools.0.substrate", {"gcp": {"project": "Acme!", "region": "europe-west3"}}),
        "pools[0].substrate.gcp.project",
    ),
    (
        "two-substrates",
        _set("pools.0.substrate.gcp", {"project": "acme-dev-1", "region": "europe-west3"}),
        "pools[0].substrate",
    ),
    ("no-substrate", _set("pools.0.substrate", {}), "pools[0].substrate"),
    ("unknown-substrate", _set("pools.0.substrate", {"azure": {"region": "westeurope"}}), "pools[0].substrate.azure"),
    ("version-never-existed", _set("pools.0.clusters.0.version", "1.99"), f"{C0}.version"),
    ("version-banana", _set("pools.0.clusters.0.version", "banana"), f"{C0}.version"),
    ("version-unquoted", _set("pools.0.clusters.0.version", 1.3), f"{C0}.version"),
    ("duplicate-pool", _second_pool, "pools[1].name"),
    ("duplicate-cluster-across-pools", _dup_cluster_across_pools, "pools[1].clusters[0].name"),
    ("duplicate-node-pool", _dup("pools.0.clusters.0.nodePools"), f"{C0}.nodePools[1].name"),
    ("duplicate-tenant", lambda e: (_with_tenant()(e), _dup("pools.0.clusters.0.tenants")(e)), f"{C0}.tenants[1].name"),
    (
        "framework-unknown-tenant",
        _with_framework({"kafka": {"name": "events", "tenant": "nobody"}}),
        f"{C0}.frameworks[0].kafka.tenant",
    ),
    ("tenant-unknown-data-class", _with_tenant(dataClasses=["secret-sauce"]), f"{C0}.tenants[0].dataClasses[0]"),
    (
        "framework-unknown-data-class",
        _with_framework({"spark": {"name": "batch", "tenant": "risk", "dataClass": "top-secret"}}),
        f"{C0}.frameworks[0].spark.dataClass",
    ),
    (
        "framework-class-not-tenants",
        _with_framework({"kafka": {"name": "events", "tenant": "risk", "dataClass": "pci"}}),
        f"{C0}.frameworks[0].kafka.dataClass",
    ),
    ("unknown-jurisdiction", _set("jurisdiction", "europe"), "jurisdiction[0]"),
    ("unknown-jurisdiction-in-list", _set("jurisdiction", ["eu", "mars"]), "jurisdiction[1]"),
    ("empty-jurisdiction-list", _set("jurisdiction", []), "jurisdiction"),
    ("bad-isolation", _with_tenant(isolation="shared"), f"{C0}.tenants[0].isolation"),
    ("bad-runtime", _with_tenant(runtime="firecracker"), f"{C0}.tenants[0].runtime"),
    ("quota-zero", _with_tenant(quota={"cpu": 0, "memoryGib": 8}), f"{C0}.tenants[0].quota.cpu"),
    (
        "framework-two-kinds",
        _with_framework({"kafka": {"name": "a", "tenant": "risk"}, "spark": {"name": "b", "tenant": "risk"}}),
        f"{C0}.frameworks[0]",
    ),
    (
        "framework-unknown-kind",
        _with_framework({"cassandra": {"name": "a", "tenant": "risk"}}),
        f"{C0}.frameworks[0].cassandra",
    ),
    ("capacity-overdrawn", _set("pools.0.capacity.vcpus", 8), "pools[0].capacity"),
    ("capacity-missing", _drop("pools.0.capacity"), "pools[0].capacity"),
    ("capacity-negative-gpus", _set("pools.0.capacity.gpus", -1), "pools[0].capacity.gpus"),
    ("shape-unsatisfiable", _set("pools.0.clusters.0.nodePools.0.machine.vcpus", 1000), f"{NP0}.machine"),
    ("cluster-name-not-dns", _set("pools.0.clusters.0.name", "Payments"), f"{C0}.name"),
    ("cluster-name-trailing-line-break", _set("pools.0.clusters.0.name", "apps\n"), f"{C0}.name"),
    ("env-name-underscore", _set("name", "eu_prod"), "name"),
    ("name-too-long", _set("pools.0.name", "a" * 31), "pools[0].name"),
    ("no-node-pools", _set("pools.0.clusters.0.nodePools", []), f"{C0}.nodePools"),
    (
        "bad-public-cidr",
        _set("pools.0.clusters.0.apiEndpoint", {"publicAccessCidrs": ["203.0.113.7/24"]}),
        f"{C0}.apiEndpoint.publicAccessCidrs[0]",
    ),
    ("bare-metal-hosts-short", _set("pools.0.substrate", BARE_METAL), f"{C0}.nodePools[0]"),
    (
        "bare-metal-host-listed-twice",
        _set(
            "pools.0.substrate",
            {"bareMetal": {**BARE_METAL["bareMetal"], "hosts": BARE_METAL["bareMetal"]["hosts"] * 2}},
        ),
        "pools[0].substrate.bareMetal.hosts[1]",
    ),
    (
        "bare-metal-airgap-url",
        _set(
            "pools.0.substrate",
            {"bareMetal": {**BARE_METAL["bareMetal"], "airgap": {"registry": "reg:5000", "artifacts": "ftp://x"}}},
        ),
        "pools[0].substrate.bareMetal.airgap.artifacts",
    ),
    # strict numbers and flags: YAML's true is not 1, "2" is not 2, 2.5 is not a count
    ("zones-true", _set("pools.0.substrate.aws.zones", True), "pools[0].substrate.aws.zones"),
    ("vcpus-float", _set("pools.0.clusters.0.nodePools.0.machine.vcpus", 2.5), f"{NP0}.machine.vcpus"),
    ("vcpus-quoted", _set("pools.0.clusters.0.nodePools.0.machine.vcpus", "4"), f"{NP0}.machine.vcpus"),
    ("gpus-true", _set("pools.0.clusters.0.nodePools.0.machine.gpus", True), f"{NP0}.machine.gpus"),
    ("ha-yes", _set("pools.0.clusters.0.controlPlane", {"ha": "yes"}), f"{C0}.controlPlane.ha"),
    (  # the stack file's reader refuses it first, naming the path in the file
        "memory-infinite",
        _set("pools.0.clusters.0.nodePools.0.machine.memoryGib", float("inf")),
        f"config.platform:environment.{NP0}.machine.memoryGib",
    ),
    ("max-past-int32", _set("pools.0.clusters.0.nodePools.0.max", 2**31), f"{NP0}.max"),
    # what the provider would refuse at apply time
    ("node-group-over-provider-max", _set("pools.0.clusters.0.nodePools.0.max", 451), f"{NP0}.max"),
    (
        "node-group-name-too-long",  # "<30>-<30>" plus Pulumi's suffix is 69 characters; EKS takes 63
        lambda e: (
            _set("pools.0.clusters.0.name", "c" * 30)(e),
            _set("pools.0.clusters.0.nodePools.0.name", "p" * 30)(e),
        ),
        f"{NP0}.name",
    ),
    (
        "tenant-quota-over-cluster",
        _with_tenant(quota={"cpu": 17, "memoryGib": 8}),
        f"{C0}.tenants",
    ),
    (
        "kafka-brokers-over-nodes",
        _with_framework({"kafka": {"name": "events", "tenant": "risk", "brokers": 9}}),
        f"{C0}.frameworks[0].kafka.brokers",
    ),
    (
        "bare-metal-address-leading-zero",
        _set(
            "pools.0.substrate",
            {
                "bareMetal": {
                    **BARE_METAL["bareMetal"],
                    "hosts": [{**BARE_METAL["bareMetal"]["hosts"][0], "address": "10.1.0.01"}],
                }
            },
        ),
        "pools[0].substrate.bareMetal.hosts[0].address",
    ),
    (
        "bare-metal-address-shell",
        _set(
            "pools.0.substrate",
            {
                "bareMetal": {
                    **BARE_METAL["bareMetal"],
                    "hosts": [{**BARE_METAL["bareMetal"]["hosts"][0], "address": "$(id)"}],
                }
            },
        ),
        "pools[0].substrate.bareMetal.hosts[0].address",
    ),
    (
        "bare-metal-ssh-user-shell",
        _set("pools.0.substrate", {"bareMetal": {**BARE_METAL["bareMetal"], "ssh": {"user": "x; reboot"}}}),
        "pools[0].substrate.bareMetal.ssh.user",
    ),
    (
        "bare-metal-artifacts-url-quote",
        _set(
            "pools.0.substrate",
            {"bareMetal": {**BARE_METAL["bareMetal"], "airgap": {"registry": "reg:5000", "artifacts": 'https://a/"x'}}},
        ),
        "pools[0].substrate.bareMetal.airgap.artifacts",
    ),
    (
        "bare-metal-ssh-port-past-65535",
        _set("pools.0.substrate", {"bareMetal": {**BARE_METAL["bareMetal"], "ssh": {"user": "strata", "port": 65536}}}),
        "pools[0].substrate.bareMetal.ssh.port",
    ),
    *(
        (
            f"bare-metal-address-{label}",
            _set(
                "pools.0.substrate",
                {
                    "bareMetal": {
                        **BARE_METAL["bareMetal"],
                        "hosts": [{**BARE_METAL["bareMetal"]["hosts"][0], "address": address}],
                    }
                },
            ),
            "pools[0].substrate.bareMetal.hosts[0].address",
        )
        for label, address in (
            ("hex", "0x0a000001"),
            ("hex-part", "10.20.0.0x0b"),
            ("short-form", "10.1"),
            ("unspecified", "0.0.0.0"),
            ("broadcast", "255.255.255.255"),
            ("multicast", "224.0.0.1"),
            ("loopback", "127.0.0.1"),
            ("ipv6-unspecified", "::"),
            ("this-network", "0.1.2.3"),
            ("reserved", "240.0.0.1"),
            ("link-local", "169.254.1.1"),
            ("ipv6-link-local", "fe80::1"),
            ("localhost", "localhost"),
            ("line-break", "fra-g01\n.corp"),
        )
    ),
    *(
        (
            f"bare-metal-airgap-{label}",
            _set("pools.0.substrate", {"bareMetal": {**BARE_METAL["bareMetal"], "airgap": airgap}}),
            f"pools[0].substrate.bareMetal.airgap.{field}",
        )
        for label, field, airgap in (
            ("url-port-0", "artifacts", {"registry": "reg:5000", "artifacts": "https://a.example:0/x"}),
            ("url-port-99999", "artifacts", {"registry": "reg:5000", "artifacts": "https://a.example:99999/x"}),
            ("url-bad-ipv6", "artifacts", {"registry": "reg:5000", "artifacts": "https://[:::::]/x"}),
            ("url-option-host", "artifacts", {"registry": "reg:5000", "artifacts": "https://-oProxy/x"}),
            ("url-dots-host", "artifacts", {"registry": "reg:5000", "artifacts": "https://..../x"}),
            ("registry-empty-label", "registry", {"registry": "a..b", "artifacts": "https://a.example/x"}),
            ("registry-empty-segment", "registry", {"registry": "reg//x", "artifacts": "https://a.example/x"}),
            ("registry-trailing-slash", "registry", {"registry": "reg/x/", "artifacts": "https://a.example/x"}),
            ("registry-port-0", "registry", {"registry": "reg:0", "artifacts": "https://a.example/x"}),
            ("registry-line-break", "registry", {"registry": "reg\n.x:5000", "artifacts": "https://a.example/x"}),
            ("registry-spaces", "registry", {"registry": " reg.x :5000", "artifacts": "https://a.example/x"}),
            ("url-line-break", "artifacts", {"registry": "reg:5000", "artifacts": "https://a\n.example/x"}),
            ("url-space", "artifacts", {"registry": "reg:5000", "artifacts": "https://a.example /x"}),
        )
    ),
    (
        "eks-public-ipv6-block",
        _set("pools.0.clusters.0.apiEndpoint", {"publicAccessCidrs": ["2001:db8::/32"]}),
        f"{C0}.apiEndpoint.publicAccessCidrs[0]",
    ),
    (
        "bare-metal-country-lowercase",
        _set("pools.0.substrate", {"bareMetal": {**BARE_METAL["bareMetal"], "country": "de"}}),
        "pools[0].substrate.bareMetal.country",
    ),
]


def test_corpus_is_large_and_ids_are_unique() -> None:
    assert len(CASES) >= 60
    assert len({c[0] for c in CASES}) == len(CASES)


def _bad_env(mutate: Callable[[Env], None]) -> Env:
    env = minimal_environment()
    mutate(env)
    return env


def _write_stack(tmp_path: Path, env: Env) -> Path:
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text(yaml.safe_dump({"config": {"platform:environment": env}}), encoding="utf-8")
    return path


@pytest.mark.parametrize(("case", "mutate", "path"), CASES, ids=[c[0] for c in CASES])
def test_bad_spec_exits_2_naming_the_path_and_registers_nothing(
    case: str, mutate: Callable[[Env], None], path: str, tmp_path: Path
) -> None:
    env = _bad_env(mutate)
    result = CliRunner().invoke(app, ["plan", str(_write_stack(tmp_path, env)), "--format", "json"])
    assert result.exit_code == 2, result.output
    doc = json.loads(result.stdout)
    paths = [p["path"] for p in doc["problems"]]
    assert path in paths, paths
    problem = doc["problems"][paths.index(path)]
    assert problem["message"]

    record = OfflineRun(project="platform", stack="bad")
    with pytest.raises(SpecError):
        plan_offline(env, record=record)
    assert record.registrations == []


def test_text_output_names_path_value_and_what_is_allowed(tmp_path: Path) -> None:
    env = _bad_env(_set("pools.0.clusters.0.nodePools.0.min", 9))
    result = CliRunner().invoke(app, ["plan", str(_write_stack(tmp_path, env))])
    assert result.exit_code == 2
    assert "pools[0].clusters[0].nodePools[0].min: 9 — must not exceed max (4)" in result.stderr
    assert "Nothing was planned." in result.stderr


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    env = stack_environment("eu-prod")
    env["jurisdiction"] = ["eu", "atlantis"]
    env["pools"][0]["substrate"]["aws"]["region"] = "eu-west-9"
    env["pools"][0]["clusters"][0]["nodePools"][0]["min"] = 10
    env["pools"][0]["clusters"][1]["tenants"][0]["isolation"] = "shared"
    env["pools"][0]["clusters"][1]["nodePools"][1]["machine"]["gpus"] = "one"
    result = CliRunner().invoke(app, ["plan", str(_write_stack(tmp_path, env)), "--format", "json"])
    assert result.exit_code == 2
    paths = {p["path"] for p in json.loads(result.stdout)["problems"]}
    assert paths == {
        "jurisdiction[1]",
        "pools[0].substrate.aws.region",
        "pools[0].clusters[0].nodePools[0].min",
        "pools[0].clusters[1].tenants[0].isolation",
        "pools[0].clusters[1].nodePools[1].machine.gpus",
    }


def test_relations_are_all_reported_at_once(tmp_path: Path) -> None:
    env = stack_environment("eu-prod")
    env["pools"][0]["clusters"][0]["version"] = "1.99"
    env["pools"][0]["clusters"][1]["frameworks"][0]["kafka"]["tenant"] = "ghost"
    env["pools"][0]["capacity"]["gpus"] = 1
    result = CliRunner().invoke(app, ["plan", str(_write_stack(tmp_path, env)), "--format", "json"])
    assert result.exit_code == 2
    problems = json.loads(result.stdout)["problems"]
    assert {p["path"] for p in problems} == {
        "pools[0].clusters[0].version",
        "pools[0].clusters[1].frameworks[0].kafka.tenant",
        "pools[0].capacity",
    }
    over = next(p for p in problems if p["path"] == "pools[0].capacity")
    assert "gpus 4 > 1" in over["message"] and "analytics draws" in over["message"]


def test_unknown_key_lists_what_is_allowed(tmp_path: Path) -> None:
    env = _bad_env(_set("pools.0.size", 3))
    result = CliRunner().invoke(app, ["plan", str(_write_stack(tmp_path, env)), "--format", "json"])
    problem = json.loads(result.stdout)["problems"][0]
    assert problem == {
        "path": "pools[0].size",
        "value": 3,
        "message": "unknown key; allowed here: capacity, clusters, name, substrate",
    }


def test_region_typo_suggests_the_real_one(tmp_path: Path) -> None:
    env = _bad_env(_set("pools.0.substrate.aws.region", "eu-west-l"))
    result = CliRunner().invoke(app, ["plan", str(_write_stack(tmp_path, env)), "--format", "json"])
    message = json.loads(result.stdout)["problems"][0]["message"]
    assert "did you mean" in message and "eu-west-1" in message.partition("did you mean")[2]


def test_missing_stack_lists_the_stacks_there() -> None:
    result = CliRunner().invoke(app, ["plan", "no-such-env"])
    assert result.exit_code == 2
    assert "eu-prod" in result.stderr and "eu-prod-gcp" in result.stderr


def test_messages_say_what_the_value_must_be_and_show_it_as_written(tmp_path: Path) -> None:
    env = _bad_env(_with_tenant(isolation="dedicatd"))
    env["pools"][0]["substrate"]["aws"]["region"] = "eu-centrl-1"
    env["pools"][0]["clusters"][0]["version"] = "1.40"
    env["pools"][0]["clusters"][0]["nodePools"][0]["machine"]["vcpus"] = 8.0
    env["pools"][0]["clusters"][0]["frameworks"] = [{"kafka": {"name": "events", "tenant": "nobody"}}]
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text(yaml.safe_dump({"config": {"platform:environment": env}}, sort_keys=False), encoding="utf-8")
    text = CliRunner().invoke(app, ["plan", str(path)])
    assert text.exit_code == 2
    lines = [line.strip() for line in text.stderr.splitlines()]
    assert lines[1:6] == [
        'pools[0].substrate.aws.region: "eu-centrl-1" — not an AWS region in the catalog; '
        "did you mean eu-central-1, me-central-1, eu-central-2?",
        f'{C0}.version: "1.40" — not a Kubernetes version AWS offers; the catalog knows '
        + ", ".join(f"1.{m}" for m in range(24, 37)),
        f"{NP0}.machine.vcpus: 8.0 — must be an integer (a whole number, not 8.0)",
        f'{C0}.tenants[0].isolation: "dedicatd" — must be one of namespace, virtual, dedicated; '
        "did you mean dedicated?",
        f'{C0}.frameworks[0].kafka.tenant: "nobody" — no such tenant in this cluster; tenants: risk',
    ]
    doc = json.loads(CliRunner().invoke(app, ["plan", str(path), "--format", "json"]).stdout)
    assert doc["problems"][2] == {
        "path": f"{NP0}.machine.vcpus",
        "message": "must be an integer (a whole number, not 8.0)",
        "value": 8.0,
    }


def test_a_bare_metal_shortage_shows_its_values_as_json(tmp_path: Path) -> None:
    env = _bad_env(_set("pools.0.substrate", BARE_METAL))
    env["pools"][0]["clusters"][0]["controlPlane"] = {"ha": True}
    result = CliRunner().invoke(app, ["plan", str(_write_stack(tmp_path, env))])
    assert result.exit_code == 2
    assert f'{C0}.controlPlane: {{"ha": true}} — cluster ' in result.stderr
    assert f'{NP0}: {{"vcpus": 4, "memoryGib": 16.0, "gpus": 0}} — cluster ' in result.stderr
    assert "Not checked yet: capacity, host assignment, names, sizes, tenancy, add-ons and frameworks" in result.stderr
