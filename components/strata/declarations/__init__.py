"""Provider-neutral declarations (pure; no Pulumi): models, problems and validation."""

from strata.declarations.checks import check_environment
from strata.declarations.errors import Problem, SpecError
from strata.declarations.models import (
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
    NodePool,
    Quota,
    ResourcePoolArgs,
    SparkSpec,
    SshAccess,
    Substrate,
    Tenant,
)
from strata.declarations.stackfile import read_stack_file

__all__ = [
    "ApiEndpoint",
    "AwsSubstrate",
    "BareMetalSubstrate",
    "Capacity",
    "ElasticsearchSpec",
    "EnvironmentArgs",
    "FlinkSpec",
    "Framework",
    "GcpSubstrate",
    "Host",
    "KafkaSpec",
    "KubernetesClusterArgs",
    "Machine",
    "NodePool",
    "Problem",
    "Quota",
    "ResourcePoolArgs",
    "SparkSpec",
    "SpecError",
    "SshAccess",
    "Substrate",
    "Tenant",
    "check_environment",
    "read_stack_file",
]
