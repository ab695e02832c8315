"""supported-kubernetes-version and its early warning: clusters run versions still supported.

Every version is judged: a cluster's control plane, and each node group or node pool that pins a
version of its own (``version`` on EKS node groups and GKE node pools, ``nodeVersion`` on a GKE
cluster). Past the end of standard support on its substrate (or a version the catalog does not
know, or a cluster with no version at all), a resource violates ``supported-kubernetes-version``
(mandatory). Within ``warningDays`` of that end, ``kubernetes-version-end-of-support-soon`` warns
(advisory). The SDK gives one enforcement level per policy, so the warning is its own policy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from strata.catalog import Stage, VersionLifecycle, load_catalog
from strata.policy.base import RuleMeta, as_of, config_value, resource_policy
from strata.policy.ownership import component_claims
from strata.policy.props import values_at
from strata.policy.types import type_facts

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

#: Self-managed clusters (bare metal) have no cloud resource holding the version: the cluster
#: component's inputs carry it. Cloud clusters and node pools are judged on their own resources.
CLUSTER_COMPONENT = "strata:cluster:KubernetesCluster"
_MINOR = re.compile(r"^v?(\d+)\.(\d+)(?:$|[.+-])")


@dataclass(frozen=True)
class Judged:
    """One version a resource runs: where it was read, on which substrate, and its lifecycle."""

    path: str
    provider: str
    minor: str  # "" when unset
    lifecycle: VersionLifecycle | None


def _versions(args: ResourceValidationArgs) -> list[Judged]:
    """Every Kubernetes version the resource pins (a cluster's control plane and node version, a
    node pool's own); an unset cluster version is judged too (the provider would pick one)."""
    catalog = load_catalog()
    if args.resource_type == CLUSTER_COMPONENT:
        placed = component_claims(args.props)
        if placed.get("substrate") != "bareMetal":
            return []
        minor = placed.get("version", "")
        return [Judged("strata.version", "bareMetal", minor, catalog.version("bareMetal", minor))]
    facts = type_facts(args.resource_type)
    if facts is None:
        return []
    out: list[Judged] = []
    for entry in facts.versions:
        values = values_at(args.props, entry.path)
        if not values and entry.pinned:
            out.append(Judged(entry.path, facts.provider, "", None))
        for value in values:
            m = _MINOR.match(value.strip())
            minor = f"{m.group(1)}.{m.group(2)}" if m else value
            out.append(Judged(entry.path, facts.provider, minor, catalog.version(facts.provider, minor) if m else None))
    return out


def check(args: ResourceValidationArgs, report: ReportViolation) -> None:
    day = as_of(args.get_config())
    allowed = {Stage.SUPPORTED} | (
        {Stage.DEPRECATED} if config_value(args.get_config(), META, "allowExtendedSupport") else set()
    )
    for v in _versions(args):
        if v.lifecycle is None:
            report(
                f"Kubernetes version {v.minor or '(unset: the provider picks one)'} ({v.path}) is not one the "
                f"catalog knows for {v.provider}; pin a supported minor version",
                None,
            )
            continue
        stage = v.lifecycle.stage(day)
        if stage not in allowed:
            report(
                f"Kubernetes {v.minor} on {v.provider} ({v.path}) is {stage.value} as of {day} "
                f"(end of standard support {v.lifecycle.end_of_standard})",
                None,
            )


def warn(args: ResourceValidationArgs, report: ReportViolation) -> None:
    day = as_of(args.get_config())
    days = int(config_value(args.get_config(), WARNING, "warningDays"))
    for v in _versions(args):
        if v.lifecycle is None or v.lifecycle.stage(day) is not Stage.SUPPORTED:
            continue
        left = (v.lifecycle.end_of_standard - day).days
        if left <= days:
            report(
                f"Kubernetes {v.minor} on {v.provider} ({v.path}) leaves standard support in {left} days "
                f"({v.lifecycle.end_of_standard}); plan the upgrade",
                None,
            )


POLICY = resource_policy(META, check)
WARNING_POLICY = resource_policy(WARNING, warn)
