"""pool-in-jurisdiction: every pool, cluster, node pool, disk and key sits inside the
environment's jurisdiction(s)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from strata.catalog import load_catalog
from strata.policy.base import PendingUnknowns, RuleMeta, config_value, stack_policy
from strata.policy.facts import component_labels, jurisdictions_from_label, labels_of, type_facts
from strata.policy.graph import StackGraph

META = RuleMeta(
    name="pool-in-jurisdiction",
    description="Pools, clusters, node pools, disks and keys sit in a country of the environment's jurisdiction.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    controls="Data residency (GDPR Art. 44 et seq. for eu); Strata residency baseline",
    framework="Strata data residency",
    config={
        "allowedJurisdictions": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Jurisdictions for resources that carry no jurisdiction label (team programs).",
        },
        "environments": {
            "type": "object",
            "default": {},
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Per environment name, the jurisdictions it may use. Set centrally, this is "
            "authoritative: it overrides what the environment's own labels promise, so a stack file "
            "cannot widen its jurisdiction.",
        },
    },
)
JUDGED_ROLES = {"network", "cluster", "node-pool", "node-template", "disk", "key"}


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    catalog = load_catalog()
    graph = StackGraph(list(args.resources))
    config = args.get_config()
    fallback = tuple(config_value(config, META, "allowedJurisdictions") or ())
    governed = {str(k): tuple(v) for k, v in dict(config_value(config, META, "environments") or {}).items()}
    pending = PendingUnknowns()
    by_parent = _labels_by_parent(args)
    for r in args.resources:
        facts = type_facts(r.resource_type)
        if facts is None or not facts.located or facts.role not in JUDGED_ROLES:
            continue
        try:
            labels = labels_of(r.resource_type, r.props) or {}
            parent = r.parent
            while not labels.get("jurisdiction") and parent is not None:
                # unlabelled resources take their siblings' or their components' promise; a missing
                # label is required-labels' verdict
                labels = by_parent.get(parent.urn) or component_labels(parent.props)
                parent = parent.parent
            environment = labels.get("environment", "")
            promised = governed.get(environment) or jurisdictions_from_label(labels.get("jurisdiction")) or fallback
            unknown = [j for j in promised if j not in catalog.jurisdictions]
            if not promised or unknown:
                report(
                    f"{r.resource_type} has no known jurisdiction to check against "
                    f"(label: {list(promised) or 'none'}); set the label or allowedJurisdictions",
                    r.urn,
                )
                continue
            where = graph.location(r)
            if where is None:
                report(f"the location of this {facts.role} cannot be established", r.urn)
                continue
            allowed = catalog.countries_of(promised)
            if not where.countries or not where.countries <= allowed:
                outside = ", ".join(sorted(where.countries - allowed)) or "a region the catalog does not know"
                source = "policy config" if environment in governed else "its labels"
                report(
                    f"{facts.role} in {where.region} ({outside}) is outside the jurisdiction "
                    f"{'/'.join(promised)} of environment {environment or '(unknown)'} (from {source})",
                    r.urn,
                )
        except UnknownValueError as err:
            pending.add(r.urn, err)
    pending.raise_if_any()


def _labels_by_parent(args: StackValidationArgs) -> dict[str, dict[str, str]]:
    """For each parent, the ownership labels one of its labelled children carries."""
    out: dict[str, dict[str, str]] = {}
    for r in args.resources:
        if r.parent is None or r.parent.urn in out:
            continue
        try:
            labels = labels_of(r.resource_type, r.props) or {}
        except UnknownValueError:
            continue
        if labels.get("jurisdiction"):
            out[r.parent.urn] = labels
    return out


POLICY = stack_policy(META, check)
