"""sandbox-runtime-enforced: a tenant that asked for a sandbox cannot run a pod outside it.

A Namespace labelled ``strata.io/runtime: R`` asked for runtime class R (gVisor, Kata). It passes
only when the cluster it is certainly on (the same provider, or one built from the same cluster)
also holds:

* a ValidatingAdmissionPolicy whose ``failurePolicy`` is ``Fail`` or unset, with no
  ``matchConditions`` (which could exempt any pod), whose ``matchConstraints`` cover creating
  pods (API group ``""``, resource ``pods``, operation ``CREATE``, or wildcards) and select the
  namespace, and one of whose validations reads ``runtimeClassName`` and compares it with R (the
  literal, or the namespace's ``strata.io/runtime`` label); and
* a ValidatingAdmissionPolicyBinding naming that policy, whose ``validationActions`` include
  ``Deny``, whose ``matchResources.namespaceSelector`` selects the Namespace (``matchLabels`` and
  ``matchExpressions`` ``In``/``NotIn``/``Exists``/``DoesNotExist`` evaluated against its labels
  and ``kubernetes.io/metadata.name``), with no ``objectSelector`` and no ``excludeResourceRules``
  that could let a pod through — except, in a virtual tenant's host namespace where no RoleBinding
  of the stack grants anyone rights, an object selector limited to the pods the virtual cluster
  syncs there (``vcluster.loft.sh/managed-by`` exists; its syncer marks every pod it makes).

Each pod template of the stack that is, or may be, in that namespace (Pod, Deployment,
StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob) must also name
``runtimeClassName: R``; one that does not fails on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs

from strata.labels import ISOLATION_LABEL, RUNTIME_LABEL
from strata.policy.base import RuleMeta, judge_each, stack_policy
from strata.policy.graph import StackGraph
from strata.policy.props import Malformed, is_unknown
from strata.policy.tenancy import KubeObject, Tenancy, dig, dig_list, dig_text, unknown

META = RuleMeta(
    name="sandbox-runtime-enforced",
    description="A tenant that asked for a sandboxed runtime cannot schedule pods without it.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    controls="Strata tenancy (sandboxed runtimes); NIST SP 800-190 4.4.3 (workload isolation)",
    framework="Strata tenancy",
)
ADMISSION = "admissionregistration.k8s.io"
RBAC = "rbac.authorization.k8s.io"
#: Where each kind keeps its pods' runtime class.
POD_RUNTIME = {
    ("core", "Pod"): "spec.runtimeClassName",
    ("core", "ReplicationController"): "spec.template.spec.runtimeClassName",
    ("apps", "Deployment"): "spec.template.spec.runtimeClassName",
    ("apps", "StatefulSet"): "spec.template.spec.runtimeClassName",
    ("apps", "DaemonSet"): "spec.template.spec.runtimeClassName",
    ("apps", "ReplicaSet"): "spec.template.spec.runtimeClassName",
    ("batch", "Job"): "spec.template.spec.runtimeClassName",
    ("batch", "CronJob"): "spec.jobTemplate.spec.template.spec.runtimeClassName",
}


def selects(selector: Any, labels: Mapping[str, str], path: str) -> bool:
    """Whether a label selector selects an object with ``labels`` (absent or empty: everything)."""
    if selector is None:
        return True
    if is_unknown(selector):
        raise unknown(path)
    if not isinstance(selector, Mapping):
        raise Malformed(path, selector, "a label selector")
    for key, value in (dig(selector, "matchLabels") or {}).items():
        if is_unknown(value):
            raise unknown(f"{path}.matchLabels.{key}")
        if labels.get(key) != value:
            return False
    for i, expr in enumerate(dig_list(selector, "matchExpressions")):
        if not isinstance(expr, Mapping):
            raise Malformed(f"{path}.matchExpressions[{i}]", expr, "an object")
        key, op = dig_text(expr, "key"), dig_text(expr, "operator")
        values = [str(v) for v in dig_list(expr, "values")]
        has = key in labels
        if op == "In":
            ok = has and labels[str(key)] in values
        elif op == "NotIn":
            ok = not has or labels[str(key)] not in values
        elif op == "Exists":
            ok = has
        elif op == "DoesNotExist":
            ok = not has
        else:
            ok = False  # an operator the API server would reject selects nothing
        if not ok:
            return False
    return True


def _covers_pods(rules: list[Any]) -> bool:
    for rule in rules:
        if not isinstance(rule, Mapping):
            continue
        groups = {str(g) for g in dig_list(rule, "apiGroups")}
        resources = {str(r) for r in dig_list(rule, "resources")}
        operations = {str(o) for o in dig_list(rule, "operations")}
        if groups & {"", "*"} and resources & {"pods", "*"} and operations & {"CREATE", "*"}:
            return True
    return False


def _mentions_pods(rules: list[Any]) -> bool:
    for rule in rules:
        if not isinstance(rule, Mapping):
            return True
        if {str(r) for r in dig_list(rule, "resources")} & {"pods", "*", "pods/*", "*/*"}:
            return True
    return False


def enforces(policy: KubeObject, runtime: str, labels: Mapping[str, str]) -> bool:
    """Whether a ValidatingAdmissionPolicy requires ``runtime`` on every pod created in a namespace
    with ``labels``."""
    if dig_text(policy.body, "spec.failurePolicy") not in (None, "Fail"):
        return False
    if dig_list(policy.body, "spec.matchConditions"):
        return False
    constraints = dig(policy.body, "spec.matchConstraints")
    if not isinstance(constraints, Mapping) or not _covers_pods(dig_list(constraints, "resourceRules")):
        return False
    if dig(constraints, "objectSelector") or _mentions_pods(dig_list(constraints, "excludeResourceRules")):
        return False
    if not selects(dig(constraints, "namespaceSelector"), labels, "spec.matchConstraints.namespaceSelector"):
        return False
    for validation in dig_list(policy.body, "spec.validations"):
        expression = dig_text(validation, "expression") if isinstance(validation, Mapping) else None
        compared = expression and (
            RUNTIME_LABEL in expression or f"'{runtime}'" in expression or f'"{runtime}"' in expression
        )
        if compared and "runtimeClassName" in str(expression):
            return True
    return False


#: The only object selector a binding may carry: the pods vCluster's syncer makes (it marks every
#: pod it creates in the host namespace; loft-sh/vcluster pkg/util/translate ``MarkerLabel``).
SYNCED_PODS = {"matchExpressions": [{"key": "vcluster.loft.sh/managed-by", "operator": "Exists"}]}


def binds(binding: KubeObject, policy: str, labels: Mapping[str, str], *, synced_only: bool = False) -> bool:
    """Whether a ValidatingAdmissionPolicyBinding denies, with ``policy``, in a namespace with ``labels``.
    With ``synced_only`` (a virtual tenant's host namespace where no one is granted rights), a binding
    limited to the pods the virtual cluster syncs there is enough."""
    if dig_text(binding.body, "spec.policyName") != policy:
        return False
    if "Deny" not in [str(a) for a in dig_list(binding.body, "spec.validationActions")]:
        return False
    match = dig(binding.body, "spec.matchResources")
    if match is None:
        return True
    if not isinstance(match, Mapping):
        raise Malformed("spec.matchResources", match, "an object")
    selector = dig(match, "objectSelector")
    if (selector and not (synced_only and selector == SYNCED_PODS)) or _mentions_pods(
        dig_list(match, "excludeResourceRules")
    ):
        return False
    rules = dig_list(match, "resourceRules")
    if rules and not _covers_pods(rules):
        return False
    return selects(dig(match, "namespaceSelector"), labels, "spec.matchResources.namespaceSelector")


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    tenancy = Tenancy(StackGraph(list(args.resources)))
    policies = [o for o in tenancy.objects if o.is_a(ADMISSION, "ValidatingAdmissionPolicy")]
    bindings = [o for o in tenancy.objects if o.is_a(ADMISSION, "ValidatingAdmissionPolicyBinding")]
    role_bindings = [o for o in tenancy.objects if o.is_a(RBAC, "RoleBinding")]
    sandboxed: list[tuple[KubeObject, str]] = []

    def judge_namespace(ns: KubeObject) -> None:
        runtime = ns.label(RUNTIME_LABEL)
        if runtime is None:
            return
        sandboxed.append((ns, runtime))
        labels: dict[str, str] = {}
        for key, value in ns.labels().items():
            if is_unknown(value):
                raise unknown(f"metadata.labels.{key}")
            labels[key] = str(value)
        name = ns.name()
        if name:
            labels["kubernetes.io/metadata.name"] = name
        # A virtual tenant's host namespace where no RoleBinding of the stack grants anyone rights:
        # its pods are the ones its virtual cluster syncs there (marked) and the virtual cluster's
        # own control plane, which the platform runs.
        synced_only = labels.get(ISOLATION_LABEL) == "virtual" and not any(
            any(x is ns for x in tenancy.namespaces_of(rb, certain=False)) for rb in role_bindings
        )
        for policy in policies:
            if policy.cluster.same(ns.cluster) is not True or not enforces(policy, runtime, labels):
                continue
            policy_name = policy.name()
            for binding in bindings:
                if binding.cluster.same(ns.cluster) is True and binds(
                    binding, str(policy_name), labels, synced_only=synced_only
                ):
                    return
        report(
            f"namespace {name or ns.resource.name} asked for the {runtime} runtime, but no ValidatingAdmissionPolicy "
            "bound with Deny on its cluster rejects pods without it: its pods can run outside the sandbox",
            ns.urn,
        )

    def judge(o: KubeObject) -> None:
        if o.is_a("core", "Namespace"):
            judge_namespace(o)
            return
        path = POD_RUNTIME.get((o.group, o.kind))
        if path is None:
            return
        for ns, runtime in sandboxed:
            if not any(x is ns for x in tenancy.namespaces_of(o, certain=False)):
                continue
            found = dig_text(o.body, path)
            if found != runtime:
                report(
                    f"{o} runs pods in namespace {ns.name() or ns.resource.name}, which asked for the {runtime} "
                    f"runtime, with runtimeClassName {found or 'unset'}",
                    o.urn,
                )

    pods = [o for o in tenancy.objects if (o.group, o.kind) in POD_RUNTIME]
    judge_each([*tenancy.namespaces, *pods], report, judge)  # every Namespace before any pod


POLICY = stack_policy(META, check)
