"""The names Strata derives fit their provider and never collide, and sizes stay within what a
provider and a cluster give: checked at plan time, at the limits, before anything is registered."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from strata import naming
from strata.catalog import load_catalog
from strata.catalog.model import SizeLimits
from strata.cli import app
from strata.declarations import SpecError
from strata.offline import OfflineRun
from strata.validation import validate_environment

from .conftest import TODAY, minimal_environment, plan_offline, stack_environment

GCP = {"gcp": {"project": "acme-dev-1", "region": "europe-west3", "zones": 3}}
AWS = {"aws": {"region": "eu-west-1", "zones": 2}}


def _problems(env: dict[str, Any], tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "Pulumi.names.yaml"
    path.write_text(yaml.safe_dump({"config": {"platform:environment": env}}), encoding="utf-8")
    result = CliRunner().invoke(app, ["plan", str(path), "--format", "json"])
    if result.exit_code == 0:
        return []
    assert result.exit_code == 2, result.output
    problems: list[dict[str, Any]] = json.loads(result.stdout)["problems"]
    return problems


def _env(substrate: dict[str, Any], cluster: str = "apps", node_pool: str = "general") -> dict[str, Any]:
    env = minimal_environment(copy.deepcopy(substrate))
    env["pools"][0]["clusters"][0]["name"] = cluster
    env["pools"][0]["clusters"][0]["nodePools"][0]["name"] = node_pool
    return env


@pytest.mark.parametrize("stack", ["eu-prod", "eu-prod-gcp", "fra-onprem"])
def test_the_names_validation_reads_are_the_names_the_drivers_register(stack: str) -> None:
    env = stack_environment(stack)
    _, plan = validate_environment(env, today=TODAY)
    # What runs inside a cluster (strata.kube) is named after tenants, not by the drivers.
    registered = {
        (r.type, r.name)
        for r in plan_offline(env).registrations
        if not r.type.startswith(("strata:", "kubernetes:")) and "strata:tenancy:" not in r.urn
    }
    assert registered == {(n.type, n.logical) for n in naming.environment_names(plan)}


def _name(width: int, stem: str = "n") -> str:
    return (stem + "x" * width)[:width]


# (substrate, cluster name length, node pool name length, rejected field or None)
LIMITS = [
    (GCP, 28, 3, None),  # "<28>-gke" + 8 = 40: GKE's limit exactly
    (GCP, 29, 1, "pools[0].clusters[0].name"),
    (GCP, 20, 11, None),  # "<20>-<11>" + 8 = 40
    (GCP, 20, 12, "pools[0].clusters[0].nodePools[0].name"),
    (AWS, 30, 24, None),  # "<30>-<24>" + 8 = 63: an EKS node group's limit exactly
    (AWS, 30, 25, "pools[0].clusters[0].nodePools[0].name"),
]


@pytest.mark.parametrize(("substrate", "cluster", "node_pool", "rejected"), LIMITS)
def test_derived_names_at_the_provider_limits(
    substrate: dict[str, Any], cluster: int, node_pool: int, rejected: str | None, tmp_path: Path
) -> None:
    problems = _problems(_env(substrate, _name(cluster, "c"), _name(node_pool, "p")), tmp_path)
    assert [p["path"] for p in problems] == ([rejected] if rejected else [])
    if rejected:
        assert "plus Pulumi's 8-character random suffix" in problems[0]["message"]
        assert re.search(r"the provider takes 1 to 40|the provider takes 1 to 63", problems[0]["message"])


def test_a_cluster_and_node_pool_pair_that_collides_is_refused_naming_the_second(tmp_path: Path) -> None:
    env = _env(AWS, "a", "b-c")
    second = copy.deepcopy(env["pools"][0]["clusters"][0])
    second["name"], second["nodePools"][0]["name"] = "a-b", "c"
    env["pools"][0]["clusters"].append(second)
    problems = _problems(env, tmp_path)
    assert {p["path"] for p in problems} == {"pools[0].clusters[1].nodePools[0].name"}
    assert "'a-b-c'" in problems[0]["message"] and "pools[0].clusters[0].nodePools[0].name" in problems[0]["message"]
    record = OfflineRun(project="platform", stack="names")
    with pytest.raises(SpecError):
        plan_offline(env, record=record)
    assert record.registrations == []


def test_bare_metal_command_names_that_collide_are_refused(tmp_path: Path) -> None:
    env = stack_environment("fra-onprem")
    pool = env["pools"][0]
    pool["clusters"][0]["name"] = "x"
    pool["clusters"][1]["name"] = "x-drain"
    # agent host "kubeconfig" of cluster x drains as "x-drain-kubeconfig": the name of x-drain's kubeconfig
    first_agent = next(h for h in pool["substrate"]["bareMetal"]["hosts"] if h["name"] == "fra-g04")
    first_agent["name"] = "kubeconfig"
    problems = _problems(env, tmp_path)
    assert any("'x-drain-kubeconfig'" in p["message"] for p in problems), problems


def test_gcp_service_account_ids_are_valid_and_unique_at_the_limits() -> None:
    rule = load_catalog().name_rules["gcp:serviceaccount/account:Account"]
    pools = [
        "a",
        "a" * 30,
        "a" * 22,
        "a" * 21 + "-b" * 4 + "c",
        "shared-prefix-of-thirty-chars1",
        "shared-prefix-of-thirty-chars2",
    ]
    ids = {naming.gcp_node_account_id(env, p) for env in ("eu-prod", "eu-staging") for p in pools}
    assert len(ids) == 2 * len(pools)
    for i in ids:
        assert rule.min <= len(i) <= rule.max and re.fullmatch(rule.pattern, i), i
    assert naming.gcp_node_account_id("eu-prod", "core") == naming.gcp_node_account_id("eu-prod", "core")  # stable


def test_the_gcp_driver_uses_the_derived_service_account_id(eu_prod_gcp_run: OfflineRun) -> None:
    (account,) = eu_prod_gcp_run.by_type("gcp:serviceaccount/account:Account")
    assert account.inputs["accountId"] == naming.gcp_node_account_id("eu-prod-gcp", "eu-core")


# ---------------------------------------------------------------- sizes


def test_node_pool_sizes_within_the_provider(tmp_path: Path) -> None:
    env = _env(AWS)
    env["pools"][0]["capacity"] = {"vcpus": 100000, "memoryGib": 1000000}
    env["pools"][0]["clusters"][0]["nodePools"][0].update(max=451, min=1)
    (problem,) = _problems(env, tmp_path)
    assert problem["path"] == "pools[0].clusters[0].nodePools[0].max" and "450" in problem["message"]
    env["pools"][0]["clusters"][0]["nodePools"][0]["max"] = 450
    assert _problems(env, tmp_path) == []


def test_gke_node_pools_scale_with_zones(tmp_path: Path) -> None:
    env = _env(GCP)
    env["pools"][0]["capacity"] = {"vcpus": 1000000, "memoryGib": 10000000}
    env["pools"][0]["clusters"][0]["nodePools"][0].update(max=3000, min=1)
    assert _problems(env, tmp_path) == []  # 1,000 in each of 3 zones
    env["pools"][0]["clusters"][0]["nodePools"][0]["max"] = 3001
    (problem,) = _problems(env, tmp_path)
    assert problem["path"] == "pools[0].clusters[0].nodePools[0].max"


def test_tenant_quotas_and_framework_members_within_the_cluster(tmp_path: Path) -> None:
    env = _env(AWS)  # one node pool: 4 vCPU / 16 GiB asked, max 4 nodes: 16 vCPU, 64 GiB
    cluster = env["pools"][0]["clusters"][0]
    cluster["tenants"] = [
        {"name": "risk", "dataClasses": ["internal"], "quota": {"cpu": 10, "memoryGib": 40}},
        {"name": "ops", "dataClasses": ["internal"], "quota": {"cpu": 6, "memoryGib": 24.5}},
    ]
    # 5 brokers × (1 vCPU, 4 GiB) + the entity operator's 0.5, 1: within risk's quota.
    small = {"cpu": 1, "memoryGib": 4}
    cluster["frameworks"] = [{"kafka": {"name": "events", "tenant": "risk", "brokers": 5, "size": small}}]
    problems = {p["path"]: p["message"] for p in _problems(env, tmp_path)}
    assert set(problems) == {"pools[0].clusters[0].tenants", "pools[0].clusters[0].frameworks[0].kafka.brokers"}
    assert "memoryGib 64.5 > 64" in problems["pools[0].clusters[0].tenants"]
    assert "(4)" in problems["pools[0].clusters[0].frameworks[0].kafka.brokers"]


# ---------------------------------------------------------------- bare-metal hosts


def _site(hosts: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"bareMetal": {"site": "fra-dc1", "country": "DE", "hosts": hosts, "ssh": {"user": "strata"}, **extra}}


def _host(name: str, address: str) -> dict[str, Any]:
    return {"name": name, "address": address, "vcpus": 32, "memoryGib": 128}


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("10.20.0.11", True),
        (" 10.20.0.11 ", True),
        ("2001:db8::11", True),
        ("node1.fra-dc1.example", True),
        ("10.20.0.011", False),
        ("10.20.0.256", False),
        ("10.20.0", False),
        ("fe80::1%eth0", False),
        ("STRATA_SCRIPT_END", False),
        ("$(reboot)", False),
        ("host name", False),
        ("", False),
    ],
)
def test_host_addresses(address: str, ok: bool, tmp_path: Path) -> None:
    env = minimal_environment(_site([_host("h1", address), _host("h2", "10.20.0.99")]))
    env["pools"][0].pop("capacity")
    env["pools"][0]["clusters"][0]["nodePools"][0].update(min=1, max=1)
    problems = _problems(env, tmp_path)
    assert [p["path"] for p in problems] == ([] if ok else ["pools[0].substrate.bareMetal.hosts[0].address"])


def test_one_host_spelled_two_ways_is_one_host_across_pools_of_a_site(tmp_path: Path) -> None:
    env = minimal_environment(_site([_host("h1", "2001:db8::11"), _host("h2", "10.20.0.12")]))
    env["pools"][0].pop("capacity")
    env["pools"][0]["clusters"][0]["nodePools"][0].update(min=1, max=1)
    second = copy.deepcopy(env["pools"][0])
    second["name"] = "edge"
    second["substrate"] = _site([_host("h3", "2001:DB8:0::0011"), _host("h4", "10.20.0.14")])
    second["clusters"][0]["name"] = "edge-apps"
    env["pools"].append(second)
    (problem,) = _problems(env, tmp_path)
    assert problem["path"] == "pools[1].substrate.bareMetal.hosts[0].address"
    assert "pools[0].substrate.bareMetal.hosts[0]" in problem["message"]


@pytest.mark.parametrize(
    ("user", "ok"), [("strata", True), ("_svc-1", True), ("root; reboot", False), ("Admin", False)]
)
def test_ssh_user_is_a_user_name(user: str, ok: bool, tmp_path: Path) -> None:
    env = minimal_environment(_site([_host("h1", "10.20.0.11"), _host("h2", "10.20.0.12")], ssh={"user": user}))
    env["pools"][0].pop("capacity")
    env["pools"][0]["clusters"][0]["nodePools"][0].update(min=1, max=1)
    paths = [p["path"] for p in _problems(env, tmp_path)]
    assert paths == ([] if ok else ["pools[0].substrate.bareMetal.ssh.user"])


def test_a_gcp_pool_holds_at_most_256_clusters(tmp_path: Path) -> None:
    env = _env(GCP, "c0", "p")
    env["pools"][0]["capacity"] = {"vcpus": 100000, "memoryGib": 1000000}
    template = env["pools"][0]["clusters"][0]
    env["pools"][0]["clusters"] = [{**copy.deepcopy(template), "name": f"c{i}"} for i in range(257)]
    problems = _problems(env, tmp_path)
    assert [p["path"] for p in problems] == ["pools[0].clusters"] and "at most 256" in problems[0]["message"]


def test_a_bare_metal_cluster_within_kubernetes_node_limit() -> None:
    catalog = load_catalog()
    assert catalog.sizes["bareMetal"].nodes_per_cluster == 5000
    small = dataclasses.replace(catalog, sizes={"bareMetal": SizeLimits(nodes_per_cluster=3, source="test")})
    with pytest.raises(SpecError) as err:
        validate_environment(stack_environment("fra-onprem"), catalog=small, today=TODAY)
    assert {p.path for p in err.value.problems} == {"pools[0].clusters[0].nodePools", "pools[0].clusters[1].nodePools"}


def test_an_ipv4_mapped_address_is_the_ipv4_host(tmp_path: Path) -> None:
    env = minimal_environment(_site([_host("h1", "10.20.0.11"), _host("h2", "::ffff:10.20.0.11")]))
    env["pools"][0].pop("capacity")
    env["pools"][0]["clusters"][0]["nodePools"][0].update(min=1, max=1)
    problems = _problems(env, tmp_path)
    assert [p["path"] for p in problems] == ["pools[0].substrate.bareMetal.hosts[1]"]
    assert "same address" in problems[0]["message"]
