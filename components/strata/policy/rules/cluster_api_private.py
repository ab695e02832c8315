"""cluster-api-private: a cluster's API endpoint must not be reachable from the internet."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from strata.policy.base import RuleMeta, config_value, resource_policy
from strata.policy.facts import get

META = RuleMeta(
    name="cluster-api-private",
    description="A cluster's Kubernetes API endpoint is private, or public only to listed networks.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    controls="CIS EKS 5.4.1, 5.4.2; CIS GKE 5.6.3, 5.6.4; Checkov CKV_AWS_38, CKV_AWS_39, CKV_GCP_18, CKV_GCP_25",
    config={
        "allowRestrictedPublicEndpoint": {
            "type": "boolean",
            "default": True,
            "description": "Allow a public endpoint limited to listed CIDRs (none of them 0.0.0.0/0).",
        }
    },
)

OPEN = {"0.0.0.0/0", "::/0"}


def _restricted(cidrs: list[str] | None) -> bool:
    return bool(cidrs) and not (set(cidrs or ()) & OPEN)


def check(args: ResourceValidationArgs, report: ReportViolation) -> None:
    allow_restricted = config_value(args.get_config(), META, "allowRestrictedPublicEndpoint")
    if args.resource_type == "aws:eks/cluster:Cluster":
        public = get(args.props, "vpcConfig.endpointPublicAccess")
        if public is False:
            return
        cidrs = get(args.props, "vpcConfig.publicAccessCidrs")
        if allow_restricted and _restricted(list(cidrs) if cidrs else None):
            return
        why = "public access is on by default" if public is None else "endpointPublicAccess is true"
        report(
            f"EKS API endpoint is reachable from the internet ({why}; allowed CIDRs: {list(cidrs or ['0.0.0.0/0'])})",
            None,
        )
    elif args.resource_type == "gcp:container/cluster:Cluster":
        if get(args.props, "privateClusterConfig.enablePrivateEndpoint") is True:
            return
        blocks = get(args.props, "masterAuthorizedNetworksConfig.cidrBlocks")
        if get(args.props, "masterAuthorizedNetworksConfig") is not None:
            cidrs = [str(b["cidrBlock"]) for b in (blocks or [])]
            if not cidrs or (allow_restricted and _restricted(cidrs)):
                return  # authorized networks on and empty: only private addresses reach it
        report("GKE API endpoint is public and not limited by master authorized networks", None)


POLICY = resource_policy(META, check)
