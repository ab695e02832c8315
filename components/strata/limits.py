"""Sizes a declaration may ask for: within what its provider gives and what its cluster has.

Checked on the plan, before anything is registered, so that a node pool larger than a provider
allows, or tenants' quotas larger than their cluster, are refused at plan time instead of at apply
time (or, worse, after it). Provider limits are catalog data (``catalog/data/limits.yaml``) with
their sources. Pure: no Pulumi.
"""

from __future__ import annotations

from strata.catalog import Catalog
from strata.declarations.errors import Problem
from strata.planner import ClusterPlan, EnvironmentPlan, PoolPlan

_LABEL = {"aws": "EKS", "gcp": "GKE", "bareMetal": "RKE2"}


def _fmt(x: float) -> str:
    return f"{x:g}"


def provider_size_problems(catalog: Catalog, pool: PoolPlan, cluster: ClusterPlan, path: str) -> list[Problem]:
    """Node pools and clusters no larger than the provider makes them."""
    limits = catalog.sizes.get(pool.substrate)
    if limits is None:
        return []
    label = _LABEL.get(pool.substrate, pool.substrate)
    problems: list[Problem] = []
    per_pool, why = limits.nodes_per_node_pool, "per node pool"
    if limits.nodes_per_node_pool_zone is not None:
        zones = pool.spec.substrate.zones
        per_pool = limits.nodes_per_node_pool_zone * zones
        why = f"per node pool ({limits.nodes_per_node_pool_zone} in each of the pool's {zones} zone(s))"
    for k, np in enumerate(cluster.node_pools):
        if per_pool is not None and np.max > per_pool:
            problems.append(
                Problem(
                    f"{path}.nodePools[{k}].max",
                    f"{label} gives at most {per_pool} nodes {why} ({limits.source}); split it into node pools",
                    np.max,
                )
            )
    count = len(cluster.node_pools)
    if limits.node_pools_per_cluster is not None and count > limits.node_pools_per_cluster:
        problems.append(
            Problem(
                f"{path}.nodePools",
                f"{count} node pools; {label} gives a cluster at most {limits.node_pools_per_cluster} "
                f"({limits.source})",
            )
        )
    total = sum(np.max for np in cluster.node_pools) + len(cluster.servers)  # servers are nodes too
    if limits.nodes_per_cluster is not None and total > limits.nodes_per_cluster:
        problems.append(
            Problem(
                f"{path}.nodePools",
                f"{total} nodes at max; {label} gives a cluster at most {limits.nodes_per_cluster} ({limits.source})",
            )
        )
    return problems


def cluster_share_problems(cluster: ClusterPlan, path: str) -> list[Problem]:
    """Tenants' quotas within what the cluster's node pools give at max (frameworks are judged
    against their tenants' quotas in :mod:`strata.frameworks`)."""
    problems: list[Problem] = []
    spec = cluster.spec
    quotas = [t.quota for t in spec.tenants if t.quota is not None]
    cpu = sum(q.cpu for q in quotas)
    memory = sum(q.memory_gib for q in quotas)
    gives = cluster.draw
    over = [
        f"{what} {_fmt(asked)} > {_fmt(limit)}"
        for what, asked, limit in (("cpu", cpu, gives.vcpus), ("memoryGib", memory, gives.memory_gib))
        if asked > limit
    ]
    if over:
        problems.append(
            Problem(
                f"{path}.tenants",
                f"the tenants' quotas add up to more than the cluster's node pools give at max ({'; '.join(over)})",
            )
        )
    return problems


def size_problems(plan: EnvironmentPlan, catalog: Catalog) -> list[Problem]:
    """Every size problem of an environment's plan."""
    problems: list[Problem] = []
    for pool_path, pool in plan.pool_paths():
        for path, cluster in pool.cluster_paths(pool_path):
            problems += provider_size_problems(catalog, pool, cluster, path)
            problems += cluster_share_problems(cluster, path)
    return problems
