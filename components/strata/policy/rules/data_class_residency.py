"""data-class-residency: a Kubernetes object handling a data class runs where that class may live.

The class is the label ``dataclass.strata.io/<class>: "true"`` wherever it sits on the object
(metadata, pod templates, a Helm release's values, a ConfigGroup's YAML). An object in a namespace
also handles every class labelled on that Namespace object when the Namespace is, or may be, on the
same cluster in the stack (:mod:`strata.policy.tenancy`): a tenant's classes reach every object put
in its namespace, whether or not the object repeats the label, and a namespace whose name is unknown
until apply is not taken to be an unclassified one. Where the object runs is where the cluster its
``kubernetes`` provider's kubeconfig comes from runs; if that cannot be established from the stack
(the default provider, a kubeconfig pasted in as text), the object fails: a data class with
residency never passes on trust.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, PolicyResource, ReportViolation, Severity, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE, UnknownValueError

from strata.catalog import load_catalog
from strata.labels import TENANT_LABEL
from strata.policy.base import RuleMeta, config_value, judge_each, stack_policy
from strata.policy.data_classes import data_classes
from strata.policy.graph import StackGraph, Unplaced
from strata.policy.location import outside
from strata.policy.props import Malformed, unproxied
from strata.policy.rules.pool_in_jurisdiction import SITES_SCHEMA
from strata.policy.tenancy import KubeObject, Tenancy

#: Helm releases and charts: their values are a chart's input, rendered by templates we cannot see.
HELM = "kubernetes:helm.sh/"

META = RuleMeta(
    name="data-class-residency",
    description="Kubernetes objects handling a data class run on a cluster where that class may live.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    controls="GDPR Art. 44 et seq. (personal-eu); Strata data classes",
    framework="Strata data residency",
    config={
        "extraDataClasses": {
            "type": "object",
            "default": {},
            "description": "More data classes: {name: {residency: [jurisdiction, ...]}}.",
            "additionalProperties": {
                "type": "object",
                "properties": {"residency": {"type": "array", "items": {"type": "string"}}},
            },
        },
        "sites": SITES_SCHEMA,
    },
)


def _residency(
    config_classes: dict[str, dict[str, list[str]]], report: ReportViolation
) -> dict[str, frozenset[str] | None]:
    catalog = load_catalog()
    out: dict[str, frozenset[str] | None] = {n: c.residency for n, c in catalog.data_classes.items()}
    for name, spec in config_classes.items():
        wanted = frozenset(str(j) for j in (spec.get("residency") or ()))
        unknown = sorted(wanted - catalog.jurisdictions.keys())
        if unknown:
            report(f"policy config extraDataClasses.{name} names unknown jurisdictions: {', '.join(unknown)}", None)
            wanted = frozenset({"(unknown)"})  # nowhere: every object of the class fails until it is fixed
        out[name] = wanted or None
    return out


def _who(r: PolicyResource) -> str:
    raw = unproxied(r.props)
    metadata = raw.get("metadata") if isinstance(raw, dict) else None
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    tenant = labels.get(TENANT_LABEL) if isinstance(labels, dict) else None
    return f"tenant {tenant}" if isinstance(tenant, str) else f"{r.resource_type} {r.name}"


def _classified(ns: KubeObject) -> bool:
    """A Namespace that labels data classes (one whose labels cannot be read counts: it may)."""
    try:
        return bool(ns.data_classes())
    except (UnknownValueError, Malformed):
        return True


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    catalog = load_catalog()
    config = args.get_config()
    residency = _residency(dict(config_value(config, META, "extraDataClasses") or {}), report)
    graph = StackGraph(list(args.resources), dict(config_value(config, META, "sites") or {}))

    tenancy = Tenancy(graph)

    def judge(r: PolicyResource) -> None:
        if not r.resource_type.startswith("kubernetes:"):
            return
        scan = data_classes(r.props, manifests=not r.resource_type.startswith(HELM))
        if scan.unreadable:
            report(f"{_who(r)}: its data classes cannot be read, so it is not passed: {scan.unreadable}", r.urn)
        inherited, pending = _inherited(r)
        if scan.classes or inherited:
            _judge_classes(r, frozenset(scan.classes), inherited)
        if scan.hidden:  # a label could hide there: never taken as "no data class"
            raise UnknownValueError(UNKNOWN_OBJECT_VALUE, [scan.hidden[0]])
        if pending is not None:
            raise pending

    def _inherited(r: PolicyResource) -> tuple[dict[str, str], UnknownValueError | None]:
        """The classes ``r`` takes from the Namespaces it may be in: class → that namespace."""
        out: dict[str, str] = {}
        pending: UnknownValueError | None = None
        for o in tenancy.by_resource.get(r.urn, []):
            try:
                for ns in tenancy.namespaces_of(o, certain=False, where=_classified):
                    for cls in sorted(ns.data_classes()):
                        out.setdefault(cls, ns.name() or ns.resource.name)
            except UnknownValueError as err:
                pending = err
        return out, pending

    def _judge_classes(r: PolicyResource, own: frozenset[str], inherited: dict[str, str]) -> None:
        who = _who(r)
        classes = own | inherited.keys()

        def named(cls: str) -> str:
            return cls if cls in own else f"{cls} (from its namespace {inherited[cls]}'s Namespace object)"

        for cls in sorted(classes - residency.keys()):
            report(
                f"{who} declares data class {named(cls)!r}, which neither the catalog nor the policy config knows; "
                "where it may live cannot be judged",
                r.urn,
            )
        limited = {cls: residency[cls] for cls in sorted(classes & residency.keys()) if residency[cls]}
        if not limited:
            return
        try:
            places = graph.cluster_placement(r)
        except Unplaced as err:
            shown = ", ".join(named(c) for c in limited)
            report(f"{who} handles {shown} but where it runs cannot be established: {err}", r.urn)
            return
        for cls, jurisdictions in limited.items():
            assert jurisdictions is not None
            allowed = catalog.countries_of(sorted(j for j in jurisdictions if j in catalog.jurisdictions))
            if where := outside(places, allowed):
                report(
                    f"{who} handles {named(cls)}, which must stay in {'/'.join(sorted(jurisdictions))}, but runs on a "
                    f"cluster in {where}",
                    r.urn,
                )

    judge_each(args.resources, report, judge)


POLICY = stack_policy(META, check)
