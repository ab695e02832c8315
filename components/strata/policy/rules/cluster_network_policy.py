"""cluster-network-policy: a cluster enforces Kubernetes NetworkPolicy, so tenants' default-deny holds.

GKE enforces NetworkPolicy with Dataplane V2 (``datapathProvider: ADVANCED_DATAPATH``, always on
in Autopilot) or with Calico (``networkPolicy.enabled``). Judged on what is enforced, not on how it is
spelled: Dataplane V2 with ``networkPolicy: {enabled: false}`` (the only form GKE accepts beside it)
is compliant. EKS and bare-metal clusters enforce it through their CNI add-on (the paved road); the
rule does not judge those yet.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from strata.policy.base import RuleMeta, resource_policy
from strata.policy.props import flag, text

META = RuleMeta(
    name="cluster-network-policy",
    description="GKE clusters enforce Kubernetes NetworkPolicy (Dataplane V2 or network policy enforcement).",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    controls="CIS GKE 5.6.7; Checkov CKV_GCP_12",
)


def check(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "gcp:container/cluster:Cluster" or flag(args.props, "enableAutopilot") is True:
        return
    datapath = text(args.props, "datapathProvider")
    if datapath == "ADVANCED_DATAPATH" or flag(args.props, "networkPolicy.enabled") is True:
        return
    report(
        f"NetworkPolicy is not enforced: datapathProvider is {datapath or 'unset (LEGACY_DATAPATH)'} and "
        "networkPolicy.enabled is not true",
        None,
    )


POLICY = resource_policy(META, check)
