"""Pure planning: machine shapes → machine types, the capacity ledger, and cost.

Everything here is a plain function of the declarations and the catalog; nothing imports Pulumi.
Components only turn a plan into resources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from strata.catalog import Catalog, MachineType, Stage
from strata.declarations.errors import Problem
from strata.declarations.models import EnvironmentArgs, Host, KubernetesClusterArgs, Machine, ResourcePoolArgs

#: Hours in a month for monthly estimates (365 × 24 / 12), as cloud pricing pages use.
HOURS_PER_MONTH = 730
_SUBSTRATE_NAMES = {"aws": "AWS", "gcp": "GCP"}


def cost_basis(catalog: Catalog, kinds: Iterable[str]) -> str:
    """What a monthly estimate of pools on these substrates is, and what it leaves out: the
    on-demand list price of node pools and control planes in each catalog reference region."""
    regions = ", ".join(
        f"{_SUBSTRATE_NAMES.get(kind, kind)} {catalog.pricing[kind].reference_region}"
        for kind in sorted(set(kinds))
        if kind in catalog.pricing
    )
    where = f" ({regions})" if regions else ""
    return (
        f"on-demand list price of node pools and control planes in the catalog's reference region{where}, "
        "USD/month; NAT, disks, load balancers and traffic not included"
    )


@dataclass(frozen=True)
class Resources:
    """An amount of capacity: vCPUs, memory and GPUs."""

    vcpus: float = 0
    memory_gib: float = 0
    gpus: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.vcpus + other.vcpus, self.memory_gib + other.memory_gib, self.gpus + other.gpus)

    @staticmethod
    def total(parts: Iterable[Resources]) -> Resources:
        out = Resources()
        for part in parts:
            out = out + part
        return out

    @staticmethod
    def of_hosts(hosts: Iterable[Host]) -> Resources:
        """What a set of bare-metal hosts offers."""
        return Resources.total(Resources(h.vcpus, h.memory_gib, h.gpus) for h in hosts)

    def times(self, n: int) -> Resources:
        return Resources(self.vcpus * n, self.memory_gib * n, self.gpus * n)

    def over(self, budget: Resources) -> list[str]:
        """The dimensions in which this amount exceeds ``budget``."""
        dims = (
            ("vcpus", self.vcpus, budget.vcpus),
            ("memoryGib", self.memory_gib, budget.memory_gib),
            ("gpus", self.gpus, budget.gpus),
        )
        return [f"{name} {_num(mine)} > {_num(limit)}" for name, mine, limit in dims if mine > limit]

    def as_dict(self) -> dict[str, float]:
        return {"vcpus": _num(self.vcpus), "memoryGib": _num(self.memory_gib), "gpus": self.gpus}


def _num(x: float) -> float:
    return int(x) if float(x).is_integer() else round(x, 2)


@dataclass(frozen=True)
class Cost:
    """Monthly cost range: at every node pool's ``min`` and at its ``max``."""

    at_min: float = 0.0
    at_max: float = 0.0

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.at_min + other.at_min, self.at_max + other.at_max)

    def as_dict(self) -> dict[str, float]:
        return {"atMin": round(self.at_min, 2), "atMax": round(self.at_max, 2)}


@dataclass(frozen=True)
class NodePoolPlan:
    name: str
    machine: Machine
    machine_type: MachineType
    min: int
    max: int
    draw: Resources
    cost: Cost
    #: Bare metal: the hosts this node pool runs on, in assignment order.
    hosts: tuple[str, ...] = ()
    #: The sandbox its nodes provide (``default``: none).
    runtime: str = "default"


@dataclass(frozen=True)
class ClusterPlan:
    name: str
    version: str
    stage: Stage | None
    node_pools: tuple[NodePoolPlan, ...]
    draw: Resources
    cost: Cost
    spec: KubernetesClusterArgs
    #: Bare metal: the control-plane servers (three with embedded etcd when HA), first one first.
    servers: tuple[str, ...] = ()


@dataclass(frozen=True)
class PoolPlan:
    name: str
    substrate: str
    region: str | None
    country: str | None
    budget: Resources | None
    drawn: Resources
    clusters: tuple[ClusterPlan, ...]
    cost: Cost
    spec: ResourcePoolArgs
    #: Bare metal: the hosts of the inventory no cluster was given, in inventory order.
    free_hosts: tuple[Host, ...] = ()

    @property
    def owned_hardware(self) -> bool:
        """A bare-metal site: hardware the company owns, whose cost Strata does not estimate
        (its ``cost`` is zero for want of an estimate, not because it is free)."""
        return self.spec.substrate.bare_metal is not None

    @property
    def free(self) -> Resources:
        """What the free hosts offer together (bare metal; nothing on a cloud)."""
        return Resources.of_hosts(self.free_hosts)

    def cluster_paths(self, path: str) -> Iterator[tuple[str, ClusterPlan]]:
        """Each cluster's plan with its path in the declaration (``pools[0].clusters[2]``)."""
        for plan in self.clusters:
            j = next(j for j, c in enumerate(self.spec.clusters) if c is plan.spec)
            yield f"{path}.clusters[{j}]", plan


@dataclass(frozen=True)
class EnvironmentPlan:
    name: str
    owner: str
    jurisdictions: tuple[str, ...]
    pools: tuple[PoolPlan, ...]
    cost: Cost
    today: dt.date
    problems: tuple[Problem, ...] = field(default=())
    #: What ``cost`` is (:func:`cost_basis` of the estimated pools' substrates).
    cost_basis: str = ""
    spec: EnvironmentArgs | None = None
    #: The paths of the pools (``pools[1]``) whose problems stopped their plan: their capacity
    #: ledger, derived names and sizes were not judged (they are missing from ``pools``).
    unplanned: tuple[str, ...] = ()

    @property
    def estimated_pools(self) -> tuple[PoolPlan, ...]:
        """The pools whose cost is estimated: the cloud pools (owned hardware is not)."""
        return tuple(p for p in self.pools if not p.owned_hardware)

    def pool_paths(self) -> Iterator[tuple[str, PoolPlan]]:
        """Each pool's plan with its path in the declaration (``pools[1]``); a pool that could
        not be planned is missing, and the others keep their own index."""
        for plan in self.pools:
            i = next((i for i, p in enumerate(self.spec.pools) if p is plan.spec), None) if self.spec else None
            yield f"pools[{i if i is not None else self.pools.index(plan)}]", plan


def choose_machine_type(
    catalog: Catalog, substrate: str, machine: Machine, *, metal: bool = False
) -> MachineType | None:
    """The cheapest catalog type on ``substrate`` that satisfies ``machine``.

    GPU shapes are matched only to GPU types and CPU shapes only to CPU types, so a CPU pool never
    lands on (and pays for) an accelerator; likewise bare-metal instances only where ``metal`` asks
    for them (a sandbox that needs hardware virtualization). Ties on price go to the smaller type,
    then the name.
    """
    wants_gpu = machine.gpus > 0
    fits = [
        t
        for t in catalog.machine_types.get(substrate, ())
        if (t.gpus > 0) == wants_gpu
        and t.metal == metal
        and t.vcpus >= machine.vcpus
        and t.memory_gib >= machine.memory_gib
        and t.gpus >= machine.gpus
    ]
    if not fits:
        return None
    return min(fits, key=lambda t: (t.usd_per_hour, t.vcpus, t.memory_gib, t.name))


def _machine_draw(machine: Machine) -> Resources:
    return Resources(machine.vcpus, machine.memory_gib, machine.gpus)


def plan_cluster(
    catalog: Catalog, substrate: str, cluster: KubernetesClusterArgs, today: dt.date, path: str
) -> tuple[ClusterPlan | None, list[Problem]]:
    """Plan one cluster on a substrate; ``path`` is where the cluster sits in the spec."""
    problems: list[Problem] = []
    node_pools: list[NodePoolPlan] = []
    pricing = catalog.pricing.get(substrate)
    control_plane = (pricing.control_plane_usd_per_hour * HOURS_PER_MONTH) if pricing else 0.0
    cost = Cost(control_plane, control_plane)
    draw = Resources()
    for i, np in enumerate(cluster.node_pools):
        offer = catalog.tenancy.offer(np.runtime, substrate) if np.runtime != "default" else None
        metal = offer is not None and offer.metal_only
        chosen = choose_machine_type(catalog, substrate, np.machine, metal=metal)
        if chosen is None:
            m = np.machine
            kind = "bare-metal machine type (for " + np.runtime + ")" if metal else "machine type"
            problems.append(
                Problem(
                    f"{path}.nodePools[{i}].machine",
                    f"no {substrate} {kind} in the catalog has at least {m.vcpus} vCPUs, "
                    f"{_num(m.memory_gib)} GiB and {m.gpus} GPUs",
                    m.model_dump(by_alias=True),
                )
            )
            continue
        np_draw = _machine_draw(np.machine).times(np.max)
        np_cost = Cost(chosen.usd_per_hour * HOURS_PER_MONTH * np.min, chosen.usd_per_hour * HOURS_PER_MONTH * np.max)
        node_pools.append(
            NodePoolPlan(np.name, np.machine, chosen, np.min, np.max, np_draw, np_cost, runtime=np.runtime)
        )
        draw = draw + np_draw
        cost = cost + np_cost
    if problems:
        return None, problems
    lifecycle = catalog.version(substrate, cluster.version)
    stage = lifecycle.stage(today) if lifecycle else None
    return ClusterPlan(cluster.name, cluster.version, stage, tuple(node_pools), draw, cost, cluster), []


def pool_budget(pool: ResourcePoolArgs) -> Resources | None:
    """The pool's capacity budget; on bare metal the sum of its hosts when ``capacity`` is omitted."""
    if pool.capacity is not None:
        c = pool.capacity
        return Resources(c.vcpus, c.memory_gib, c.gpus)
    bm = pool.substrate.bare_metal
    if bm is not None:
        return Resources.of_hosts(bm.hosts)
    return None


def plan_pool(
    catalog: Catalog, pool: ResourcePoolArgs, today: dt.date, path: str
) -> tuple[PoolPlan | None, list[Problem]]:
    """Plan a pool and its capacity ledger: the clusters' draws must fit the budget."""
    kind = pool.substrate.kind
    if pool.substrate.bare_metal is not None:
        return plan_bare_metal_pool(catalog, pool, today, path)
    if kind not in catalog.machine_types:
        return None, []  # no catalog to plan against; the declaration checks report it
    problems: list[Problem] = []
    clusters: list[ClusterPlan] = []
    for j, cluster in enumerate(pool.clusters):
        cplan, cprobs = plan_cluster(catalog, kind, cluster, today, f"{path}.clusters[{j}]")
        problems += cprobs
        if cplan:
            clusters.append(cplan)
    if problems:
        return None, problems
    drawn = Resources.total(c.draw for c in clusters)
    budget = pool_budget(pool)
    if budget is not None:
        over = drawn.over(budget)
        if over:
            detail = "; ".join(
                f"{c.name} draws {c.draw.vcpus:g} vCPUs, {c.draw.memory_gib:g} GiB, {c.draw.gpus} GPUs"
                for c in clusters
            )
            problems.append(
                Problem(
                    f"{path}.capacity",
                    f"pool {pool.name!r} is over-drawn ({', '.join(over)}): its clusters draw max × machine "
                    f"of every node pool — {detail}",
                    budget.as_dict(),
                )
            )
    region = pool.substrate.region
    country = None
    if region:
        r = catalog.region(kind, region)
        country = r.country if r else None
    elif pool.substrate.bare_metal:
        country = pool.substrate.bare_metal.country
    cost = Cost()
    for c in clusters:
        cost = cost + c.cost
    return PoolPlan(pool.name, kind, region, country, budget, drawn, tuple(clusters), cost, pool), problems


def plan_environment(catalog: Catalog, env: EnvironmentArgs, today: dt.date) -> EnvironmentPlan:
    """Plan the whole environment. Problems (unsatisfiable shapes, over-drawn pools) are returned
    in ``EnvironmentPlan.problems``, all of them, for the caller to reject."""
    pools: list[PoolPlan] = []
    problems: list[Problem] = []
    unplanned: list[str] = []
    for i, pool in enumerate(env.pools):
        pplan, pprobs = plan_pool(catalog, pool, today, f"pools[{i}]")
        problems += pprobs
        if pplan:
            pools.append(pplan)
        elif pprobs:
            unplanned.append(f"pools[{i}]")
    cost = Cost()
    for p in pools:
        cost = cost + p.cost
    basis = cost_basis(catalog, (p.substrate for p in pools if not p.owned_hardware))
    return EnvironmentPlan(
        env.name,
        env.owner,
        env.jurisdiction,
        tuple(pools),
        cost,
        today,
        tuple(problems),
        basis,
        env,
        tuple(unplanned),
    )


# ---------------------------------------------------------------- bare metal: hosts → clusters


def _fits(host: Host, vcpus: float, memory_gib: float, gpus: int) -> bool:
    """A host fits a shape when it is at least as large, and GPU shapes go only to GPU hosts
    (and CPU shapes never take a GPU host)."""
    return host.vcpus >= vcpus and host.memory_gib >= memory_gib and host.gpus >= gpus and (host.gpus > 0) == (gpus > 0)


def _shape(vcpus: float, memory_gib: float, gpus: int) -> str:
    return f"{vcpus:g} vCPU, {memory_gib:g} GiB" + (f", {gpus} GPU" if gpus else "")


def host_problems(pool: ResourcePoolArgs, path: str) -> list[Problem]:
    """Hosts listed twice (by name or by address)."""
    bm = pool.substrate.bare_metal
    problems: list[Problem] = []
    if bm is None:
        return problems
    seen: dict[str, int] = {}
    for i, h in enumerate(bm.hosts):
        for key, label in ((f"name:{h.name}", "name"), (f"address:{h.address}", "address")):
            if key in seen:
                problems.append(
                    Problem(
                        f"{path}.substrate.bareMetal.hosts[{i}]",
                        f"host listed twice: same {label} as hosts[{seen[key]}]",
                        h.name if label == "name" else h.address,
                    )
                )
            else:
                seen[key] = i
    return problems


def plan_bare_metal_pool(
    catalog: Catalog, pool: ResourcePoolArgs, today: dt.date, path: str
) -> tuple[PoolPlan | None, list[Problem]]:
    """Assign hosts to clusters exclusively: each cluster's control plane first, then its node
    pools, each from the first free hosts (in inventory order) whose shape fits. Clusters take
    their hosts in declaration order, so appending a host or a cluster moves no assigned host.

    A control plane or node pool that falls short takes no host, so the ones after it are judged on
    no fewer hosts than a fix asking it for fewer would leave them: a shortage reported after it is
    not its echo (one it would cause waits for its fix, with the rest). A host listed twice is
    a problem and no plan is made, but the hosts are still assigned, each entry as listed, so that
    a shortage is reported too: fixing the entry (another host's address or name) or removing it
    leaves no more hosts than listed. Either way the pool has no plan: its capacity ledger, names
    and sizes wait for the fix (:attr:`EnvironmentPlan.unplanned`)."""
    bm = pool.substrate.bare_metal
    assert bm is not None
    problems = host_problems(pool, path)
    free: list[Host] = list(bm.hosts)
    cp_vcpus, cp_memory = catalog.control_plane_shape

    def take(count: int, vcpus: float, memory_gib: float, gpus: int) -> tuple[list[Host], list[Host]]:
        fitting = [h for h in free if _fits(h, vcpus, memory_gib, gpus)]
        chosen = fitting[:count]
        if len(chosen) == count:  # one that falls short takes none (see above)
            for h in chosen:
                free.remove(h)
        return chosen, fitting

    clusters: list[ClusterPlan] = []
    for j, cluster in enumerate(pool.clusters):
        cpath = f"{path}.clusters[{j}]"
        node_hosts = sum(np.max for np in cluster.node_pools)
        ha = cluster.control_plane.ha if cluster.control_plane.ha is not None else node_hosts > 3
        wanted = 3 if ha else 1
        servers, fitting = take(wanted, cp_vcpus, cp_memory, 0)
        if len(servers) < wanted:
            problems.append(
                Problem(
                    f"{cpath}.controlPlane",
                    f"cluster {cluster.name!r} needs {wanted} control-plane host(s) of at least "
                    f"{_shape(cp_vcpus, cp_memory, 0)} without GPUs; {len(fitting)} free host(s) fit: "
                    f"short by {wanted - len(servers)}",
                    {"ha": ha},
                )
            )
        node_pools: list[NodePoolPlan] = []
        draw = Resources.of_hosts(servers)
        for i, np in enumerate(cluster.node_pools):
            m = np.machine
            hosts, fitting = take(np.max, m.vcpus, m.memory_gib, m.gpus)
            if len(hosts) < np.max:
                names = ", ".join(h.name for h in fitting) or "none"
                problems.append(
                    Problem(
                        f"{cpath}.nodePools[{i}]",
                        f"cluster {cluster.name!r} node pool {np.name!r} needs {np.max} host(s) of at least "
                        f"{_shape(m.vcpus, m.memory_gib, m.gpus)}; {len(fitting)} free host(s) fit ({names}): "
                        f"short by {np.max - len(hosts)}",
                        m.model_dump(by_alias=True),
                    )
                )
            np_draw = Resources.of_hosts(hosts)
            host_type = MachineType(
                "bareMetal", "host", "host", "gpu" if m.gpus else "general", m.vcpus, m.memory_gib, m.gpus, 0.0, None
            )
            node_pools.append(
                NodePoolPlan(
                    np.name, m, host_type, np.min, np.max, np_draw, Cost(), tuple(h.name for h in hosts), np.runtime
                )
            )
            draw = draw + np_draw
        lifecycle = catalog.version("bareMetal", cluster.version)
        clusters.append(
            ClusterPlan(
                cluster.name,
                cluster.version,
                lifecycle.stage(today) if lifecycle else None,
                tuple(node_pools),
                draw,
                Cost(),
                cluster,
                tuple(h.name for h in servers),
            )
        )
    if problems:
        return None, problems
    drawn = Resources.total(c.draw for c in clusters)
    budget = pool_budget(pool)
    if pool.capacity is not None and budget is not None and (over := drawn.over(budget)):
        problems.append(
            Problem(f"{path}.capacity", f"pool {pool.name!r} is over-drawn ({', '.join(over)})", budget.as_dict())
        )
    return (
        PoolPlan(pool.name, "bareMetal", None, bm.country, budget, drawn, tuple(clusters), Cost(), pool, tuple(free)),
        problems,
    )
