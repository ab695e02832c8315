"""Strata: a software cloud provider as code, on Pulumi.

The public API is what this module exports. Declarations (``*Args``, ``NodePool``, ``Machine``,
substrates, tenants, frameworks) are pure pydantic models; ``Environment``, ``ResourcePool`` and
``KubernetesCluster`` are Pulumi ComponentResources built from them. Everything built inside a
cluster (``TenantSpace``, ``VirtualCluster``, the frameworks ``Kafka``, ``Spark``, ``Flink``,
``Elasticsearch`` through ``build_frameworks``) is built on a ``ClusterHandle`` alone.
"""

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
