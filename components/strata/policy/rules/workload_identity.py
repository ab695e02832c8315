"""workload-identity: pods get per-workload identity (IRSA / EKS Pod Identity / GKE Workload
Identity) instead of node credentials."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from strata.policy.base import PendingUnknowns, RuleMeta, stack_policy
from strata.policy.facts import get

META = RuleMeta(
    name="workload-identity",
    description="Clusters give pods per-workload cloud identity, never the node's credentials.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    controls="CIS EKS 5.2.x (IAM roles for service accounts); CIS GKE 5.2.2",
)


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    pending = PendingUnknowns()
    resources = list(args.resources)
    for r in resources:
        try:
            if r.resource_type == "aws:eks/cluster:Cluster":
                oidc = [
                    o
                    for o in resources
                    if o.resource_type == "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
                    and any(d.urn == r.urn for ds in o.property_dependencies.values() for d in ds)
                ]
                pod_identity = [
                    a
                    for a in resources
                    if a.resource_type == "aws:eks/addon:Addon"
                    and get(a.props, "addonName") == "eks-pod-identity-agent"
                    and any(d.urn == r.urn for ds in a.property_dependencies.values() for d in ds)
                ]
                if not oidc and not pod_identity:
                    report("EKS cluster has neither an IAM OIDC provider (IRSA) nor the Pod Identity agent", r.urn)
            elif r.resource_type == "gcp:container/cluster:Cluster" and not get(
                r.props, "workloadIdentityConfig.workloadPool"
            ):
                report("GKE Workload Identity is off (workloadIdentityConfig.workloadPool unset)", r.urn)
        except UnknownValueError as err:
            pending.add(r.urn, err)
    pending.raise_if_any()


POLICY = stack_policy(META, check)
