"""GCP driver: pools are a custom-mode VPC with one regional subnetwork (secondary ranges for pods
and services), Cloud Router + NAT, a KMS key ring and rotating key, and a least-privilege node
service account; clusters are regional GKE Standard with private nodes and a private endpoint,
the default node pool removed (and, while it lives, run as the pool's node service account with
the GKE metadata server), Workload Identity, application-layer secrets encryption with the pool
key, shielded nodes, Dataplane V2 (network policy enforced), no client certificates, and master
authorized networks that admit no Google Cloud public range. Node pools use the GKE
metadata server, autoscale on total min/max, and GPU pools get accelerators and the GPU taint.
"""

from __future__ import annotations

import pulumi
from pulumi_gcp import artifactregistry, compute, container, kms, organizations, projects, serviceaccount

from strata import naming
from strata.catalog import load_catalog
from strata.drivers import ClusterInfra, PoolInfra
from strata.drivers.kubeconfig import exec_kubeconfig
from strata.drivers.tagging import tag_transformation
from strata.kube.handle import AddonBinding, Substrate
from strata.labels import Ownership, gcp_label_value
from strata.naming import GCP_NODE_ROLES
from strata.network import control_plane_cidr, gke_ranges
from strata.paved_road import cluster_addons
from strata.planner import ClusterPlan, NodePoolPlan, PoolPlan

LABEL_PREFIX = "strata-"
#: Property paths that hold GCP labels. ``labels`` is a GCP label map on most resources; the GKE
#: cluster calls it ``resource_labels``; a node pool's VMs take theirs from its node config.
#: (``node_config.labels`` are Kubernetes node labels and ``tags`` network tags: not ours.)
LABEL_SLOTS = {
    "*": ("labels",),
    "gcp:container/cluster:Cluster": ("resource_labels",),
    "gcp:container/nodePool:NodePool": ("node_config.resource_labels",),
}
GPU_TAINT = container.NodePoolNodeConfigTaintArgs(key="nvidia.com/gpu", value="present", effect="NO_SCHEDULE")
#: GKE's recommended minimum role for node service accounts, plus pulling images.
KEY_ROTATION = "7776000s"  # 90 days
#: Nodes get the broad scope and are limited by their service account's roles (Google's advice).
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def gcp_labels(ownership: Ownership) -> dict[str, str]:
    return {LABEL_PREFIX + k: gcp_label_value(v) for k, v in ownership.as_labels().items()}


class GcpDriver:
    """Implements :class:`strata.drivers.SubstrateDriver` for GCP."""

    kind = "gcp"

    def tagging(self, ownership: Ownership) -> pulumi.ResourceTransformation:
        return tag_transformation(LABEL_SLOTS, gcp_labels(ownership))

    # ------------------------------------------------------------------ pool

    def build_pool(self, plan: PoolPlan, ownership: Ownership, parent: pulumi.Resource) -> PoolInfra:
        sub = plan.spec.substrate.gcp
        assert sub is not None
        name, project, region = plan.name, sub.project, sub.region
        opts = pulumi.ResourceOptions(parent=parent)
        ranges = gke_ranges()
        network = compute.Network(
            f"{name}-vpc", project=project, auto_create_subnetworks=False, routing_mode="REGIONAL", opts=opts
        )
        subnet = compute.Subnetwork(
            f"{name}-nodes",
            project=project,
            region=region,
            network=network.id,
            ip_cidr_range=ranges.nodes,
            private_ip_google_access=True,
            secondary_ip_ranges=[
                compute.SubnetworkSecondaryIpRangeArgs(range_name="pods", ip_cidr_range=ranges.pods),
                compute.SubnetworkSecondaryIpRangeArgs(range_name="services", ip_cidr_range=ranges.services),
            ],
            log_config=compute.SubnetworkLogConfigArgs(aggregation_interval="INTERVAL_5_SEC", flow_sampling=0.5),
            opts=opts,
        )
        router = compute.Router(f"{name}-router", project=project, region=region, network=network.id, opts=opts)
        compute.RouterNat(
            f"{name}-nat",
            project=project,
            region=region,
            router=router.name,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
            log_config=compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
            opts=opts,
        )
        ring = kms.KeyRing(f"{name}-keys", project=project, location=region, opts=opts)
        key = kms.CryptoKey(
            f"{name}-key",
            key_ring=ring.id,
            purpose="ENCRYPT_DECRYPT",
            rotation_period=KEY_ROTATION,
            opts=pulumi.ResourceOptions(parent=parent, protect=False),
        )
        project_info = organizations.get_project_output(
            project_id=project, opts=pulumi.InvokeOutputOptions(parent=parent)
        )

        def key_user(suffix: str, agent: str) -> kms.CryptoKeyIAMMember:
            """Let a Google service agent of the project (``service-<number>@<agent>``) use the key."""
            return kms.CryptoKeyIAMMember(
                f"{name}-key-{suffix}",
                crypto_key_id=key.id,
                role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
                member=project_info.number.apply(lambda n: f"serviceAccount:service-{n}@{agent}"),
                opts=opts,
            )

        # GKE's service agent encrypts Kubernetes secrets with the pool key.
        key_grant = key_user("gke", "container-engine-robot.iam.gserviceaccount.com")
        account = serviceaccount.Account(
            f"{name}-nodes",
            project=project,
            account_id=naming.gcp_node_account_id(ownership.environment, name),
            display_name=f"Strata nodes of pool {name}",
            opts=opts,
        )
        node_grants = [
            projects.IAMMember(
                f"{name}-nodes-{role.split('/')[-1]}",
                project=project,
                role=role,
                member=account.email.apply(lambda e: f"serviceAccount:{e}"),
                opts=opts,
            )
            for role in GCP_NODE_ROLES
        ]
        zones = compute.get_zones_output(
            project=project, region=region, status="UP", opts=pulumi.InvokeOutputOptions(parent=parent)
        )
        catalog = load_catalog()
        chosen = {a.name for c in plan.clusters for a in cluster_addons(catalog, plan, c)}
        disk_grants: list[pulumi.Resource] = []
        if "pd-csi" in chosen:
            # The default StorageClass encrypts disks with the pool key (CMEK): Compute Engine's
            # service agent creates them, so it uses the key.
            disk_grants.append(key_user("disks", "compute-system.iam.gserviceaccount.com"))
        mirrors: dict[str, pulumi.Input[str]] = {}
        if "artifact-registry-remote" in chosen:
            prefix = naming.cache_prefix(ownership.environment, name)
            for upstream, short in catalog.paved_road.caches["gcp"].items():
                repo = artifactregistry.Repository(
                    f"{name}-cache-{short}",
                    project=project,
                    location=region,
                    repository_id=f"{prefix}-{short}",
                    description=f"Strata pool {name}: pull-through cache of {upstream}",
                    format="DOCKER",
                    mode="REMOTE_REPOSITORY",
                    remote_repository_config=_remote(upstream),
                    opts=opts,
                )
                # The nodes read it through the project-wide artifactregistry.reader role.
                mirrors[upstream] = pulumi.Output.concat(region, "-docker.pkg.dev/", project, "/", repo.repository_id)
        return PoolInfra(
            network_id=network.id,
            key_id=key.id,
            mirrors=mirrors,
            handles={
                "project": project,
                "region": region,
                "network": network.id,
                "subnetwork": subnet.id,
                "node_sa": account.email,
                "zones": zones.names.apply(lambda names: sorted(names)[: sub.zones]),
                # GKE encrypts secrets with the key as soon as the cluster exists, and nodes run
                # as the node account from their first boot: both wait for their grants.
                "cluster_grants": [key_grant, *node_grants],
                "node_grants": node_grants,
                "disk_grants": disk_grants,
            },
        )

    # ------------------------------------------------------------------ cluster

    def build_cluster(
        self, plan: ClusterPlan, pool_plan: PoolPlan, pool: PoolInfra, index: int, parent: pulumi.Resource
    ) -> ClusterInfra:
        h = pool.handles
        project, region = h["project"], h["region"]
        name = plan.name
        opts = pulumi.ResourceOptions(parent=parent)
        endpoint = plan.spec.api_endpoint
        addons = {a.name for a in cluster_addons(load_catalog(), pool_plan, plan)}
        cluster = container.Cluster(
            f"{name}-gke",
            project=project,
            location=region,
            node_locations=h["zones"],
            min_master_version=plan.version,
            release_channel=container.ClusterReleaseChannelArgs(channel="UNSPECIFIED"),
            remove_default_node_pool=True,
            initial_node_count=1,
            deletion_protection=True,
            network=h["network"],
            subnetwork=h["subnetwork"],
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name="pods", services_secondary_range_name="services"
            ),
            private_cluster_config=container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True,
                enable_private_endpoint=not endpoint.public,
                master_ipv4_cidr_block=control_plane_cidr(index),
            ),
            master_authorized_networks_config=container.ClusterMasterAuthorizedNetworksConfigArgs(
                # GKE admits every Google Cloud public IP (any customer's VM) unless told not to.
                gcp_public_cidrs_access_enabled=False,
                cidr_blocks=[
                    container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                        cidr_block=c, display_name="strata-public-access"
                    )
                    for c in endpoint.public_access_cidrs
                ],
            ),
            workload_identity_config=container.ClusterWorkloadIdentityConfigArgs(
                workload_pool=f"{project}.svc.id.goog"
            ),
            database_encryption=container.ClusterDatabaseEncryptionArgs(state="ENCRYPTED", key_name=pool.key_id),
            enable_shielded_nodes=True,
            # Dataplane V2 enforces NetworkPolicy; `enabled: false` is the only form GKE accepts
            # beside it, stated so that scanners reading the block (Checkov CKV_GCP_12) see it.
            datapath_provider="ADVANCED_DATAPATH",
            network_policy=container.ClusterNetworkPolicyArgs(enabled=False),
            # The default StorageClass's driver, stated rather than left to GKE's default.
            addons_config=container.ClusterAddonsConfigArgs(
                gce_persistent_disk_csi_driver_config=container.ClusterAddonsConfigGcePersistentDiskCsiDriverConfigArgs(
                    enabled=True
                )
            ),
            gateway_api_config=container.ClusterGatewayApiConfigArgs(channel="CHANNEL_STANDARD")
            if "gke-gateway" in addons
            else None,
            master_auth=container.ClusterMasterAuthArgs(
                client_certificate_config=container.ClusterMasterAuthClientCertificateConfigArgs(
                    issue_client_certificate=False
                )
            ),
            # The default node pool lives until remove_default_node_pool deletes it: it runs with
            # the same identity and metadata protection as every node pool, never the Compute
            # Engine default account. (GKE reads this back from the first node pool, so only
            # settings every pool shares are set here, or a refresh would plan a replacement.)
            node_config=container.ClusterNodeConfigArgs(
                service_account=h["node_sa"],
                oauth_scopes=[CLOUD_PLATFORM_SCOPE],
                workload_metadata_config=container.ClusterNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
                shielded_instance_config=container.ClusterNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
            ),
            enable_legacy_abac=False,
            logging_config=container.ClusterLoggingConfigArgs(
                enable_components=[
                    "SYSTEM_COMPONENTS",
                    "APISERVER",
                    "CONTROLLER_MANAGER",
                    "SCHEDULER",
                    "WORKLOADS",
                ]
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=h["cluster_grants"])),
        )
        node_pools = [self._node_pool(np, plan, cluster, pool, opts) for np in plan.node_pools]

        server = cluster.private_cluster_config.apply(
            lambda p: p.private_endpoint if p and not endpoint.public else None
        )
        endpoint_out = pulumi.Output.all(server, cluster.endpoint).apply(lambda a: api_url(a[0] or a[1]))
        kubeconfig = pulumi.Output.all(cluster.name, endpoint_out, cluster.master_auth.cluster_ca_certificate).apply(
            lambda a: _kubeconfig(a[0], a[1], a[2])
        )
        return ClusterInfra(
            cluster_name=cluster.name,
            endpoint=endpoint_out,
            kubeconfig=pulumi.Output.secret(kubeconfig),
            substrate=Substrate(
                nodes=node_pools,
                mirrors=pool.mirrors,
                key_id=pool.key_id,
                bindings={"pd-csi": AddonBinding(depends_on=h["disk_grants"])} if "pd-csi" in addons else {},
            ),
        )

    def _node_pool(
        self,
        np: NodePoolPlan,
        plan: ClusterPlan,
        cluster: container.Cluster,
        pool: PoolInfra,
        opts: pulumi.ResourceOptions,
    ) -> container.NodePool:
        h = pool.handles
        mt = np.machine_type
        gpu = mt.gpus > 0
        sandboxed = np.runtime == "gvisor"
        return container.NodePool(
            naming.node_pool(plan.name, np.name),
            project=h["project"],
            location=h["region"],
            cluster=cluster.name,
            autoscaling=container.NodePoolAutoscalingArgs(
                total_min_node_count=np.min, total_max_node_count=np.max, location_policy="BALANCED"
            ),
            management=container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
            node_config=container.NodePoolNodeConfigArgs(
                machine_type=mt.name,
                service_account=h["node_sa"],
                oauth_scopes=[CLOUD_PLATFORM_SCOPE],
                workload_metadata_config=container.NodePoolNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
                shielded_instance_config=container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                guest_accelerators=[
                    container.NodePoolNodeConfigGuestAcceleratorArgs(
                        type=mt.accelerator or "",
                        count=mt.gpus,
                        gpu_driver_installation_config=container.NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs(
                            gpu_driver_version="DEFAULT"
                        ),
                    )
                ]
                if gpu
                else None,
                taints=[GPU_TAINT] if gpu else None,
                # GKE Sandbox: gVisor nodes (GKE labels and taints them, and provides the
                # RuntimeClass `gvisor`); it runs only on Container-Optimized OS with containerd.
                sandbox_config=container.NodePoolNodeConfigSandboxConfigArgs(type="GVISOR") if sandboxed else None,
                image_type="COS_CONTAINERD" if sandboxed else None,
                metadata={"disable-legacy-endpoints": "true"},
                labels={"strata.io/node-pool": np.name, "strata.io/machine-type": mt.name},
                disk_type="pd-balanced",
                disk_size_gb=100,
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=h["node_grants"])),
        )


def _remote(upstream: str) -> artifactregistry.RepositoryRemoteRepositoryConfigArgs:
    """A remote repository's upstream: Docker Hub by its public name, any other registry by URL."""
    if upstream == "docker.io":
        return artifactregistry.RepositoryRemoteRepositoryConfigArgs(
            description="Docker Hub",
            docker_repository=artifactregistry.RepositoryRemoteRepositoryConfigDockerRepositoryArgs(
                public_repository="DOCKER_HUB"
            ),
        )
    return artifactregistry.RepositoryRemoteRepositoryConfigArgs(
        description=upstream,
        common_repository=artifactregistry.RepositoryRemoteRepositoryConfigCommonRepositoryArgs(
            uri=f"https://{upstream}"
        ),
    )


def api_url(address: str) -> str:
    """The API server's URL from the address GKE reports (``endpoint`` and ``privateEndpoint``
    are bare IP addresses), as every driver gives it: ``https://10.0.0.2``."""
    return address if address.startswith("https://") else f"https://{address}"


def _kubeconfig(cluster_name: str, server: str, ca_data: str | None) -> str:
    """A kubeconfig that authenticates with ``gke-gcloud-auth-plugin`` (no static credentials)."""
    spec = {"command": "gke-gcloud-auth-plugin", "provideClusterInfo": True}
    return exec_kubeconfig(cluster_name, server, ca_data, spec)
