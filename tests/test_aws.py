"""AWS pools and EKS clusters: the inputs a platform engineer relies on."""

from __future__ import annotations

import importlib
import inspect
import json

import pytest

from strata.offline import OfflineRun, Registration

from .conftest import TODAY, minimal_environment, only, plan_offline

POOL = "urn:pulumi:eu-prod::platform::strata:environment:Environment$strata:pool:ResourcePool$"


def _aws_class(token: str) -> type:
    _, module, name = token.split(":")
    mod = importlib.import_module("pulumi_aws." + module.split("/")[0])
    return getattr(mod, name)


def _taggable(reg: Registration) -> bool:
    return reg.type.startswith("aws:") and "tags" in inspect.signature(_aws_class(reg.type)._internal_init).parameters


def test_every_taggable_resource_carries_ownership_tags(eu_prod_run: OfflineRun) -> None:
    taggable = [r for r in eu_prod_run.registrations if _taggable(r)]
    assert len(taggable) >= 30
    for r in taggable:
        tags = r.inputs.get("tags")
        assert tags is not None, r.urn
        assert tags["strata:owner"] == "platform-team"
        assert tags["strata:environment"] == "eu-prod"
        assert tags["strata:pool"] == "eu-core"
        assert tags["strata:jurisdiction"] == "eu"
    eks = only(eu_prod_run, "aws:eks/cluster:Cluster", "payments-eks")
    assert eks.inputs["tags"]["strata:cluster"] == "payments"
    vpc = only(eu_prod_run, "aws:ec2/vpc:Vpc")
    assert "strata:cluster" not in vpc.inputs["tags"]
    subnet = only(eu_prod_run, "aws:ec2/subnet:Subnet", "eu-core-private-0")
    assert subnet.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1"  # the driver's own tags survive


def test_every_aws_resource_is_pinned_to_the_pool_region(eu_prod_run: OfflineRun) -> None:
    for r in eu_prod_run.registrations:
        if r.type.startswith("aws:") and "region" in inspect.signature(_aws_class(r.type)._internal_init).parameters:
            assert r.inputs.get("region") == "eu-central-1", r.urn


def test_eks_control_plane(eu_prod_run: OfflineRun) -> None:
    eks = only(eu_prod_run, "aws:eks/cluster:Cluster", "payments-eks")
    assert eks.inputs["version"] == "1.35"
    vpc = eks.inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc
    assert eks.inputs["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    assert eks.inputs["encryptionConfig"]["resources"] == ["secrets"]
    assert eks.property_dependencies["encryptionConfig"] == (POOL + "aws:kms/key:Key::eu-core-key",)
    assert set(eks.inputs["enabledClusterLogTypes"]) == {
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    }
    assert eks.parent.endswith("strata:cluster:KubernetesCluster::payments")


def test_pool_key_rotates_and_lets_autoscaling_encrypt_volumes(eu_prod_run: OfflineRun) -> None:
    key = only(eu_prod_run, "aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    policy = json.loads(key.inputs["policy"])
    principals = [s["Principal"]["AWS"] for s in policy["Statement"]]
    assert any(
        p.endswith(":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling") for p in principals
    )


def test_pool_network_spans_the_zones_with_private_subnets_and_nat(eu_prod_run: OfflineRun) -> None:
    subnets = eu_prod_run.by_type("aws:ec2/subnet:Subnet")
    private = sorted(r.inputs["availabilityZone"] for r in subnets if "private" in r.name)
    assert private == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    assert all(r.inputs.get("mapPublicIpOnLaunch", False) is False for r in subnets)
    assert len(eu_prod_run.by_type("aws:ec2/natGateway:NatGateway")) == 3


def test_node_groups_require_imdsv2_and_encrypt_volumes(eu_prod_run: OfflineRun) -> None:
    templates = eu_prod_run.by_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert len(templates) == 4
    for lt in templates:
        assert lt.inputs["metadataOptions"] == {
            "httpEndpoint": "enabled",
            "httpTokens": "required",
            "httpPutResponseHopLimit": 1,
        }
        ebs = lt.inputs["blockDeviceMappings"][0]["ebs"]
        assert ebs["encrypted"] == "true"
        assert lt.property_dependencies["blockDeviceMappings"] == (POOL + "aws:kms/key:Key::eu-core-key",)


def test_node_groups_autoscale_within_bounds_and_gpu_pools_are_tainted(eu_prod_run: OfflineRun) -> None:
    general = only(eu_prod_run, "aws:eks/nodeGroup:NodeGroup", "analytics-general")
    assert general.inputs["scalingConfig"] == {"minSize": 3, "maxSize": 12, "desiredSize": 3}
    assert general.inputs["instanceTypes"] == ["m7i.4xlarge"]
    assert general.inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert "taints" not in general.inputs
    gpu = only(eu_prod_run, "aws:eks/nodeGroup:NodeGroup", "analytics-gpu")
    assert gpu.inputs["scalingConfig"] == {"minSize": 0, "maxSize": 4, "desiredSize": 0}
    assert gpu.inputs["amiType"] == "AL2023_x86_64_NVIDIA"
    assert gpu.inputs["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert gpu.inputs["instanceTypes"] == ["g6.4xlarge"]


def test_access_entries_and_oidc(eu_prod_run: OfflineRun) -> None:
    assert len(eu_prod_run.by_type("aws:eks/accessEntry:AccessEntry")) == 2
    assoc = only(eu_prod_run, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "payments-admin")
    assert assoc.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    oidc = only(eu_prod_run, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "payments-oidc")
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]


def test_kubeconfig_is_secret_and_the_provider_has_a_stable_identity(eu_prod_run: OfflineRun) -> None:
    from pulumi.runtime import rpc

    provider = only(eu_prod_run, "pulumi:providers:kubernetes", "payments-k8s")
    assert rpc.is_rpc_secret(provider.inputs["kubeconfig"])
    assert provider.inputs["clusterIdentifier"] == "strata/eu-prod/payments"
    assert provider.inputs["deleteUnreachable"] == "true"
    cluster_urn = provider.parent
    assert rpc.is_rpc_secret(eu_prod_run.component_outputs[cluster_urn]["kubeconfig"])


def test_public_endpoint_only_when_asked_and_only_for_listed_networks() -> None:
    env = minimal_environment()
    env["pools"][0]["clusters"][0]["apiEndpoint"] = {"publicAccessCidrs": ["203.0.113.0/24"]}
    run = plan_offline(env)
    vpc = only(run, "aws:eks/cluster:Cluster").inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]


@pytest.mark.parametrize("zones", [1, 2, 4])
def test_zone_count_follows_the_declaration(zones: int) -> None:
    env = minimal_environment({"aws": {"region": "us-west-2", "zones": zones}})
    env["jurisdiction"] = "us"
    run = plan_offline(env)
    assert len([r for r in run.by_type("aws:ec2/subnet:Subnet") if "private" in r.name]) == zones


def test_the_stack_exports_the_role_that_administers_the_pools_clusters(eu_prod_run: OfflineRun) -> None:
    """The creator is not a cluster admin; the operator needs the admin role's ARN to get in."""
    (role,) = [r for r in eu_prod_run.by_type("aws:iam/role:Role") if r.name.endswith("-eks-admin")]
    (entry,) = [r for r in eu_prod_run.by_type("aws:eks/accessEntry:AccessEntry") if r.name == "payments-admin"]
    assert role.urn in entry.property_dependencies["principalArn"]
    (pool,) = eu_prod_run.by_type("strata:pool:ResourcePool")
    assert set(eu_prod_run.component_outputs[pool.urn]) == {"networkId", "keyId", "eksAdminRoleArn"}
    # and the program exports it per pool, beside each cluster's endpoint and kubeconfig
    from pulumi.runtime.settings import get_root_resource

    from strata.cli import offline_config
    from strata.offline import run_offline
    from strata.program import main

    config, secrets = offline_config("platform:environment", minimal_environment())
    _, exported = run_offline(
        lambda: (main(today=TODAY), get_root_resource().outputs)[1],  # type: ignore[union-attr]
        project="platform",
        stack="dev",
        config=config,
        secret_keys=secrets,
    )
    assert set(exported) == {"environment", "core.eksAdminRoleArn", "apps.endpoint", "apps.kubeconfig", "apps.facts"}


def test_kubeconfig_authenticates_with_aws_eks_get_token() -> None:
    from strata.drivers.aws.driver import _kubeconfig

    doc = json.loads(
        _kubeconfig("payments-eks-1a2b", "https://ABC.gr7.eu-central-1.eks.amazonaws.com", "Q0E=", "eu-central-1")
    )
    user = doc["users"][0]["user"]
    assert set(user) == {"exec"}  # no token, password or client key
    assert user["exec"]["command"] == "aws"
    assert user["exec"]["args"][:4] == ["eks", "get-token", "--cluster-name", "payments-eks-1a2b"]
    assert "eu-central-1" in user["exec"]["args"]
    assert doc["clusters"][0]["cluster"]["certificate-authority-data"] == "Q0E="


def test_the_cluster_and_node_groups_wait_for_their_roles_policies(eu_prod_run: OfflineRun) -> None:
    """A role is usable only once its policies are attached; without the dependency EKS may be
    asked to create a cluster or node group with a bare role on a first `pulumi up`."""
    attachments = {r.name: r.urn for r in eu_prod_run.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    node_policies = {urn for name, urn in attachments.items() if name.startswith("eu-core-eks-node-")}
    assert len(node_policies) == 3
    for cluster in eu_prod_run.by_type("aws:eks/cluster:Cluster"):
        assert attachments["eu-core-eks-cluster"] in cluster.dependencies, cluster.name
    groups = eu_prod_run.by_type("aws:eks/nodeGroup:NodeGroup")
    assert len(groups) == 4
    for group in groups:
        assert node_policies <= set(group.dependencies), group.name
