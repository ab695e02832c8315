"""``ResourcePool``: one site's network, identity, key and capacity budget, and its clusters."""

from __future__ import annotations

import datetime as dt

import pulumi

from strata.catalog import load_catalog
from strata.cluster import KubernetesCluster
from strata.declarations.checks import check_cluster, check_pool
from strata.declarations.errors import Problem
from strata.declarations.models import KubernetesClusterArgs, ResourcePoolArgs
from strata.drivers import PoolInfra, SubstrateDriver, driver_for
from strata.errors import InvalidSpecError
from strata.labels import STRATA_PROPERTY, Ownership
from strata.planner import ClusterPlan, PoolPlan, Resources, plan_cluster, plan_pool
from strata.tenancy import tenant_problems

TYPE = "strata:pool:ResourcePool"


def missing_driver(kind: str, path: str) -> Problem | None:
    """A problem if Strata has no driver for this substrate kind yet."""
    if driver_for(kind) is not None:
        return None
    return Problem(f"{path}.substrate", f"{kind} pools are validated but cannot be built yet: no {kind} driver", kind)


def resolve_driver(kind: str, path: str) -> SubstrateDriver:
    driver = driver_for(kind)
    if driver is None:
        raise InvalidSpecError([p for p in [missing_driver(kind, path)] if p])
    return driver


class ResourcePool(pulumi.ComponentResource):
    """A resource pool on one substrate, and the clusters declared on it.

    Guarantees: the declaration is valid and every cluster's draw fits the pool's budget, or it
    raises :class:`~strata.InvalidSpecError` listing every problem before registering anything;
    every taggable resource below it carries the ownership labels.
    """

    network_id: pulumi.Output[str]
    key_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: ResourcePoolArgs,
        *,
        ownership: Ownership,
        opts: pulumi.ResourceOptions | None = None,
        today: dt.date | None = None,
        _plan: PoolPlan | None = None,
    ) -> None:
        self._catalog = load_catalog()
        self._today = today or dt.date.today()
        if _plan is None:
            _plan = self._plan_alone(args)
        self.driver = resolve_driver(args.substrate.kind, "pool")
        self.plan = _plan
        self.ownership = ownership.in_pool(args.name)
        site = args.substrate.bare_metal
        placement = {
            "substrate": _plan.substrate,
            "region": _plan.region,
            "site": site.site if site else None,
            "country": _plan.country,
        }
        super().__init__(
            TYPE,
            name,
            # The pool's ownership and placement, as inputs the engine shows policies: residency
            # follows the graph up to here for resources that carry no location of their own.
            {STRATA_PROPERTY: {**self.ownership.as_labels(), **{k: v for k, v in placement.items() if v}}},
            pulumi.ResourceOptions.merge(
                pulumi.ResourceOptions(transformations=[self.driver.tagging(self.ownership)]), opts
            ),
        )
        self._ledger: dict[str, ClusterPlan] = {c.name: c for c in _plan.clusters}
        self._indexes: dict[str, int] = {c.name: i for i, c in enumerate(_plan.clusters)}
        self.infra: PoolInfra = self.driver.build_pool(_plan, self.ownership, self)
        self.network_id = self.infra.network_id
        self.key_id = self.infra.key_id
        #: What an operator needs from the pool on its substrate (``PoolInfra.exports``).
        self.exports = self.infra.exports
        self.clusters: dict[str, KubernetesCluster] = {
            c.name: KubernetesCluster(c.name, c, pool=self, opts=pulumi.ResourceOptions(parent=self))
            for c in args.clusters
        }
        self.register_outputs({"networkId": self.network_id, "keyId": self.key_id, **self.exports})

    def _plan_alone(self, args: ResourcePoolArgs) -> PoolPlan:
        problems = check_pool(self._catalog, args, "pool")
        plan, plan_problems = plan_pool(self._catalog, args, self._today, "pool")
        problems += plan_problems
        if problems or plan is None:
            raise InvalidSpecError(problems)
        return plan

    @property
    def drawn(self) -> Resources:
        return Resources.total(c.draw for c in self._ledger.values())

    def admit(self, args: KubernetesClusterArgs) -> tuple[ClusterPlan, int]:
        """Plan a cluster on this pool and enter it in the ledger; raise if it does not fit."""
        known = self._ledger.get(args.name)
        if known is not None and known.spec == args:
            return known, self._indexes[args.name]
        path = "cluster"
        if known is not None:
            raise InvalidSpecError(
                [
                    Problem(
                        f"{path}.name",
                        f"pool {self.plan.name!r} already has a cluster by this name",
                        args.name,
                    )
                ]
            )
        kind = self.plan.substrate
        problems = check_cluster(self._catalog, kind, args, path)
        plan, plan_problems = plan_cluster(self._catalog, kind, args, self._today, path)
        problems += plan_problems
        if plan is not None:
            problems += tenant_problems(self._catalog, kind, plan, path)
        if plan is not None and self.plan.budget is not None:
            over = (self.drawn + plan.draw).over(self.plan.budget)
            if over:
                problems.append(
                    Problem(
                        path,
                        f"does not fit pool {self.plan.name!r} ({', '.join(over)}); the pool's clusters "
                        f"already draw {self.drawn.as_dict()} of {self.plan.budget.as_dict()}",
                        args.name,
                    )
                )
        if problems or plan is None:
            raise InvalidSpecError(problems)
        self._ledger[args.name] = plan
        self._indexes[args.name] = len(self._indexes)
        return plan, self._indexes[args.name]
