"""``TenantSpace``: a tenant's space on a cluster, at the isolation level it declared.

* ``namespace`` (soft): a namespace with Pod Security ``restricted`` enforced, a ResourceQuota and
  LimitRange from the tenant's quota, a default-deny NetworkPolicy that lets through only DNS and
  the tenant's own traffic, and the tenant's groups bound to a namespaced Role.
* ``virtual``: the same namespace and guard rails on the host, and a virtual cluster in it
  (:class:`~strata.kube.virtual.VirtualCluster`) whose handle is :attr:`TenantSpace.cluster`;
  nobody is granted rights in the host namespace (the tenant works in its virtual cluster).
* ``dedicated`` (hard): the cluster is the tenant's alone; its namespace is labelled and its
  groups administer the cluster (``cluster-admin``).

Every object carries the tenant label and one label per data class, which the policy pack reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pulumi
from pulumi_kubernetes.core import v1 as core
from pulumi_kubernetes.meta.v1 import LabelSelectorArgs, ObjectMetaArgs
from pulumi_kubernetes.networking import v1 as net
from pulumi_kubernetes.rbac import v1 as rbac

from strata.declarations.models import Quota, Tenant
from strata.kube.handle import ClusterHandle
from strata.labels import (
    ISOLATION_LABEL,
    POD_SECURITY_ENFORCE_LABEL,
    RUNTIME_LABEL,
    STRATA_PROPERTY,
    TENANT_LABEL,
    data_class_label,
)

if TYPE_CHECKING:
    from strata.kube.virtual import VirtualCluster

TYPE = "strata:tenancy:TenantSpace"
RBAC_GROUP = "rbac.authorization.k8s.io"
#: What a tenant's groups may do in their namespace: run workloads and their configuration, never
#: change the guard rails (quota, limits, network policies, roles) Strata put there.
TENANT_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("",),
        (
            "pods",
            "pods/log",
            "pods/exec",
            "pods/portforward",
            "services",
            "endpoints",
            "configmaps",
            "secrets",
            "persistentvolumeclaims",
            "serviceaccounts",
        ),
    ),
    (("apps",), ("deployments", "statefulsets", "replicasets", "daemonsets")),
    (("batch",), ("jobs", "cronjobs")),
    (("autoscaling",), ("horizontalpodautoscalers",)),
    (("policy",), ("poddisruptionbudgets",)),
)
READ_ONLY: tuple[tuple[str, ...], tuple[str, ...]] = (
    ("",),
    ("events", "resourcequotas", "limitranges"),
)
#: Verbs spelled out, never ``*``: a verb Kubernetes adds later is not granted by default.
WRITE = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
#: Per container, unless it says otherwise (capped by the quota so one container always fits).
DEFAULT_LIMIT = (1.0, 1.0)  # cores, GiB
DEFAULT_REQUEST = (0.1, 0.125)


def cpu_quantity(cores: float) -> str:
    """Kubernetes CPU quantity: whole cores as ``"4"``, fractions in millicores (``"500m"``)."""
    return str(int(cores)) if float(cores).is_integer() else f"{round(cores * 1000)}m"


def memory_quantity(gib: float) -> str:
    """Kubernetes memory quantity: whole GiB as ``"256Gi"``, fractions in MiB (``"512Mi"``)."""
    return f"{int(gib)}Gi" if float(gib).is_integer() else f"{round(gib * 1024)}Mi"


def tenant_labels(tenant: Tenant) -> dict[str, str]:
    """The labels every object of a tenant carries: the tenant, and one per data class."""
    return {TENANT_LABEL: tenant.name, **{data_class_label(c): "true" for c in tenant.data_classes}}


def namespace_labels(tenant: Tenant, version: str) -> dict[str, str]:
    """The tenant namespace's labels: who, how isolated, which sandbox, and Pod Security."""
    labels = {**tenant_labels(tenant), ISOLATION_LABEL: tenant.isolation}
    if tenant.runtime != "default":
        labels[RUNTIME_LABEL] = tenant.runtime
    for mode in ("enforce", "audit", "warn"):
        labels[POD_SECURITY_ENFORCE_LABEL.replace("enforce", mode)] = "restricted"
    labels[f"{POD_SECURITY_ENFORCE_LABEL}-version"] = f"v{version}"
    return labels


#: The ports pods reach the Kubernetes API server on (its in-cluster service, the endpoints behind it).
API_PORTS = (443, 6443)


def api_egress(
    name: str, metadata: ObjectMetaArgs, pods: dict[str, str], opts: pulumi.ResourceOptions
) -> net.NetworkPolicy:
    """A NetworkPolicy letting the pods ``pods`` selects reach the API server through their
    tenant's default-deny (and nothing else: egress to those ports only)."""
    return net.NetworkPolicy(
        name,
        metadata=metadata,
        spec=net.NetworkPolicySpecArgs(
            pod_selector=LabelSelectorArgs(match_labels=pods),
            policy_types=["Egress"],
            egress=[
                net.NetworkPolicyEgressRuleArgs(
                    ports=[net.NetworkPolicyPortArgs(protocol="TCP", port=p) for p in API_PORTS]
                )
            ],
        ),
        opts=opts,
    )


def object_meta(name: str, tenant: Tenant) -> ObjectMetaArgs:
    """Metadata of an object in the tenant's namespace."""
    return ObjectMetaArgs(name=name, namespace=tenant.name, labels=tenant_labels(tenant))


class TenantSpace(pulumi.ComponentResource):
    """A tenant's namespace and guard rails on a cluster (see the module for each level).

    Guarantees: the namespace is named after the tenant; a ``namespace`` or ``virtual`` tenant's
    namespace has its quota, limit range, default-deny network policy and restricted Pod Security,
    and its groups are bound to a namespaced Role only; a ``dedicated`` tenant's groups are bound
    to ``cluster-admin``. The cluster-wide admission policies are
    :class:`~strata.kube.guardrails.TenantGuardrails`, built once per cluster.
    """

    namespace: core.Namespace
    #: The tenant's own virtual cluster (``virtual`` tenants), else the cluster it lives on.
    cluster: ClusterHandle

    def __init__(
        self,
        name: str,
        tenant: Tenant,
        cluster: ClusterHandle,
        *,
        after: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``after``: what the tenant's namespace waits for (the cluster's guard rails and runtimes)."""
        facts = cluster.facts
        super().__init__(
            TYPE,
            name,
            {
                STRATA_PROPERTY: {
                    "tenant": tenant.name,
                    "isolation": tenant.isolation,
                    "runtime": tenant.runtime,
                    "dataClasses": list(tenant.data_classes),
                    "cluster": facts.cluster,
                }
            },
            opts,
        )
        self.tenant = tenant
        self.cluster = cluster
        on_cluster = pulumi.ResourceOptions(parent=self, provider=cluster.provider)
        labels = tenant_labels(tenant)
        ns = tenant.name
        self.namespace = core.Namespace(
            f"{name}-namespace",
            metadata=ObjectMetaArgs(name=ns, labels=namespace_labels(tenant, facts.version)),
            opts=pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=list(after))),
        )
        in_ns = pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[self.namespace]))
        if tenant.isolation == "dedicated":
            if tenant.groups:
                rbac.ClusterRoleBinding(
                    f"{name}-admin",
                    metadata=ObjectMetaArgs(name=f"strata-tenant-{ns}-admin", labels=labels),
                    role_ref=rbac.RoleRefArgs(api_group=RBAC_GROUP, kind="ClusterRole", name="cluster-admin"),
                    subjects=[rbac.SubjectArgs(kind="Group", name=g, api_group=RBAC_GROUP) for g in tenant.groups],
                    opts=on_cluster,
                )
        else:
            assert tenant.quota is not None  # validation requires it of a shared tenant
            self._guard_rails(name, tenant, tenant.quota, in_ns)
            # A virtual tenant's groups work in their virtual cluster: nobody is granted rights in
            # its host namespace, where only the virtual cluster's syncer makes pods.
            if tenant.groups and tenant.isolation == "namespace":
                self._role(name, tenant, in_ns)
        self.virtual: VirtualCluster | None = None
        if tenant.isolation == "virtual":
            from strata.kube.virtual import VirtualCluster  # it builds on this module's helpers

            self.virtual = VirtualCluster(f"{name}-vcluster", tenant, cluster, namespace=self.namespace, opts=in_ns)
            self.cluster = self.virtual.handle
        self.register_outputs({"namespace": ns, "isolation": tenant.isolation})

    def _guard_rails(self, name: str, tenant: Tenant, quota: Quota, opts: pulumi.ResourceOptions) -> None:
        hard = {
            "requests.cpu": cpu_quantity(quota.cpu),
            "requests.memory": memory_quantity(quota.memory_gib),
            "limits.memory": memory_quantity(quota.memory_gib),
            "services.nodeports": "0",
        }
        if quota.storage_gib is not None:
            hard["requests.storage"] = memory_quantity(quota.storage_gib)  # GiB, the same notation
        core.ResourceQuota(
            f"{name}-quota",
            metadata=object_meta("tenant-quota", tenant),
            spec=core.ResourceQuotaSpecArgs(hard=hard),
            opts=opts,
        )
        limit = (min(DEFAULT_LIMIT[0], quota.cpu), min(DEFAULT_LIMIT[1], quota.memory_gib))
        request = (min(DEFAULT_REQUEST[0], limit[0]), min(DEFAULT_REQUEST[1], limit[1]))
        core.LimitRange(
            f"{name}-limits",
            metadata=object_meta("tenant-limits", tenant),
            spec=core.LimitRangeSpecArgs(
                limits=[
                    core.LimitRangeItemArgs(
                        type="Container",
                        default={"cpu": cpu_quantity(limit[0]), "memory": memory_quantity(limit[1])},
                        default_request={"cpu": cpu_quantity(request[0]), "memory": memory_quantity(request[1])},
                        max={"cpu": cpu_quantity(quota.cpu), "memory": memory_quantity(quota.memory_gib)},
                    )
                ]
            ),
            opts=opts,
        )
        everyone = LabelSelectorArgs()
        net.NetworkPolicy(
            f"{name}-default-deny",
            metadata=object_meta("default-deny", tenant),
            spec=net.NetworkPolicySpecArgs(pod_selector=everyone, policy_types=["Ingress", "Egress"]),
            opts=opts,
        )
        same_tenant = [
            net.NetworkPolicyPeerArgs(namespace_selector=LabelSelectorArgs(match_labels={TENANT_LABEL: tenant.name}))
        ]
        net.NetworkPolicy(
            f"{name}-allow-same-tenant",
            metadata=object_meta("allow-same-tenant", tenant),
            spec=net.NetworkPolicySpecArgs(
                pod_selector=everyone,
                policy_types=["Ingress", "Egress"],
                ingress=[net.NetworkPolicyIngressRuleArgs(from_=same_tenant)],
                egress=[net.NetworkPolicyEgressRuleArgs(to=same_tenant)],
            ),
            opts=opts,
        )
        net.NetworkPolicy(
            f"{name}-allow-dns",
            metadata=object_meta("allow-dns", tenant),
            spec=net.NetworkPolicySpecArgs(
                pod_selector=everyone,
                policy_types=["Egress"],
                egress=[
                    net.NetworkPolicyEgressRuleArgs(
                        to=[
                            net.NetworkPolicyPeerArgs(
                                namespace_selector=LabelSelectorArgs(
                                    match_labels={"kubernetes.io/metadata.name": "kube-system"}
                                ),
                                pod_selector=LabelSelectorArgs(match_labels={"k8s-app": "kube-dns"}),
                            )
                        ],
                        ports=[net.NetworkPolicyPortArgs(protocol=p, port=53) for p in ("UDP", "TCP")],
                    )
                ],
            ),
            opts=opts,
        )

    def _role(self, name: str, tenant: Tenant, opts: pulumi.ResourceOptions) -> None:
        rules = [
            rbac.PolicyRuleArgs(api_groups=list(groups), resources=list(resources), verbs=list(WRITE))
            for groups, resources in TENANT_RULES
        ] + [
            rbac.PolicyRuleArgs(
                api_groups=list(READ_ONLY[0]), resources=list(READ_ONLY[1]), verbs=["get", "list", "watch"]
            )
        ]
        role = rbac.Role(f"{name}-role", metadata=object_meta("tenant", tenant), rules=rules, opts=opts)
        rbac.RoleBinding(
            f"{name}-groups",
            metadata=object_meta("tenant-groups", tenant),
            role_ref=rbac.RoleRefArgs(api_group=RBAC_GROUP, kind="Role", name="tenant"),
            subjects=[rbac.SubjectArgs(kind="Group", name=g, api_group=RBAC_GROUP) for g in tenant.groups],
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[role])),
        )
