"""The cluster handle: everything above the cluster needs only this.

A handle is a cluster's ``pulumi_kubernetes`` provider and its facts. Strata's clusters make one
(:attr:`strata.KubernetesCluster.handle`), a virtual cluster makes one for what nests inside it,
and a team repo makes one from a stack reference to the platform stack. Tenants, the paved road and
frameworks are built on a handle and never on a driver, so they are the same on every substrate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pulumi
from pulumi_kubernetes.provider import Provider as KubernetesProvider


@dataclass(frozen=True)
class ClusterFacts:
    """What is true of a cluster, for the code that builds on it and the rules that judge it.

    Plain values known before anything is deployed (from the declaration and the catalog), so a
    component can decide what to build, and reject what the cluster cannot give, at plan time.
    """

    environment: str
    pool: str
    #: The cluster's name in the declaration (a virtual cluster: ``<host>/<tenant>``).
    cluster: str
    #: ``aws``, ``gcp`` or ``bareMetal``; a virtual cluster has its host's.
    substrate: str
    #: The cloud region, or None on bare metal.
    region: str | None
    #: The bare-metal site, or None on a cloud.
    site: str | None
    #: ISO 3166-1 alpha-2 country the cluster's machines are in.
    country: str
    #: The jurisdictions the environment promised to stay in.
    jurisdictions: tuple[str, ...]
    #: The Kubernetes minor version (``"1.35"``).
    version: str
    #: Availability zones its nodes spread over (1 on bare metal).
    zones: int
    #: Sandboxed runtimes some node pool provides (``gvisor``, ``kata``): the RuntimeClass names.
    runtimes: tuple[str, ...] = ()
    #: GPUs its node pools give at max.
    gpus: int = 0
    #: vCPUs and memory (GiB) its node pools give at max: what tenants' quotas are drawn from.
    vcpus: float = 0
    memory_gib: float = 0
    #: Default storage class, once the paved road installs one (None until then).
    storage_class: str | None = None
    #: For a virtual cluster, the host cluster's name; None for a real cluster.
    host: str | None = None
    #: An air-gapped site's registry mirror: every chart and image comes from it (None: upstream).
    registry: str | None = None

    @property
    def where(self) -> str:
        """Region or site, for messages: ``aws eu-central-1`` or ``bareMetal fra-dc1``."""
        return f"{self.substrate} {self.region or self.site}"


def cluster_provider(
    name: str, kubeconfig: pulumi.Input[str], identifier: str, parent: pulumi.Resource
) -> KubernetesProvider:
    """The Kubernetes provider for a cluster Strata makes (a real one or a virtual one).

    ``identifier`` is stable (``strata/<environment>/<cluster>[/<tenant>]``): a rotated kubeconfig
    (new token, new endpoint name) updates the provider in place instead of replacing every
    workload deployed through it. Objects of an unreachable cluster can be deleted from the state,
    and objects are applied server-side."""
    return KubernetesProvider(
        f"{name}-k8s",
        kubeconfig=kubeconfig,
        cluster_identifier=identifier,
        delete_unreachable=True,
        enable_server_side_apply=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class AddonBinding:
    """What a substrate's driver made for one add-on that reaches its cloud (an identity for its
    service account): chart values only the substrate knows (``clusterName``, ``vpcId``) and what
    the add-on must wait for (the identity's association)."""

    values: Mapping[str, Any] = field(default_factory=dict)
    depends_on: Sequence[pulumi.Resource] = ()


@dataclass(frozen=True)
class Substrate:
    """What a substrate's driver hands the paved road, so the add-on code stays substrate-neutral.

    ``nodes`` are what a workload needs before it can be scheduled (node groups, node pools, the
    hosts' agents); ``mirrors`` maps an upstream registry host (``quay.io``, or ``*`` for every
    host) to where the cluster pulls it through (a pool's cache, a site's mirror); ``key_id`` is
    the pool's key the default StorageClass encrypts with; ``bindings`` are per add-on name.
    """

    nodes: Sequence[pulumi.Resource] = ()
    mirrors: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    key_id: pulumi.Input[str] | None = None
    bindings: Mapping[str, AddonBinding] = field(default_factory=dict)


@dataclass(frozen=True)
class ClusterHandle:
    """A cluster's Kubernetes provider, its kubeconfig (a secret) and its facts.

    ``name`` prefixes the Pulumi names of what is built on the cluster, so two clusters' tenants
    never collide. ``parent`` is the component what is built for the cluster hangs under (the
    cluster component, or None in a team repo where the stack is the parent).
    """

    name: str
    provider: KubernetesProvider
    kubeconfig: pulumi.Output[str]
    facts: ClusterFacts
    parent: pulumi.Resource | None = None
    #: What the substrate's driver made for the paved road (None on a cluster Strata did not build).
    substrate: Substrate | None = None

    def nested(
        self, name: str, provider: KubernetesProvider, kubeconfig: pulumi.Output[str], **facts: object
    ) -> ClusterHandle:
        """A handle for a cluster running inside this one (a virtual cluster): its pods run on this
        cluster's nodes, so they pull images through the same mirrors."""
        substrate = Substrate(mirrors=self.substrate.mirrors) if self.substrate else None
        inside = replace(self.facts, **facts)  # type: ignore[arg-type]
        return ClusterHandle(name, provider, kubeconfig, inside, substrate=substrate)
