"""data-class-residency: a tenant or framework handling a data class sits where that class may live."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from strata.catalog import load_catalog
from strata.labels import DATA_CLASS_LABEL_PREFIX, TENANT_LABEL
from strata.policy.base import PendingUnknowns, RuleMeta, config_value, stack_policy
from strata.policy.facts import get
from strata.policy.graph import StackGraph

META = RuleMeta(
    name="data-class-residency",
    description="Tenants and frameworks handling a data class run where that class may live.",
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
        }
    },
)


def _residency(config_classes: dict[str, dict[str, list[str]]]) -> dict[str, frozenset[str] | None]:
    out: dict[str, frozenset[str] | None] = {n: c.residency for n, c in load_catalog().data_classes.items()}
    for name, spec in config_classes.items():
        out[name] = frozenset(spec.get("residency") or ()) or None
    return out


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    catalog = load_catalog()
    residency = _residency(dict(config_value(args.get_config(), META, "extraDataClasses") or {}))
    graph = StackGraph(list(args.resources))
    pending = PendingUnknowns()
    for r in args.resources:
        try:
            labels = get(r.props, "metadata.labels") if r.resource_type.startswith("kubernetes:") else None
            if not labels:
                continue
            classes = [
                str(k)[len(DATA_CLASS_LABEL_PREFIX) :]
                for k in labels
                if str(k).startswith(DATA_CLASS_LABEL_PREFIX) and str(labels[k]).lower() == "true"
            ]
            if not classes:
                continue
            who = f"tenant {labels.get(TENANT_LABEL)}" if labels.get(TENANT_LABEL) else r.resource_type
            where = None
            for cls in classes:
                if cls not in residency:
                    report(
                        f"{who} declares data class {cls!r}, which neither the catalog nor the policy config "
                        "knows; where it may live cannot be judged",
                        r.urn,
                    )
                    continue
                allowed_jurisdictions = residency[cls]
                if allowed_jurisdictions is None:
                    continue
                where = where or graph.location(r)
                if where is None:
                    report(f"{who} handles {cls} but where it runs cannot be established", r.urn)
                    break
                allowed = catalog.countries_of(sorted(allowed_jurisdictions))
                if not where.countries or not where.countries <= allowed:
                    report(
                        f"{who} handles {cls}, which must stay in {'/'.join(sorted(allowed_jurisdictions))}, "
                        f"but runs in {where.region} ({', '.join(sorted(where.countries)) or 'unknown country'})",
                        r.urn,
                    )
        except UnknownValueError as err:
            pending.add(r.urn, err)
    pending.raise_if_any()


POLICY = stack_policy(META, check)
