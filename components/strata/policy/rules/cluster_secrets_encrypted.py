"""cluster-secrets-encrypted: Kubernetes secrets are encrypted with a customer-managed key.

A key created in the same program has no ARN until apply; the rule then accepts the wiring — the
property depends on a KMS key resource of this stack — instead of reporting "cannot verify". A key
named by text is accepted unless it is one the cloud manages itself (``alias/aws/...``).
"""

from __future__ import annotations

import re

from pulumi_policy import EnforcementLevel, PolicyResource, ReportViolation, Severity, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from strata.policy.base import RuleMeta, judge_each, stack_policy
from strata.policy.props import Malformed, peek, strings, text

META = RuleMeta(
    name="cluster-secrets-encrypted",
    description="Kubernetes secrets are envelope-encrypted with a customer-managed KMS key.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    controls="CIS EKS 5.3.1; CIS GKE 5.3.1; Checkov CKV_AWS_58",
)
#: Per cluster type: the encryption block, the key's path in it, and the customer-managed key types.
SHAPES = {
    "aws:eks/cluster:Cluster": (
        "encryptionConfig",
        "provider.keyArn",
        {"aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey"},
    ),
    "gcp:container/cluster:Cluster": ("databaseEncryption", "keyName", {"gcp:kms/cryptoKey:CryptoKey"}),
}
#: Keys the cloud provider manages for its own services: not customer-managed.
PROVIDER_MANAGED = re.compile(r"(^|:)alias/aws/")


def _key_problem(r: PolicyResource, block: str, key_path: str, key_types: set[str]) -> str | None:
    unknown, value = peek(r.props, f"{block}.{key_path}")
    if not unknown:
        if value is None or value == "":
            return f"no key at {block}.{key_path}"
        if not isinstance(value, str):
            raise Malformed(f"{block}.{key_path}", value, "a key ARN or name")
        if PROVIDER_MANAGED.search(value):
            return f"{value} is a key AWS manages for its own services, not a customer-managed key"
        return None
    if any(d.resource_type in key_types for d in r.property_dependencies.get(block, [])):
        return None
    raise UnknownValueError(UNKNOWN_STRING_VALUE, [block, *key_path.split(".")])


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    def judge(r: PolicyResource) -> None:
        shape = SHAPES.get(r.resource_type)
        if shape is None:
            return
        block, key_path, key_types = shape
        if r.resource_type == "aws:eks/cluster:Cluster":
            scoped = "secrets" in (strings(r.props, "encryptionConfig.resources") or [])
        else:
            scoped = text(r.props, "databaseEncryption.state") == "ENCRYPTED"
        problem = _key_problem(r, block, key_path, key_types) if scoped else f"{block} does not cover secrets"
        if problem is not None:
            report(f"Kubernetes secrets are not encrypted with a customer-managed key: {problem}", r.urn)

    judge_each(args.resources, report, judge)


POLICY = stack_policy(META, check)
