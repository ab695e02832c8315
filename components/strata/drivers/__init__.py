"""Substrate drivers: the only code that imports a cloud provider's SDK.

The contract every driver implements (Cluster API's infrastructure-provider contract, in small):

| a driver MUST                                   | how                                                      |
|-------------------------------------------------|----------------------------------------------------------|
| name the substrate kind it serves               | ``kind`` (``aws``, ``gcp``, ``bareMetal``)                |
| build a pool: network, identity, encryption key | ``build_pool`` → :class:`PoolInfra`, children parented    |
| build a cluster on a pool from its plan         | ``build_cluster`` → :class:`ClusterInfra`                 |
| expose a cluster's kubeconfig as a secret       | ``ClusterInfra.kubeconfig`` is ``Output.secret``          |
| stamp ownership labels on every taggable child  | ``tagging`` returns one transformation for a component   |
| keep the API endpoint private unless the spec   | public access only from ``apiEndpoint.publicAccessCidrs`` |
| opens it to listed networks                     |                                                          |
| encrypt Kubernetes secrets with the pool's key  |                                                          |
| set up the add-ons it provides (``driver``),    | from ``strata.paved_road.cluster_addons``; identities    |
| and identities for those that reach the cloud   | and values in ``ClusterInfra.substrate.bindings``        |

A driver MAY add resources of its own; it MUST NOT read the stack file or the clock. Components
pick a driver with :func:`driver_for`; adding a substrate means adding one package here and its
catalog entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import pulumi

from strata.kube.handle import Substrate
from strata.labels import Ownership
from strata.planner import ClusterPlan, PoolPlan


@dataclass
class PoolInfra:
    """What a driver built for a pool, for the pool's clusters to use."""

    network_id: pulumi.Output[str]
    key_id: pulumi.Output[str]
    #: Driver-private handles (subnets, roles, ...) that only the same driver reads back.
    handles: dict[str, Any] = field(default_factory=dict)
    #: What an operator needs from the pool on this substrate, exported as the stack outputs
    #: ``<pool>.<key>`` (AWS: ``eksAdminRoleArn``, the role EKS access entries make cluster admin).
    exports: dict[str, pulumi.Output[Any]] = field(default_factory=dict)
    #: Upstream registry host (``quay.io``; ``*`` for all) → where the pool's clusters pull it through.
    mirrors: dict[str, pulumi.Input[str]] = field(default_factory=dict)


@dataclass
class ClusterInfra:
    """What a driver built for a cluster."""

    cluster_name: pulumi.Output[str]
    #: The API server's URL, ``https://host[:port]``, on every substrate.
    endpoint: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]  # always a secret
    #: What the driver made for the paved road: nodes to wait for, mirrors, the key, identities.
    substrate: Substrate = field(default_factory=Substrate)


class SubstrateDriver(Protocol):
    """The one interface components use to reach a provider."""

    kind: str

    def tagging(self, ownership: Ownership) -> pulumi.ResourceTransformation:
        """A transformation stamping ``ownership`` on every taggable resource below a component."""
        ...

    def build_pool(self, plan: PoolPlan, ownership: Ownership, parent: pulumi.Resource) -> PoolInfra: ...

    def build_cluster(
        self,
        plan: ClusterPlan,
        pool_plan: PoolPlan,
        pool: PoolInfra,
        index: int,
        parent: pulumi.Resource,
    ) -> ClusterInfra: ...


def driver_for(kind: str) -> SubstrateDriver | None:
    """The driver for a substrate kind, or None if Strata cannot build that substrate yet."""
    if kind == "aws":
        from strata.drivers.aws import AwsDriver

        return AwsDriver()
    if kind == "gcp":
        from strata.drivers.gcp import GcpDriver

        return GcpDriver()
    if kind == "bareMetal":
        from strata.drivers.baremetal import BareMetalDriver

        return BareMetalDriver()
    return None
