"""required-labels: every taggable resource carries owner, environment and jurisdiction.

Every AWS and GCP type with a tag or label map is judged (the table is generated from the provider
SDKs). Labels count wherever the provider puts them: the resource's own map, ``tagsAll``, and the
provider's ``defaultTags`` / ``defaultLabels``, which is how a team program usually sets them.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from strata.policy.base import RuleMeta, config_value, resource_policy
from strata.policy.ownership import labels_of
from strata.policy.types import type_facts

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
    labels = labels_of(args.resource_type, args.props, args.provider)
    if facts is None or labels is None:
        return
    missing = [k for k in config_value(args.get_config(), META, "labels") if not labels.get(k)]
    if missing:
        keys = ", ".join(facts.label_prefix + k for k in missing)
        where = f"{facts.labels_path}" + (" or the provider's default labels" if facts.default_labels else "")
        report(f"missing labels {keys} (at {where})", None)


POLICY = resource_policy(META, check)
