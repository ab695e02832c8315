"""Team repos: the same components and checks from a few lines of Python."""

from __future__ import annotations

import datetime as dt

import pulumi
import pytest

import strata
from strata import (
    AwsSubstrate,
    Capacity,
    Environment,
    EnvironmentArgs,
    GcpSubstrate,
    InvalidSpecError,
    KubernetesCluster,
    KubernetesClusterArgs,
    Machine,
    NodePool,
    Ownership,
    ResourcePool,
    ResourcePoolArgs,
    Tenant,
)
from strata.offline import DuplicateResourceError, OfflineRun, run_offline

from .conftest import only

TODAY = dt.date(2026, 11, 23)
OWNER = Ownership(owner="cards-team", environment="cards-dev", jurisdictions=("eu",))


def _cluster(name: str, vcpus: int = 4, max_: int = 3, version: str = "1.35") -> KubernetesClusterArgs:
    return KubernetesClusterArgs(
        name=name,
        version=version,
        node_pools=[NodePool(name="general", machine=Machine(vcpus=vcpus, memory_gib=16), min=1, max=max_)],
    )


def _pool(*clusters: KubernetesClusterArgs, vcpus: int = 32) -> ResourcePoolArgs:
    return ResourcePoolArgs(
        name="cards",
        substrate=AwsSubstrate(region="eu-west-1", zones=2),
        capacity=Capacity(vcpus=vcpus, memory_gib=512),
        clusters=list(clusters),
    )


def test_public_api_exports_the_same_words_as_the_stack_file() -> None:
    for word in (
        "Environment",
        "ResourcePool",
        "KubernetesCluster",
        "NodePool",
        "Machine",
        "Tenant",
        "EnvironmentArgs",
        "ResourcePoolArgs",
        "KubernetesClusterArgs",
        "AwsSubstrate",
        "GcpSubstrate",
    ):
        assert word in strata.__all__


def test_every_export_resolves_and_the_policy_pack_does_not_import_the_sdks() -> None:
    """``strata`` imports its exports on first use: each resolves to the object of that name, and a
    process that needs only the policy pack (started for every check) imports no Kubernetes SDK."""
    import importlib
    import subprocess
    import sys

    for name in strata.__all__:
        assert getattr(strata, name) is getattr(importlib.import_module(strata._EXPORTS[name]), name), name
    assert set(dir(strata)) >= set(strata.__all__)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        strata.Nope  # noqa: B018
    code = "import sys, strata.policy.pack; print(sorted(m for m in sys.modules if m.startswith('pulumi_')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pulumi_kubernetes" not in loaded and "pulumi_aws" not in loaded, loaded


def test_environment_built_in_python_equals_the_one_from_a_stack_file() -> None:
    args = EnvironmentArgs(
        name="cards-dev",
        jurisdiction="eu",
        owner="cards-team",
        pools=[_pool(_cluster("apps"))],
    )
    from_file = EnvironmentArgs.model_validate(args.model_dump(by_alias=True), by_alias=True, by_name=False)
    assert from_file == args
    run, env = run_offline(lambda: Environment("cards-dev", args, today=TODAY), project="team", stack="dev")
    assert env.plan.pools[0].clusters[0].node_pools[0].machine_type.name == "m7i.xlarge"
    assert len(run.by_type("aws:eks/cluster:Cluster")) == 1


def test_a_pool_and_a_cluster_composed_separately() -> None:
    def program() -> KubernetesCluster:
        pool = ResourcePool("cards", _pool(_cluster("apps")), ownership=OWNER, today=TODAY)
        return KubernetesCluster("batch", _cluster("batch", vcpus=4, max_=2), pool=pool)

    run, batch = run_offline(program, project="team", stack="dev")
    assert batch.plan.draw.vcpus == 8
    eks = only(run, "aws:eks/cluster:Cluster", "batch-eks")
    assert eks.inputs["tags"]["strata:cluster"] == "batch"
    assert eks.inputs["tags"]["strata:owner"] == "cards-team"
    assert eks.parent.endswith("strata:pool:ResourcePool$strata:cluster:KubernetesCluster::batch")


def test_a_cluster_that_overdraws_its_pool_raises_before_registering_anything() -> None:
    record = OfflineRun(project="team", stack="dev")

    def program() -> None:
        pool = ResourcePool("cards", _pool(_cluster("apps", max_=4), vcpus=20), ownership=OWNER, today=TODAY)
        KubernetesCluster("big", _cluster("big", vcpus=4, max_=2), pool=pool)

    with pytest.raises(InvalidSpecError) as info:
        run_offline(program, project="team", stack="dev", record=record)
    assert "does not fit pool 'cards'" in str(info.value)
    assert "vcpus 24 > 20" in str(info.value)
    assert isinstance(info.value, pulumi.InputPropertiesError)
    assert not [r for r in record.registrations if r.name.startswith("big")]


def test_invalid_python_declarations_name_the_field() -> None:
    with pytest.raises(ValueError, match="min"):
        NodePool(name="general", machine=Machine(vcpus=2, memory_gib=4), min=5, max=2)
    with pytest.raises(ValueError, match="region"):
        GcpSubstrate(project="acme-dev-1", region="europe-west99")
    with pytest.raises(ValueError, match="data_classes"):  # Python spells fields in snake_case
        Tenant(name="risk", data_classes=["nonsense"])


def test_duplicate_urns_are_caught_offline_as_the_engine_would() -> None:
    def program() -> None:
        ResourcePool("cards", _pool(_cluster("apps")), ownership=OWNER, today=TODAY)
        ResourcePool("cards", _pool(_cluster("apps")), ownership=OWNER, today=TODAY)

    with pytest.raises(DuplicateResourceError, match="cards-vpc"):
        run_offline(program, project="team", stack="dev")
