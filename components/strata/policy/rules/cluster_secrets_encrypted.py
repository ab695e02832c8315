"""cluster-secrets-encrypted: Kubernetes secrets are encrypted with a customer-managed key.

A key created in the same program has no ARN until apply; the rule then accepts the wiring — the
property depends on a KMS key resource of this stack — instead of reporting "cannot verify".
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from strata.policy.base import PendingUnknowns, RuleMeta, stack_policy
from strata.policy.facts import get, peek

META = RuleMeta(
    name="cluster-secrets-encrypted",
    description="Kubernetes secrets are envelope-encrypted with a customer-managed KMS key.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    controls="CIS EKS 5.3.1; CIS GKE 5.3.1; Checkov CKV_AWS_58",
)
#: Per cluster type: the encryption block, the key property in it, the resource types that are
#: customer-managed keys, and an extra condition on the block.
SHAPES = {
    "aws:eks/cluster:Cluster": ("encryptionConfig", "provider.keyArn", {"aws:kms/key:Key"}),
    "gcp:container/cluster:Cluster": ("databaseEncryption", "keyName", {"gcp:kms/cryptoKey:CryptoKey"}),
}


def _key_wired(r: PolicyResource, block: str, key_path: str, key_types: set[str]) -> bool:
    unknown, value = peek(r.props, f"{block}.{key_path}")
    if not unknown:
        return bool(value)
    deps = r.property_dependencies.get(block, [])
    if any(d.resource_type in key_types for d in deps):
        return True
    raise UnknownValueError(UNKNOWN_STRING_VALUE, [block, *key_path.split(".")])


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    pending = PendingUnknowns()
    for r in args.resources:
        shape = SHAPES.get(r.resource_type)
        if shape is None:
            continue
        block, key_path, key_types = shape
        try:
            if r.resource_type == "aws:eks/cluster:Cluster":
                scoped = "secrets" in list(get(r.props, "encryptionConfig.resources") or [])
            else:
                scoped = get(r.props, "databaseEncryption.state") == "ENCRYPTED"
            if not scoped or not _key_wired(r, block, key_path, key_types):
                report(f"Kubernetes secrets are not encrypted with a customer-managed key ({block})", r.urn)
        except UnknownValueError as err:
            pending.add(r.urn, err)
    pending.raise_if_any()


POLICY = stack_policy(META, check)
