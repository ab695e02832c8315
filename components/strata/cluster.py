"""``KubernetesCluster``: a control plane and node pools drawn from a resource pool."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi
from pulumi_kubernetes.provider import Provider as KubernetesProvider

from strata.catalog import load_catalog
from strata.declarations.models import KubernetesClusterArgs
from strata.drivers import ClusterInfra
from strata.kube import ClusterFacts, ClusterHandle, PavedRoad, TenantSpace, build_tenants
from strata.kube.frameworks import FrameworkInstance, build_frameworks
from strata.kube.handle import cluster_provider
from strata.labels import STRATA_PROPERTY
from strata.paved_road import AddonPlan, cluster_addons

if TYPE_CHECKING:
    from strata.pool import ResourcePool

TYPE = "strata:cluster:KubernetesCluster"


class KubernetesCluster(pulumi.ComponentResource):
    """A Kubernetes cluster nested on a :class:`~strata.ResourcePool`.

    Guarantees: its draw (``max × machine`` of every node pool) fits what is left of the pool's
    budget and its version is one the substrate offers, or it raises before registering anything;
    its API endpoint is private unless ``api_endpoint.public_access_cidrs`` lists networks; its
    secrets are encrypted with the pool's key; ``kubeconfig`` is a secret output; ``provider`` is a
    Kubernetes provider for it whose identity survives kubeconfig rotation.

    ``handle`` is what everything above the cluster is built on (:mod:`strata.kube`): its
    tenants (:class:`~strata.kube.TenantSpace`, and once per cluster with shared tenants the
    admission policies of :class:`~strata.kube.TenantGuardrails`) and its paved road
    (:class:`~strata.kube.PavedRoad`: the add-ons of ``addons``) and its frameworks (their operators
    and custom resources, :mod:`strata.kube.frameworks`) are built on it here.
    """

    kubeconfig: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    provider: KubernetesProvider

    def __init__(
        self,
        name: str,
        args: KubernetesClusterArgs,
        *,
        pool: ResourcePool,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        plan, index = pool.admit(args)  # raises InvalidSpecError before anything is registered
        labels = pool.ownership.in_cluster(args.name)
        super().__init__(
            TYPE,
            name,
            {STRATA_PROPERTY: {**labels.as_labels(), "version": plan.version, "substrate": pool.plan.substrate}},
            pulumi.ResourceOptions.merge(
                pulumi.ResourceOptions(parent=pool, transformations=[pool.driver.tagging(labels)]), opts
            ),
        )
        self.plan = plan
        self.addons: list[AddonPlan] = cluster_addons(load_catalog(), pool.plan, plan)
        infra: ClusterInfra = pool.driver.build_cluster(plan, pool.plan, pool.infra, index, self)
        self.kubeconfig = infra.kubeconfig
        self.endpoint = infra.endpoint
        self.cluster_name = infra.cluster_name
        self.provider = cluster_provider(name, self.kubeconfig, f"strata/{labels.environment}/{name}", self)
        self.handle = ClusterHandle(
            name, self.provider, self.kubeconfig, self._facts(pool), parent=self, substrate=infra.substrate
        )
        self.paved_road = PavedRoad(
            f"{name}-addons",
            self.handle,
            self.addons,
            load_balancer_addresses=args.addons.load_balancer_addresses,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.tenants: dict[str, TenantSpace] = build_tenants(
            self.handle, args.tenants, parent=self, after=self.paved_road.first
        )
        road = self.paved_road
        self.frameworks: dict[str, FrameworkInstance] = build_frameworks(
            self.handle,
            args.frameworks,
            self.tenants,
            parent=self,
            after=[
                *(infra.substrate.nodes if infra.substrate else ()),
                *road.first,
                *([road.storage_class] if road.storage_class else []),
            ],
            cert_manager=road.releases.get("cert-manager"),
        )
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "endpoint": self.endpoint,
                "version": plan.version,
                "kubeconfig": self.kubeconfig,
            }
        )

    def published_facts(self) -> dict[str, Any]:
        """What a team repo (and the policy pack's central config) needs to know of this cluster,
        as plain values: where it runs, its version, what it offers, and the capacity its tenants'
        quotas leave. Exported by the program as ``<cluster>.facts``; never a secret."""
        f = self.handle.facts
        quotas = [t.quota for t in self.plan.spec.tenants if t.quota is not None]
        dedicated = any(t.isolation == "dedicated" for t in self.plan.spec.tenants)
        return {
            "environment": f.environment,
            "pool": f.pool,
            "cluster": f.cluster,
            "substrate": f.substrate,
            "region": f.region,
            "site": f.site,
            "country": f.country,
            "jurisdictions": list(f.jurisdictions),
            "version": f.version,
            "zones": f.zones,
            # a dedicated tenant's cluster takes no other tenant
            "isolation": [] if dedicated else ["namespace", "virtual"],
            "runtimes": ["default", *f.runtimes],
            "storageClass": f.storage_class,
            "registryMirror": f.registry,
            "capacity": {"vcpus": f.vcpus, "memoryGib": f.memory_gib, "gpus": f.gpus},
            "capacityLeft": {
                "cpu": 0 if dedicated else f.vcpus - sum(q.cpu for q in quotas),
                "memoryGib": 0 if dedicated else f.memory_gib - sum(q.memory_gib for q in quotas),
            },
        }

    def _facts(self, pool: ResourcePool) -> ClusterFacts:
        pool_plan, plan = pool.plan, self.plan
        site = pool_plan.spec.substrate.bare_metal
        return ClusterFacts(
            environment=pool.ownership.environment,
            pool=pool_plan.name,
            cluster=plan.name,
            substrate=pool_plan.substrate,
            region=pool_plan.region,
            site=site.site if site else None,
            country=pool_plan.country or "",
            jurisdictions=pool.ownership.jurisdictions,
            version=plan.version,
            zones=pool_plan.spec.substrate.zones,
            runtimes=tuple(sorted({np.runtime for np in plan.spec.node_pools} - {"default"})),
            gpus=plan.draw.gpus,
            vcpus=plan.draw.vcpus,
            memory_gib=plan.draw.memory_gib,
            registry=site.airgap.registry if site and site.airgap else None,
            storage_class=next((a.addon.storage_class.name for a in self.addons if a.addon.storage_class), None),
        )
