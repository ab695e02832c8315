"""Data frameworks on the plan: what each asks of its tenant, where its operator runs, what it costs.

Pure (no Pulumi): the program builds frameworks from these figures (:mod:`strata.kube.frameworks`),
``strata plan`` reports them, and validation refuses, before anything is registered, a tenant whose
frameworks draw more than its quota, a framework whose operator does not run on its cluster's
Kubernetes version, and a stateful framework with more members than its cluster has nodes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from strata.catalog import Catalog
from strata.catalog.model import FrameworkFacts
from strata.declarations.errors import Problem
from strata.declarations.models import Framework, Tenant
from strata.planner import ClusterPlan, Cost, EnvironmentPlan

#: Quota fields, and how a draw's figure is named in messages.
_FIGURES = (("cpu", "cpu"), ("memory_gib", "memoryGib"), ("storage_gib", "storageGib"))


def _fmt(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class FrameworkDraw:
    """What one framework requests of its tenant's quota: its members and what runs beside them."""

    cpu: float
    memory_gib: float
    storage_gib: float

    def figure(self, field: str) -> float:
        value: float = getattr(self, field)
        return value

    def as_dict(self) -> dict[str, float]:
        return {"cpu": self.cpu, "memoryGib": self.memory_gib, "storageGib": self.storage_gib}


def framework_draw(facts: FrameworkFacts, framework: Framework) -> FrameworkDraw:
    """``members × size`` plus the instance's fixed part (driver, job manager, entity operator),
    and ``members × storage`` of persistent volumes."""
    s = framework.spec
    n = s.member_count
    return FrameworkDraw(
        cpu=n * s.size.cpu + facts.fixed[0],
        memory_gib=n * s.size.memory_gib + facts.fixed[1],
        storage_gib=n * s.storage_per_member,
    )


def explain(facts: FrameworkFacts, framework: Framework, field: str) -> str:
    """How a figure of the draw is made, for messages: ``3 brokers × 2 + 0.5``."""
    s = framework.spec
    n, per, fixed = s.member_count, 0.0, 0.0
    if field == "cpu":
        per, fixed = s.size.cpu, facts.fixed[0]
    elif field == "memory_gib":
        per, fixed = s.size.memory_gib, facts.fixed[1]
    else:
        per = s.storage_per_member
    text = f"{n} {facts.members} × {_fmt(per)}"
    return text + (f" + {_fmt(fixed)}" if fixed else "")


def operator_version(tenant: Tenant, cluster: ClusterPlan) -> str:
    """The Kubernetes version a tenant's frameworks' operators run on: its virtual cluster's, or
    the cluster's."""
    return (tenant.version or cluster.version) if tenant.isolation == "virtual" else cluster.version


def framework_cost(cluster: ClusterPlan, draw: FrameworkDraw, owned: bool) -> Cost | None:
    """A framework's share of its cluster's monthly cost: the larger of its cpu and memory shares
    of what the node pools give at max, times the cluster's cost (None on owned hardware)."""
    if owned or not cluster.draw.vcpus or not cluster.draw.memory_gib:
        return None
    share = min(1.0, max(draw.cpu / cluster.draw.vcpus, draw.memory_gib / cluster.draw.memory_gib))
    return Cost(cluster.cost.at_min * share, cluster.cost.at_max * share)


def cluster_framework_problems(catalog: Catalog, cluster: ClusterPlan, path: str) -> list[Problem]:
    """A cluster's frameworks against their tenants' quotas, their operators' supported versions,
    and the cluster's nodes."""
    problems: list[Problem] = []
    spec = cluster.spec
    tenants = {t.name: (i, t) for i, t in enumerate(spec.tenants)}
    by_tenant: dict[str, list[tuple[Framework, FrameworkDraw]]] = defaultdict(list)
    nodes = sum(np.max for np in cluster.node_pools)
    for k, fw in enumerate(spec.frameworks):
        facts = catalog.frameworks[fw.kind]
        fpath = f"{path}.frameworks[{k}].{fw.kind}"
        found = tenants.get(fw.spec.tenant)
        if found is None:
            continue  # a broken reference, reported by the declaration's checks
        tenant = found[1]
        by_tenant[tenant.name].append((fw, framework_draw(facts, fw)))
        chart = facts.chart
        version = operator_version(tenant, cluster)
        if chart.host_versions and version not in chart.host_versions:
            where = f"tenant {tenant.name}'s virtual cluster" if tenant.isolation == "virtual" else "the cluster"
            problems.append(
                Problem(
                    fpath,
                    f"{chart.name} {chart.version} (the {facts.label} operator Strata pins) runs on Kubernetes "
                    f"{', '.join(chart.host_versions)}, not on {where}'s {version}",
                    fw.spec.name,
                )
            )
        members = fw.spec.member_count
        if fw.spec.storage_per_member and members > nodes:
            problems.append(
                Problem(
                    f"{fpath}.{facts.members}",
                    f"more {facts.members} than the cluster has nodes at max ({nodes}); each runs on a node of its own",
                    members,
                )
            )
    for name, drawn in by_tenant.items():
        i, tenant = tenants[name]
        problems += _quota_problems(catalog, cluster, tenant, drawn, f"{path}.tenants[{i}]")
    return problems


def _quota_problems(
    catalog: Catalog,
    cluster: ClusterPlan,
    tenant: Tenant,
    drawn: list[tuple[Framework, FrameworkDraw]],
    tpath: str,
) -> list[Problem]:
    """A tenant's frameworks within its quota (a dedicated tenant without one: within what the
    cluster's node pools give at max)."""
    if tenant.quota is not None:
        limits = {f: getattr(tenant.quota, f) for f, _ in _FIGURES}
        where, base = "quota", f"{tpath}.quota"
    else:
        limits = {"cpu": cluster.draw.vcpus, "memory_gib": cluster.draw.memory_gib, "storage_gib": None}
        where, base = "cluster's node pools at max", tpath
    problems: list[Problem] = []
    for field, key in _FIGURES:
        limit = limits[field]
        total = sum(d.figure(field) for _, d in drawn)
        if limit is None or total <= limit:
            continue
        parts = "; ".join(
            f"{fw.kind} {fw.spec.name}: {_fmt(d.figure(field))} ({explain(catalog.frameworks[fw.kind], fw, field)})"
            for fw, d in drawn
            if d.figure(field)
        )
        problems.append(
            Problem(
                f"{base}.{key}" if tenant.quota is not None else base,
                f"tenant {tenant.name}'s frameworks draw {key} {_fmt(total)} > {_fmt(limit)} of its {where} "
                f"({parts}); raise the quota or shrink the frameworks",
                limit,
            )
        )
    return problems


def framework_problems(plan: EnvironmentPlan, catalog: Catalog) -> list[Problem]:
    """Every framework problem of an environment's plan."""
    problems: list[Problem] = []
    for pool_path, pool in plan.pool_paths():
        for path, cluster in pool.cluster_paths(pool_path):
            problems += cluster_framework_problems(catalog, cluster, path)
    return problems
