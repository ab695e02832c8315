"""no-cluster-admin-for-tenants: a sharing tenant's groups hold no cluster-scoped role of their host.

A group is a tenant's on a cluster when it is a ``Group`` subject of a RoleBinding in a namespace
whose Namespace object is that tenant's, or of any binding (RoleBinding or ClusterRoleBinding)
labelled ``strata.io/tenant`` with it, on that cluster or one that may be it. A binding then
violates the rule when it grants such a group a cluster-scoped role — a ClusterRoleBinding naming
the group, or a RoleBinding whose ``roleRef`` is a ClusterRole — unless the tenant is dedicated on
the binding's cluster (a Namespace of the tenant labelled ``strata.io/isolation: dedicated``
certainly on that cluster; whether it is alone there is ``dedicated-tenant-alone``'s verdict). A
tenant with no such Namespace is treated as the sharing tenant it may be: isolation is never taken
from a label on the binding itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from strata.policy.base import RuleMeta, judge_each, stack_policy
from strata.policy.graph import StackGraph
from strata.policy.props import Malformed, is_unknown
from strata.policy.tenancy import KubeObject, Tenancy, dig_list, dig_text, unknown

META = RuleMeta(
    name="no-cluster-admin-for-tenants",
    description="No group of a namespace or virtual tenant is bound to a cluster-scoped role of its host cluster.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    controls="CIS Kubernetes Benchmark 5.1.1 (cluster-admin only where required), 5.1.3 (least privilege)",
    framework="Strata tenancy",
)
RBAC = "rbac.authorization.k8s.io"


def groups(binding: KubeObject) -> list[str]:
    """The ``Group`` subjects a binding names."""
    out = []
    for i, subject in enumerate(dig_list(binding.body, "subjects")):
        if is_unknown(subject):
            raise unknown(f"subjects[{i}]")
        if not isinstance(subject, Mapping):
            raise Malformed(f"subjects[{i}]", subject, "an object")
        kind, name = subject.get("kind"), subject.get("name")
        if is_unknown(kind) or is_unknown(name):
            raise unknown(f"subjects[{i}]")
        if kind == "Group" and isinstance(name, str):
            out.append(name)
    return out


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    tenancy = Tenancy(StackGraph(list(args.resources)))
    bindings = [o for o in tenancy.objects if o.is_a(RBAC, "RoleBinding", "ClusterRoleBinding")]
    # group -> (tenant, the binding that makes it the tenant's)
    evidence: dict[str, list[tuple[str, KubeObject]]] = defaultdict(list)
    for b in bindings:
        try:
            tenants = b.own_tenants()
            if b.kind == "RoleBinding":
                tenants |= tenancy.tenants_of(b, certain=False)
            for group in groups(b):
                evidence[group].extend((t, b) for t in sorted(tenants))
        except (UnknownValueError, Malformed):
            continue  # judged below, where the binding itself is read

    def judge(b: KubeObject) -> None:
        role_kind = dig_text(b.body, "roleRef.kind")
        cluster_scoped = b.kind == "ClusterRoleBinding" or role_kind == "ClusterRole"
        if not cluster_scoped:
            return
        role = dig_text(b.body, "roleRef.name") or "?"
        for group in groups(b):
            tenants = sorted({t for t, e in evidence.get(group, []) if e.cluster.same(b.cluster) is not False})
            for tenant in tenants:
                if not tenancy.dedicated_on(tenant, b.cluster):
                    report(
                        f"{b} binds group {group} of tenant {tenant}, which is not dedicated on this cluster, to the "
                        f"ClusterRole {role}: a tenant sharing a cluster gets namespaced roles only",
                        b.urn,
                    )

    judge_each(bindings, report, judge)


POLICY = stack_policy(META, check)
