"""Bare metal: hosts are assigned to clusters exclusively, stably, by shape."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from strata.catalog import load_catalog
from strata.declarations import EnvironmentArgs
from strata.planner import PoolPlan, Resources, plan_environment, plan_pool

from .conftest import stack_environment

CAT = load_catalog()
TODAY = dt.date(2026, 11, 23)


def _plan(env: dict[str, Any]) -> tuple[PoolPlan | None, list]:
    args = EnvironmentArgs.model_validate(env, by_alias=True, by_name=False)
    return plan_pool(CAT, args.pools[0], TODAY, "pools[0]")


def _assignment(plan: PoolPlan) -> dict[str, str]:
    out = {}
    for c in plan.clusters:
        for h in c.servers:
            out[h] = f"{c.name}/server"
        for np in c.node_pools:
            for h in np.hosts:
                out[h] = f"{c.name}/{np.name}"
    return out


def test_example_site_assignment() -> None:
    plan, problems = _plan(stack_environment("fra-onprem"))
    assert problems == [] and plan is not None
    core, ml = plan.clusters
    assert core.servers == ("fra-g01", "fra-g02", "fra-g03")  # HA: more than three node hosts
    assert core.node_pools[0].hosts == ("fra-g04", "fra-g05", "fra-g06", "fra-g07")
    assert ml.servers == ("fra-g08",)  # the declaration asked for no HA
    assert ml.node_pools[0].hosts == ("fra-m01", "fra-m02", "fra-m03")
    assert ml.node_pools[1].hosts == ("fra-x01", "fra-x02")  # GPU shapes only on GPU hosts
    assert plan.country == "DE" and plan.budget is not None and plan.budget.gpus == 8
    # the one host no cluster was given, and what it offers
    assert [(h.name, h.address) for h in plan.free_hosts] == [("fra-m04", "10.20.1.14")]
    assert plan.free == Resources(64, 512, 0)
    assert plan.budget == plan.drawn + plan.free
    assert plan.owned_hardware  # whose cost Strata does not estimate


def test_every_host_belongs_to_one_cluster_at_most() -> None:
    plan, _ = _plan(stack_environment("fra-onprem"))
    assert plan is not None
    names = [h for c in plan.clusters for h in (*c.servers, *(x for np in c.node_pools for x in np.hosts))]
    assert len(names) == len(set(names))


def _host(i: int, vcpus: int, mem: int, gpus: int) -> dict[str, Any]:
    return {
        "name": f"h{i:03d}",
        "address": f"10.0.{i // 250}.{i % 250 + 1}",
        "vcpus": vcpus,
        "memoryGib": mem,
        "gpus": gpus,
    }


def _site(hosts: list[dict[str, Any]], clusters: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": "site",
        "jurisdiction": "eu",
        "owner": "ops",
        "pools": [
            {
                "name": "dc",
                "clusters": clusters,
                "substrate": {"bareMetal": {"site": "dc1", "country": "DE", "ssh": {"user": "ops"}, "hosts": hosts}},
            }
        ],
    }


shapes = st.sampled_from([(8, 32, 0), (16, 64, 0), (32, 256, 0), (32, 256, 2)])
cluster_specs = st.lists(
    st.tuples(st.integers(1, 3), st.sampled_from([(4, 16, 0), (16, 64, 0), (32, 128, 1)])), min_size=1, max_size=4
)


@given(hosts=st.lists(shapes, min_size=4, max_size=30), wanted=cluster_specs, extra=shapes)
@settings(max_examples=150, deadline=None)
def test_adding_a_host_or_a_cluster_moves_no_assigned_host(hosts: list, wanted: list, extra: tuple) -> None:
    inventory = [_host(i, *s) for i, s in enumerate(hosts)]
    clusters = [
        {
            "name": f"c{j}",
            "version": "1.35",
            "controlPlane": {"ha": False},
            "nodePools": [{"name": "np", "machine": {"vcpus": v, "memoryGib": m, "gpus": g}, "min": 0, "max": n}],
        }
        for j, (n, (v, m, g)) in enumerate(wanted)
    ]
    before, _ = _plan(_site(inventory, clusters))
    if before is None:
        return  # not enough hosts: a validation error, tested below
    grown, _ = _plan(_site([*inventory, _host(len(inventory), *extra)], clusters))
    assert grown is not None and _assignment(grown) == _assignment(before)
    more = [
        *clusters,
        {
            "name": "late",
            "version": "1.35",
            "controlPlane": {"ha": False},
            "nodePools": [{"name": "np", "machine": {"vcpus": 1, "memoryGib": 1}, "min": 0, "max": 1}],
        },
    ]
    later, _ = _plan(
        _site([*inventory, _host(len(inventory), 64, 512, 0), _host(len(inventory) + 1, 64, 512, 0)], more)
    )
    assert later is not None
    assert {h: a for h, a in _assignment(later).items() if not a.startswith("late/")} == _assignment(before)


@given(hosts=st.lists(shapes, min_size=1, max_size=20), wanted=cluster_specs)
@settings(max_examples=150, deadline=None)
def test_assigned_hosts_fit_their_shape_and_are_exclusive(hosts: list, wanted: list) -> None:
    inventory = [_host(i, *s) for i, s in enumerate(hosts)]
    by_name = {h["name"]: h for h in inventory}
    clusters = [
        {
            "name": f"c{j}",
            "version": "1.35",
            "nodePools": [{"name": "np", "machine": {"vcpus": v, "memoryGib": m, "gpus": g}, "min": 0, "max": n}],
        }
        for j, (n, (v, m, g)) in enumerate(wanted)
    ]
    plan, problems = _plan(_site(inventory, clusters))
    if plan is None:
        assert problems and all("short by" in p.message for p in problems)
        return
    taken = [h for c in plan.clusters for h in (*c.servers, *(x for np in c.node_pools for x in np.hosts))]
    assert len(taken) == len(set(taken))
    # every host is either taken or free, never both; the free ones in inventory order
    free = [h.name for h in plan.free_hosts]
    assert free == [h["name"] for h in inventory if h["name"] not in taken]
    assert plan.free == Resources.of_hosts(plan.free_hosts)
    for c in plan.clusters:
        for h in c.servers:
            assert by_name[h]["gpus"] == 0 and by_name[h]["vcpus"] >= 4
        for np in c.node_pools:
            for h in np.hosts:
                host = by_name[h]
                assert host["vcpus"] >= np.machine.vcpus and host["memoryGib"] >= np.machine.memory_gib
                assert (host["gpus"] > 0) == (np.machine.gpus > 0) and host["gpus"] >= np.machine.gpus


def test_short_of_hosts_names_cluster_shape_and_hosts() -> None:
    env = stack_environment("fra-onprem")
    env["pools"][0]["clusters"][1]["nodePools"][1]["max"] = 3  # three GPU hosts wanted, two exist
    plan, problems = _plan(env)
    assert plan is None
    assert [p.path for p in problems] == ["pools[0].clusters[1].nodePools[1]"]
    assert problems[0].message == (
        "cluster 'ml' node pool 'gpu' needs 3 host(s) of at least 32 vCPU, 256 GiB, 4 GPU; "
        "2 free host(s) fit (fra-x01, fra-x02): short by 1"
    )


def test_control_plane_short() -> None:
    env = _site(
        [_host(0, 32, 256, 2), _host(1, 8, 32, 0)],
        [
            {
                "name": "c",
                "version": "1.35",
                "controlPlane": {"ha": True},
                "nodePools": [{"name": "np", "machine": {"vcpus": 8, "memoryGib": 32, "gpus": 1}, "min": 1, "max": 1}],
            }
        ],
    )
    plan, problems = _plan(env)
    assert plan is None
    assert problems[0].path == "pools[0].clusters[0].controlPlane"
    assert "needs 3 control-plane host(s) of at least 4 vCPU, 8 GiB without GPUs; 1 free host(s) fit: short by 2" in (
        problems[0].message
    )


def test_a_host_listed_twice() -> None:
    env = stack_environment("fra-onprem")
    hosts = env["pools"][0]["substrate"]["bareMetal"]["hosts"]
    hosts.append(copy.deepcopy(hosts[3]) | {"name": "fra-g99"})  # same address as fra-g04
    plan, problems = _plan(env)
    assert plan is None
    assert [(p.path, p.value) for p in problems] == [("pools[0].substrate.bareMetal.hosts[14]", "10.20.0.14")]
    assert "same address as hosts[3]" in problems[0].message


def test_a_host_listed_twice_does_not_hide_a_shortage() -> None:
    env = stack_environment("fra-onprem")
    hosts = env["pools"][0]["substrate"]["bareMetal"]["hosts"]
    hosts.append(copy.deepcopy(hosts[8]) | {"name": "fra-x99"})  # fra-m01's address again
    env["pools"][0]["clusters"][1]["nodePools"][1]["max"] = 3  # three GPU hosts wanted, two exist
    plan, problems = _plan(env)
    assert plan is None
    assert [p.path for p in problems] == ["pools[0].substrate.bareMetal.hosts[14]", "pools[0].clusters[1].nodePools[1]"]
    assert problems[1].message.endswith("2 free host(s) fit (fra-x01, fra-x02): short by 1")


def test_hosts_listed_twice_count_as_listed() -> None:
    """Entries listed twice are assigned as listed: fixing one (another host's address) leaves as
    many hosts, removing it fewer, so no shortage is reported that the fixed inventory lacks."""
    twice = [_host(0, 8, 32, 0), _host(0, 8, 32, 0) | {"name": "h999"}]
    cluster = {
        "name": "c",
        "version": "1.35",
        "controlPlane": {"ha": False},
        "nodePools": [{"name": "np", "machine": {"vcpus": 8, "memoryGib": 32}, "min": 1, "max": 1}],
    }
    plan, problems = _plan(_site(twice, [cluster]))
    assert plan is None and [p.path for p in problems] == ["pools[0].substrate.bareMetal.hosts[1]"]
    cluster["nodePools"][0]["max"] = 2
    plan, problems = _plan(_site(twice, [cluster]))
    assert [p.path for p in problems] == ["pools[0].substrate.bareMetal.hosts[1]", "pools[0].clusters[0].nodePools[0]"]
    assert problems[1].message.endswith("1 free host(s) fit (h999): short by 1")


def test_a_shortage_takes_no_host_from_the_clusters_after_it() -> None:
    env = stack_environment("fra-onprem")
    env["pools"][0]["clusters"][0]["nodePools"][0]["max"] = 50  # core: the memory hosts fit its shape too
    plan, problems = _plan(env)
    assert plan is None
    assert [p.path for p in problems] == ["pools[0].clusters[0].nodePools[0]"]  # ml is not short: an echo
    assert "9 free host(s) fit" in problems[0].message and "short by 41" in problems[0].message
    # a cluster short on its own is still reported after one that is short
    env["pools"][0]["clusters"][1]["nodePools"][1]["max"] = 3
    _, problems = _plan(env)
    assert [p.path for p in problems] == ["pools[0].clusters[0].nodePools[0]", "pools[0].clusters[1].nodePools[1]"]


def test_a_pool_whose_problems_stop_its_plan_is_named_unplanned() -> None:
    env = stack_environment("fra-onprem")
    args = EnvironmentArgs.model_validate(env, by_alias=True, by_name=False)
    assert plan_environment(CAT, args, TODAY).unplanned == ()
    env["pools"][0]["clusters"][0]["nodePools"][0]["max"] = 50
    args = EnvironmentArgs.model_validate(env, by_alias=True, by_name=False)
    plan = plan_environment(CAT, args, TODAY)
    assert plan.unplanned == ("pools[0]",) and plan.pools == () and plan.problems
