"""What tenants ask of their cluster, checked on the plan before anything is registered.

* A ``namespace`` or ``virtual`` tenant has a quota (its share of the cluster); a ``dedicated``
  tenant is its cluster's only tenant.
* Tenants need the admission policies that guard them, built into Kubernetes from the catalog's
  minimum version on.
* A sandbox (``runtime: gvisor | kata``) comes from a node pool of the same cluster that provides
  it, on a substrate the catalog says offers it; never a silent downgrade to the default runtime.
* A virtual tenant's Kubernetes version is one the catalog's pinned vCluster release runs, on a
  host version it supports.

Provider facts (which substrate offers which sandbox, the vCluster release's version ranges) are
catalog data (``catalog/data/tenancy.yaml``) with their sources. Pure: no Pulumi.
"""

from __future__ import annotations

from strata.catalog import Catalog
from strata.declarations.errors import Problem
from strata.planner import ClusterPlan, EnvironmentPlan, PoolPlan

_VERSION_KEY = tuple[int, ...]


def _key(version: str) -> _VERSION_KEY:
    return tuple(int(x) for x in version.split("."))


def _listed(names: list[str]) -> str:
    return ", ".join(names) or "none"


def runtime_problems(catalog: Catalog, substrate: str, cluster: ClusterPlan, path: str) -> list[Problem]:
    """Each sandbox a node pool provides is offered on the substrate; each sandbox a tenant asks
    for is provided by a node pool of its cluster; a substrate that needs a default node pool
    beside its sandbox ones (GKE) has one."""
    problems: list[Problem] = []
    spec = cluster.spec
    for k, np in enumerate(spec.node_pools):
        if np.runtime == "default":
            continue
        offer = catalog.tenancy.offer(np.runtime, substrate)
        if offer is None:
            where = catalog.tenancy.offered_on(np.runtime)
            problems.append(
                Problem(
                    f"{path}.nodePools[{k}].runtime",
                    f"{substrate} offers no {np.runtime} node pools; {np.runtime} is offered on {_listed(where)}",
                    np.runtime,
                )
            )
    sandboxed = [np for np in spec.node_pools if np.runtime != "default"]
    for np in sandboxed:
        offer = catalog.tenancy.offer(np.runtime, substrate)
        if offer is not None and offer.needs_default_pool and all(n.runtime != "default" for n in spec.node_pools):
            problems.append(
                Problem(
                    f"{path}.nodePools",
                    f"{offer.label} needs a node pool without a sandbox beside the {np.runtime} ones "
                    f"(for the cluster's own pods; {offer.source})",
                )
            )
            break
    provided = {np.runtime for np in spec.node_pools}
    for t, tenant in enumerate(spec.tenants):
        if tenant.runtime != "default" and tenant.runtime not in provided:
            pools = [np.name for np in spec.node_pools]
            offered = catalog.tenancy.offer(tenant.runtime, substrate) is not None
            fix = (
                f"give a node pool `runtime: {tenant.runtime}`"
                if offered
                else f"{substrate} offers no {tenant.runtime}; it is offered on "
                f"{_listed(catalog.tenancy.offered_on(tenant.runtime))}"
            )
            problems.append(
                Problem(
                    f"{path}.tenants[{t}].runtime",
                    f"no node pool of this cluster provides {tenant.runtime} (node pools: {_listed(pools)}); {fix}",
                    tenant.runtime,
                )
            )
    return problems


def tenant_problems(catalog: Catalog, substrate: str, cluster: ClusterPlan, path: str) -> list[Problem]:
    """Every tenancy problem of one planned cluster (see the module)."""
    spec = cluster.spec
    facts = catalog.tenancy
    problems: list[Problem] = []
    if not spec.tenants:
        return runtime_problems(catalog, substrate, cluster, path)
    if _key(spec.version) < _key(facts.minimum_version):
        problems.append(
            Problem(
                f"{path}.version",
                f"tenants are guarded by ValidatingAdmissionPolicies, built into Kubernetes from "
                f"{facts.minimum_version} on ({facts.minimum_version_source}); this cluster has tenants "
                f"{_listed([t.name for t in spec.tenants])}",
                spec.version,
            )
        )
    for t, tenant in enumerate(spec.tenants):
        here = f"{path}.tenants[{t}]"
        if tenant.isolation == "dedicated" and len(spec.tenants) > 1:
            others = [o.name for o in spec.tenants if o is not tenant]
            problems.append(
                Problem(
                    f"{here}.isolation",
                    f"a dedicated tenant has its cluster alone, but this cluster also has tenants {_listed(others)}; "
                    "give it a cluster of its own or another isolation level",
                    tenant.isolation,
                )
            )
        if tenant.isolation != "dedicated" and tenant.quota is None:
            problems.append(
                Problem(
                    f"{here}.quota",
                    f"a {tenant.isolation} tenant needs a quota, its share of the cluster: "
                    "{cpu: <cores>, memoryGib: <GiB>}",
                )
            )
        if tenant.version is not None and tenant.isolation != "virtual":
            problems.append(
                Problem(
                    f"{here}.version",
                    f"only a virtual tenant has a Kubernetes version of its own; a {tenant.isolation} tenant runs "
                    "on the cluster's",
                    tenant.version,
                )
            )
        if tenant.isolation == "virtual":
            problems += _virtual_problems(catalog, spec.version, tenant.version, here)
    return problems + runtime_problems(catalog, substrate, cluster, path)


def _virtual_problems(catalog: Catalog, host: str, own: str | None, path: str) -> list[Problem]:
    chart = catalog.tenancy.vcluster
    problems: list[Problem] = []
    if host not in chart.host_versions:
        problems.append(
            Problem(
                f"{path}.isolation",
                f"vCluster {chart.version} (the catalog's pinned release) runs on host clusters of Kubernetes "
                f"{_listed(list(chart.host_versions))}, not on this cluster's {host} ({chart.source})",
                "virtual",
            )
        )
    version = own or host
    if version not in chart.virtual_versions:
        problems.append(
            Problem(
                f"{path}.version" if own else f"{path}.isolation",
                f"vCluster {chart.version} runs virtual clusters of Kubernetes "
                f"{_listed(list(chart.virtual_versions))}"
                + ("" if own else f"; unset, the version is the host's ({host}): set `version`")
                + f" ({chart.source})",
                own or "virtual",
            )
        )
    return problems


def tenancy_problems(plan: EnvironmentPlan, catalog: Catalog) -> list[Problem]:
    """Every tenancy problem of an environment's plan."""
    problems: list[Problem] = []
    for pool_path, pool in plan.pool_paths():
        problems += pool_tenancy_problems(catalog, pool, pool_path)
    return problems


def pool_tenancy_problems(catalog: Catalog, pool: PoolPlan, pool_path: str) -> list[Problem]:
    problems: list[Problem] = []
    for path, cluster in pool.cluster_paths(pool_path):
        problems += tenant_problems(catalog, pool.substrate, cluster, path)
    return problems


def tenancy_images(catalog: Catalog, substrate: str, cluster: ClusterPlan) -> list[tuple[str, str]]:
    """``(image, what pulls it)`` for what a cluster's tenants install: each virtual tenant's
    vCluster (its syncer, and the Kubernetes distribution at the tenant's version) and Kata's
    installer where Strata installs Kata."""
    out: list[tuple[str, str]] = []
    vcluster = catalog.tenancy.vcluster
    syncer, distro = vcluster.images
    for tenant in cluster.spec.tenants:
        if tenant.isolation == "virtual":
            who = f"vcluster (tenant {tenant.name})"
            out += [(f"{syncer}:{vcluster.version}", who), (f"{distro}:v{tenant.version or cluster.version}.0", who)]
    runtimes = {np.runtime for np in cluster.spec.node_pools}
    kata = catalog.tenancy.kata_deploy
    offer = catalog.tenancy.offer("kata", substrate)
    if "kata" in runtimes and cluster.spec.tenants and offer is not None and offer.install == "kata-deploy":
        out += [(f"{kata.images[0]}:{kata.version}", "kata-deploy"), (kata.images[1], "kata-deploy")]
    return out
