"""cluster-network-policy: a cluster enforces Kubernetes NetworkPolicy, so tenants' default-deny holds.

GKE enforces NetworkPolicy with Dataplane V2 (``datapathProvider: ADVANCED_DATAPATH``, always on
in Autopilot) or with Calico (``networkPolicy.enabled``). Judged on what is enforced, not on how it is
spelled: Dataplane V2 with ``networkPolicy: {enabled: false}`` (the only form GKE accepts beside it)
is compliant.

EKS enforces it through the VPC CNI's network policy agent: the program must install the
``vpc-cni`` EKS add-on on the cluster (same provider, same region, the cluster's name: see
:mod:`strata.policy.eks`) with ``enableNetworkPolicy`` on in its configuration (the paved road
does). An EKS cluster without it, or with any such add-on off, is a violation; a configuration or
a cluster name unknown until apply cannot be verified. Turning the agent off inside the cluster
(the CNI's ConfigMap) is not judged. A cluster whose CNI is managed outside the program (another
CNI from a Helm chart, the add-on made by hand) is flagged too: lower the rule in policy config for
such a stack. Bare-metal clusters are not judged: RKE2's CNI (Canal or Cilium, both enforcing) is
set in its install settings, which are secret.
"""

from __future__ import annotations

import json

from pulumi_policy import EnforcementLevel, PolicyResource, ReportViolation, Severity, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from strata.policy.base import RuleMeta, judge_each, stack_policy
from strata.policy.eks import EKS_CLUSTER, addons_by_cluster
from strata.policy.props import flag, peek, text

META = RuleMeta(
    name="cluster-network-policy",
    description="Clusters enforce Kubernetes NetworkPolicy (GKE: Dataplane V2 or network policy enforcement; "
    "EKS: the VPC CNI add-on with its network policy agent).",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    controls="CIS GKE 5.6.7; CIS EKS 5.4.4; Checkov CKV_GCP_12",
)


def _gke(r: PolicyResource, report: ReportViolation) -> None:
    if flag(r.props, "enableAutopilot") is True:
        return
    datapath = text(r.props, "datapathProvider")
    if datapath == "ADVANCED_DATAPATH" or flag(r.props, "networkPolicy.enabled") is True:
        return
    report(
        f"NetworkPolicy is not enforced: datapathProvider is {datapath or 'unset (LEGACY_DATAPATH)'} and "
        "networkPolicy.enabled is not true",
        r.urn,
    )


def _enforces(addon: PolicyResource) -> bool:
    """Whether a ``vpc-cni`` add-on's configuration turns its network policy agent on."""
    unknown, config = peek(addon.props, "configurationValues")
    if unknown:
        raise UnknownValueError(UNKNOWN_STRING_VALUE, ["configurationValues"])
    if not isinstance(config, str) or not config.strip():
        return False
    try:
        values = json.loads(config)
    except (ValueError, RecursionError):
        return False  # not JSON Strata can read (EKS takes JSON): not an enforcing configuration
    setting = values.get("enableNetworkPolicy") if isinstance(values, dict) else None
    return setting is True or (isinstance(setting, str) and setting.strip().lower() == "true")


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    cnis = addons_by_cluster(resources, "vpc-cni")

    def judge(r: PolicyResource) -> None:
        if r.resource_type == "gcp:container/cluster:Cluster":
            _gke(r, report)
        elif r.resource_type == EKS_CLUSTER:
            found, pending = cnis.on.get(r.urn, []), cnis.pending.get(r.urn, [])
            if not found and not pending:
                report(
                    "NetworkPolicy is not enforced: no vpc-cni EKS add-on with enableNetworkPolicy is installed "
                    'on this cluster (aws.eks.Addon addon_name "vpc-cni", cluster_name the cluster\'s name, '
                    'made through the same provider, configuration_values {"enableNetworkPolicy": "true"})',
                    r.urn,
                )
            elif not all(_enforces(a) for a in found):
                # EKS keeps one add-on of a name per cluster: each one made must enforce.
                report(
                    "NetworkPolicy is not enforced: the vpc-cni add-on's configurationValues do not set "
                    'enableNetworkPolicy to "true"',
                    r.urn,
                )
            elif pending:
                raise UnknownValueError(UNKNOWN_STRING_VALUE, ["clusterName"])

    judge_each(resources, report, judge)


POLICY = stack_policy(META, check)
