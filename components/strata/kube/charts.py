"""Installing a pinned upstream chart on a cluster: its own namespace, the catalog's version, from
the site's mirror where there is one. One rule for the paved road's add-ons and the frameworks'
operators."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi_kubernetes.core.v1 import Namespace
from pulumi_kubernetes.helm.v3 import Release, RepositoryOptsArgs
from pulumi_kubernetes.meta.v1 import ObjectMetaArgs

from strata.catalog.model import Chart
from strata.kube.handle import ClusterHandle
from strata.kube.images import chart_source
from strata.labels import MANAGED_BY_LABEL, POD_SECURITY_ENFORCE_LABEL


def after(opts: pulumi.ResourceOptions, resources: Sequence[pulumi.Resource]) -> pulumi.ResourceOptions:
    """``opts`` waiting for ``resources`` too."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(resources)))


def pod_security(level: str) -> dict[str, str]:
    """Namespace labels: enforce what the chart needs; warn and audit against ``restricted``, so
    the gap stays visible."""
    return {
        POD_SECURITY_ENFORCE_LABEL: level,
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    }


def install(
    name: str,
    chart: Chart,
    cluster: ClusterHandle,
    *,
    release: str,
    namespace: str,
    values: Mapping[str, Any],
    level: str,
    depends_on: Sequence[pulumi.Resource],
    opts: pulumi.ResourceOptions,
) -> Release:
    """A Helm release of ``chart`` named ``release`` in ``namespace`` (made here, with Pod Security
    ``level``, unless it is ``kube-system``), after ``depends_on``; atomic, cleaned up on failure."""
    waits = list(depends_on)
    if namespace != "kube-system":
        waits.append(
            Namespace(
                f"{name}-ns",
                metadata=ObjectMetaArgs(name=namespace, labels={MANAGED_BY_LABEL: "strata", **pod_security(level)}),
                opts=opts,
            )
        )
    source, repository = chart_source(chart, cluster.facts.registry)
    return Release(
        name,
        name=release,
        chart=source,
        version=chart.version,
        repository_opts=RepositoryOptsArgs(repo=repository) if repository else None,
        namespace=namespace,
        values=dict(values),
        atomic=True,
        cleanup_on_fail=True,
        opts=after(opts, waits),
    )
