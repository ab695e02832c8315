"""node-metadata-protected: machines that run workloads reach instance metadata only through
IMDSv2 with a hop limit of 1 (AWS) or the GKE metadata server (GCP), so pods cannot borrow the
node's credentials.

Judged wherever nodes are described: EC2 launch templates, launch configurations, instances and
spot requests (the metadata endpoint switched off is compliant too); EKS node groups and Auto
Scaling groups through the launch template they use; GKE node pools, the cluster's own default
node pool (``nodeConfig``) and inline ``nodePools``. A launch template that is not a resource of
this stack cannot be verified, and says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, PolicyResource, ReportViolation, Severity, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from strata.policy.base import RuleMeta, judge_each, stack_policy
from strata.policy.props import entries, flag, get, is_unknown, mapping, number, peek, text, unproxied

META = RuleMeta(
    name="node-metadata-protected",
    description="Nodes require IMDSv2 with a hop limit of 1 (AWS) or use the GKE metadata server (GCP).",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    controls="CIS EKS 3.x; CIS GKE 5.4.1, 5.4.2; Checkov CKV_AWS_79, CKV_AWS_341, CKV_GCP_69",
)

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
LAUNCH_CONFIGURATION = "aws:ec2/launchConfiguration:LaunchConfiguration"
#: Types that carry EC2 metadata options of their own.
METADATA_OPTIONS = {
    LAUNCH_TEMPLATE,
    LAUNCH_CONFIGURATION,
    "aws:ec2/instance:Instance",
    "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
}
#: Types whose machines take their metadata options from launch templates or a launch
#: configuration: the inputs that name them ('[]' each element), and whether naming none means
#: the service's own insecure default.
TEMPLATE_USERS: dict[str, tuple[tuple[str, ...], bool]] = {
    "aws:eks/nodeGroup:NodeGroup": (("launchTemplate",), True),  # EKS's default: IMDSv1, hop limit 2
    "aws:autoscaling/group:Group": (
        (
            "launchTemplate",
            "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification",
            "mixedInstancesPolicy.launchTemplate.overrides[].launchTemplateSpecification",
            "launchConfiguration",
        ),
        False,
    ),
    "aws:ec2/instance:Instance": (("launchTemplate",), False),
    "aws:ec2/spotInstanceRequest:SpotInstanceRequest": (("launchTemplate",), False),
}
#: The keys a launch template reference names it by.
_TEMPLATE_KEYS = ("id", "name", "launchTemplateId", "launchTemplateName")


def _options_problem(props: Mapping[str, Any]) -> str | None:
    if text(props, "metadataOptions.httpEndpoint") == "disabled":
        return None
    tokens = text(props, "metadataOptions.httpTokens")
    if tokens != "required":
        return f"IMDSv1 allowed (metadataOptions.httpTokens {tokens or 'unset: optional'})"
    hops = number(props, "metadataOptions.httpPutResponseHopLimit")
    if hops is None or hops > 1:
        shown = int(hops) if hops is not None else "unset"
        return f"instance metadata reachable from pods (metadataOptions.httpPutResponseHopLimit {shown})"
    return None


def _references(props: Mapping[str, Any], path: str) -> list[tuple[str, Any]]:
    """``(where, reference)`` for each template named at ``path`` (a list path names several)."""
    head, sep, rest = path.partition("[]")
    if not sep:
        unknown, value = peek(props, path)
        return [(path, UNKNOWN_STRING_VALUE if unknown else value)] if unknown or value is not None else []
    out: list[tuple[str, Any]] = []
    for where, entry in entries(props, head):
        out.extend((f"{where}{rest}", v) for _, v in _references(entry, rest.lstrip(".")))
    return out


def _is_ours(ident: Any, templates: list[PolicyResource]) -> bool:
    """Whether a template reference names one of ``templates`` (this stack's, wired to the user):
    an id not known before apply, or one a template's own id, name or ARN shows once it exists."""
    if not templates:
        return False
    if is_unknown(ident):
        return True
    for t in templates:
        raw = unproxied(t.props)
        if not isinstance(raw, Mapping):
            continue
        if ident in (raw.get("id"), raw.get("name")):
            return True
        arn = raw.get("arn")
        if isinstance(arn, str) and isinstance(ident, str) and arn.endswith(f"/{ident}"):
            return True
    return False


def _template_problem(r: PolicyResource, paths: tuple[str, ...], required: bool) -> tuple[bool, str | None]:
    """``(uses_one, problem)``: whether ``r`` names a launch template or configuration, and why one
    it names cannot be trusted. A template of this stack (one ``r`` depends on, named by its id or
    name) is judged as a resource of its own; any other's metadata options cannot be verified."""
    uses = False
    templates = [
        d
        for path in paths
        for d in r.property_dependencies.get(path.split(".")[0].split("[")[0], [])
        if d.resource_type in (LAUNCH_TEMPLATE, LAUNCH_CONFIGURATION)
    ]
    for path in paths:
        for where, spec in _references(r.props, path):
            uses = True
            ident: Any = spec
            if isinstance(spec, Mapping):
                named = [spec.get(k) for k in _TEMPLATE_KEYS if spec.get(k) is not None]
                ident = named[0] if named else None
            if _is_ours(ident, templates):
                continue
            shown = ident if isinstance(ident, str) and not is_unknown(ident) else "a template"
            return True, (
                f"uses {shown} ({where}), which is not a launch template of this stack: its metadata "
                "options cannot be verified"
            )
    if not uses and required:
        return False, "no launch template of this stack requiring IMDSv2; EKS's default allows IMDSv1 with hop limit 2"
    return uses, None


def _gke_node_config(where: str, node_config: Mapping[str, Any] | None) -> str | None:
    mode = text(node_config, "workloadMetadataConfig.mode") if node_config is not None else None
    if mode == "GKE_METADATA":
        return None
    return f"{where} exposes the VM metadata server (workloadMetadataConfig.mode {mode or 'unset'})"


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    def judge(r: PolicyResource) -> None:
        t = r.resource_type
        own_options = t in METADATA_OPTIONS and get(r.props, "metadataOptions") is not None
        if t in TEMPLATE_USERS and not own_options:
            paths, required = TEMPLATE_USERS[t]
            uses, problem = _template_problem(r, paths, required)
            if problem is not None:
                report(f"node metadata: {problem}", r.urn)
            if uses or t not in METADATA_OPTIONS:
                return  # a template of this stack is judged as a resource of its own
        if t in METADATA_OPTIONS:
            if (problem := _options_problem(r.props)) is not None:
                report(f"node metadata: {problem}", r.urn)
        elif t == "gcp:container/nodePool:NodePool":
            if (problem := _gke_node_config("node pool", mapping(r.props, "nodeConfig"))) is not None:
                report(problem, r.urn)
        elif t == "gcp:container/cluster:Cluster" and flag(r.props, "enableAutopilot") is not True:
            # Inline node pools carry their own config; without them GKE creates the default node
            # pool from the cluster's nodeConfig (and it runs until removeDefaultNodePool deletes it).
            inline = list(entries(r.props, "nodePools"))
            pools = [(f"inline {where}", mapping(pool, "nodeConfig")) for where, pool in inline] or [
                ("the default node pool (nodeConfig)", mapping(r.props, "nodeConfig"))
            ]
            for where, node_config in pools:
                if (problem := _gke_node_config(where, node_config)) is not None:
                    report(problem, r.urn)

    judge_each(args.resources, report, judge)


POLICY = stack_policy(META, check)
