"""data-class-isolation: a data class that needs hard isolation lives only on a dedicated tenant.

A class needs hard isolation when the catalog says ``requiresIsolation: dedicated`` (``pci``). An
object handles a class when it is labelled with it anywhere (as :mod:`strata.policy.data_classes`
reads it) or sits in a namespace whose Namespace object carries it (on, or possibly on, the same
cluster). Such an object passes only when its cluster is established from the stack and every tenant
it belongs to — its own ``strata.io/tenant`` label, and the tenant of the Namespace it may be in —
has a Namespace labelled ``strata.io/isolation: dedicated`` certainly on that same cluster. An object
of the class with no tenant at all fails (no one's dedicated cluster vouches for it), and so does one
whose cluster cannot be established (the default provider, a kubeconfig from text or a local
command): "dedicated" is a property of a cluster, and an unknown cluster has none. Whether the
dedicated tenant really is alone on its cluster is ``dedicated-tenant-alone``'s verdict.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE, UnknownValueError

from strata.catalog import load_catalog
from strata.policy.base import RuleMeta, judge_each, stack_policy
from strata.policy.data_classes import data_classes
from strata.policy.graph import StackGraph
from strata.policy.tenancy import DEDICATED, KubeObject, Tenancy

META = RuleMeta(
    name="data-class-isolation",
    description="Data classes that need hard isolation (pci) live only on a dedicated tenant of their cluster.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    controls="PCI DSS v4.0 Req. 1.2/1.3 (CDE segmentation); Strata data classes",
    framework="Strata tenancy",
)


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    catalog = load_catalog()
    isolated = {name for name, c in catalog.data_classes.items() if c.requires_isolation == DEDICATED}
    tenancy = Tenancy(StackGraph(list(args.resources)))

    def judge(o: KubeObject) -> None:
        body = o.body if o.document else o.resource.props
        scan = data_classes(body, manifests=o.group != "helm.sh")
        classes = set(scan.classes)
        for ns in tenancy.namespaces_of(o, certain=False):
            classes |= ns.data_classes()
        needs = sorted(classes & isolated)
        if not needs:
            if scan.hidden:  # a label could hide there
                raise UnknownValueError(UNKNOWN_OBJECT_VALUE, [scan.hidden[0]])
            return
        shown = ", ".join(needs)
        if not o.cluster.identified:
            report(
                f"{o} handles {shown}, which needs a dedicated tenant, but which cluster it is on cannot be "
                f"established ({o.cluster.why}), so no tenant can be dedicated there",
                o.urn,
            )
            return
        tenants = tenancy.tenants_of(o, certain=False)
        if not tenants:
            report(f"{o} handles {shown}, which needs a dedicated tenant, but belongs to no tenant", o.urn)
            return
        for tenant in sorted(tenants):
            if not tenancy.dedicated_on(tenant, o.cluster):
                report(
                    f"{o} handles {shown}, which needs a dedicated tenant, but tenant {tenant} has no Namespace "
                    "labelled strata.io/isolation=dedicated on the cluster it runs on",
                    o.urn,
                )

    judge_each(tenancy.objects, report, judge)


POLICY = stack_policy(META, check)
