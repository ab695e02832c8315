"""node-metadata-protected: nodes reach instance metadata only through IMDSv2 (hop limit 1) on AWS
or the GKE metadata server on GCP, so pods cannot borrow the node's credentials."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from strata.policy.base import PendingUnknowns, RuleMeta, stack_policy
from strata.policy.facts import get

META = RuleMeta(
    name="node-metadata-protected",
    description="Nodes require IMDSv2 with a hop limit of 1 (AWS) or use the GKE metadata server (GCP).",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    controls="CIS GKE 5.4.1, 5.4.2; Checkov CKV_AWS_79, CKV_AWS_341, CKV_GCP_69",
)


def _template_problem(props: object) -> str | None:
    tokens = get(props, "metadataOptions.httpTokens")  # type: ignore[arg-type]
    hops = get(props, "metadataOptions.httpPutResponseHopLimit")  # type: ignore[arg-type]
    if tokens != "required":
        return f"IMDSv1 allowed (httpTokens {tokens or 'optional'})"
    if hops is None or float(hops) > 1:
        return f"metadata reachable from pods (hop limit {hops if hops is not None else 'default'})"
    return None


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    pending = PendingUnknowns()
    for r in args.resources:
        try:
            if r.resource_type == "aws:ec2/launchTemplate:LaunchTemplate":
                if (problem := _template_problem(r.props)) is not None:
                    report(f"launch template: {problem}", r.urn)
            elif r.resource_type == "aws:eks/nodeGroup:NodeGroup":
                templates = [
                    d
                    for d in r.property_dependencies.get("launchTemplate", [])
                    if d.resource_type == "aws:ec2/launchTemplate:LaunchTemplate"
                ]
                if not get(r.props, "launchTemplate") or not templates:
                    report(
                        "node group has no launch template of this stack requiring IMDSv2; EKS's default "
                        "allows IMDSv1 with hop limit 2",
                        r.urn,
                    )
            elif r.resource_type == "gcp:container/nodePool:NodePool":
                mode = get(r.props, "nodeConfig.workloadMetadataConfig.mode")
                if mode != "GKE_METADATA":
                    report(f"node pool exposes the VM metadata server (workloadMetadataConfig.mode {mode})", r.urn)
        except UnknownValueError as err:
            pending.add(r.urn, err)
    pending.raise_if_any()


POLICY = stack_policy(META, check)
