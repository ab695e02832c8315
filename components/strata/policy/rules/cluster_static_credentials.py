"""cluster-static-credentials: the Kubernetes API issues no long-lived client certificates.

A GKE client certificate is a credential that never expires and cannot be revoked short of
rotating the cluster's CA. GKE has issued none by default since 1.12; a cluster that asks for one
(``masterAuth.clientCertificateConfig.issueClientCertificate: true``) violates the rule.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from strata.policy.base import RuleMeta, resource_policy
from strata.policy.props import flag

META = RuleMeta(
    name="cluster-static-credentials",
    description="The cluster API issues no long-lived client certificates.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    controls="CIS GKE 5.8.1; Checkov CKV_GCP_13",
)


def check(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "gcp:container/cluster:Cluster":
        return
    if flag(args.props, "masterAuth.clientCertificateConfig.issueClientCertificate") is True:
        report("GKE issues a client certificate (masterAuth.clientCertificateConfig.issueClientCertificate)", None)


POLICY = resource_policy(META, check)
