"""Sandboxed runtimes on a cluster: the RuntimeClass a tenant's pods name, and what installs it.

Where the substrate installs the sandbox with the node pool (GKE Sandbox creates the ``gvisor``
RuntimeClass itself), nothing is built here. Where Strata installs it (Kata Containers on
bare-metal hosts and AWS metal instances), the pinned ``kata-deploy`` chart installs Kata on the
sandbox node pool's nodes only, and a RuntimeClass ``kata`` sends pods there: its scheduling
selects those nodes and tolerates their taint, which keeps every other pod off them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi_kubernetes.core.v1 import TolerationArgs
from pulumi_kubernetes.helm.v3 import Release, RepositoryOptsArgs
from pulumi_kubernetes.meta.v1 import ObjectMetaArgs
from pulumi_kubernetes.node.v1 import RuntimeClass, SchedulingArgs

from strata.catalog import load_catalog
from strata.kube.handle import ClusterHandle
from strata.kube.images import chart_source, mirrored
from strata.labels import RUNTIME_LABEL

TYPE = "strata:tenancy:SandboxRuntimes"
#: Kata's installer and its RuntimeClass live with the cluster's system components.
SYSTEM_NAMESPACE = "kube-system"


def sandbox_node_label(runtime: str) -> dict[str, str]:
    """The label (and taint key and value) drivers put on a sandbox node pool's nodes."""
    return {RUNTIME_LABEL: runtime}


def kata_values(handler: str, distribution: str, mirror: str | None) -> dict[str, Any]:
    """kata-deploy's values: one shim (the RuntimeClass's handler) on the Kata node pool's nodes
    only, no RuntimeClass of its own (this component makes the one tenants use, which tolerates the
    sandbox nodes' taint), images from the mirror where there is one."""
    chart = load_catalog().tenancy.kata_deploy
    mirrors = {"*": mirror} if mirror else {}
    shim = handler.removeprefix("kata-")
    return {
        "k8sDistribution": distribution,
        "image": {"reference": mirrored(chart.images[0], mirrors), "tag": chart.version},
        "kubectlImage": {"reference": mirrored(chart.images[1], mirrors)},
        "nodeSelector": sandbox_node_label("kata"),
        "tolerations": [{"key": RUNTIME_LABEL, "operator": "Equal", "value": "kata", "effect": "NoSchedule"}],
        "shims": {"disableAll": True, shim: {"enabled": True}},
        "defaultShim": {"amd64": shim, "arm64": shim},
        "runtimeClasses": {"enabled": False},
        "snapshotter": {"setup": []},
    }


class SandboxRuntimes(pulumi.ComponentResource):
    """The sandboxed runtimes a cluster's node pools provide (``ClusterFacts.runtimes``).

    Guarantees: each runtime Strata installs has a RuntimeClass named as tenants ask for it
    (``kata``), scheduling onto the sandbox node pool only; its installer comes from the pinned
    chart (from the site's mirror on an air-gapped site) and precedes the RuntimeClass.
    """

    def __init__(
        self,
        name: str,
        cluster: ClusterHandle,
        opts: pulumi.ResourceOptions | None = None,
        *,
        after: Sequence[pulumi.Resource] = (),
    ) -> None:
        """``after``: what the installer waits for (the nodes it runs on)."""
        super().__init__(TYPE, name, None, opts)
        facts = cluster.facts
        catalog = load_catalog().tenancy
        on_cluster = pulumi.ResourceOptions(parent=self, provider=cluster.provider)
        self.runtime_classes: dict[str, str] = {}
        for runtime in facts.runtimes:
            sandbox = catalog.runtimes[runtime]
            offer = sandbox.offers[facts.substrate]
            self.runtime_classes[runtime] = sandbox.runtime_class
            if offer.install != "kata-deploy":
                continue  # the substrate made it with the node pool
            chart, repository = chart_source(catalog.kata_deploy, facts.registry)
            installer = Release(
                f"{name}-{runtime}-installer",
                name="kata-deploy",
                chart=chart,
                version=catalog.kata_deploy.version,
                repository_opts=RepositoryOptsArgs(repo=repository) if repository else None,
                namespace=SYSTEM_NAMESPACE,
                values=kata_values(sandbox.handler, offer.distribution or "k8s", facts.registry),
                atomic=True,
                opts=pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=list(after))),
            )
            RuntimeClass(
                f"{name}-{runtime}",
                metadata=ObjectMetaArgs(name=sandbox.runtime_class),
                handler=sandbox.handler,
                scheduling=SchedulingArgs(
                    node_selector=sandbox_node_label(runtime),
                    tolerations=[
                        TolerationArgs(key=RUNTIME_LABEL, operator="Equal", value=runtime, effect="NoSchedule")
                    ],
                ),
                opts=pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[installer])),
            )
        self.register_outputs({"runtimeClasses": self.runtime_classes})
