"""tenant-guardrails: a tenant sharing a cluster has the guard rails that make sharing safe.

Every Namespace labelled ``strata.io/tenant`` whose isolation is not ``dedicated`` (unlabelled, it
is a ``namespace`` tenant; a ``virtual`` tenant's host namespace included) must carry
``pod-security.kubernetes.io/enforce: restricted`` and have, in it and certainly on its cluster (the
same provider, or a provider built from the same cluster):

* a ResourceQuota bounding cpu and memory (``spec.hard`` names ``cpu``/``requests.cpu``/``limits.cpu``
  and ``memory``/``requests.memory``/``limits.memory``) for every pod: one with ``scopes`` or a
  ``scopeSelector`` bounds only some pods and does not count;
* a LimitRange with at least one limit (so pods without requests still fall under the quota);
* a default-deny NetworkPolicy: ``podSelector: {}``, ``policyTypes`` naming both ``Ingress`` and
  ``Egress`` and no ``ingress`` or ``egress`` rules of its own (other policies then allow what the
  tenant needs).

An object guards the namespace only when it is certainly on the Namespace's cluster: one on another
cluster, or through another provider whose cluster cannot be established, guards nothing here (it
may be anywhere). An object whose namespace is unknown until apply, and not wired to the Namespace,
turns a guard rail that would otherwise be missing into "cannot verify until apply".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from strata.labels import POD_SECURITY_ENFORCE_LABEL, TENANT_LABEL
from strata.policy.base import RuleMeta, judge_each, stack_policy
from strata.policy.graph import StackGraph
from strata.policy.props import Malformed
from strata.policy.tenancy import DEDICATED, KubeObject, Tenancy, dig, dig_list

META = RuleMeta(
    name="tenant-guardrails",
    description=(
        "A namespace or virtual tenant's namespace has a cpu/memory ResourceQuota, a LimitRange, a default-deny "
        "NetworkPolicy and restricted Pod Security."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    controls="CIS Kubernetes Benchmark 5.2.x (Pod Security), 5.3.2 (NetworkPolicy per namespace), 5.7.x",
    framework="Strata tenancy",
)
CPU = ("cpu", "requests.cpu", "limits.cpu")
MEMORY = ("memory", "requests.memory", "limits.memory")


def _quota(o: KubeObject) -> bool:
    hard = dig(o.body, "spec.hard")
    if not isinstance(hard, Mapping):
        return False
    if dig_list(o.body, "spec.scopes") or dig(o.body, "spec.scopeSelector"):
        return False
    return any(hard.get(k) is not None for k in CPU) and any(hard.get(k) is not None for k in MEMORY)


def _limit_range(o: KubeObject) -> bool:
    return bool(dig_list(o.body, "spec.limits"))


def _empty_selector(selector: Any) -> bool:
    if selector is None:
        return True
    if not isinstance(selector, Mapping):
        raise Malformed("spec.podSelector", selector, "a label selector")
    return not any(selector.get(k) for k in ("matchLabels", "matchExpressions"))


def _default_deny(o: KubeObject) -> bool:
    types = {str(t) for t in dig_list(o.body, "spec.policyTypes")}
    return (
        _empty_selector(dig(o.body, "spec.podSelector"))
        and {"Ingress", "Egress"} <= types
        and not dig_list(o.body, "spec.ingress")
        and not dig_list(o.body, "spec.egress")
    )


RAILS = (
    ("core", "ResourceQuota", _quota, "a ResourceQuota with cpu and memory hard limits on every pod"),
    ("core", "LimitRange", _limit_range, "a LimitRange"),
    (
        "networking.k8s.io",
        "NetworkPolicy",
        _default_deny,
        "a default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules of its own)",
    ),
)


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    tenancy = Tenancy(StackGraph(list(args.resources)))

    def judge(ns: KubeObject) -> None:
        tenant = ns.label(TENANT_LABEL)
        if tenant is None:
            return
        isolation = ns.isolation()
        if isolation == DEDICATED:
            return
        missing: list[str] = []  # certainly missing
        unsure: UnknownValueError | None = None  # missing unless an object unknown until apply is it
        enforce = ns.label(POD_SECURITY_ENFORCE_LABEL)
        if enforce != "restricted":
            missing.append(f"the label {POD_SECURITY_ENFORCE_LABEL}=restricted (it is {enforce or 'unset'})")
        for group, kind, holds, what in RAILS:
            found, pending = False, None
            for o in tenancy.objects:
                if not o.is_a(group, kind) or o.cluster.same(ns.cluster) is not True:
                    continue
                try:
                    if any(x is ns for x in tenancy.namespaces_of(o, certain=True)) and holds(o):
                        found = True
                        break
                except UnknownValueError as err:
                    pending = err
            if found:
                continue
            if pending is None:
                missing.append(what)
            else:
                unsure = pending
        if missing:
            report(
                f"tenant {tenant} ({isolation} isolation) shares its cluster, but its namespace "
                f"{ns.name() or ns.resource.name} lacks {'; '.join(missing)}",
                ns.urn,
            )
        elif unsure is not None:
            raise unsure

    judge_each(tenancy.namespaces, report, judge)


POLICY = stack_policy(META, check)
