"""Admission policies that stop a tenant escaping its namespace, built once per cluster.

ValidatingAdmissionPolicies (``admissionregistration.k8s.io/v1``, built into Kubernetes since 1.30:
no webhook to run or keep available) bound to the namespaces of ``namespace`` and ``virtual``
tenants. Pod Security ``restricted`` on those namespaces already refuses most of what the pod
policy refuses; the policies hold even if someone relaxes a namespace's label, and they cover what
Pod Security does not: NodePort services, bindings to cluster roles, and references into other
namespaces. The runtime policy makes the pods of a sandboxed tenant use its RuntimeClass.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_kubernetes.admissionregistration import v1 as admission
from pulumi_kubernetes.meta.v1 import LabelSelectorArgs, LabelSelectorRequirementArgs, ObjectMetaArgs

from strata.kube.handle import ClusterHandle
from strata.labels import ISOLATION_LABEL, RUNTIME_LABEL

TYPE = "strata:tenancy:TenantGuardrails"
#: Isolation levels whose tenants share a cluster's nodes and API server, and are guarded.
GUARDED = ("namespace", "virtual")
MANAGED_BY = {"app.kubernetes.io/managed-by": "strata"}


@dataclass(frozen=True)
class Rule:
    """One CEL check and the message an API request refused by it gets."""

    expression: str
    message: str


#: The label vCluster's syncer puts on every pod it creates in the host namespace
#: (loft-sh/vcluster pkg/util/translate/types.go ``MarkerLabel``, v0.36.1).
VCLUSTER_SYNCED = "vcluster.loft.sh/managed-by"


@dataclass(frozen=True)
class Binding:
    """Where a policy applies: namespaces by label, and (optionally) objects by label."""

    suffix: str
    namespaces: tuple[tuple[str, str, tuple[str, ...]], ...]
    objects: tuple[tuple[str, str, tuple[str, ...]], ...] = ()


#: The namespaces of shared tenants (``namespace`` and ``virtual``).
SHARED = Binding("", ((ISOLATION_LABEL, "In", GUARDED),))
#: Sandboxed tenants' pods: every pod of a namespace or dedicated tenant; in a virtual tenant's
#: host namespace the pods its virtual cluster syncs there (its own control plane, which the
#: platform runs, keeps the host's runtime: the chart cannot give it a RuntimeClass).
SANDBOXED = (
    Binding("", ((RUNTIME_LABEL, "Exists", ()), (ISOLATION_LABEL, "NotIn", ("virtual",)))),
    Binding(
        "-virtual",
        ((RUNTIME_LABEL, "Exists", ()), (ISOLATION_LABEL, "In", ("virtual",))),
        ((VCLUSTER_SYNCED, "Exists", ()),),
    ),
)


@dataclass(frozen=True)
class Guardrail:
    """One admission policy: the resources it watches, the rules they must pass, where it binds."""

    name: str
    group: str
    resource: str
    rules: tuple[Rule, ...]
    bindings: tuple[Binding, ...] = (SHARED,)


def _none_in(containers: str, check: str) -> str:
    return f"!has(object.spec.{containers}) || object.spec.{containers}.all(c, {check})"


_NOT_PRIVILEGED = "!has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged"

GUARDRAILS: tuple[Guardrail, ...] = (
    Guardrail(
        "strata-tenant-pods",
        "",
        "pods",
        (
            Rule(
                " && ".join(
                    f"({_none_in(k, _NOT_PRIVILEGED)})" for k in ("containers", "initContainers", "ephemeralContainers")
                ),
                "tenant pods may not run privileged containers",
            ),
            Rule(
                "!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))",
                "tenant pods may not mount hostPath volumes",
            ),
            Rule(
                " && ".join(
                    f"(!has(object.spec.{k}) || !object.spec.{k})" for k in ("hostNetwork", "hostPID", "hostIPC")
                ),
                "tenant pods may not use the host's network, process or IPC namespace",
            ),
        ),
    ),
    Guardrail(
        "strata-tenant-services",
        "",
        "services",
        (
            Rule(
                "!has(object.spec.type) || object.spec.type != 'NodePort'",
                "tenant services may not be NodePort services (they open a port on every node of the cluster)",
            ),
            Rule(
                "!has(object.spec.type) || object.spec.type != 'ExternalName'",
                "tenant services may not be ExternalName services (they can point into another namespace)",
            ),
        ),
    ),
    Guardrail(
        "strata-tenant-role-bindings",
        "rbac.authorization.k8s.io",
        "rolebindings",
        (
            Rule("object.roleRef.kind != 'ClusterRole'", "tenant role bindings may not bind a cluster role"),
            Rule(
                "!has(object.subjects) || object.subjects.all(s, s.kind != 'ServiceAccount' || !has(s.namespace) "
                "|| s.namespace == object.metadata.namespace)",
                "tenant role bindings may not name a service account of another namespace",
            ),
        ),
    ),
    Guardrail(
        "strata-tenant-volume-claims",
        "",
        "persistentvolumeclaims",
        (
            Rule(
                "!has(object.spec.dataSourceRef) || !has(object.spec.dataSourceRef.namespace) "
                "|| object.spec.dataSourceRef.namespace == object.metadata.namespace",
                "tenant volume claims may not restore from another namespace",
            ),
        ),
    ),
    Guardrail(
        "strata-tenant-runtime",
        "",
        "pods",
        (
            Rule(
                f"has(object.spec.runtimeClassName) && "
                f"object.spec.runtimeClassName == namespaceObject.metadata.labels['{RUNTIME_LABEL}']",
                f"pods of a sandboxed tenant must use its runtime (the RuntimeClass its namespace's {RUNTIME_LABEL} "
                "label names)",
            ),
        ),
        bindings=SANDBOXED,
    ),
)


def selector(requirements: tuple[tuple[str, str, tuple[str, ...]], ...]) -> LabelSelectorArgs | None:
    """A label selector of ``(key, operator, values)`` requirements (None when there are none)."""
    if not requirements:
        return None
    return LabelSelectorArgs(
        match_expressions=[
            LabelSelectorRequirementArgs(key=k, operator=op, values=list(v) or None) for k, op, v in requirements
        ]
    )


class TenantGuardrails(pulumi.ComponentResource):
    """The admission policies of :data:`GUARDRAILS` and their bindings, on one cluster.

    Guarantees: every policy fails closed (``failurePolicy: Fail``) and its binding denies
    (``validationActions: [Deny]``); the bindings select namespaces by the labels Strata's tenant
    namespaces carry, so a tenant added later is guarded without touching this component.
    """

    def __init__(self, name: str, cluster: ClusterHandle, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=cluster.provider)
        self.policies: list[admission.ValidatingAdmissionPolicy] = []
        for g in GUARDRAILS:
            policy = admission.ValidatingAdmissionPolicy(
                f"{name}-{g.name}",
                metadata=ObjectMetaArgs(name=g.name, labels=MANAGED_BY),
                spec=admission.ValidatingAdmissionPolicySpecArgs(
                    failure_policy="Fail",
                    match_constraints=admission.MatchResourcesArgs(
                        resource_rules=[
                            admission.NamedRuleWithOperationsArgs(
                                api_groups=[g.group],
                                api_versions=["v1"],
                                operations=["CREATE", "UPDATE"],
                                resources=[g.resource],
                            )
                        ]
                    ),
                    validations=[admission.ValidationArgs(expression=r.expression, message=r.message) for r in g.rules],
                ),
                opts=on_cluster,
            )
            for b in g.bindings:
                admission.ValidatingAdmissionPolicyBinding(
                    f"{name}-{g.name}{b.suffix}",
                    metadata=ObjectMetaArgs(name=f"{g.name}{b.suffix}", labels=MANAGED_BY),
                    spec=admission.ValidatingAdmissionPolicyBindingSpecArgs(
                        policy_name=g.name,
                        validation_actions=["Deny"],
                        match_resources=admission.MatchResourcesArgs(
                            namespace_selector=selector(b.namespaces), object_selector=selector(b.objects)
                        ),
                    ),
                    opts=pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[policy])),
                )
            self.policies.append(policy)
        self.register_outputs({"policies": [g.name for g in GUARDRAILS]})
