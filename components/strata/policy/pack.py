"""The Strata policy pack: every rule, and the pack the engine (or ``strata check``) runs."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy, PolicyPack

from strata.policy.base import PACK_NAME, RuleMeta
from strata.policy.rules import (
    cluster_api_private,
    cluster_network_policy,
    cluster_secrets_encrypted,
    cluster_static_credentials,
    data_class_isolation,
    data_class_residency,
    dedicated_tenant_alone,
    no_cluster_admin_for_tenants,
    node_metadata_protected,
    pool_in_jurisdiction,
    required_labels,
    sandbox_runtime_enforced,
    supported_kubernetes_version,
    tenant_guardrails,
    workload_identity,
)

RULES: tuple[tuple[RuleMeta, Policy], ...] = (
    (pool_in_jurisdiction.META, pool_in_jurisdiction.POLICY),
    (data_class_residency.META, data_class_residency.POLICY),
    (data_class_isolation.META, data_class_isolation.POLICY),
    (dedicated_tenant_alone.META, dedicated_tenant_alone.POLICY),
    (tenant_guardrails.META, tenant_guardrails.POLICY),
    (no_cluster_admin_for_tenants.META, no_cluster_admin_for_tenants.POLICY),
    (sandbox_runtime_enforced.META, sandbox_runtime_enforced.POLICY),
    (supported_kubernetes_version.META, supported_kubernetes_version.POLICY),
    (supported_kubernetes_version.WARNING, supported_kubernetes_version.WARNING_POLICY),
    (cluster_api_private.META, cluster_api_private.POLICY),
    (cluster_secrets_encrypted.META, cluster_secrets_encrypted.POLICY),
    (cluster_network_policy.META, cluster_network_policy.POLICY),
    (cluster_static_credentials.META, cluster_static_credentials.POLICY),
    (node_metadata_protected.META, node_metadata_protected.POLICY),
    (workload_identity.META, workload_identity.POLICY),
    (required_labels.META, required_labels.POLICY),
)


def policies() -> list[Policy]:
    return [policy for _, policy in RULES]


def serve() -> None:
    """Serve the pack to the engine (blocks; the engine reads the port from stdout)."""
    PolicyPack(name=PACK_NAME, policies=policies(), enforcement_level=EnforcementLevel.MANDATORY)
