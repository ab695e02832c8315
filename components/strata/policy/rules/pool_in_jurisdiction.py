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
        }
    },
)
JUDGED_ROLES = {"network", "cluster", "node-pool", "node-template", "disk", "key"}


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    catalog = load_catalog()
    graph = StackGraph(list(args.resources))
    fallback = tuple(config_value(args.get_config(), META, "allowedJurisdictions") or ())
    pending = PendingUnknowns()
    by_parent = _labelled_jurisdictions_by_parent(args)
    for r in args.resources:
        facts = type_facts(r.resource_type)
        if facts is None or not facts.located or facts.role not in JUDGED_ROLES:
            continue
        try:
            labelled = jurisdictions_from_label((labels_of(r.resource_type, r.props) or {}).get("jurisdiction"))
            parent = r.parent
            while not labelled and parent is not None:
                # unlabelled resources take their siblings' or their components' promise; a missing
                # label is required-labels' verdict
                labelled = by_parent.get(parent.urn, ()) or jurisdictions_from_label(
                    component_labels(parent.props).get("jurisdiction")
                )
                parent = parent.parent
            promised = labelled or fallback
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
                report(
                    f"{facts.role} in {where.region} ({outside}) is outside the environment's jurisdiction "
                    f"{'/'.join(promised)}",
                    r.urn,
                )
        except UnknownValueError as err:
            pending.add(r.urn, err)
    pending.raise_if_any()


def _labelled_jurisdictions_by_parent(args: StackValidationArgs) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for r in args.resources:
        if r.parent is None or r.parent.urn in out:
            continue
        try:
            found = jurisdictions_from_label((labels_of(r.resource_type, r.props) or {}).get("jurisdiction"))
        except UnknownValueError:
            continue
        if found:
            out[r.parent.urn] = found
    return out


POLICY = stack_policy(META, check)
