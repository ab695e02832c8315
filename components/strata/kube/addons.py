"""The paved road on a cluster: the add-ons every cluster is born with, built on a handle alone.

What each substrate provides is decided on the plan (:mod:`strata.paved_road`); this builds the
part that runs inside the cluster: the pinned Helm releases (images through the pool's cache or the
site's mirror), the default StorageClass with the pool's key, MetalLB's address pool and the
Gateway API class. Whatever reaches a cloud's API (identities, cluster names, VPCs) comes from the
driver through :class:`~strata.kube.handle.Substrate`, so this code is the same on every substrate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi_kubernetes.apiextensions import CustomResource
from pulumi_kubernetes.helm.v3 import Release
from pulumi_kubernetes.meta.v1 import ObjectMetaArgs
from pulumi_kubernetes.storage.v1 import StorageClass

from strata.catalog.model import Addon
from strata.kube.charts import after as after_
from strata.kube.charts import install
from strata.kube.handle import ClusterHandle, Substrate
from strata.kube.images import image_layers, merge, nest
from strata.labels import MANAGED_BY_LABEL
from strata.paved_road import AddonPlan

TYPE = "strata:addons:PavedRoad"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
#: The GatewayClass Envoy Gateway serves: teams' Gateways name it.
GATEWAY_CLASS = "envoy"
ENVOY_GATEWAY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"
METALLB_API = "metallb.io/v1beta1"


def chart_values(
    addon: Addon, version: str, mirrors: Mapping[str, pulumi.Input[str]], driver_values: Mapping[str, Any]
) -> dict[str, Any]:
    """An add-on's values: the catalog's, each image through the cluster's mirrors (a ``.repository``
    path gets the repository, any other path the whole reference), a version-bound tag for the
    cluster's Kubernetes minor, then what the substrate's driver adds."""
    images = image_layers(addon.image_values, mirrors)
    tags = []
    if addon.version_tags is not None and (tag := addon.version_tags[1].get(version)):
        tags.append(nest(addon.version_tags[0], tag))
    return merge(addon.values, *images, *tags, driver_values)


class PavedRoad(pulumi.ComponentResource):
    """The add-ons of one cluster (``addons`` from :func:`strata.paved_road.cluster_addons`).

    Guarantees: every chart is the catalog's pinned version, from the site's mirror on an
    air-gapped site, and installs only after the cluster has nodes and the driver's identity for it
    exists; the load-balancer controller comes before every other release (its webhook admits
    Services); what uses a chart's custom resources (MetalLB's pool, the GatewayClass) waits for
    that chart; the default StorageClass is encrypted with the pool's key where the substrate can.
    """

    def __init__(
        self,
        name: str,
        cluster: ClusterHandle,
        addons: Sequence[AddonPlan],
        *,
        load_balancer_addresses: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        facts = cluster.facts
        substrate = cluster.substrate or Substrate()
        on_cluster = pulumi.ResourceOptions(parent=self, provider=cluster.provider)
        self.releases: dict[str, Release] = {}
        self.storage_class: StorageClass | None = None
        #: What every other workload of the cluster waits for: the load-balancer controller, whose
        #: webhook admits Services (a Service made before it runs would be refused).
        self.first: list[pulumi.Resource] = []
        first = self.first
        ordered = sorted(addons, key=lambda a: a.need != "loadBalancers")  # stable: the rest keep their order
        for plan in ordered:
            addon = plan.addon
            binding = substrate.bindings.get(addon.name)
            after: list[pulumi.Resource] = [*substrate.nodes, *(binding.depends_on if binding else ())]
            if plan.install == "helm" and addon.chart is not None:
                after += first
                release = self._release(name, plan, cluster, substrate, after, on_cluster)
                self.releases[addon.name] = release
                if plan.need == "loadBalancers":
                    first.append(release)
                after = [release]
            if addon.storage_class is not None:
                self.storage_class = self._storage_class(name, addon, substrate, after, on_cluster)
            if addon.name == "metallb":
                self._address_pool(name, addon, load_balancer_addresses, after, on_cluster)
            if addon.name == "envoy-gateway":
                CustomResource(
                    f"{name}-gateway-class",
                    api_version="gateway.networking.k8s.io/v1",
                    kind="GatewayClass",
                    metadata=ObjectMetaArgs(name=GATEWAY_CLASS, labels={MANAGED_BY_LABEL: "strata"}),
                    spec={"controllerName": ENVOY_GATEWAY_CONTROLLER},
                    opts=after_(on_cluster, after),
                )
        self.register_outputs(
            {
                "addons": {a.need: {"name": a.name, "version": a.version} for a in addons},
                "storageClass": facts.storage_class,
            }
        )

    def _release(
        self,
        name: str,
        plan: AddonPlan,
        cluster: ClusterHandle,
        substrate: Substrate,
        after: list[pulumi.Resource],
        on_cluster: pulumi.ResourceOptions,
    ) -> Release:
        addon = plan.addon
        assert addon.chart is not None
        binding = substrate.bindings.get(addon.name)
        return install(
            f"{name}-{addon.name}",
            addon.chart,
            cluster,
            release=addon.name,
            namespace=addon.namespace,
            values=chart_values(addon, cluster.facts.version, substrate.mirrors, binding.values if binding else {}),
            level=addon.pod_security,
            depends_on=after,
            opts=on_cluster,
        )

    def _storage_class(
        self,
        name: str,
        addon: Addon,
        substrate: Substrate,
        after: list[pulumi.Resource],
        on_cluster: pulumi.ResourceOptions,
    ) -> StorageClass:
        facts = addon.storage_class
        assert facts is not None
        parameters: dict[str, pulumi.Input[str]] = dict(facts.parameters)
        if facts.key_parameter and substrate.key_id is not None:
            parameters[facts.key_parameter] = substrate.key_id
        return StorageClass(
            f"{name}-storage-class",
            metadata=ObjectMetaArgs(
                name=facts.name,
                annotations={DEFAULT_CLASS_ANNOTATION: "true"},
                labels={MANAGED_BY_LABEL: "strata"},
            ),
            provisioner=facts.provisioner,
            parameters=parameters or None,
            reclaim_policy="Delete",
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=facts.expandable,
            opts=after_(on_cluster, after),
        )

    def _address_pool(
        self,
        name: str,
        addon: Addon,
        addresses: Sequence[str],
        after: list[pulumi.Resource],
        on_cluster: pulumi.ResourceOptions,
    ) -> None:
        opts = after_(on_cluster, after)
        pool = CustomResource(
            f"{name}-address-pool",
            api_version=METALLB_API,
            kind="IPAddressPool",
            metadata=ObjectMetaArgs(name="strata", namespace=addon.namespace, labels={MANAGED_BY_LABEL: "strata"}),
            spec={"addresses": list(addresses)},
            opts=opts,
        )
        CustomResource(
            f"{name}-l2",
            api_version=METALLB_API,
            kind="L2Advertisement",
            metadata=ObjectMetaArgs(name="strata", namespace=addon.namespace, labels={MANAGED_BY_LABEL: "strata"}),
            spec={"ipAddressPools": ["strata"]},
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[pool])),
        )
