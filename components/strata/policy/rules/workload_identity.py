"""workload-identity: pods get per-workload cloud identity, and nodes a dedicated one.

EKS clusters need an IAM OIDC provider (IRSA) or the Pod Identity agent; GKE clusters need a
Workload Identity pool, and every GKE node pool — the cluster's default pool and inline pools
included — a service account of its own instead of the Compute Engine default account (which
holds the project-wide Editor role).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, PolicyResource, ReportViolation, Severity, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from strata.policy.base import RuleMeta, judge_each, stack_policy
from strata.policy.eks import EKS_CLUSTER, addons_by_cluster
from strata.policy.props import Malformed, entries, flag, mapping, peek, text

META = RuleMeta(
    name="workload-identity",
    description="Pods get per-workload cloud identity and nodes a dedicated service account, never a default one.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    controls="CIS EKS 5.2.x (IAM roles for service accounts); CIS GKE 5.2.1, 5.2.2",
)
_DEFAULT_COMPUTE_SA = "-compute@developer.gserviceaccount.com"
SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account"


def _identity_wiring(resources: list[PolicyResource]) -> tuple[set[str], set[str]]:
    """URNs of EKS clusters an OIDC provider is made for (its ``url`` is the cluster's issuer) or
    the Pod Identity agent add-on is installed on; and those the agent may be on (pending)."""
    agents = addons_by_cluster(resources, "eks-pod-identity-agent")
    wired = set(agents.on)
    for r in resources:
        if r.resource_type == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            wired.update(d.urn for d in r.property_dependencies.get("url", []) if d.resource_type == EKS_CLUSTER)
    return wired, set(agents.pending)


def _node_account(r: PolicyResource, where: str, node_config: Mapping[str, Any] | None, key: str) -> str | None:
    unknown, account = peek(node_config, "serviceAccount")
    if unknown:
        # An account created in this program has no email until apply: the wiring to it is enough.
        if any(d.resource_type == SERVICE_ACCOUNT for d in r.property_dependencies.get(key, [])):
            return None
        raise UnknownValueError(UNKNOWN_STRING_VALUE, [key, "serviceAccount"])
    if account is not None and not isinstance(account, str):
        raise Malformed(f"{where}: serviceAccount", account, "a service account email")
    if account and account != "default" and not account.endswith(_DEFAULT_COMPUTE_SA):
        return None
    return f"{where} runs as the Compute Engine default service account (serviceAccount {account or 'unset'})"


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    wired, pending = _identity_wiring(resources)

    def judge(r: PolicyResource) -> None:
        if r.resource_type == "aws:eks/cluster:Cluster" and r.urn not in wired:
            if r.urn in pending:
                raise UnknownValueError(UNKNOWN_STRING_VALUE, ["clusterName"])
            report("EKS cluster has neither an IAM OIDC provider (IRSA) nor the Pod Identity agent", r.urn)
        elif r.resource_type == "gcp:container/cluster:Cluster":
            autopilot = flag(r.props, "enableAutopilot") is True
            if not autopilot and not text(r.props, "workloadIdentityConfig.workloadPool"):
                report("GKE Workload Identity is off (workloadIdentityConfig.workloadPool unset)", r.urn)
            if autopilot:
                return
            inline = list(entries(r.props, "nodePools"))
            pools = [(f"inline {where}", mapping(pool, "nodeConfig"), "nodePools") for where, pool in inline] or [
                ("the default node pool (nodeConfig)", mapping(r.props, "nodeConfig"), "nodeConfig")
            ]
            for where, node_config, key in pools:
                if (problem := _node_account(r, where, node_config, key)) is not None:
                    report(problem, r.urn)
        elif r.resource_type == "gcp:container/nodePool:NodePool" and (
            problem := _node_account(r, "node pool", mapping(r.props, "nodeConfig"), "nodeConfig")
        ):
            report(problem, r.urn)

    judge_each(resources, report, judge)


POLICY = stack_policy(META, check)
