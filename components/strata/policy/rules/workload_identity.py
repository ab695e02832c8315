"""workload-identity: pods get per-workload identity (IRSA / EKS Pod Identity / GKE Workload
Identity) instead of node credentials."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, PolicyResource, ReportViolation, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from strata.policy.base import PendingUnknowns, RuleMeta, stack_policy
from strata.policy.facts import get, peek

META = RuleMeta(
    name="workload-identity",
    description="Clusters give pods per-workload cloud identity, never the node's credentials.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    controls="CIS EKS 5.2.x (IAM roles for service accounts); CIS GKE 5.2.2",
)


def _identity_wiring(resources: list[PolicyResource]) -> set[str]:
    """URNs of EKS clusters that an OIDC provider or the Pod Identity agent add-on is wired to."""
    wired: set[str] = set()
    for r in resources:
        is_oidc = r.resource_type == "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
        if r.resource_type == "aws:eks/addon:Addon":
            unknown, name = peek(r.props, "addonName")
            is_oidc = not unknown and name == "eks-pod-identity-agent"
        if is_oidc:
            wired.update(d.urn for deps in r.property_dependencies.values() for d in deps)
    return wired


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    pending = PendingUnknowns()
    resources = list(args.resources)
    wired = _identity_wiring(resources)
    for r in resources:
        try:
            if r.resource_type == "aws:eks/cluster:Cluster" and r.urn not in wired:
                report("EKS cluster has neither an IAM OIDC provider (IRSA) nor the Pod Identity agent", r.urn)
            elif r.resource_type == "gcp:container/cluster:Cluster" and not get(
                r.props, "workloadIdentityConfig.workloadPool"
            ):
                report("GKE Workload Identity is off (workloadIdentityConfig.workloadPool unset)", r.urn)
        except UnknownValueError as err:
            pending.add(r.urn, err)
    pending.raise_if_any()


POLICY = stack_policy(META, check)
