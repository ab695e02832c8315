"""``VirtualCluster``: a tenant's own API server in a namespace of a shared cluster (vCluster).

The upstream vCluster chart, pinned in the catalog, runs in the tenant's host namespace, inside the
guard rails that namespace already has (quota, limits, default-deny network policy, Pod Security
``restricted``, the admission policies). The virtual cluster's Kubernetes version is the tenant's
own, checked at plan time against the chart's supported versions on that host's version. Its
kubeconfig (which vCluster writes to a secret in the host namespace) is a secret output, and
:attr:`VirtualCluster.handle` is a cluster handle for it, so whatever Strata builds for a tenant
builds the same inside it.
"""

from __future__ import annotations

import base64
from typing import Any

import pulumi
from pulumi_kubernetes.core import v1 as core
from pulumi_kubernetes.helm.v3 import Release, RepositoryOptsArgs

from strata.catalog import load_catalog
from strata.declarations.models import Tenant
from strata.kube.handle import ClusterHandle, cluster_provider
from strata.kube.images import chart_source, mirrored
from strata.kube.tenant import api_egress, object_meta

TYPE = "strata:tenancy:VirtualCluster"
#: The port the virtual cluster's API server is reached on, through its service in the host namespace.
API_PORT = 443


def kubeconfig_secret(release: str) -> str:
    """The secret vCluster writes the virtual cluster's kubeconfig to (key ``config``)."""
    return f"vc-{release}"


def server_url(release: str, namespace: str) -> str:
    """The virtual cluster's API server as seen from inside the host cluster: its service, by a
    name its certificate is signed for (``<release>.<namespace>``; not ``….svc``)."""
    return f"https://{release}.{namespace}:{API_PORT}"


#: Pod Security ``restricted`` for the control plane: vCluster's "rootless mode" (a non-root user
#: that must be chosen at first install), no privilege escalation, all capabilities dropped.
_NON_ROOT = {"runAsNonRoot": True, "runAsUser": 12345, "runAsGroup": 12345}
_CONTAINER_SECURITY = {**_NON_ROOT, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
_POD_SECURITY = {**_NON_ROOT, "fsGroup": 12345, "seccompProfile": {"type": "RuntimeDefault"}}


def _registry_and_repository(upstream: str, mirror: str | None) -> dict[str, str]:
    pulled = mirrored(upstream, {"*": mirror} if mirror else {})
    assert isinstance(pulled, str)  # a site's mirror is a plain name
    registry, _, repository = pulled.partition("/")
    return {"registry": registry, "repository": repository}


def vcluster_values(tenant: Tenant, version: str, runtime_class: str | None, mirror: str | None) -> dict[str, Any]:
    """The chart's values: the tenant's Kubernetes version, a control plane that passes Pod
    Security ``restricted``, a kubeconfig naming the in-cluster server, Pod Security ``restricted``
    inside the virtual cluster too, synced pods on the tenant's sandbox runtime, and none of
    vCluster's own quota or limits (the host namespace already has Strata's)."""
    chart = load_catalog().tenancy.vcluster
    syncer, distro = chart.images
    values: dict[str, Any] = {
        "controlPlane": {
            "distro": {
                "k8s": {
                    "enabled": True,
                    "image": {**_registry_and_repository(distro, mirror), "tag": f"v{version}.0"},
                    "securityContext": _CONTAINER_SECURITY,
                }
            },
            "statefulSet": {
                "image": _registry_and_repository(syncer, mirror),
                "security": {"podSecurityContext": _POD_SECURITY, "containerSecurityContext": _CONTAINER_SECURITY},
            },
        },
        "exportKubeConfig": {"server": server_url(tenant.name, tenant.name)},
        "policies": {
            "podSecurityStandard": "restricted",
            "resourceQuota": {"enabled": False},
            "limitRange": {"enabled": False},
        },
    }
    if runtime_class:
        values["sync"] = {"toHost": {"pods": {"runtimeClassName": runtime_class}}}
    return values


def _decode(data: Any) -> str:
    text = (data or {}).get("config")
    return base64.b64decode(text).decode() if isinstance(text, str) else ""


class VirtualCluster(pulumi.ComponentResource):
    """A virtual cluster for one tenant, in the tenant's namespace on its host cluster.

    Guarantees: the chart is the catalog's pinned release (from the site's mirror where there is
    one); the virtual cluster runs the tenant's version; ``kubeconfig`` is a secret output; ``handle``
    deploys into the virtual cluster and carries the host's facts (where it runs, its sandbox) with
    the virtual cluster's name and version.
    """

    kubeconfig: pulumi.Output[str]
    handle: ClusterHandle

    def __init__(
        self,
        name: str,
        tenant: Tenant,
        host: ClusterHandle,
        *,
        namespace: core.Namespace,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        catalog = load_catalog().tenancy
        chart = catalog.vcluster
        facts = host.facts
        version = tenant.version or facts.version
        sandbox = catalog.runtimes[tenant.runtime].runtime_class if tenant.runtime != "default" else None
        on_host = pulumi.ResourceOptions(parent=self, provider=host.provider, depends_on=[namespace])
        release_name = ns = tenant.name
        # The control plane reaches the host's API server (its syncer creates the tenant's pods);
        # nothing else leaves the namespace beyond what the tenant's default-deny allows.
        api_egress(
            f"{name}-allow-host-api",
            object_meta("allow-vcluster-host-api", tenant),
            {"app": "vcluster", "release": release_name},
            on_host,
        )
        chart_ref, repository = chart_source(chart, facts.registry)
        release = Release(
            f"{name}-release",
            name=release_name,
            chart=chart_ref,
            version=chart.version,
            repository_opts=RepositoryOptsArgs(repo=repository) if repository else None,
            namespace=ns,
            values=vcluster_values(tenant, version, sandbox, facts.registry),
            atomic=True,
            opts=on_host,
        )
        # Read once the release is up: during a preview of a new tenant the id is unknown, so the
        # read waits for `up` instead of failing on a secret that does not exist yet.
        secret = core.Secret.get(
            f"{name}-kubeconfig",
            release.status.apply(lambda _: f"{ns}/{kubeconfig_secret(release_name)}"),
            opts=pulumi.ResourceOptions(parent=self, provider=host.provider, depends_on=[release]),
        )
        # Built from the release as well as the secret it writes: the policy pack follows the
        # provider's kubeconfig to the release, which runs on (and so is placed at) its host.
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(release.status, secret.data).apply(lambda parts: _decode(parts[1]))
        )
        provider = cluster_provider(
            name, self.kubeconfig, f"strata/{facts.environment}/{facts.cluster}/{tenant.name}", self
        )
        self.handle = host.nested(
            name,
            provider,
            self.kubeconfig,
            cluster=f"{facts.cluster}/{tenant.name}",
            version=version,
            host=facts.cluster,
            runtimes=(sandbox,) if sandbox else (),
        )
        self.register_outputs({"kubeconfig": self.kubeconfig, "version": version, "server": server_url(ns, ns)})
