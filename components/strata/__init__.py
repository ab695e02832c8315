"""Strata: a software cloud provider as code, on Pulumi.

The public API is what this module exports. Declarations (``*Args``, ``NodePool``, ``Machine``,
substrates, tenants, frameworks) are pure pydantic models; ``Environment``, ``ResourcePool`` and
``KubernetesCluster`` are Pulumi ComponentResources built from them. Everything built inside a
cluster (``TenantSpace``, ``VirtualCluster``, the frameworks ``Kafka``, ``Spark``, ``Flink``,
``Elasticsearch`` through ``build_frameworks``) is built on a ``ClusterHandle`` alone.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from strata.catalog import Catalog, Stage, load_catalog
    from strata.cluster import KubernetesCluster
    from strata.declarations import (
        ApiEndpoint,
        AwsSubstrate,
        BareMetalSubstrate,
        Capacity,
        ElasticsearchSpec,
        EnvironmentArgs,
        FlinkSpec,
        Framework,
        GcpSubstrate,
        Host,
        KafkaSpec,
        KubernetesClusterArgs,
        Machine,
        MemberSize,
        NodePool,
        Problem,
        Quota,
        ResourcePoolArgs,
        SparkSpec,
        SpecError,
        SshAccess,
        Substrate,
        Tenant,
    )
    from strata.environment import Environment
    from strata.errors import InvalidSpecError
    from strata.kube import (
        ClusterFacts,
        ClusterHandle,
        Elasticsearch,
        Flink,
        FrameworkOperator,
        Kafka,
        SandboxRuntimes,
        Spark,
        TenantGuardrails,
        TenantSpace,
        VirtualCluster,
        build_frameworks,
    )
    from strata.labels import Ownership
    from strata.planner import EnvironmentPlan, plan_environment
    from strata.pool import ResourcePool
    from strata.validation import parse_environment, validate_environment

#: Where each public name lives: imported on first use, so that a process needing one part of
#: Strata (the policy pack, which runs in its own process for every check) does not import the
#: rest (the Kubernetes and cloud SDKs take seconds to import).
_EXPORTS = {
    "ApiEndpoint": "strata.declarations",
    "AwsSubstrate": "strata.declarations",
    "BareMetalSubstrate": "strata.declarations",
    "Capacity": "strata.declarations",
    "Catalog": "strata.catalog",
    "ClusterFacts": "strata.kube",
    "ClusterHandle": "strata.kube",
    "Elasticsearch": "strata.kube",
    "ElasticsearchSpec": "strata.declarations",
    "Environment": "strata.environment",
    "EnvironmentArgs": "strata.declarations",
    "EnvironmentPlan": "strata.planner",
    "Flink": "strata.kube",
    "FlinkSpec": "strata.declarations",
    "Framework": "strata.declarations",
    "FrameworkOperator": "strata.kube",
    "GcpSubstrate": "strata.declarations",
    "Host": "strata.declarations",
    "InvalidSpecError": "strata.errors",
    "Kafka": "strata.kube",
    "KafkaSpec": "strata.declarations",
    "KubernetesCluster": "strata.cluster",
    "KubernetesClusterArgs": "strata.declarations",
    "Machine": "strata.declarations",
    "MemberSize": "strata.declarations",
    "NodePool": "strata.declarations",
    "Ownership": "strata.labels",
    "Problem": "strata.declarations",
    "Quota": "strata.declarations",
    "ResourcePool": "strata.pool",
    "ResourcePoolArgs": "strata.declarations",
    "SandboxRuntimes": "strata.kube",
    "Spark": "strata.kube",
    "SparkSpec": "strata.declarations",
    "SpecError": "strata.declarations",
    "SshAccess": "strata.declarations",
    "Stage": "strata.catalog",
    "Substrate": "strata.declarations",
    "Tenant": "strata.declarations",
    "TenantGuardrails": "strata.kube",
    "TenantSpace": "strata.kube",
    "VirtualCluster": "strata.kube",
    "build_frameworks": "strata.kube",
    "load_catalog": "strata.catalog",
    "parse_environment": "strata.validation",
    "plan_environment": "strata.planner",
    "validate_environment": "strata.validation",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'strata' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "ApiEndpoint",
    "AwsSubstrate",
    "BareMetalSubstrate",
    "Capacity",
    "Catalog",
    "ClusterFacts",
    "ClusterHandle",
    "Elasticsearch",
    "ElasticsearchSpec",
    "Environment",
    "EnvironmentArgs",
    "EnvironmentPlan",
    "Flink",
    "FlinkSpec",
    "Framework",
    "FrameworkOperator",
    "GcpSubstrate",
    "Host",
    "InvalidSpecError",
    "Kafka",
    "KafkaSpec",
    "KubernetesCluster",
    "KubernetesClusterArgs",
    "Machine",
    "MemberSize",
    "NodePool",
    "Ownership",
    "Problem",
    "Quota",
    "ResourcePool",
    "ResourcePoolArgs",
    "SandboxRuntimes",
    "Spark",
    "SparkSpec",
    "SpecError",
    "SshAccess",
    "Stage",
    "Substrate",
    "Tenant",
    "TenantGuardrails",
    "TenantSpace",
    "VirtualCluster",
    "build_frameworks",
    "load_catalog",
    "parse_environment",
    "plan_environment",
    "validate_environment",
]
