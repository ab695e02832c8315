"""``Environment``: every pool and cluster of one environment, validated as a whole first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pulumi

from strata.declarations.errors import SpecError
from strata.declarations.models import EnvironmentArgs
from strata.errors import InvalidSpecError
from strata.labels import Ownership
from strata.planner import EnvironmentPlan
from strata.pool import ResourcePool, missing_driver
from strata.validation import validate_environment

TYPE = "strata:environment:Environment"


class Environment(pulumi.ComponentResource):
    """One environment: its pools, and the clusters nested on them.

    The whole declaration is validated and planned before the first resource is registered: a bad
    spec raises :class:`~strata.InvalidSpecError` with every problem and leaves nothing behind.
    """

    def __init__(
        self,
        name: str,
        args: EnvironmentArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
        *,
        today: dt.date | None = None,
    ) -> None:
        try:
            env, plan = validate_environment(args, today=today)
        except SpecError as err:
            raise InvalidSpecError.from_spec_error(err) from None
        unbuildable = [
            problem
            for i, p in enumerate(env.pools)
            if (problem := missing_driver(p.substrate.kind, f"pools[{i}]")) is not None
        ]
        if unbuildable:  # found up front, so an unbuildable pool fails before anything is registered
            raise InvalidSpecError(unbuildable)
        super().__init__(TYPE, name, None, opts)
        self.args = env
        self.plan: EnvironmentPlan = plan
        ownership = Ownership(owner=env.owner, environment=env.name, jurisdictions=env.jurisdiction)
        self.pools: dict[str, ResourcePool] = {
            p.name: ResourcePool(
                p.name,
                p.spec,
                ownership=ownership,
                today=plan.today,
                _plan=p,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for p in plan.pools
        }
        self.register_outputs(
            {
                "pools": list(self.pools),
                "clusters": [c for p in self.pools.values() for c in p.clusters],
            }
        )
