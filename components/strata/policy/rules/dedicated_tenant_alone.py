"""dedicated-tenant-alone: a dedicated tenant's cluster hosts no other tenant.

A dedicated tenant is a Namespace labelled ``strata.io/tenant: T`` and ``strata.io/isolation:
dedicated``. Its cluster is the one its provider's kubeconfig is built from
(:meth:`StackGraph.cluster_identity`): two providers built from the same cluster are that one
cluster, so a program cannot hide a neighbour behind a second provider. The tenant fails when:

* its cluster cannot be established (the default provider, a kubeconfig from text, a local command):
  nothing can show it is alone;
* any object that is, or may be, on that cluster belongs to another tenant — labelled with it (a Helm
  release: in its values), or in a namespace whose Namespace object is that tenant's — which covers
  another tenant's Namespace and the frameworks installed into it. An object whose cluster cannot be
  established may be on this one, and counts; so does one inside a virtual cluster that runs on this
  one (its pods run on these nodes), and, for a dedicated tenant inside a virtual cluster, any other
  tenant's object on the virtual cluster's host;
* a ConfigGroup on that cluster holds objects the pack cannot read.

Objects with no tenant (the cluster's own: admission policies, the paved road) are not neighbours.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from strata.labels import TENANT_LABEL
from strata.policy.base import RuleMeta, judge_each, stack_policy
from strata.policy.graph import StackGraph
from strata.policy.tenancy import DEDICATED, KubeObject, Tenancy

META = RuleMeta(
    name="dedicated-tenant-alone",
    description="A dedicated tenant's cluster hosts no other tenant and no other tenant's framework.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    controls="Strata tenancy (dedicated isolation); PCI DSS v4.0 Req. 2.2.3 (one primary function per server)",
    framework="Strata tenancy",
)
SHOWN = 5


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    tenancy = Tenancy(StackGraph(list(args.resources)))

    def judge(ns: KubeObject) -> None:
        tenant = ns.label(TENANT_LABEL)
        if tenant is None or ns.isolation() != DEDICATED:
            return
        if not ns.cluster.identified:
            report(
                f"tenant {tenant} is dedicated, but which cluster its Namespace is on cannot be established "
                f"({ns.cluster.why}): it cannot be shown to be alone there",
                ns.urn,
            )
            return
        found: list[str] = []
        pending: UnknownValueError | None = None
        for o in tenancy.objects:
            same = o.cluster.shares_nodes(ns.cluster)  # a virtual cluster's pods run on its host's nodes
            if same is False:
                continue
            try:
                others = tenancy.tenants_of(o, certain=False) - {tenant}
            except UnknownValueError as err:
                pending = err
                continue
            if others:
                where = "on its cluster" if same else f"on a cluster that may be its own ({o.cluster.why})"
                found.append(f"{o} of tenant {', '.join(sorted(others))} {where}")
        for r, why in tenancy.opaque:
            if tenancy.cluster_of(r).same(ns.cluster):
                found.append(f"{r.resource_type} {r.name} on its cluster, whose objects cannot be read: {why}")
        if found:
            found.sort()
            more = f"; and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
            report(f"tenant {tenant} is dedicated but shares its cluster: {'; '.join(found[:SHOWN])}{more}", ns.urn)
        elif pending is not None:
            raise pending

    judge_each(tenancy.namespaces, report, judge)


POLICY = stack_policy(META, check)
