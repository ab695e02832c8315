"""required-labels: every taggable resource carries owner, environment and jurisdiction."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from strata.policy.base import RuleMeta, config_value, resource_policy
from strata.policy.facts import labels_of, type_facts

META = RuleMeta(
    name="required-labels",
    description="Every taggable resource carries Strata's owner, environment and jurisdiction labels.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    controls="Checkov CKV_GCP_21 (labels); platform cost and ownership baseline",
    framework="Strata platform baseline",
    config={
        "labels": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["owner", "environment", "jurisdiction"],
            "description": "Label keys (without the provider prefix) every taggable resource must carry.",
        }
    },
)


def check(args: ResourceValidationArgs, report: ReportViolation) -> None:
    facts = type_facts(args.resource_type)
    if facts is None or facts.labels_path is None:
        return
    labels = labels_of(args.resource_type, args.props) or {}
    missing = [k for k in config_value(args.get_config(), META, "labels") if not labels.get(k)]
    if missing:
        keys = ", ".join(facts.label_prefix + k for k in missing)
        report(f"missing labels {keys} (at {facts.labels_path})", None)


POLICY = resource_policy(META, check)
