"""AWS driver: pools are VPCs with private subnets, NAT, a rotating KMS key and IAM roles;
clusters are EKS with a private API endpoint, envelope-encrypted secrets, control-plane logs,
access entries, an OIDC provider for IRSA, and managed node groups whose launch template demands
IMDSv2 with a hop limit of 1 and encrypts volumes with the pool key.

Every resource gets ``region`` explicitly (pulumi-aws v7), so residency is visible on the resource
itself and no per-region provider is needed.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pulumi_aws import autoscaling, ec2, ecr, eks, iam, kms
from pulumi_aws.get_availability_zones import get_availability_zones_output
from pulumi_aws.get_caller_identity import get_caller_identity_output
from pulumi_aws.get_partition import get_partition_output

from strata import naming
from strata.catalog import load_catalog
from strata.drivers import ClusterInfra, PoolInfra
from strata.drivers.kubeconfig import exec_kubeconfig
from strata.drivers.tagging import tag_transformation
from strata.kube.handle import AddonBinding, Substrate
from strata.labels import RUNTIME_LABEL, Ownership
from strata.naming import AWS_NODE_POLICIES
from strata.network import POOL_CIDR, zone_subnets
from strata.paved_road import AddonPlan, cluster_addons
from strata.planner import ClusterPlan, NodePoolPlan, PoolPlan

#: Tag keys as rendered on AWS: ``strata:owner`` etc.
TAG_PREFIX = "strata:"
#: Property paths that hold tags, per type ("*" = any type that has a ``tags`` input).
TAG_SLOTS = {"*": ("tags",)}
CONTROL_PLANE_LOGS = ("api", "audit", "authenticator", "controllerManager", "scheduler")
GPU_TAINT = eks.NodeGroupTaintArgs(key="nvidia.com/gpu", value="present", effect="NO_SCHEDULE")


def sandbox_taints(runtime: str) -> list[eks.NodeGroupTaintArgs]:
    """A sandbox node pool's taint: only pods whose RuntimeClass tolerates it land there."""
    if runtime == "default":
        return []
    return [eks.NodeGroupTaintArgs(key=RUNTIME_LABEL, value=runtime, effect="NO_SCHEDULE")]


def aws_tags(ownership: Ownership) -> dict[str, str]:
    return {TAG_PREFIX + k: v for k, v in ownership.as_labels().items()}


def _assume_role(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            ],
        }
    )


def _key_policy(account_id: str, partition: str) -> str:
    root = f"arn:{partition}:iam::{account_id}:root"
    asg = (
        f"arn:{partition}:iam::{account_id}:role/aws-service-role/autoscaling.amazonaws.com/"
        "AWSServiceRoleForAutoScaling"
    )
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    # Managed node groups launch encrypted volumes through the Auto Scaling
                    # service-linked role, which needs the key granted in the key policy itself.
                    "Sid": "AutoScalingUsesKeyForVolumes",
                    "Effect": "Allow",
                    "Principal": {"AWS": asg},
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:DescribeKey",
                        "kms:CreateGrant",
                    ],
                    "Resource": "*",
                },
            ],
        }
    )


class AwsDriver:
    """Implements :class:`strata.drivers.SubstrateDriver` for AWS."""

    kind = "aws"

    def tagging(self, ownership: Ownership) -> pulumi.ResourceTransformation:
        return tag_transformation(TAG_SLOTS, aws_tags(ownership))

    # ------------------------------------------------------------------ pool

    def build_pool(self, plan: PoolPlan, ownership: Ownership, parent: pulumi.Resource) -> PoolInfra:
        assert plan.region is not None
        region = plan.region
        name = plan.name
        opts = pulumi.ResourceOptions(parent=parent)
        identity = get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent))
        partition = get_partition_output(opts=pulumi.InvokeOutputOptions(parent=parent))
        zones = get_availability_zones_output(
            state="available", region=region, opts=pulumi.InvokeOutputOptions(parent=parent)
        )

        vpc = ec2.Vpc(
            f"{name}-vpc",
            region=region,
            cidr_block=POOL_CIDR,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            opts=opts,
        )
        igw = ec2.InternetGateway(f"{name}-igw", region=region, vpc_id=vpc.id, opts=opts)
        public_rt = ec2.RouteTable(
            f"{name}-public",
            region=region,
            vpc_id=vpc.id,
            routes=[ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            opts=opts,
        )
        private_subnets: list[ec2.Subnet] = []
        for layout in zone_subnets(plan.spec.substrate.zones):
            i = layout.zone_index
            az = zones.names[i]
            public = ec2.Subnet(
                f"{name}-public-{i}",
                region=region,
                vpc_id=vpc.id,
                cidr_block=layout.public,
                availability_zone=az,
                map_public_ip_on_launch=False,
                tags={"kubernetes.io/role/elb": "1"},
                opts=opts,
            )
            ec2.RouteTableAssociation(
                f"{name}-public-{i}",
                region=region,
                subnet_id=public.id,
                route_table_id=public_rt.id,
                opts=opts,
            )
            eip = ec2.Eip(f"{name}-nat-{i}", region=region, domain="vpc", opts=opts)
            nat = ec2.NatGateway(
                f"{name}-nat-{i}",
                region=region,
                subnet_id=public.id,
                allocation_id=eip.id,
                opts=pulumi.ResourceOptions(parent=parent, depends_on=[igw]),
            )
            private = ec2.Subnet(
                f"{name}-private-{i}",
                region=region,
                vpc_id=vpc.id,
                cidr_block=layout.private,
                availability_zone=az,
                tags={"kubernetes.io/role/internal-elb": "1"},
                opts=opts,
            )
            rt = ec2.RouteTable(
                f"{name}-private-{i}",
                region=region,
                vpc_id=vpc.id,
                routes=[ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                opts=opts,
            )
            ec2.RouteTableAssociation(
                f"{name}-private-{i}", region=region, subnet_id=private.id, route_table_id=rt.id, opts=opts
            )
            private_subnets.append(private)

        key = kms.Key(
            f"{name}-key",
            region=region,
            description=f"Strata pool {name}: Kubernetes secrets and node volumes",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(identity.account_id, partition.partition).apply(lambda a: _key_policy(a[0], a[1])),
            opts=opts,
        )
        kms.Alias(
            f"{name}-key",
            region=region,
            name=naming.kms_alias(ownership.environment, name),
            target_key_id=key.key_id,
            opts=opts,
        )

        cluster_role = iam.Role(f"{name}-eks-cluster", assume_role_policy=_assume_role("eks.amazonaws.com"), opts=opts)
        cluster_policy = iam.RolePolicyAttachment(
            f"{name}-eks-cluster",
            role=cluster_role.name,
            policy_arn=pulumi.Output.format("arn:{0}:iam::aws:policy/AmazonEKSClusterPolicy", partition.partition),
            opts=opts,
        )
        node_role = iam.Role(f"{name}-eks-node", assume_role_policy=_assume_role("ec2.amazonaws.com"), opts=opts)
        node_policies = [
            iam.RolePolicyAttachment(
                f"{name}-eks-node-{policy}",
                role=node_role.name,
                policy_arn=pulumi.Output.format("arn:{0}:iam::aws:policy/{1}", partition.partition, policy),
                opts=opts,
            )
            for policy in AWS_NODE_POLICIES
        ]
        admin_role = iam.Role(
            f"{name}-eks-admin",
            description=f"Cluster administrators of pool {name}; granted by EKS access entries",
            assume_role_policy=pulumi.Output.all(identity.account_id, partition.partition).apply(
                lambda a: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": f"arn:{a[1]}:iam::{a[0]}:root"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                )
            ),
            opts=opts,
        )
        mirrors = self._pull_through_caches(plan, ownership, node_role, identity.account_id, partition.partition, opts)
        return PoolInfra(
            network_id=vpc.id,
            key_id=key.arn,
            mirrors=mirrors,
            handles={
                "region": region,
                "environment": ownership.environment,
                # What finds the pool's VPC by its tags (known before it exists, unlike its id).
                "vpc_tags": {TAG_PREFIX + "environment": ownership.environment, TAG_PREFIX + "pool": name},
                "subnet_ids": [s.id for s in private_subnets],
                "cluster_role_arn": cluster_role.arn,
                "node_role_arn": node_role.arn,
                "admin_role_arn": admin_role.arn,
                "partition": partition.partition,
                # A role is usable only once its policies are attached: the cluster and the node
                # groups wait for them (and are deleted before them), or EKS fails on a first up.
                "cluster_grants": [cluster_policy],
                "node_grants": node_policies,
            },
            # The creator is not made a cluster admin (bootstrapClusterCreatorAdminPermissions off):
            # an operator assumes this role to administer the pool's clusters.
            exports={"eksAdminRoleArn": admin_role.arn},
        )

    def _pull_through_caches(
        self,
        plan: PoolPlan,
        ownership: Ownership,
        node_role: iam.Role,
        account_id: pulumi.Output[str],
        partition: pulumi.Output[str],
        opts: pulumi.ResourceOptions,
    ) -> dict[str, pulumi.Input[str]]:
        """ECR pull-through cache rules for the upstream registries ECR serves without credentials,
        if a cluster of the pool pulls through them; the nodes may create the cache's repositories
        (the first pull of an image does)."""
        catalog = load_catalog()
        if not any(a.name == "ecr-pull-through-cache" for c in plan.clusters for a in cluster_addons(catalog, plan, c)):
            return {}
        assert plan.region is not None
        region = plan.region
        prefix = naming.cache_prefix(ownership.environment, plan.name)
        mirrors: dict[str, pulumi.Input[str]] = {}
        for upstream, short in catalog.paved_road.caches["aws"].items():
            rule = ecr.PullThroughCacheRule(
                f"{plan.name}-cache-{short}",
                region=region,
                ecr_repository_prefix=f"{prefix}/{short}",
                upstream_registry_url=upstream,
                opts=opts,
            )
            mirrors[upstream] = pulumi.Output.concat(
                account_id, ".dkr.ecr.", region, ".amazonaws.com/", rule.ecr_repository_prefix
            )
        iam.RolePolicy(
            f"{plan.name}-eks-node-pull-through",
            role=node_role.id,
            policy=pulumi.Output.all(partition, account_id).apply(
                lambda a: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
                                "Resource": f"arn:{a[0]}:ecr:{region}:{a[1]}:repository/{prefix}/*",
                            }
                        ],
                    }
                )
            ),
            opts=opts,
        )
        return mirrors

    # ------------------------------------------------------------------ cluster

    def build_cluster(
        self, plan: ClusterPlan, pool_plan: PoolPlan, pool: PoolInfra, index: int, parent: pulumi.Resource
    ) -> ClusterInfra:
        h = pool.handles
        region: str = h["region"]
        name = plan.name
        opts = pulumi.ResourceOptions(parent=parent)
        endpoint = plan.spec.api_endpoint
        cluster = eks.Cluster(
            f"{name}-eks",
            region=region,
            version=plan.version,
            role_arn=h["cluster_role_arn"],
            vpc_config=eks.ClusterVpcConfigArgs(
                subnet_ids=h["subnet_ids"],
                endpoint_private_access=True,
                endpoint_public_access=endpoint.public,
                public_access_cidrs=list(endpoint.public_access_cidrs) if endpoint.public else None,
            ),
            access_config=eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=False
            ),
            encryption_config=eks.ClusterEncryptionConfigArgs(
                provider=eks.ClusterEncryptionConfigProviderArgs(key_arn=pool.key_id),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOGS),
            upgrade_policy=eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=h["cluster_grants"])),
        )
        admin = eks.AccessEntry(
            f"{name}-admin",
            region=region,
            cluster_name=cluster.name,
            principal_arn=h["admin_role_arn"],
            type="STANDARD",
            opts=opts,
        )
        eks.AccessPolicyAssociation(
            f"{name}-admin",
            region=region,
            cluster_name=cluster.name,
            principal_arn=admin.principal_arn,
            policy_arn=h["partition"].apply(
                lambda p: f"arn:{p}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
            ),
            access_scope=eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            opts=opts,
        )
        iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=cluster.identities[0].oidcs[0].issuer,
            client_id_lists=["sts.amazonaws.com"],
            opts=opts,
        )
        # Network policy enforcement is on the paved road on every cluster: the CNI add-on, managed
        # by EKS, with its network policy agent on. Nodes join only once it is configured.
        cni = eks.Addon(
            f"{name}-vpc-cni",
            region=region,
            cluster_name=cluster.name,
            addon_name="vpc-cni",
            configuration_values=json.dumps({"enableNetworkPolicy": "true"}),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=opts,
        )
        groups = [self._node_group(np, plan, cluster, pool, region, opts, [cni]) for np in plan.node_pools]
        addons = cluster_addons(load_catalog(), pool_plan, plan)
        bindings = self._addon_identities(name, addons, cluster, pool, region, groups, opts)
        if any(a.name == "cluster-autoscaler" for a in addons):
            # Auto-discovery by a tag Strata names (EKS tags node groups' Auto Scaling groups with
            # the cluster's generated name, unknown until it exists).
            for np, group in zip(plan.node_pools, groups, strict=True):
                autoscaling.Tag(
                    f"{naming.node_pool(name, np.name)}-autoscaler",
                    region=region,
                    autoscaling_group_name=group.resources[0].autoscaling_groups[0].name,
                    tag=autoscaling.TagTagArgs(
                        key=_autoscaler_tag(pool.handles["environment"], name), value="owned", propagate_at_launch=False
                    ),
                    opts=opts,
                )

        kubeconfig = pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data).apply(
            lambda a: _kubeconfig(a[0], a[1], a[2], region)
        )
        return ClusterInfra(
            cluster_name=cluster.name,
            endpoint=cluster.endpoint,
            kubeconfig=pulumi.Output.secret(kubeconfig),
            substrate=Substrate(nodes=groups, mirrors=pool.mirrors, key_id=pool.key_id, bindings=bindings),
        )

    def _addon_identities(
        self,
        name: str,
        addons: list[AddonPlan],
        cluster: eks.Cluster,
        pool: PoolInfra,
        region: str,
        groups: list[eks.NodeGroup],
        opts: pulumi.ResourceOptions,
    ) -> dict[str, AddonBinding]:
        """An EKS Pod Identity role for each add-on that calls AWS (its upstream's policy, from the
        catalog), the EBS CSI driver as an EKS add-on, and the chart values only AWS knows."""
        needing = [a for a in addons if a.addon.identity]
        if not needing:
            return {}
        policies = load_catalog().paved_road.aws_policies
        partition: pulumi.Output[str] = pool.handles["partition"]
        agent = eks.Addon(
            f"{name}-pod-identity-agent",
            region=region,
            cluster_name=cluster.name,
            addon_name="eks-pod-identity-agent",
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=groups)),
        )
        bindings: dict[str, AddonBinding] = {}
        for plan in needing:
            addon = plan.addon
            assert addon.identity is not None
            namespace, account = addon.identity.split("/")
            policy = policies[addon.name]
            short = f"{name}-{policy['name']}"
            role = iam.Role(
                short,
                description=f"{addon.label} on EKS cluster {name} (Pod Identity {addon.identity})",
                assume_role_policy=_assume_role("pods.eks.amazonaws.com"),
                opts=opts,
            )
            grants: list[pulumi.Resource] = [
                iam.RolePolicy(
                    short,
                    role=role.id,
                    policy=_policy_document(policy["document"], pool.key_id),
                    opts=opts,
                ),
                *(
                    iam.RolePolicyAttachment(
                        f"{short}-{managed.rsplit('/', 1)[-1]}",
                        role=role.name,
                        policy_arn=pulumi.Output.format("arn:{0}:iam::aws:policy/{1}", partition, managed),
                        opts=opts,
                    )
                    for managed in policy.get("managed", ())
                ),
            ]
            after = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[agent, *grants, *groups]))
            if plan.install == "driver":  # the EBS CSI driver: an EKS add-on bound to its role
                made: pulumi.Resource = eks.Addon(
                    short,
                    region=region,
                    cluster_name=cluster.name,
                    addon_name="aws-ebs-csi-driver",
                    pod_identity_associations=[
                        eks.AddonPodIdentityAssociationArgs(role_arn=role.arn, service_account=account)
                    ],
                    resolve_conflicts_on_create="OVERWRITE",
                    opts=after,
                )
            else:
                made = eks.PodIdentityAssociation(
                    short,
                    region=region,
                    cluster_name=cluster.name,
                    namespace=namespace,
                    service_account=account,
                    role_arn=role.arn,
                    opts=after,
                )
            bindings[addon.name] = AddonBinding(_aws_values(addon.name, name, pool, region), [made])
        return bindings

    def _node_group(
        self,
        np: NodePoolPlan,
        plan: ClusterPlan,
        cluster: eks.Cluster,
        pool: PoolInfra,
        region: str,
        opts: pulumi.ResourceOptions,
        after: list[pulumi.Resource],
    ) -> eks.NodeGroup:
        name = naming.node_pool(plan.name, np.name)
        gpu = np.machine_type.gpus > 0
        template = ec2.LaunchTemplate(
            name,
            region=region,
            description=f"Strata node group {name}: IMDSv2 only, encrypted volumes",
            metadata_options=ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,
            ),
            block_device_mappings=[
                ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        encrypted="true",
                        kms_key_id=pool.key_id,
                        volume_size=100,
                        volume_type="gp3",
                        delete_on_termination="true",
                    ),
                )
            ],
            update_default_version=True,
            opts=opts,
        )
        return eks.NodeGroup(
            name,
            region=region,
            cluster_name=cluster.name,
            version=cluster.version,
            node_role_arn=pool.handles["node_role_arn"],
            subnet_ids=pool.handles["subnet_ids"],
            instance_types=[np.machine_type.name],
            ami_type="AL2023_x86_64_NVIDIA" if gpu else "AL2023_x86_64_STANDARD",
            scaling_config=eks.NodeGroupScalingConfigArgs(min_size=np.min, max_size=np.max, desired_size=np.min),
            launch_template=eks.NodeGroupLaunchTemplateArgs(id=template.id, version=template.latest_version.apply(str)),
            taints=[*([GPU_TAINT] if gpu else []), *sandbox_taints(np.runtime)] or None,
            labels={
                "strata.io/node-pool": np.name,
                "strata.io/machine-type": np.machine_type.name,
                **({RUNTIME_LABEL: np.runtime} if np.runtime != "default" else {}),
            },
            opts=pulumi.ResourceOptions.merge(
                opts,
                pulumi.ResourceOptions(
                    ignore_changes=["scalingConfig.desiredSize"], depends_on=[*pool.handles["node_grants"], *after]
                ),
            ),
        )


def _policy_document(document: Any, key: pulumi.Output[str]) -> pulumi.Input[str]:
    """An upstream policy document as JSON, with the pool's key ARN where it says ``{key}`` (only
    such a document waits for the key: the others are known before anything exists)."""
    text = json.dumps(document)
    return key.apply(lambda k: text.replace("{key}", k)) if "{key}" in text else text


def _autoscaler_tag(environment: str, cluster: str) -> str:
    return f"k8s.io/cluster-autoscaler/{naming.stable_cluster_id(environment, cluster)}"


def _aws_values(addon: str, cluster: str, pool: PoolInfra, region: str) -> dict[str, Any]:
    """Chart values only AWS knows, all known before anything exists (so a preview can judge the
    release). Pods cannot reach the instance metadata (hop limit 1): the controllers are told their
    region and how to find their VPC and node groups. ``clusterName`` is the stable id the load
    balancer controller tags what it makes with, and the autoscaler discovers node groups by."""
    environment: str = pool.handles["environment"]
    if addon == "aws-load-balancer-controller":
        return {
            "clusterName": naming.stable_cluster_id(environment, cluster),
            "region": region,
            "vpcTags": pool.handles["vpc_tags"],
        }
    if addon == "cluster-autoscaler":
        return {
            "autoDiscovery": {
                "clusterName": naming.stable_cluster_id(environment, cluster),
                "tags": ["k8s.io/cluster-autoscaler/enabled", _autoscaler_tag(environment, cluster)],
            },
            "awsRegion": region,
        }
    return {}


def _kubeconfig(cluster_name: str, endpoint: str, ca_data: str | None, region: str) -> str:
    """A kubeconfig that authenticates with ``aws eks get-token`` (no static credentials)."""
    args = ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"]
    return exec_kubeconfig(cluster_name, endpoint, ca_data, {"command": "aws", "args": args})
