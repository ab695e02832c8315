"""Everything Strata builds inside a Kubernetes cluster, on a :class:`ClusterHandle` alone.

This package imports no substrate driver and no cloud SDK (an import-linter contract keeps it
so): what it builds is the same on AWS, GCP and bare metal by construction, and the same on a
cluster a team repo reaches through a stack reference.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from strata.declarations.models import Tenant
from strata.kube.addons import PavedRoad
from strata.kube.frameworks import (
    Elasticsearch,
    Flink,
    FrameworkInstance,
    FrameworkOperator,
    Kafka,
    Spark,
    build_frameworks,
)
from strata.kube.guardrails import GUARDRAILS, TenantGuardrails
from strata.kube.handle import AddonBinding, ClusterFacts, ClusterHandle, Substrate
from strata.kube.runtimes import SandboxRuntimes
from strata.kube.tenant import TenantSpace
from strata.kube.virtual import VirtualCluster


def build_tenants(
    cluster: ClusterHandle,
    tenants: Sequence[Tenant],
    *,
    parent: pulumi.Resource | None = None,
    after: Sequence[pulumi.Resource] = (),
) -> dict[str, TenantSpace]:
    """Build a cluster's tenants, and what they share: the guard rails once if any tenant is
    shared or sandboxed, and the sandboxed runtimes its node pools provide. Everything waits for
    the cluster's nodes and for ``after`` (the paved road's load-balancer controller)."""
    opts = pulumi.ResourceOptions(parent=parent)
    # What tenants install (a virtual cluster's chart, Kata's installer) needs nodes to run on.
    depends: list[pulumi.Resource] = [*(cluster.substrate.nodes if cluster.substrate else ()), *after]
    if any(t.isolation != "dedicated" or t.runtime != "default" for t in tenants):
        depends.append(TenantGuardrails(f"{cluster.name}-guardrails", cluster, opts=opts))
    if cluster.facts.runtimes and tenants:
        depends.append(SandboxRuntimes(f"{cluster.name}-runtimes", cluster, opts=opts, after=list(depends)))
    # Tenants follow the guard rails: a namespace never exists unguarded, not even for a moment.
    return {t.name: TenantSpace(f"{cluster.name}-{t.name}", t, cluster, after=depends, opts=opts) for t in tenants}


__all__ = [
    "GUARDRAILS",
    "AddonBinding",
    "ClusterFacts",
    "ClusterHandle",
    "Elasticsearch",
    "Flink",
    "FrameworkInstance",
    "FrameworkOperator",
    "Kafka",
    "PavedRoad",
    "SandboxRuntimes",
    "Spark",
    "Substrate",
    "TenantGuardrails",
    "TenantSpace",
    "VirtualCluster",
    "build_frameworks",
    "build_tenants",
]
