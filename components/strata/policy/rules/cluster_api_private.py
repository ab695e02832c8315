"""cluster-api-private: a cluster's Kubernetes API is not reachable from the internet.

Judged on meaning, not spelling: CIDR lists are measured (``0.0.0.0/1`` + ``128.0.0.0/1`` is the
whole internet, and so is anything admitting more public addresses than one /16), and every way a
GKE control plane can be exposed counts: the public IP endpoint (on unless the private endpoint is
enforced or IP endpoints are off), without master authorized networks or with Google Cloud's
public ranges admitted (any VM of any Google customer), and the DNS endpoint open to external traffic.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from strata.policy.base import RuleMeta, config_value, resource_policy
from strata.policy.cidrs import BadCidr, exposure
from strata.policy.props import Malformed, entries, flag, mapping, strings, text

META = RuleMeta(
    name="cluster-api-private",
    description="A cluster's Kubernetes API endpoint is private, or public only to a few listed networks.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    controls="CIS EKS 5.4.1, 5.4.2; CIS GKE 5.6.3, 5.6.4; Checkov CKV_AWS_38, CKV_AWS_39, CKV_GCP_18, CKV_GCP_25",
    config={
        "allowRestrictedPublicEndpoint": {
            "type": "boolean",
            "default": True,
            "description": "Allow a public endpoint limited to listed networks (no wider, together, than below).",
        },
        "widestPublicIpv4Prefix": {
            "type": "integer",
            "default": 16,
            "description": "A restricted endpoint may admit no more public IPv4 addresses than one /N.",
        },
        "widestPublicIpv6Prefix": {
            "type": "integer",
            "default": 48,
            "description": "A restricted endpoint may admit no more public IPv6 addresses than one /N.",
        },
        "allowExternalDnsEndpoint": {
            "type": "boolean",
            "default": False,
            "description": "Allow a GKE DNS endpoint open to external traffic (gated by IAM only).",
        },
    },
)


def _judge_cidrs(args: ResourceValidationArgs, path: str, cidrs: list[str]) -> str | None:
    """Why ``cidrs`` make a public endpoint reachable from the internet, or None if they do not."""
    config = args.get_config()
    try:
        seen = exposure(cidrs)
    except BadCidr as err:
        raise Malformed(path, str(err), "CIDR blocks (a.b.c.d/n)") from None
    if seen.everything:
        return f"the networks {cidrs} together cover the whole public internet"
    v4 = int(config_value(config, META, "widestPublicIpv4Prefix"))
    v6 = int(config_value(config, META, "widestPublicIpv6Prefix"))
    if seen.wider_than(v4, v6):
        return (
            f"the networks {cidrs} admit {seen.public_v4:,} public IPv4 and {seen.public_v6:,} public IPv6 "
            f"addresses, more than one /{v4} (IPv4) or /{v6} (IPv6)"
        )
    if not config_value(config, META, "allowRestrictedPublicEndpoint"):
        return f"it is public, restricted to {cidrs}, and the policy config allows no public endpoint"
    return None


def _eks(args: ResourceValidationArgs) -> str | None:
    public = flag(args.props, "vpcConfig.endpointPublicAccess")
    if public is False:
        return None
    cidrs = strings(args.props, "vpcConfig.publicAccessCidrs") or ["0.0.0.0/0"]  # EKS's default
    why = _judge_cidrs(args, "vpcConfig.publicAccessCidrs", cidrs)
    if why is None:
        return None
    on = "public access is on by default" if public is None else "endpointPublicAccess is true"
    return f"EKS API endpoint is reachable from the internet ({on}; {why})"


def _gke(args: ResourceValidationArgs) -> list[str]:
    problems: list[str] = []
    props = args.props
    if flag(props, "controlPlaneEndpointsConfig.dnsEndpointConfig.allowExternalTraffic") is True and not config_value(
        args.get_config(), META, "allowExternalDnsEndpoint"
    ):
        problems.append("GKE DNS endpoint accepts traffic from the internet (dnsEndpointConfig.allowExternalTraffic)")
    ip_endpoints = flag(props, "controlPlaneEndpointsConfig.ipEndpointsConfig.enabled")
    private_only = flag(props, "privateClusterConfig.enablePrivateEndpoint") is True
    if ip_endpoints is False or private_only:
        return problems
    authorized = mapping(props, "masterAuthorizedNetworksConfig")
    if authorized is None:
        problems.append("GKE public endpoint is open to every address (no masterAuthorizedNetworksConfig)")
        return problems
    if flag(props, "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled") is not False:
        problems.append(
            "GKE public endpoint admits every Google Cloud public IP, any VM of any Google customer "
            "(set masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled to false)"
        )
    cidrs: list[str] = []
    for path, block in entries(props, "masterAuthorizedNetworksConfig.cidrBlocks"):
        value = text(block, "cidrBlock")
        if value is None:
            raise Malformed(f"{path}.cidrBlock", None, "a CIDR block")
        cidrs.append(value)
    if cidrs and (why := _judge_cidrs(args, "masterAuthorizedNetworksConfig.cidrBlocks", cidrs)):
        problems.append(f"GKE public endpoint is reachable from the internet ({why})")
    return problems


def check(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == "aws:eks/cluster:Cluster":
        if (problem := _eks(args)) is not None:
            report(problem, None)
    elif args.resource_type == "gcp:container/cluster:Cluster":
        for problem in _gke(args):
            report(problem, None)


POLICY = resource_policy(META, check)
