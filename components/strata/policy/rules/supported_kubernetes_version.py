"""supported-kubernetes-version and its early warning: clusters run versions still supported.

Past the end of standard support on its substrate (or a version the catalog does not know), a
cluster violates ``supported-kubernetes-version`` (mandatory). Within ``warningDays`` of that end,
``kubernetes-version-end-of-support-soon`` warns (advisory). The SDK gives one enforcement level
per policy, so the warning is its own policy.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from strata.catalog import Stage, VersionLifecycle, load_catalog
from strata.policy.base import RuleMeta, as_of, config_value, resource_policy
from strata.policy.facts import component_labels, get, type_facts

AS_OF = {"type": "string", "description": "Judge on this date (YYYY-MM-DD) instead of today."}

META = RuleMeta(
    name="supported-kubernetes-version",
    description="Clusters run a Kubernetes version within its provider's standard support.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    controls="CIS EKS 5.x / GKE 5.5.x node and control-plane currency; provider support calendars",
    config={
        "asOf": AS_OF,
        "allowExtendedSupport": {
            "type": "boolean",
            "default": False,
            "description": "Accept versions in paid extended support (deprecated, not yet expired).",
        },
    },
)
WARNING = RuleMeta(
    name="kubernetes-version-end-of-support-soon",
    description="A cluster's Kubernetes version leaves standard support within the warning window.",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    controls="provider support calendars",
    config={
        "asOf": AS_OF,
        "warningDays": {"type": "integer", "default": 90, "description": "Days before end of standard support."},
    },
)

VERSION_PROPERTY = {"aws:eks/cluster:Cluster": "version", "gcp:container/cluster:Cluster": "minMasterVersion"}


#: Self-managed clusters (bare metal) have no cloud resource holding the version: the cluster
#: component's inputs carry it. Cloud clusters are judged on their EKS/GKE resource instead.
CLUSTER_COMPONENT = "strata:cluster:KubernetesCluster"


def _lifecycle(args: ResourceValidationArgs) -> tuple[str, str, VersionLifecycle | None] | None:
    if args.resource_type == CLUSTER_COMPONENT:
        placed = component_labels(args.props)
        if placed.get("substrate") != "bareMetal":
            return None
        minor = placed.get("version", "")
        return "bareMetal", minor, load_catalog().version("bareMetal", minor)
    path = VERSION_PROPERTY.get(args.resource_type)
    facts = type_facts(args.resource_type)
    if path is None or facts is None:
        return None
    version = get(args.props, path)
    if not version:
        return facts.provider, "", None
    minor = ".".join(str(version).split(".")[:2]).split("-")[0]
    return facts.provider, minor, load_catalog().version(facts.provider, minor)


def check(args: ResourceValidationArgs, report: ReportViolation) -> None:
    found = _lifecycle(args)
    if found is None:
        return
    provider, minor, lifecycle = found
    if lifecycle is None:
        report(
            f"Kubernetes version {minor or '(unset: the provider default)'} is not one the catalog knows for "
            f"{provider}; pin a supported minor version",
            None,
        )
        return
    day = as_of(args.get_config())
    stage = lifecycle.stage(day)
    allowed = {Stage.SUPPORTED} | (
        {Stage.DEPRECATED} if config_value(args.get_config(), META, "allowExtendedSupport") else set()
    )
    if stage not in allowed:
        end = lifecycle.end_of_standard
        report(f"Kubernetes {minor} on {provider} is {stage.value} as of {day} (end of standard support {end})", None)


def warn(args: ResourceValidationArgs, report: ReportViolation) -> None:
    found = _lifecycle(args)
    if found is None or found[2] is None:
        return
    provider, minor, lifecycle = found
    assert lifecycle is not None
    day = as_of(args.get_config())
    days = int(config_value(args.get_config(), WARNING, "warningDays"))
    if lifecycle.stage(day) is Stage.SUPPORTED:
        left = (lifecycle.end_of_standard - day).days
        if left <= days:
            report(
                f"Kubernetes {minor} on {provider} leaves standard support in {left} days "
                f"({lifecycle.end_of_standard}); plan the upgrade",
                None,
            )


POLICY = resource_policy(META, check)
WARNING_POLICY = resource_policy(WARNING, warn)
