"""The planner: cheapest satisfying machine type, the capacity ledger, cost, address layout."""

from __future__ import annotations

import copy
import datetime as dt
import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from strata.catalog import load_catalog
from strata.declarations import EnvironmentArgs, Machine
from strata.network import control_plane_cidr, gke_ranges, zone_subnets
from strata.planner import HOURS_PER_MONTH, Resources, choose_machine_type, plan_environment

from .conftest import minimal_environment, stack_environment

CAT = load_catalog()
TODAY = dt.date(2026, 11, 23)


def test_cheapest_type_that_fits() -> None:
    assert choose_machine_type(CAT, "aws", Machine(vcpus=8, memory_gib=32)).name == "m7i.2xlarge"
    assert choose_machine_type(CAT, "aws", Machine(vcpus=8, memory_gib=16)).name == "c7i.2xlarge"
    assert choose_machine_type(CAT, "aws", Machine(vcpus=4, memory_gib=32)).name == "r7i.xlarge"
    assert choose_machine_type(CAT, "gcp", Machine(vcpus=8, memory_gib=32)).name == "n2-standard-8"
    assert choose_machine_type(CAT, "gcp", Machine(vcpus=16, memory_gib=64, gpus=1)).name == "g2-standard-16"
    assert choose_machine_type(CAT, "aws", Machine(vcpus=16, memory_gib=64, gpus=1)).name == "g6.4xlarge"


def test_gpu_shapes_only_to_gpu_types_and_cpu_shapes_never() -> None:
    gpu = choose_machine_type(CAT, "aws", Machine(vcpus=2, memory_gib=4, gpus=1))
    assert gpu is not None and gpu.gpus >= 1
    assert choose_machine_type(CAT, "gcp", Machine(vcpus=2, memory_gib=4, gpus=8)).accelerator is not None
    assert choose_machine_type(CAT, "aws", Machine(vcpus=500, memory_gib=4)) is None


shapes = st.builds(
    lambda vcpus, memory, gpus: Machine(vcpus=vcpus, memory_gib=memory, gpus=gpus),
    st.integers(1, 200),
    st.floats(0.5, 1600, allow_nan=False),
    st.sampled_from([0, 0, 0, 1, 2, 4, 8]),
)


@given(shape=shapes, kind=st.sampled_from(["aws", "gcp"]))
@settings(max_examples=300, deadline=None)
def test_chosen_type_satisfies_the_shape_and_nothing_cheaper_does(shape: Machine, kind: str) -> None:
    chosen = choose_machine_type(CAT, kind, shape)
    fits = [
        t
        for t in CAT.machine_types[kind]
        if t.vcpus >= shape.vcpus
        and t.memory_gib >= shape.memory_gib
        and t.gpus >= shape.gpus
        and (t.gpus > 0) == (shape.gpus > 0)
    ]
    if not fits:
        assert chosen is None
        return
    assert chosen in fits
    assert chosen.usd_per_hour == min(t.usd_per_hour for t in fits)


@given(
    budget=st.integers(0, 400),
    pools=st.lists(st.tuples(st.integers(1, 16), st.integers(0, 5), st.integers(1, 10)), min_size=1, max_size=5),
)
@settings(max_examples=200, deadline=None)
def test_ledger_rejects_exactly_the_overdrawn_pools(budget: int, pools: list[tuple[int, int, int]]) -> None:
    env = minimal_environment()
    env["pools"][0]["capacity"] = {"vcpus": budget, "memoryGib": 100000, "gpus": 0}
    env["pools"][0]["clusters"][0]["nodePools"] = [
        {"name": f"np{i}", "machine": {"vcpus": v, "memoryGib": 1}, "min": min(lo, hi), "max": hi}
        for i, (v, lo, hi) in enumerate(pools)
    ]
    plan = plan_environment(CAT, EnvironmentArgs.model_validate(env), TODAY)
    drawn = sum(v * hi for v, _, hi in pools)
    if drawn > budget:
        assert [p.path for p in plan.problems] == ["pools[0].capacity"]
        assert f"vcpus {drawn} > {budget}" in plan.problems[0].message
        assert "apps draws" in plan.problems[0].message
    else:
        assert not plan.problems
        assert plan.pools[0].drawn.vcpus == drawn <= budget


def test_cost_is_control_plane_plus_nodes_at_min_and_max() -> None:
    plan = plan_environment(CAT, EnvironmentArgs.model_validate(stack_environment("eu-prod")), TODAY)
    payments = plan.pools[0].clusters[0]
    price = CAT.machine_types["aws"][2].usd_per_hour  # m7i.2xlarge
    assert payments.node_pools[0].machine_type.name == "m7i.2xlarge"
    control = 0.10 * HOURS_PER_MONTH
    assert round(payments.cost.at_min, 2) == round(control + 3 * price * HOURS_PER_MONTH, 2)
    assert round(payments.cost.at_max, 2) == round(control + 9 * price * HOURS_PER_MONTH, 2)
    assert plan.cost.at_max == sum(p.cost.at_max for p in plan.pools)


def test_cloud_pools_are_estimated_and_have_no_free_hosts() -> None:
    plan = plan_environment(CAT, EnvironmentArgs.model_validate(stack_environment("eu-prod")), TODAY)
    pool = plan.pools[0]
    assert not pool.owned_hardware and pool.free_hosts == () and pool.free == Resources()
    assert plan.estimated_pools == plan.pools


def test_only_cloud_pools_are_estimated_next_to_owned_hardware() -> None:
    env = stack_environment("eu-prod")
    env["pools"].append(stack_environment("fra-onprem")["pools"][0])
    plan = plan_environment(CAT, EnvironmentArgs.model_validate(env), TODAY)
    assert not plan.problems
    assert [p.name for p in plan.estimated_pools] == ["eu-core"]
    assert [(p.name, p.owned_hardware, [h.name for h in p.free_hosts]) for p in plan.pools] == [
        ("eu-core", False, []),
        ("fra-dc1", True, ["fra-m04"]),
    ]


@given(zones=st.integers(1, 6))
def test_zone_subnets_never_overlap(zones: int) -> None:
    nets = [ipaddress.ip_network(c) for z in zone_subnets(zones) for c in (z.private, z.public)]
    assert len(nets) == 2 * zones
    for i, a in enumerate(nets):
        assert a.subnet_of(ipaddress.ip_network("10.0.0.0/16"))
        for b in nets[i + 1 :]:
            assert not a.overlaps(b)


def test_gke_ranges_and_control_plane_blocks_do_not_overlap() -> None:
    r = gke_ranges()
    nets = [ipaddress.ip_network(x) for x in (r.nodes, r.pods, r.services)]
    nets += [ipaddress.ip_network(control_plane_cidr(i)) for i in range(64)]
    for i, a in enumerate(nets):
        for b in nets[i + 1 :]:
            assert not a.overlaps(b)


def test_a_cloud_pool_whose_shape_no_type_fits_is_unplanned_and_the_others_planned() -> None:
    env = minimal_environment()
    env["pools"].append(copy.deepcopy(env["pools"][0]) | {"name": "edge"})
    env["pools"][1]["clusters"][0]["name"] = "edge-apps"
    env["pools"][0]["clusters"][0]["nodePools"][0]["machine"]["vcpus"] = 1000
    plan = plan_environment(CAT, EnvironmentArgs.model_validate(env, by_alias=True, by_name=False), TODAY)
    assert plan.unplanned == ("pools[0]",)
    assert [p.name for p in plan.pools] == ["edge"]
    assert [p.path for p in plan.problems] == ["pools[0].clusters[0].nodePools[0].machine"]
    assert plan.problems[0].value == {"vcpus": 1000, "memoryGib": 16.0, "gpus": 0}
