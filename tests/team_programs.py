"""Plain Pulumi programs of the kind team repos write — raw ``pulumi_aws``, ``pulumi_gcp``,
``pulumi_kubernetes`` and ``pulumi_command``, explicit and default providers, no stack file of
Strata's — each with the verdicts the pack must give it.

Every program runs in stack ``payments/team-prod``, which the central policy config governs as
``eu`` unless a program says otherwise. Stack config gives the default providers their region and
default labels, as a team's ``Pulumi.team-prod.yaml`` would. ``expect`` lists every mandatory
verdict as ``(policy, resource name)``; anything else the pack says fails the test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_command as command
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from strata.policy.data_classes import MAX_NODES

PROJECT = "payments"
STACK = "team-prod"
TAGS = {"strata:owner": "payments", "strata:environment": "team-prod", "strata:jurisdiction": "eu"}
LABELS = {"strata-owner": "payments", "strata-environment": "team-prod", "strata-jurisdiction": "eu"}
AWS_EU = {"aws:region": "eu-central-1", "aws:defaultTags": {"tags": TAGS}}
AWS_US = {"aws:region": "us-east-1", "aws:defaultTags": {"tags": TAGS}}
GCP_EU = {"gcp:project": "p-team", "gcp:region": "europe-west3", "gcp:defaultLabels": LABELS}
GOVERNED = {"pool-in-jurisdiction": {"environments": {f"{PROJECT}/{STACK}": ["eu"]}}}
TENANT = "strata.io/tenant"
PERSONAL = {TENANT: "risk", "dataclass.strata.io/personal-eu": "true"}
RESTRICTED = {"pod-security.kubernetes.io/enforce": "restricted"}

PIJ = "pool-in-jurisdiction"
DCR = "data-class-residency"
NMP = "node-metadata-protected"
WID = "workload-identity"
CAP = "cluster-api-private"
SKV = "supported-kubernetes-version"
CSE = "cluster-secrets-encrypted"
RLB = "required-labels"
CNP = "cluster-network-policy"
CSC = "cluster-static-credentials"
DCI = "data-class-isolation"
DTA = "dedicated-tenant-alone"
TGR = "tenant-guardrails"
NCA = "no-cluster-admin-for-tenants"
SRE = "sandbox-runtime-enforced"


@dataclass(frozen=True)
class Program:
    name: str
    about: str
    run: Callable[[], None]
    config: dict[str, Any]
    expect: frozenset[tuple[str, str]]
    policy: dict[str, Any] = field(default_factory=dict)
    stack: str = STACK


PROGRAMS: list[Program] = []


def program(
    about: str,
    config: dict[str, Any],
    expect: set[tuple[str, str]] | None = None,
    *,
    policy: dict[str, Any] | None = None,
    stack: str = STACK,
) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(fn: Callable[[], None]) -> Callable[[], None]:
        name = fn.__name__.removeprefix("p_").replace("_", "-")
        merged = {**GOVERNED, **(policy or {})}
        PROGRAMS.append(Program(name, about, fn, config, frozenset(expect or ()), merged, stack))
        return fn

    return register


def _opts(provider: pulumi.ProviderResource | None = None, **kw: Any) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(provider=provider, **kw)


# ---------------------------------------------------------------- compliant clusters to build on


def eks(name: str, *, provider: aws.Provider | None = None, region: str | None = None) -> k8s.Provider:
    """A compliant EKS cluster (private endpoint, secrets in a customer key, IRSA, NetworkPolicy
    enforced by the VPC CNI add-on) and a Kubernetes provider whose kubeconfig is built from it."""
    key = aws.kms.Key(f"{name}-key", enable_key_rotation=True, region=region, opts=_opts(provider))
    cluster = aws.eks.Cluster(
        name,
        role_arn="arn:aws:iam::111122223333:role/eks",
        version="1.35",
        region=region,
        vpc_config={"subnet_ids": ["subnet-1", "subnet-2"], "endpoint_public_access": False},
        encryption_config={"provider": {"key_arn": key.arn}, "resources": ["secrets"]},
        opts=_opts(provider),
    )
    aws.iam.OpenIdConnectProvider(
        f"{name}-oidc",
        url=cluster.identities.apply(lambda ids: ids[0]["oidcs"][0]["issuer"]),
        client_id_lists=["sts.amazonaws.com"],
        opts=_opts(provider),
    )
    network_policy(cluster, name, provider=provider, region=region)
    return kube(cluster, name)


def network_policy(
    cluster: aws.eks.Cluster, name: str, *, provider: aws.Provider | None = None, region: str | None = None
) -> aws.eks.Addon:
    """The VPC CNI add-on with its network policy agent on: what makes an EKS cluster enforce
    NetworkPolicy."""
    return aws.eks.Addon(
        f"{name}-vpc-cni",
        cluster_name=cluster.name,
        addon_name="vpc-cni",
        configuration_values=json.dumps({"enableNetworkPolicy": "true"}),
        region=region,
        opts=_opts(provider),
    )


def kube(cluster: aws.eks.Cluster, name: str) -> k8s.Provider:
    """A Kubernetes provider whose kubeconfig is built from EKS ``cluster``'s outputs."""
    kubeconfig = pulumi.Output.all(cluster.name, cluster.endpoint).apply(
        lambda a: json.dumps({"clusters": [{"name": a[0], "cluster": {"server": a[1]}}]})
    )
    return k8s.Provider(name, kubeconfig=kubeconfig)


def gke(
    name: str, location: str = "europe-west3", *, unplaced: bool = False, **overrides: Any
) -> gcp.container.Cluster:
    """A compliant GKE cluster (private, Workload Identity, CMEK, Dataplane V2, its own node
    service account and the GKE metadata server on every pool) with one node pool; its key ring
    and node pool in ``location``, the cluster too unless ``unplaced`` (left to the provider)."""
    account = gcp.serviceaccount.Account(f"{name}-nodes", account_id=f"{name}-nodes")
    ring = gcp.kms.KeyRing(f"{name}-ring", location=location)
    key = gcp.kms.CryptoKey(f"{name}-key", key_ring=ring.id)
    node_config = {"service_account": account.email, "workload_metadata_config": {"mode": "GKE_METADATA"}}
    args: dict[str, Any] = {
        "location": None if unplaced else location,
        "min_master_version": "1.35",
        "initial_node_count": 1,
        "remove_default_node_pool": True,
        "private_cluster_config": {
            "enable_private_nodes": True,
            "enable_private_endpoint": True,
            "master_ipv4_cidr_block": "172.16.0.0/28",
        },
        "master_authorized_networks_config": {"gcp_public_cidrs_access_enabled": False},
        "workload_identity_config": {"workload_pool": "p-team.svc.id.goog"},
        "database_encryption": {"state": "ENCRYPTED", "key_name": key.id},
        "datapath_provider": "ADVANCED_DATAPATH",
        "node_config": node_config,
        **overrides,
    }
    cluster = gcp.container.Cluster(name, **args)
    gcp.container.NodePool(
        f"{name}-general",
        cluster=cluster.id,
        location=location,
        node_config={**node_config, "machine_type": "n2-standard-4", "resource_labels": LABELS},
    )
    return cluster


def gke_provider(cluster: gcp.container.Cluster) -> k8s.Provider:
    kubeconfig = pulumi.Output.all(cluster.name, cluster.endpoint).apply(
        lambda a: json.dumps({"clusters": [{"name": a[0], "cluster": {"server": f"https://{a[1]}"}}]})
    )
    return k8s.Provider(f"{cluster._name}-k8s", kubeconfig=kubeconfig)


def namespace(name: str, provider: pulumi.ProviderResource | None, labels: dict[str, str] | None = None) -> None:
    """A namespace; a tenant's (labelled ``strata.io/tenant``) comes with the guard rails a tenant
    sharing a cluster needs (restricted Pod Security, quota, limit range, default-deny policy), all
    through the same provider — and so they handle the data classes of the namespace they are in."""
    labels = dict(labels if labels is not None else PERSONAL)
    if TENANT not in labels:
        k8s.core.v1.Namespace(name, metadata={"name": name, "labels": labels}, opts=_opts(provider))
        return
    k8s.core.v1.Namespace(name, metadata={"name": name, "labels": {**labels, **RESTRICTED}}, opts=_opts(provider))
    guardrails(name, provider)


def guardrails(name: str, provider: pulumi.ProviderResource | None, namespace: str | None = None) -> None:
    """A tenant namespace's guard rails, as a team would write them."""
    meta = {"namespace": namespace or name}
    k8s.core.v1.ResourceQuota(
        f"{name}-quota",
        metadata=meta,
        spec={"hard": {"requests.cpu": "8", "requests.memory": "32Gi", "limits.cpu": "8", "limits.memory": "32Gi"}},
        opts=_opts(provider),
    )
    k8s.core.v1.LimitRange(
        f"{name}-limits",
        metadata=meta,
        spec={"limits": [{"type": "Container", "default": {"cpu": "500m"}, "default_request": {"cpu": "100m"}}]},
        opts=_opts(provider),
    )
    k8s.networking.v1.NetworkPolicy(
        f"{name}-default-deny",
        metadata=meta,
        spec={"pod_selector": {}, "policy_types": ["Ingress", "Egress"]},
        opts=_opts(provider),
    )


def in_tenant(policy: str, name: str) -> set[tuple[str, str]]:
    """``policy``'s verdicts on a tenant namespace made by :func:`namespace` and on everything in it."""
    return {(policy, name), (policy, f"{name}-quota"), (policy, f"{name}-limits"), (policy, f"{name}-default-deny")}


# ---------------------------------------------------------------- AWS: where resources are


@program("bucket, database and queue in the default provider's EU region", AWS_EU)
def p_aws_default_provider_in_eu() -> None:
    aws.s3.Bucket("ledger")
    aws.rds.Instance("ledger-db", instance_class="db.t4g.micro", allocated_storage=20, engine="postgres")
    aws.sqs.Queue("payments")


@program(
    "the same, with the stack's aws:region in the US",
    AWS_US,
    {(PIJ, "ledger"), (PIJ, "ledger-db"), (PIJ, "payments")},
)
def p_aws_default_provider_in_us() -> None:
    p_aws_default_provider_in_eu()


@program(
    "no region anywhere: the resources' place cannot be established",
    {"aws:defaultTags": {"tags": TAGS}},
    {(PIJ, "ledger"), (PIJ, "events")},
)
def p_aws_no_region_at_all() -> None:
    aws.s3.Bucket("ledger")
    aws.kinesis.Stream("events", shard_count=1)


@program(
    "an explicit provider in us-east-1 overrides the stack's EU default",
    AWS_EU,
    {(PIJ, "accounts")},
)
def p_aws_explicit_provider_in_us() -> None:
    us = aws.Provider("us", region="us-east-1", default_tags={"tags": TAGS})
    aws.dynamodb.Table(
        "accounts",
        hash_key="id",
        attributes=[{"name": "id", "type": "S"}],
        opts=_opts(us),
        billing_mode="PAY_PER_REQUEST",
    )
    aws.s3.Bucket("eu-bucket")


@program(
    "a resource's own region wins over its EU provider's",
    AWS_EU,
    {(PIJ, "cache")},
)
def p_aws_resource_region_overrides_provider() -> None:
    aws.elasticache.Cluster("cache", engine="redis", node_type="cache.t4g.micro", num_cache_nodes=1, region="us-west-2")


@program(
    "a DynamoDB table in the EU with a replica in the US",
    AWS_EU,
    {(PIJ, "balances")},
)
def p_aws_table_replica_outside() -> None:
    aws.dynamodb.Table(
        "balances",
        hash_key="id",
        attributes=[{"name": "id", "type": "S"}],
        billing_mode="PAY_PER_REQUEST",
        stream_enabled=True,
        stream_view_type="NEW_AND_OLD_IMAGES",
        replicas=[{"region_name": "eu-west-1"}, {"region_name": "us-east-2"}],
    )


@program(
    "a secret replicated inside the EU, managed Kafka and a file system in the EU",
    AWS_EU,
)
def p_aws_secret_kafka_files_in_eu() -> None:
    aws.secretsmanager.Secret("api-key", replicas=[{"region": "eu-west-1"}])
    aws.msk.Cluster(
        "events",
        kafka_version="3.8.x",
        number_of_broker_nodes=3,
        broker_node_group_info={"instance_type": "kafka.m7g.large", "client_subnets": ["s-1", "s-2", "s-3"]},
    )
    aws.efs.FileSystem("shared", encrypted=True)
    aws.ecr.Repository("images")
    aws.cloudwatch.LogGroup("audit")


@program(
    "a secret whose replica sits in Switzerland (not EU/EEA)",
    AWS_EU,
    {(PIJ, "api-key")},
)
def p_aws_secret_replica_in_switzerland() -> None:
    aws.secretsmanager.Secret("api-key", replicas=[{"region": "eu-central-2"}])


@program(
    "a volume whose availability zone is in the US while its provider is in the EU",
    AWS_EU,
    {(PIJ, "scratch")},
)
def p_aws_volume_zone_outside() -> None:
    aws.ebs.Volume("scratch", availability_zone="us-east-1a", size=10, encrypted=True)


@program(
    "global types only (IAM, Route 53): nothing located to judge",
    AWS_US,
)
def p_aws_global_types_only() -> None:
    aws.iam.Role("deployer", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
    aws.route53.Zone("payments", name="payments.example.com")


@program(
    "labels promise eu and us; the central config says eu: the label cannot widen it",
    {"aws:region": "us-east-1", "aws:defaultTags": {"tags": {**TAGS, "strata:jurisdiction": "eu_us"}}},
    {(PIJ, "ledger")},
)
def p_aws_label_cannot_widen() -> None:
    aws.s3.Bucket("ledger")


@program(
    "an ungoverned stack falls back to allowedJurisdictions, never to its own label",
    {"aws:region": "us-east-1", "aws:defaultTags": {"tags": {**TAGS, "strata:jurisdiction": "us"}}},
    {(PIJ, "ledger")},
    policy={"pool-in-jurisdiction": {"environments": {"payments/other": ["us"]}, "allowedJurisdictions": ["eu"]}},
    stack="team-us",
)
def p_aws_ungoverned_stack_uses_the_fallback() -> None:
    aws.s3.Bucket("ledger")


@program(
    "a label narrows what the central config allows: eu is governed, the label says ch, nothing is left",
    {"aws:region": "eu-central-1", "aws:defaultTags": {"tags": {**TAGS, "strata:jurisdiction": "ch"}}},
    {(PIJ, "ledger")},
)
def p_aws_label_narrows() -> None:
    aws.s3.Bucket("ledger")


@program(
    "no provider default tags: every taggable resource lacks the ownership labels",
    {"aws:region": "eu-central-1"},
    {(RLB, "ledger"), (RLB, "deployer")},
)
def p_aws_missing_labels() -> None:
    aws.s3.Bucket("ledger")
    aws.iam.Role("deployer", assume_role_policy="{}")


# ---------------------------------------------------------------- GCP: where resources are


@program("Cloud SQL, Artifact Registry and a Redis cache placed by the provider's EU region", GCP_EU)
def p_gcp_default_region_in_eu() -> None:
    gcp.sql.DatabaseInstance("ledger", database_version="POSTGRES_16", settings={"tier": "db-f1-micro"})
    gcp.artifactregistry.Repository("images", repository_id="images", format="DOCKER")
    gcp.redis.Instance("cache", memory_size_gb=1)


@program(
    "the same with gcp:region in the US",
    {**GCP_EU, "gcp:region": "us-central1"},
    {(PIJ, "ledger"), (PIJ, "images"), (PIJ, "cache")},
)
def p_gcp_default_region_in_us() -> None:
    p_gcp_default_region_in_eu()


@program(
    "instances and disks are zonal: they land in the provider's zone (US), not its region (EU)",
    {**GCP_EU, "gcp:zone": "us-east1-b"},
    {(PIJ, "vm"), (PIJ, "data")},
)
def p_gcp_zonal_types_take_the_provider_zone() -> None:
    gcp.compute.Instance(
        "vm", machine_type="e2-small", boot_disk={"initialize_params": {"image": "debian-12"}}, network_interfaces=[{}]
    )
    gcp.compute.Disk("data", size=10)


@program(
    "a GKE cluster given no location, its provider naming only a zone, is zonal there (US); its node "
    "pool is where the cluster is",
    {"gcp:project": "p-team", "gcp:zone": "us-central1-a", "gcp:defaultLabels": LABELS},
    {(PIJ, "apps"), (PIJ, "apps-general")},
)
def p_gcp_gke_without_location_zonal() -> None:
    gke("apps", unplaced=True)


@program(
    "GetLocation reads the provider's region before its zone: the same cluster is regional in the EU",
    {**GCP_EU, "gcp:zone": "us-central1-a"},
)
def p_gcp_gke_without_location_regional() -> None:
    gke("apps", unplaced=True)


@program(
    "a BigQuery dataset without location is in the US multi-region whatever the provider says",
    GCP_EU,
    {(PIJ, "analytics")},
)
def p_gcp_bigquery_defaults_to_us() -> None:
    gcp.bigquery.Dataset("analytics", dataset_id="analytics")


@program(
    "buckets: EU multi-region passes; EUR5 (Belgium + London) and a US bucket do not",
    GCP_EU,
    {(PIJ, "eur5"), (PIJ, "us")},
)
def p_gcp_bucket_multi_regions() -> None:
    gcp.storage.Bucket("eu", location="EU")
    gcp.storage.Bucket("eur5", location="EUR5")
    gcp.storage.Bucket("us", location="US")


@program(
    "Pub/Sub without a storage policy stores messages anywhere; with one in the EU it passes",
    GCP_EU,
    {(PIJ, "anywhere")},
)
def p_gcp_pubsub_storage_policy() -> None:
    gcp.pubsub.Topic("anywhere")
    gcp.pubsub.Topic("pinned", message_storage_policy={"allowed_persistence_regions": ["europe-west1"]})


@program(
    "a secret with automatic replication may sit anywhere; user-managed in the EU passes",
    GCP_EU,
    {(PIJ, "auto")},
)
def p_gcp_secret_replication() -> None:
    gcp.secretmanager.Secret("auto", secret_id="auto", replication={"auto": {}})
    gcp.secretmanager.Secret(
        "managed", secret_id="managed", replication={"user_managed": {"replicas": [{"location": "europe-west1"}]}}
    )


@program(
    "a key ring in `global` and a key in a ring named by a US path",
    GCP_EU,
    {(PIJ, "global-ring"), (PIJ, "global-key"), (PIJ, "us-key")},
)
def p_gcp_keys_by_reference() -> None:
    ring = gcp.kms.KeyRing("global-ring", location="global")
    gcp.kms.CryptoKey("global-key", key_ring=ring.id)
    gcp.kms.CryptoKey("us-key", key_ring="projects/p-team/locations/us/keyRings/shared")


@program(
    "a log sink lands where its destination bucket is (asia)",
    GCP_EU,
    {(PIJ, "audit-archive"), (PIJ, "audit")},
)
def p_gcp_log_sink_follows_its_destination() -> None:
    bucket = gcp.storage.Bucket("audit-archive", location="ASIA")
    gcp.logging.ProjectSink("audit", destination=bucket.name.apply(lambda n: f"storage.googleapis.com/{n}"))


# ---------------------------------------------------------------- Kubernetes: where objects run


@program(
    "a personal-eu namespace through the default Kubernetes provider: its cluster is unknowable",
    AWS_EU,
    {*in_tenant(DCR, "risk")},
)
def p_k8s_default_provider() -> None:
    namespace("risk", None)


@program(
    "a kubeconfig pasted in as text: its cluster cannot be established",
    AWS_EU,
    {*in_tenant(DCR, "risk")},
)
def p_k8s_literal_kubeconfig() -> None:
    provider = k8s.Provider("pasted", kubeconfig="apiVersion: v1\nclusters: []\n")
    namespace("risk", provider)


@program("a personal-eu namespace on an EKS cluster in Frankfurt", AWS_EU)
def p_k8s_on_eks_in_eu() -> None:
    namespace("risk", eks("apps"))


def _kafka_in_a_virtual_cluster(extra_values: dict[str, Any]) -> None:
    """A vCluster release on an EKS cluster in Frankfurt (the values Strata sets, plus
    ``extra_values``), a provider built from it and the kubeconfig secret it writes, and a
    personal-eu Kafka inside it."""
    host = eks("apps")
    release = k8s.helm.v3.Release(
        "search-vcluster",
        name="search",
        chart="vcluster",
        version="0.36.1",
        namespace="search",
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://charts.loft.sh"),
        values={
            "controlPlane": {"distro": {"k8s": {"enabled": True, "image": {"repository": "loft-sh/kubernetes"}}}},
            "exportKubeConfig": {"server": "https://search.search:443"},
            **extra_values,
        },
        opts=_opts(host),
    )
    secret = k8s.core.v1.Secret.get("search-kubeconfig", "search/vc-search", opts=_opts(host))
    inside = k8s.Provider("search-k8s", kubeconfig=pulumi.Output.all(release.status, secret.data).apply(str))
    labels = {"strata.io/tenant": "search", "dataclass.strata.io/personal-eu": "true"}
    k8s.apiextensions.CustomResource(
        "events",
        api_version="kafka.strimzi.io/v1",
        kind="Kafka",
        metadata={"name": "events", "namespace": "search", "labels": labels},
        spec={"kafka": {"listeners": [{"name": "tls", "port": 9093, "type": "internal", "tls": True}]}},
        opts=_opts(inside),
    )


@program("a personal-eu Kafka inside a vCluster on an EKS cluster in Frankfurt: placed where its host is", AWS_EU)
def p_k8s_kafka_in_a_virtual_cluster_in_eu() -> None:
    _kafka_in_a_virtual_cluster({})


@program(
    "the same vCluster with private nodes (its pods may run on nodes anywhere): not believed",
    AWS_EU,
    {(DCR, "events")},
)
def p_red_k8s_kafka_in_a_virtual_cluster_with_private_nodes() -> None:
    _kafka_in_a_virtual_cluster({"privateNodes": {"enabled": True}})


@program(
    "the same cluster built through an explicit provider in us-east-1",
    AWS_EU,
    {*in_tenant(DCR, "risk"), (PIJ, "apps"), (PIJ, "apps-key"), (PIJ, "apps-vpc-cni")},
)
def p_k8s_on_eks_in_us() -> None:
    us = aws.Provider("us", region="us-east-1", default_tags={"tags": TAGS})
    namespace("risk", eks("apps", provider=us))


@program(
    "an EU cluster registered first as a decoy; the namespace goes to the US cluster",
    AWS_EU,
    {*in_tenant(DCR, "risk"), (PIJ, "us-apps"), (PIJ, "us-apps-key"), (PIJ, "us-apps-vpc-cni")},
)
def p_k8s_decoy_cluster_first() -> None:
    eks("eu-apps")
    namespace("risk", eks("us-apps", region="us-east-1"))


@program(
    "the data class only on the pod template of a Deployment on a US cluster",
    AWS_EU,
    {(DCR, "ledger-api"), (PIJ, "apps"), (PIJ, "apps-key"), (PIJ, "apps-vpc-cni")},
)
def p_k8s_pod_template_label() -> None:
    provider = eks("apps", region="us-east-1")
    k8s.apps.v1.Deployment(
        "ledger-api",
        metadata={"labels": {"app": "ledger-api"}},
        spec={
            "selector": {"match_labels": {"app": "ledger-api"}},
            "template": {
                "metadata": {"labels": {"app": "ledger-api", **PERSONAL}},
                "spec": {"containers": [{"name": "api", "image": "registry.example/ledger:1"}]},
            },
        },
        opts=_opts(provider),
    )


@program(
    "the data class inside a Helm release's values, on a US cluster",
    AWS_EU,
    {(DCR, "ledger-db"), (PIJ, "apps"), (PIJ, "apps-key"), (PIJ, "apps-vpc-cni")},
)
def p_k8s_helm_release_values() -> None:
    provider = eks("apps", region="us-east-1")
    k8s.helm.v3.Release(
        "ledger-db",
        chart="postgresql",
        repository_opts={"repo": "https://charts.example.com"},
        values={"primary": {"podLabels": PERSONAL}},
        opts=_opts(provider),
    )


@program(
    "the data class inside the YAML a ConfigGroup applies, on a US cluster",
    AWS_EU,
    {(DCR, "ledger"), (PIJ, "apps"), (PIJ, "apps-key"), (PIJ, "apps-vpc-cni")},
)
def p_k8s_config_group_yaml() -> None:
    provider = eks("apps", region="us-east-1")
    k8s.yaml.v2.ConfigGroup(
        "ledger",
        yaml="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ledger\n  labels:\n"
        '    "dataclass.strata.io/personal-eu": "true"\ndata: {}\n',
        opts=_opts(provider),
    )


@program(
    "a kubeconfig printed by a local command (gcloud get-credentials) could be any cluster's, even when the "
    "command names a cluster in Frankfurt: it cannot be placed",
    GCP_EU,
    {*in_tenant(DCR, "risk")},
)
def p_k8s_kubeconfig_through_a_command() -> None:
    cluster = gke("apps")
    fetched = command.local.Command(
        "get-credentials",
        create=pulumi.Output.concat(
            "gcloud container clusters get-credentials ", cluster.name, " --region europe-west3"
        ),
    )
    provider = k8s.Provider("apps-k8s", kubeconfig=fetched.stdout)
    namespace("risk", provider)


class PretendPool(pulumi.ComponentResource):
    """A component that calls itself Strata's pool and claims Germany."""

    def __init__(self, name: str) -> None:
        claims = {"strata": {"substrate": "aws", "region": "eu-central-1", "country": "DE", "jurisdiction": "eu"}}
        super().__init__("strata:pool:ResourcePool", name, claims)
        self.k8s = eks(f"{name}-apps", region="us-east-1")
        self.register_outputs({})


@program(
    "a component named like Strata's pool claims Germany around a cluster in Virginia",
    AWS_EU,
    {*in_tenant(DCR, "risk"), (PIJ, "lying-apps"), (PIJ, "lying-apps-key"), (PIJ, "lying-apps-vpc-cni")},
)
def p_k8s_lying_component() -> None:
    namespace("risk", PretendPool("lying").k8s)


class PretendSite(pulumi.ComponentResource):
    """A bare-metal 'site' in Frankfurt whose host is an EC2 instance in Virginia."""

    def __init__(self, name: str) -> None:
        super().__init__(
            "strata:pool:ResourcePool", name, {"strata": {"substrate": "bareMetal", "site": "fra", "country": "DE"}}
        )
        us = aws.Provider(f"{name}-us", region="us-east-1", default_tags={"tags": TAGS})
        host = aws.ec2.Instance(
            f"{name}-host",
            ami="ami-123",
            instance_type="m7i.large",
            metadata_options={"http_tokens": "required", "http_put_response_hop_limit": 1},
            opts=pulumi.ResourceOptions(parent=self, provider=us),
        )
        fetched = command.remote.Command(
            f"{name}-kubeconfig",
            connection={"host": host.public_ip, "user": "ops"},
            create="cat /etc/rancher/rke2/rke2.yaml",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.k8s = k8s.Provider(f"{name}-k8s", kubeconfig=fetched.stdout, opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


@program(
    "a site's claim is not believed where its host is a VM in another country",
    AWS_EU,
    {*in_tenant(DCR, "risk"), (PIJ, "fra-host"), (PIJ, "fra-kubeconfig")},
)
def p_k8s_site_claim_contradicted_by_its_host() -> None:
    namespace("risk", PretendSite("fra").k8s)


class Site(pulumi.ComponentResource):
    """A bare-metal site with hosts reached over SSH (addresses only)."""

    def __init__(self, name: str, country: str) -> None:
        super().__init__(
            "team:infra:Site", name, {"strata": {"substrate": "bareMetal", "site": name, "country": country}}
        )
        fetched = command.remote.Command(
            f"{name}-kubeconfig",
            connection={"host": "10.20.0.11", "user": "ops"},
            create="cat /etc/rancher/rke2/rke2.yaml",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.k8s = k8s.Provider(f"{name}-k8s", kubeconfig=fetched.stdout, opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


@program("a bare-metal site in Germany, believed: nothing physical says otherwise", AWS_EU)
def p_k8s_bare_metal_site_believed() -> None:
    namespace("risk", Site("fra-dc1", "DE").k8s)


@program(
    "the same site pinned centrally in the US: the program's claim of Germany does not count",
    AWS_EU,
    {*in_tenant(DCR, "risk"), (PIJ, "fra-dc1-kubeconfig")},
    policy={
        "pool-in-jurisdiction": {"environments": {f"{PROJECT}/{STACK}": ["eu"]}, "sites": {"fra-dc1": "US"}},
        "data-class-residency": {"sites": {"fra-dc1": "US"}},
    },
)
def p_k8s_bare_metal_site_pinned() -> None:
    namespace("risk", Site("fra-dc1", "DE").k8s)


@program(
    "a namespace without data classes may run anywhere its stack may (a us stack here)",
    AWS_US,
    policy={"pool-in-jurisdiction": {"environments": {f"{PROJECT}/tools-us": ["us"]}}},
    stack="tools-us",
)
def p_k8s_unclassed_objects_anywhere() -> None:
    us = aws.Provider("us", region="us-east-1", default_tags={"tags": {**TAGS, "strata:jurisdiction": "us"}})
    namespace("tools", eks("apps", provider=us), labels={"app": "tools"})


# ---------------------------------------------------------------- meaning, not strings


def _eks_public(name: str, cidrs: list[str] | None, public: bool | None = True) -> None:
    key = aws.kms.Key(f"{name}-key")
    vpc: dict[str, Any] = {"subnet_ids": ["subnet-1"]}
    if public is not None:
        vpc["endpoint_public_access"] = public
    if cidrs is not None:
        vpc["public_access_cidrs"] = cidrs
    cluster = aws.eks.Cluster(
        name,
        role_arn="arn:aws:iam::111122223333:role/eks",
        version="1.35",
        vpc_config=vpc,
        encryption_config={"provider": {"key_arn": key.arn}, "resources": ["secrets"]},
    )
    aws.eks.Addon(f"{name}-pod-identity", cluster_name=cluster.name, addon_name="eks-pod-identity-agent")
    network_policy(cluster, name)


@program(
    "an EKS endpoint 'restricted' to 0.0.0.0/1 and 128.0.0.0/1 is open",
    AWS_EU,
    {(CAP, "halves")},
)
def p_eks_two_halves_are_the_internet() -> None:
    _eks_public("halves", ["0.0.0.0/1", "128.0.0.0/1"])


@program(
    "an EKS endpoint open by default, and one restricted to a /28 of an office",
    AWS_EU,
    {(CAP, "default-public")},
)
def p_eks_public_by_default_vs_office() -> None:
    _eks_public("default-public", None, public=None)
    _eks_public("office", ["198.18.0.0/15", "81.2.69.160/28"])


@program(
    "GKE control planes: DNS endpoint open to the internet, Google Cloud's public ranges, no authorized networks",
    GCP_EU,
    {(CAP, "dns-open"), (CAP, "gcp-ranges"), (CAP, "no-man")},
)
def p_gke_every_way_the_api_is_exposed() -> None:
    gke("dns-open", control_plane_endpoints_config={"dns_endpoint_config": {"allow_external_traffic": True}})
    public = {
        "enable_private_nodes": True,
        "enable_private_endpoint": False,
        "master_ipv4_cidr_block": "172.16.0.16/28",
    }
    gke(
        "gcp-ranges",
        private_cluster_config=public,
        master_authorized_networks_config={"cidr_blocks": [{"cidr_block": "81.2.69.160/28"}]},
    )
    gke("no-man", private_cluster_config=public, master_authorized_networks_config=None)
    gke(
        "office-only",
        private_cluster_config=public,
        master_authorized_networks_config={
            "gcp_public_cidrs_access_enabled": False,
            "cidr_blocks": [{"cidr_block": "81.2.69.160/28"}],
        },
    )


@program(
    "node groups and node pools are judged on the versions they carry",
    {**AWS_EU, **GCP_EU},
    {(SKV, "old-nodes"), (SKV, "old-pool")},
)
def p_versions_of_node_pools() -> None:
    _eks_public("apps", None, public=False)
    template = aws.ec2.LaunchTemplate(
        "nodes", metadata_options={"http_tokens": "required", "http_put_response_hop_limit": 1}
    )
    aws.eks.NodeGroup(
        "old-nodes",
        cluster_name="apps",
        node_role_arn="arn:aws:iam::111122223333:role/nodes",
        subnet_ids=["subnet-1"],
        scaling_config={"min_size": 1, "max_size": 2, "desired_size": 1},
        version="1.29",
        launch_template={"id": template.id, "version": "1"},
    )
    cluster = gke("gapps")
    gcp.container.NodePool(
        "old-pool",
        cluster=cluster.id,
        location="europe-west3",
        version="1.30.5-gke.1000",
        node_config={
            "service_account": "nodes@p-team.iam.gserviceaccount.com",
            "workload_metadata_config": {"mode": "GKE_METADATA"},
            "resource_labels": LABELS,
        },
    )


@program(
    "GKE: no nodeConfig on the cluster (its default pool) and an inline pool on the Compute Engine default account",
    GCP_EU,
    {(NMP, "bare"), (WID, "bare"), (NMP, "inline"), (WID, "inline")},
)
def p_gke_default_node_pool() -> None:
    gke("bare", node_config=None)
    gke(
        "inline",
        remove_default_node_pool=None,
        node_config=None,
        node_pools=[{"name": "default", "node_config": {"service_account": "default"}}],
    )
    gke("auto", enable_autopilot=True, node_config=None, remove_default_node_pool=None, datapath_provider=None)


@program(
    "GKE without Dataplane V2 or network policy; one that asks for client certificates",
    GCP_EU,
    {(CNP, "legacy"), (CSC, "certs")},
)
def p_gke_network_policy_and_certificates() -> None:
    gke("legacy", datapath_provider=None)
    gke("calico", datapath_provider=None, network_policy={"enabled": True, "provider": "CALICO"})
    gke("certs", master_auth={"client_certificate_config": {"issue_client_certificate": True}})


@program(
    "EC2 metadata: an instance allowing IMDSv1; templates with IMDSv2 or the endpoint off; a node group "
    "using a template from outside the stack",
    AWS_EU,
    {(NMP, "legacy-vm"), (NMP, "workers")},
)
def p_ec2_metadata() -> None:
    aws.ec2.Instance("legacy-vm", ami="ami-123", instance_type="t3.micro")
    strict = aws.ec2.LaunchTemplate(
        "strict", metadata_options={"http_tokens": "required", "http_put_response_hop_limit": 1}
    )
    aws.ec2.LaunchTemplate("sealed", metadata_options={"http_endpoint": "disabled"})
    aws.ec2.Instance("from-template", launch_template={"id": strict.id, "version": "$Latest"})
    _eks_public("apps", None, public=False)
    aws.eks.NodeGroup(
        "workers",
        cluster_name="apps",
        node_role_arn="arn:aws:iam::111122223333:role/nodes",
        subnet_ids=["subnet-1"],
        scaling_config={"min_size": 1, "max_size": 2, "desired_size": 1},
        launch_template={"id": "lt-0abc", "version": "3"},
    )


@program(
    "an EKS cluster encrypting secrets with AWS's own alias/aws/eks key",
    AWS_EU,
    {(CSE, "aws-key")},
)
def p_eks_aws_managed_key_alias() -> None:
    cluster = aws.eks.Cluster(
        "aws-key",
        role_arn="arn:aws:iam::111122223333:role/eks",
        version="1.35",
        vpc_config={"subnet_ids": ["subnet-1"], "endpoint_public_access": False},
        encryption_config={"provider": {"key_arn": "alias/aws/eks"}, "resources": ["secrets"]},
    )
    aws.eks.Addon("aws-key-pod-identity", cluster_name=cluster.name, addon_name="eks-pod-identity-agent")
    network_policy(cluster, "aws-key")
    cluster2 = aws.eks.Cluster(
        "own-key",
        role_arn="arn:aws:iam::111122223333:role/eks",
        version="1.35",
        vpc_config={"subnet_ids": ["subnet-1"], "endpoint_public_access": False},
        encryption_config={
            "provider": {"key_arn": "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
            "resources": ["secrets"],
        },
    )
    aws.eks.Addon("own-key-pod-identity", cluster_name=cluster2.name, addon_name="eks-pod-identity-agent")
    network_policy(cluster2, "own-key")


@program(
    "GCP labels from the provider's defaultLabels count; a bucket under an explicit provider without them does not",
    GCP_EU,
    {(RLB, "unlabelled")},
)
def p_gcp_default_labels() -> None:
    gcp.storage.Bucket("labelled", location="EUROPE-WEST3")
    bare = gcp.Provider("bare", project="p-team", region="europe-west3")
    gcp.storage.Bucket("unlabelled", location="EUROPE-WEST3", opts=_opts(bare))


# ---------------------------------------------------------------- what a red team tried (each once a hole)

MULTI_TAGS = {**TAGS, "strata:jurisdiction": "eu_us"}
AWS_MULTI = {"aws:region": "eu-central-1", "aws:defaultTags": {"tags": MULTI_TAGS}}
#: A stack that may use the EU and the US: only data-class-residency stands between personal-eu
#: data and a US cluster.
MULTI = {"pool-in-jurisdiction": {"environments": {f"{PROJECT}/{STACK}": ["eu", "us"]}}}
US_EKS_KUBECONFIG = json.dumps(
    {
        "apiVersion": "v1",
        "clusters": [{"name": "prod-us", "cluster": {"server": "https://ABCDEF.gr7.us-east-1.eks.amazonaws.com"}}],
    }
)


@program(
    "a literal US kubeconfig produced inside an EU bucket's output: a bucket is not a cluster",
    AWS_MULTI,
    {*in_tenant(DCR, "risk")},
    policy=MULTI,
)
def p_red_kubeconfig_gated_on_a_bucket() -> None:
    audit = aws.s3.Bucket("audit")
    namespace("risk", k8s.Provider("apps", kubeconfig=audit.arn.apply(lambda _: US_EKS_KUBECONFIG)))


@program(
    "a local command fetching a kubeconfig, its triggers wired to an EU bucket",
    AWS_MULTI,
    {*in_tenant(DCR, "risk")},
    policy=MULTI,
)
def p_red_command_with_decoy_triggers() -> None:
    audit = aws.s3.Bucket("audit")
    fetched = command.local.Command("get-kubeconfig", create="aws eks update-kubeconfig ...", triggers=[audit.arn])
    namespace("risk", k8s.Provider("apps", kubeconfig=fetched.stdout))


@program(
    "a remote host whose SSH key comes from an EU secret: the key does not place the host",
    AWS_MULTI,
    {*in_tenant(DCR, "risk"), (PIJ, "kubeconfig")},
    policy=MULTI,
)
def p_red_ssh_key_from_an_eu_secret() -> None:
    key = aws.secretsmanager.Secret("ssh-key")
    version = aws.secretsmanager.SecretVersion("ssh-key-v", secret_id=key.id, secret_string="-----BEGIN KEY-----")
    fetched = command.remote.Command(
        "kubeconfig",
        connection={"host": "198.51.100.23", "user": "ops", "private_key": version.secret_string},
        create="cat /etc/rancher/rke2/rke2.yaml",
    )
    namespace("risk", k8s.Provider("apps", kubeconfig=fetched.stdout))


@program(
    "a cluster's bearer token read from a US secret: the cluster is still the EU one (compliant)",
    AWS_MULTI,
    policy=MULTI,
)
def p_red_token_from_a_us_secret() -> None:
    eu = eks("apps")
    secret = aws.secretsmanager.Secret("token", region="us-east-1")
    token = aws.secretsmanager.SecretVersion("token-v", region="us-east-1", secret_id=secret.id, secret_string="t")
    kubeconfig = pulumi.Output.all(eu.urn, token.secret_string).apply(lambda a: json.dumps({"users": [a[1]]}))
    provider = k8s.Provider("apps-token", kubeconfig=kubeconfig)
    # built from the token and the provider above, whose kubeconfig traces to the EU cluster
    namespace("risk", provider)


@program(
    "a remote command to a literal address, under no site: its place cannot be established",
    AWS_EU,
    {(PIJ, "install-rke2")},
)
def p_red_remote_host_unclaimed() -> None:
    command.remote.Command("install-rke2", connection={"host": "198.51.100.23", "user": "ops"}, create="install")


@program(
    "a kubeconfig with an EU and a US context, the provider selecting the US one: judged on its text",
    AWS_EU,
    {*in_tenant(DCR, "risk")},
)
def p_red_context_switch_in_a_literal_kubeconfig() -> None:
    text = json.dumps(
        {
            "clusters": [
                {"name": "eu", "cluster": {"server": "https://AAAA.gr7.eu-central-1.eks.amazonaws.com"}},
                {"name": "us", "cluster": {"server": "https://BBBB.gr7.us-east-1.eks.amazonaws.com"}},
            ],
            "contexts": [{"name": "us", "context": {"cluster": "us"}}],
        }
    )
    namespace("risk", k8s.Provider("apps", kubeconfig=text, context="us"))


@program(
    "a data class in a Helm values file given as text, in escaped YAML keys, and under !!str tags, on a US cluster",
    AWS_MULTI,
    {(DCR, "values-file"), (DCR, "escaped"), (DCR, "tagged")},
    policy=MULTI,
)
def p_red_labels_in_disguise() -> None:
    provider = eks("apps", region="us-east-1")
    repo = {"repo": "https://charts.example.com"}
    k8s.helm.v3.Release(
        "values-file",
        chart="postgresql",
        repository_opts=repo,
        value_yaml_files=[
            pulumi.StringAsset('primary:\n  podLabels:\n    "dataclass.strata.io/personal-eu": "true"\n')
        ],
        opts=_opts(provider),
    )
    escaped = 'metadata:\n  labels:\n    "\\x64ataclass.strata.io/personal-eu": "true"\n'
    k8s.helm.v3.Release(
        "escaped", chart="x", repository_opts=repo, values={"extraDeploy": [escaped]}, opts=_opts(provider)
    )
    tagged = "metadata:\n  labels:\n    dataclass.strata.io/personal-eu: !!str true\n"
    k8s.helm.v3.Release(
        "tagged", chart="x", repository_opts=repo, values={"extraDeploy": [tagged]}, opts=_opts(provider)
    )


@program(
    "a label beside a list longer than the pack's node limit, and a values file the pack cannot read",
    AWS_MULTI,
    {(DCR, "padded"), (DCR, "from-file")},
    policy=MULTI,
)
def p_red_inputs_too_big_or_unreadable() -> None:
    provider = eks("apps", region="us-east-1")
    k8s.helm.v3.Release(
        "padded", chart="x", values={"podLabels": PERSONAL, "zpadding": [0] * (MAX_NODES + 1)}, opts=_opts(provider)
    )
    k8s.helm.v3.Release(
        "from-file", chart="x", value_yaml_files=[pulumi.FileAsset("values.yaml")], opts=_opts(provider)
    )


@program(
    "a NetworkPolicy and a Kyverno policy that select personal-eu pods on a US cluster: guards, not data",
    AWS_MULTI,
    policy=MULTI,
)
def p_red_selectors_are_not_labels() -> None:
    provider = eks("apps", region="us-east-1")
    match = {"matchLabels": {"dataclass.strata.io/personal-eu": "true"}}
    k8s.networking.v1.NetworkPolicy(
        "isolate", spec={"podSelector": match, "policyTypes": ["Ingress"]}, opts=_opts(provider)
    )
    k8s.apiextensions.CustomResource(
        "deny",
        api_version="kyverno.io/v1",
        kind="ClusterPolicy",
        spec={"rules": [{"match": {"any": [{"resources": {"kinds": ["Pod"], "selector": match}}]}}]},
        opts=_opts(provider),
    )


@program(
    "Bigtable clusters in the US, a Spanner regional config in the US, a table in an unknown dataset",
    GCP_EU,
    {(PIJ, "ledger-bt"), (PIJ, "ledger-spanner"), (PIJ, "payments")},
)
def p_red_gcp_data_in_parents() -> None:
    gcp.bigtable.Instance("ledger-bt", clusters=[{"cluster_id": "c1", "zone": "us-central1-b"}])
    gcp.spanner.Instance("ledger-spanner", config="regional-us-central1", display_name="ledger")
    gcp.bigquery.Table("payments", dataset_id="shared_us_analytics", table_id="payments")


@program(
    "backups, replicas and exports that leave the EU",
    {**AWS_EU, **GCP_EU},
    {
        (PIJ, "ledger-db"),
        (PIJ, "nightly"),
        (PIJ, "ledger-repl"),
        (PIJ, "images-repl"),
        (PIJ, "archive"),
        (PIJ, "archive-us"),
        (PIJ, "accounts"),
    },
)
def p_red_copies_elsewhere() -> None:
    gcp.sql.DatabaseInstance(
        "ledger-db",
        database_version="POSTGRES_16",
        region="europe-west3",
        settings={"tier": "db-f1-micro", "backup_configuration": {"location": "us"}},
    )
    aws.backup.Plan(
        "nightly",
        rules=[
            {
                "rule_name": "nightly",
                "target_vault_name": "Default",
                "copy_actions": [
                    {"destination_vault_arn": "arn:aws:backup:us-east-1:111122223333:backup-vault:Default"}
                ],
            }
        ],
    )
    src = aws.s3.Bucket("ledger")
    aws.s3.BucketReplicationConfig(
        "ledger-repl",
        bucket=src.id,
        role="arn:aws:iam::111122223333:role/repl",
        rules=[{"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::archive-virginia"}}],
    )
    aws.ecr.ReplicationConfiguration(
        "images-repl",
        replication_configuration={
            "rules": [{"destinations": [{"region": "us-east-1", "registry_id": "111122223333"}]}]
        },
    )
    topic = gcp.pubsub.Topic("events", message_storage_policy={"allowed_persistence_regions": ["europe-west3"]})
    us_bucket = gcp.storage.Bucket("archive-us", location="US", opts=_opts(None, ignore_changes=[]))
    gcp.pubsub.Subscription("archive", topic=topic.id, cloud_storage_config={"bucket": us_bucket.name})
    aws.dynamodb.GlobalTable("accounts", name="accounts", replicas=[{"region_name": "us-east-1"}])


@program(
    "AWS Local Zones abroad are not their parent region's country",
    {"aws:region": "us-east-1", "aws:defaultTags": {"tags": {**TAGS, "strata:jurisdiction": "us"}}},
    {(PIJ, "queretaro"), (PIJ, "unknown-zone")},
    policy={"pool-in-jurisdiction": {"environments": {f"{PROJECT}/{STACK}": ["us"]}}},
)
def p_red_local_zones() -> None:
    aws.ebs.Volume("boston", availability_zone="us-east-1-bos-1a", size=10)
    aws.ebs.Volume("queretaro", availability_zone="us-east-1-qro-1a", size=10)
    aws.ebs.Volume("unknown-zone", availability_zone="us-east-1-zzz-1a", size=10)


@program(
    "GCP self links and cluster paths read as the provider reads them",
    GCP_EU,
    {(PIJ, "vm"), (PIJ, "extra")},
)
def p_red_gcp_paths() -> None:
    gcp.compute.Instance(
        "vm",
        zone="projects/p/regions/europe-west3/zones/us-central1-a",
        machine_type="e2-small",
        boot_disk={"initialize_params": {"image": "debian-12"}},
        network_interfaces=[{}],
    )
    gcp.container.NodePool(
        "extra",
        cluster="regions/europe-west3/projects/p-team/locations/us-central1/clusters/legacy",
        node_config={
            "service_account": "nodes@p-team.iam.gserviceaccount.com",
            "workload_metadata_config": {"mode": "GKE_METADATA"},
            "resource_labels": LABELS,
        },
    )


@program(
    "a stack the central config does not name, its labels claiming the US",
    {"aws:region": "us-east-1", "aws:defaultTags": {"tags": {**TAGS, "strata:jurisdiction": "us"}}},
    {(PIJ, "ledger")},
    stack="team-prod-2",
)
def p_red_renamed_stack() -> None:
    aws.s3.Bucket("ledger")


@program(
    "a bucket in the US with a tag known only at apply: still a definite violation",
    AWS_EU,
    {(PIJ, "ledger")},
)
def p_red_unknown_tag_does_not_defer() -> None:
    build = aws.ssm.Parameter("build", type="String", value="1")
    aws.s3.Bucket("ledger", region="us-east-1", tags={"build": build.version.apply(str)})


@program(
    "an S3 provider pointed at a non-AWS endpoint: where the data lands cannot be established",
    AWS_EU,
    {(PIJ, "ledger")},
)
def p_red_custom_endpoint() -> None:
    lying = aws.Provider(
        "frankfurt",
        region="eu-central-1",
        default_tags={"tags": TAGS},
        endpoints=[{"s3": "https://s3.us-east-005.example.com"}],
    )
    aws.s3.Bucket("ledger", opts=_opts(lying))


@program(
    "EKS clusters whose CNI does not enforce NetworkPolicy: its agent off, no CNI add-on at all, "
    "a configuration that is not JSON",
    AWS_EU,
    {(CNP, "agent-off"), (CNP, "no-cni"), (CNP, "garbled")},
)
def p_red_eks_without_network_policy() -> None:
    for name, config in (("agent-off", {"enableNetworkPolicy": "false"}), ("garbled", None), ("no-cni", None)):
        key = aws.kms.Key(f"{name}-key")
        cluster = aws.eks.Cluster(
            name,
            role_arn="arn:aws:iam::111122223333:role/eks",
            version="1.35",
            vpc_config={"subnet_ids": ["subnet-1"], "endpoint_public_access": False},
            encryption_config={"provider": {"key_arn": key.arn}, "resources": ["secrets"]},
        )
        aws.eks.Addon(f"{name}-pod-identity", cluster_name=cluster.name, addon_name="eks-pod-identity-agent")
        if name != "no-cni":
            aws.eks.Addon(
                f"{name}-vpc-cni",
                cluster_name=cluster.name,
                addon_name="vpc-cni",
                configuration_values=json.dumps(config) if config else "enableNetworkPolicy: true",
            )


def _named_eks(name: str, **kw: Any) -> aws.eks.Cluster:
    key = aws.kms.Key(f"{name}-key")
    return aws.eks.Cluster(
        name,
        name=name,
        role_arn="arn:aws:iam::111122223333:role/eks",
        version="1.35",
        vpc_config={"subnet_ids": ["subnet-1"], "endpoint_public_access": False},
        encryption_config={"provider": {"key_arn": key.arn}, "resources": ["secrets"]},
        **kw,
    )


ENFORCING = json.dumps({"enableNetworkPolicy": "true"})


@program(
    "add-ons naming the cluster's name in another region (EKS looks the name up where the add-on is "
    "made), and an enforcing CNI beside one with its agent off on the same cluster",
    AWS_EU,
    {(CNP, "apps"), (WID, "apps"), (PIJ, "apps-cni-elsewhere"), (PIJ, "apps-agent-elsewhere"), (CNP, "twice")},
)
def p_red_eks_add_ons_by_name_elsewhere() -> None:
    _named_eks("apps")
    aws.eks.Addon(
        "apps-cni-elsewhere",
        cluster_name="apps",
        addon_name="vpc-cni",
        region="us-east-1",
        configuration_values=ENFORCING,
    )
    aws.eks.Addon("apps-agent-elsewhere", cluster_name="apps", addon_name="eks-pod-identity-agent", region="us-east-1")
    twice = _named_eks("twice")
    aws.eks.Addon("twice-pod-identity", cluster_name=twice.name, addon_name="eks-pod-identity-agent")
    off = aws.eks.Addon(
        "twice-cni-off",
        cluster_name=twice.name,
        addon_name="vpc-cni",
        configuration_values=json.dumps({"enableNetworkPolicy": "false"}),
    )
    aws.eks.Addon(
        "twice-cni-on",
        cluster_name=twice.name,
        addon_name="vpc-cni",
        configuration_values=ENFORCING,
        opts=pulumi.ResourceOptions(depends_on=[off]),
    )


@program(
    "a CNI add-on whose cluster name is made from a named cluster's outputs, not its name: it cannot be "
    "verified before apply, never taken as the cluster's",
    AWS_EU,
    {(f"{CNP} (advisory)", "")},
)
def p_red_eks_cni_on_a_name_made_from_the_cluster() -> None:
    cluster = _named_eks("apps")
    aws.eks.Addon("apps-pod-identity", cluster_name=cluster.name, addon_name="eks-pod-identity-agent")
    aws.eks.Addon(
        "apps-cni",
        cluster_name=pulumi.Output.all(cluster.name, cluster.arn).apply(lambda a: "legacy"),
        addon_name="vpc-cni",
        configuration_values=ENFORCING,
    )


@program(
    "a node group on an external template whose version comes from ours; an ASG override on it; a "
    "pod-identity add-on and an enforcing CNI add-on on another cluster",
    AWS_EU,
    {(NMP, "workers"), (NMP, "batch"), (WID, "apps"), (CNP, "apps")},
)
def p_red_wiring_that_is_not() -> None:
    strict = aws.ec2.LaunchTemplate(
        "strict", metadata_options={"http_tokens": "required", "http_put_response_hop_limit": 1}
    )
    key = aws.kms.Key("apps-key")
    cluster = aws.eks.Cluster(
        "apps",
        role_arn="arn:aws:iam::111122223333:role/eks",
        version="1.35",
        vpc_config={"subnet_ids": ["subnet-1"], "endpoint_public_access": False},
        encryption_config={"provider": {"key_arn": key.arn}, "resources": ["secrets"]},
    )
    aws.eks.Addon(
        "legacy-pod-identity", cluster_name="legacy", addon_name="eks-pod-identity-agent", tags={"x": cluster.name}
    )
    aws.eks.Addon(  # enforcing, but on another cluster: "apps" enforces nothing
        "legacy-vpc-cni",
        cluster_name="legacy",
        addon_name="vpc-cni",
        configuration_values=json.dumps({"enableNetworkPolicy": "true"}),
        tags={"x": cluster.name},
    )
    aws.eks.NodeGroup(
        "workers",
        cluster_name=cluster.name,
        node_role_arn="arn:aws:iam::111122223333:role/nodes",
        subnet_ids=["subnet-1"],
        scaling_config={"min_size": 1, "max_size": 2, "desired_size": 1},
        launch_template={"id": "lt-0legacy", "version": strict.latest_version.apply(str)},
    )
    aws.autoscaling.Group(
        "batch",
        min_size=1,
        max_size=3,
        mixed_instances_policy={
            "launch_template": {
                "launch_template_specification": {"launch_template_id": strict.id},
                "overrides": [{"launch_template_specification": {"launch_template_id": "lt-0legacy"}}],
            }
        },
    )


@program(
    "an inline GKE node pool pinned to an unsupported version",
    GCP_EU,
    {(SKV, "apps")},
)
def p_red_inline_node_pool_version() -> None:
    gke(
        "apps",
        node_config=None,
        remove_default_node_pool=None,
        node_pools=[
            {
                "name": "legacy",
                "version": "1.30.9-gke.1000",
                "node_config": {
                    "service_account": "nodes@p.iam.gserviceaccount.com",
                    "workload_metadata_config": {"mode": "GKE_METADATA"},
                },
            }
        ],
    )


@program(
    "an attached cluster registered in Frankfurt, and EKS hybrid nodes behind a Frankfurt control plane",
    {**AWS_EU, **GCP_EU},
    {(PIJ, "attached"), *in_tenant(DCR, "risk-attached"), (PIJ, "hybrid"), *in_tenant(DCR, "risk-hybrid")},
)
def p_red_clusters_that_run_elsewhere() -> None:
    attached = gcp.container.AttachedCluster(
        "attached",
        location="europe-west3",
        distribution="eks",
        platform_version="1.35.0-gke.1",
        fleet={"project": "projects/1"},
        oidc_config={"issuer_url": "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"},
    )
    namespace("risk-attached", k8s.Provider("via-gateway", kubeconfig=attached.name.apply(lambda n: f"server: {n}")))
    key = aws.kms.Key("hybrid-key")
    hybrid = aws.eks.Cluster(
        "hybrid",
        role_arn="arn:aws:iam::111122223333:role/eks",
        version="1.35",
        vpc_config={"subnet_ids": ["subnet-1"], "endpoint_public_access": False},
        encryption_config={"provider": {"key_arn": key.arn}, "resources": ["secrets"]},
        remote_network_config={"remote_node_networks": {"cidrs": ["10.200.0.0/16"]}},
    )
    aws.eks.Addon("hybrid-pod-identity", cluster_name=hybrid.name, addon_name="eks-pod-identity-agent")
    network_policy(hybrid, "hybrid")
    namespace("risk-hybrid", k8s.Provider("hybrid", kubeconfig=hybrid.endpoint))


@program(
    "transforms move resources to the US and a namespace to a US cluster after the fact",
    AWS_MULTI,
    # the Namespace moved; its guard rails stayed on the EU cluster, where they guard nothing of its
    {(PIJ, "ledger"), (PIJ, "accounts"), (DCR, "risk"), (TGR, "risk")},
    policy={"pool-in-jurisdiction": {"environments": {f"{PROJECT}/{STACK}": ["eu"]}}},
)
def p_red_transforms() -> None:
    eu = eks("apps")
    us = k8s.Provider("us", kubeconfig=aws.eks.Cluster.get("us-cluster", "prod-us").endpoint)

    def move(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ == "aws:s3/bucket:Bucket":
            return pulumi.ResourceTransformResult({**args.props, "region": "us-east-1"}, args.opts)
        if args.type_ == "kubernetes:core/v1:Namespace":
            return pulumi.ResourceTransformResult(
                args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(provider=us))
            )
        return None

    pulumi.runtime.register_resource_transform(move)
    aws.s3.Bucket("ledger")
    table_opts = pulumi.ResourceOptions(
        transforms=[lambda a: pulumi.ResourceTransformResult({**a.props, "region": "us-west-2"}, a.opts)]
    )
    aws.dynamodb.Table("accounts", hash_key="id", attributes=[{"name": "id", "type": "S"}], opts=table_opts)
    namespace("risk", eu)


@program(
    "a kubeconfig behind 160 local commands in 8 fully connected layers: answered, not hung",
    AWS_EU,
    {*in_tenant(DCR, "risk")},
)
def p_red_kubeconfig_trace_blowup() -> None:
    previous: list[command.local.Command] = []
    for layer in range(8):
        previous = [
            command.local.Command(f"step-{layer}-{i}", create="true", triggers=[c.stdout for c in previous])
            for i in range(20)
        ]
    kubeconfig = pulumi.Output.all(*[c.stdout for c in previous]).apply("".join)
    namespace("risk", k8s.Provider("apps", kubeconfig=kubeconfig))


class JumpSite(pulumi.ComponentResource):
    """A 'site' in Germany whose cluster is reached through a chain of SSH hops from a US VM."""

    def __init__(self, name: str, hops: int) -> None:
        super().__init__("team:infra:Site", name, {"strata": {"substrate": "bareMetal", "site": name, "country": "DE"}})
        us = aws.Provider(f"{name}-us", region="us-east-1", default_tags={"tags": MULTI_TAGS})
        host = aws.ec2.Instance(
            f"{name}-host",
            ami="ami-1",
            instance_type="m7i.large",
            metadata_options={"http_tokens": "required", "http_put_response_hop_limit": 1},
            opts=pulumi.ResourceOptions(parent=self, provider=us),
        )
        address: Any = host.public_ip
        for i in range(hops):
            hop = command.remote.Command(
                f"{name}-hop{i}",
                connection={"host": address, "user": "ops"},
                create="cat /etc/rancher/rke2/rke2.yaml",
                opts=pulumi.ResourceOptions(parent=self),
            )
            address = hop.stdout
        self.k8s = k8s.Provider(f"{name}-k8s", kubeconfig=hop.stdout, opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


@program(
    "a cluster behind ten SSH hops from a US VM, inside a component claiming Germany",
    AWS_MULTI,
    {*in_tenant(DCR, "risk")},
    policy=MULTI,
)
def p_red_ten_hops_from_a_us_vm() -> None:
    namespace("risk", JumpSite("fra", 10).k8s)


# ---------------------------------------------------------------- compliant programs the pack must not reject


@program("personal-eu data in a Helm release and a Deployment on EU clusters (EKS and GKE)", {**AWS_EU, **GCP_EU})
def p_ok_classed_workloads_on_eu_clusters() -> None:
    k8s.helm.v3.Release(
        "ledger-db", chart="postgresql", values={"primary": {"podLabels": PERSONAL}}, opts=_opts(eks("apps"))
    )
    k8s.apps.v1.Deployment(
        "ledger-api",
        spec={
            "selector": {"match_labels": PERSONAL},
            "template": {"metadata": {"labels": PERSONAL}, "spec": {"containers": [{"name": "api", "image": "x"}]}},
        },
        opts=_opts(gke_provider(gke("gapps"))),
    )


@program(
    "a bare-metal site pinned centrally in Germany, claimed as Germany",
    AWS_EU,
    policy={
        "pool-in-jurisdiction": {"environments": {f"{PROJECT}/{STACK}": ["eu"]}, "sites": {"fra-dc1": "DE"}},
        "data-class-residency": {"sites": {"fra-dc1": "DE"}},
    },
)
def p_ok_pinned_site_matches_its_claim() -> None:
    namespace("risk", Site("fra-dc1", "DE").k8s)


class AppCluster(pulumi.ComponentResource):
    """A team's own component wrapping a compliant EKS cluster, exposing its kubeconfig."""

    def __init__(self, name: str) -> None:
        super().__init__("team:platform:AppCluster", name, None)
        key = aws.kms.Key(f"{name}-key", opts=pulumi.ResourceOptions(parent=self))
        cluster = aws.eks.Cluster(
            f"{name}-eks",
            role_arn="arn:aws:iam::111122223333:role/eks",
            version="1.35",
            vpc_config={"subnet_ids": ["subnet-1"], "endpoint_public_access": False},
            encryption_config={"provider": {"key_arn": key.arn}, "resources": ["secrets"]},
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.eks.Addon(
            f"{name}-pod-identity",
            cluster_name=cluster.name,
            addon_name="eks-pod-identity-agent",
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.eks.Addon(
            f"{name}-vpc-cni",
            cluster_name=cluster.name,
            addon_name="vpc-cni",
            configuration_values=json.dumps({"enableNetworkPolicy": "true"}),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.kubeconfig = pulumi.Output.all(cluster.name, cluster.endpoint).apply(lambda a: f"{a[0]} {a[1]}")
        self.register_outputs({"kubeconfig": self.kubeconfig})


@program("a namespace on a cluster wrapped in the team's own component, built from its outputs", AWS_EU)
def p_ok_cluster_inside_a_component() -> None:
    namespace("risk", k8s.Provider("apps", kubeconfig=AppCluster("apps").kubeconfig))


@program("keys, registries and secrets pinned to EU locations, a dataset in the EU multi-region", GCP_EU)
def p_ok_gcp_eu_locations() -> None:
    # (KMS's `europe` multi-region is judged as any European region, London and Zurich included,
    # until its region list is read off Google's page: see the catalog's multiRegions.)
    ring = gcp.kms.KeyRing("keys", location="europe-west3")
    gcp.kms.CryptoKey("key", key_ring=ring.id)
    gcp.artifactregistry.Repository("images", repository_id="images", format="DOCKER", location="europe-west3")
    gcp.secretmanager.Secret(
        "api", secret_id="api", replication={"user_managed": {"replicas": [{"location": "europe-west1"}]}}
    )
    gcp.bigquery.Dataset("analytics", dataset_id="analytics", location="EU")


@program("a table replicated to Ireland and a bucket replicated to another bucket of the stack in Ireland", AWS_EU)
def p_ok_aws_copies_inside_the_eu() -> None:
    aws.dynamodb.Table(
        "balances",
        hash_key="id",
        attributes=[{"name": "id", "type": "S"}],
        billing_mode="PAY_PER_REQUEST",
        replicas=[{"region_name": "eu-west-1"}],
    )
    source = aws.s3.Bucket("ledger")
    target = aws.s3.Bucket("ledger-copy", region="eu-west-1")
    aws.s3.BucketReplicationConfig(
        "ledger-repl",
        bucket=source.id,
        role="arn:aws:iam::111122223333:role/repl",
        rules=[{"status": "Enabled", "destination": {"bucket": target.arn}}],
    )


# ---------------------------------------------------------------- a lie and an early warning for the remaining rules

SOON = "kubernetes-version-end-of-support-soon (advisory)"


@program(
    "a GKE cluster whose control plane is current but whose nodes pin an expired version; an EKS "
    "cluster on 1.34, whose standard support ends within 90 days",
    {**AWS_EU, **GCP_EU},
    {(SKV, "current-master"), (SOON, "ending"), (SOON, "ending-nodes")},
)
def p_versions_that_hide_and_versions_that_end() -> None:
    gke("current-master", node_version="1.30.5-gke.1000")
    key = aws.kms.Key("ending-key")
    cluster = aws.eks.Cluster(
        "ending",
        role_arn="arn:aws:iam::111122223333:role/eks",
        version="1.34",
        vpc_config={"subnet_ids": ["subnet-1"], "endpoint_public_access": False},
        encryption_config={"provider": {"key_arn": key.arn}, "resources": ["secrets"]},
    )
    aws.eks.Addon("ending-pod-identity", cluster_name=cluster.name, addon_name="eks-pod-identity-agent")
    network_policy(cluster, "ending")
    template = aws.ec2.LaunchTemplate(
        "ending-nodes-template", metadata_options={"http_tokens": "required", "http_put_response_hop_limit": 1}
    )
    aws.eks.NodeGroup(
        "ending-nodes",
        cluster_name=cluster.name,
        node_role_arn="arn:aws:iam::111122223333:role/nodes",
        subnet_ids=["subnet-1"],
        scaling_config={"min_size": 1, "max_size": 2, "desired_size": 1},
        version="1.34",
        launch_template={"id": template.id, "version": "1"},
    )


@program(
    "a GKE cluster that names Calico but leaves enforcement off, without Dataplane V2",
    GCP_EU,
    {(CNP, "calico-off")},
)
def p_gke_network_policy_named_but_off() -> None:
    gke("calico-off", datapath_provider=None, network_policy={"enabled": False, "provider": "CALICO"})


@program(
    "ownership tags without Strata's prefix are not Strata's labels",
    {"aws:region": "eu-central-1", "aws:defaultTags": {"tags": {"owner": "payments", "environment": "team-prod"}}},
    {(RLB, "ledger"), (PIJ, "ledger")},
    policy={"pool-in-jurisdiction": {}},  # no central config: only a Strata label could promise a jurisdiction
)
def p_labels_without_the_prefix() -> None:
    aws.s3.Bucket("ledger", tags={"jurisdiction": "eu"})


# ---------------------------------------------------------------- tenancy: claims checked against what is there

CARDS = {
    TENANT: "cards",
    "strata.io/isolation": "dedicated",
    "dataclass.strata.io/pci": "true",
    **RESTRICTED,
}
RBAC = "rbac.authorization.k8s.io"
SANDBOX_CHECK = (
    "has(object.spec.runtimeClassName) && object.spec.runtimeClassName == "
    "namespaceObject.metadata.labels['strata.io/runtime']"
)


def eks_cluster(name: str) -> aws.eks.Cluster:
    """A compliant EKS cluster in the stack's region, without a Kubernetes provider."""
    key = aws.kms.Key(f"{name}-key", enable_key_rotation=True)
    cluster = aws.eks.Cluster(
        name,
        role_arn="arn:aws:iam::111122223333:role/eks",
        version="1.35",
        vpc_config={"subnet_ids": ["subnet-1", "subnet-2"], "endpoint_public_access": False},
        encryption_config={"provider": {"key_arn": key.arn}, "resources": ["secrets"]},
    )
    aws.eks.Addon(f"{name}-pod-identity", cluster_name=cluster.name, addon_name="eks-pod-identity-agent")
    network_policy(cluster, name)
    return cluster


def group_binding(name: str, group: str, role_kind: str, role: str, provider: k8s.Provider, ns: str | None) -> None:
    subjects = [{"kind": "Group", "name": group, "api_group": RBAC}]
    ref = {"api_group": RBAC, "kind": role_kind, "name": role}
    if ns is None:
        k8s.rbac.v1.ClusterRoleBinding(name, role_ref=ref, subjects=subjects, opts=_opts(provider))
    else:
        k8s.rbac.v1.RoleBinding(name, metadata={"namespace": ns}, role_ref=ref, subjects=subjects, opts=_opts(provider))


def sandbox_admission(provider: k8s.Provider, *, actions: list[str] | None = None) -> None:
    """The admission policy a sandboxed tenant needs, bound to every namespace asking for a runtime."""
    policy = k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
        "sandbox-runtime",
        metadata={"name": "sandbox-runtime"},
        spec={
            "failure_policy": "Fail",
            "match_constraints": {
                "resource_rules": [
                    {"api_groups": [""], "api_versions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}
                ]
            },
            "validations": [{"expression": SANDBOX_CHECK}],
        },
        opts=_opts(provider),
    )
    k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
        "sandbox-runtime",
        metadata={"name": "sandbox-runtime"},
        spec={
            "policy_name": policy.metadata.apply(lambda m: "sandbox-runtime"),
            "validation_actions": actions or ["Deny"],
            "match_resources": {
                "namespace_selector": {"match_expressions": [{"key": "strata.io/runtime", "operator": "Exists"}]}
            },
        },
        opts=_opts(provider),
    )


def api_deployment(name: str, ns: str, provider: k8s.Provider, runtime: str | None = None) -> None:
    pod: dict[str, Any] = {"containers": [{"name": "api", "image": "registry.example/api:1"}]}
    if runtime:
        pod["runtime_class_name"] = runtime
    k8s.apps.v1.Deployment(
        name,
        metadata={"namespace": ns},
        spec={
            "selector": {"match_labels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod},
        },
        opts=_opts(provider),
    )


@program(
    "a pci namespace labelled dedicated, sharing its EKS cluster with another tenant through a second "
    "provider built from the same cluster",
    AWS_EU,
    {(DTA, "cards")},
)
def p_k8s_tenancy_dedicated_claim_on_a_shared_cluster() -> None:
    cluster = eks_cluster("shared")
    namespace("cards", kube(cluster, "shared-cards"), labels=CARDS)
    namespace("risk", kube(cluster, "shared-risk"))


@program(
    "a dedicated pci tenant alone on its cluster, administering it; a namespace tenant on another (compliant)",
    AWS_EU,
)
def p_k8s_tenancy_dedicated_alone() -> None:
    cards = kube(eks_cluster("cards-cluster"), "cards-k8s")
    namespace("cards", cards, labels=CARDS)
    group_binding("cards-admins", "cards-devs", "ClusterRole", "cluster-admin", cards, None)
    namespace("risk", eks("apps"))


@program(
    "a pci namespace on a shared cluster, and one claiming dedicated through the default provider",
    AWS_EU,
    {*in_tenant(DCI, "shop"), *in_tenant(DCI, "vault"), (DTA, "vault")},
)
def p_k8s_tenancy_pci_below_dedicated() -> None:
    namespace("shop", eks("apps"), labels={TENANT: "shop", "dataclass.strata.io/pci": "true"})
    namespace("vault", None, labels={**CARDS, TENANT: "vault"})


@program(
    "a namespace tenant's group bound to cluster-admin, and to the admin ClusterRole in its namespace",
    AWS_EU,
    {(NCA, "risk-admins"), (NCA, "risk-ns-admins")},
)
def p_k8s_tenancy_group_bound_to_cluster_roles() -> None:
    provider = eks("apps")
    namespace("risk", provider)
    k8s.rbac.v1.Role(
        "risk-role",
        metadata={"namespace": "risk"},
        rules=[{"api_groups": [""], "resources": ["pods"], "verbs": ["get"]}],
        opts=_opts(provider),
    )
    group_binding("risk-devs", "risk-devs", "Role", "risk-role", provider, "risk")
    group_binding("risk-admins", "risk-devs", "ClusterRole", "cluster-admin", provider, None)
    group_binding("risk-ns-admins", "risk-devs", "ClusterRole", "admin", provider, "risk")


@program(
    "a cluster-admin binding hidden in a ConfigGroup's YAML",
    AWS_EU,
    {(NCA, "extras")},
)
def p_k8s_tenancy_binding_in_yaml() -> None:
    provider = eks("apps")
    namespace("risk", provider)
    group_binding("risk-devs", "risk-devs", "Role", "edit", provider, "risk")
    k8s.yaml.v2.ConfigGroup(
        "extras",
        yaml="apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: x}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n"
        "subjects: [{kind: Group, name: risk-devs}]\n",
        opts=_opts(provider),
    )


@program(
    "a namespace asking for gVisor with no admission policy, and a deployment in it without the runtime",
    AWS_EU,
    {(SRE, "risk"), (SRE, "api")},
)
def p_k8s_tenancy_sandbox_not_enforced() -> None:
    provider = eks("apps")
    namespace("risk", provider, labels={**PERSONAL, "strata.io/runtime": "gvisor"})
    api_deployment("api", "risk", provider)


@program(
    "the same with an admission policy that only warns",
    AWS_EU,
    {(SRE, "risk")},
)
def p_k8s_tenancy_sandbox_warn_only() -> None:
    provider = eks("apps")
    namespace("risk", provider, labels={**PERSONAL, "strata.io/runtime": "gvisor"})
    sandbox_admission(provider, actions=["Warn"])
    api_deployment("api", "risk", provider, runtime="gvisor")


@program("a gVisor namespace, its admission policy bound with Deny, its pods on gVisor (compliant)", AWS_EU)
def p_k8s_tenancy_sandbox_enforced() -> None:
    provider = eks("apps")
    namespace("risk", provider, labels={**PERSONAL, "strata.io/runtime": "gvisor"})
    sandbox_admission(provider)
    api_deployment("api", "risk", provider, runtime="gvisor")


@program(
    "an unlabelled deployment in a namespace whose Namespace object carries personal-eu, on a US cluster",
    AWS_EU,
    {*in_tenant(DCR, "risk"), (DCR, "ledger"), (PIJ, "us-apps"), (PIJ, "us-apps-key"), (PIJ, "us-apps-vpc-cni")},
)
def p_k8s_tenancy_deployment_inherits_its_namespace_class() -> None:
    provider = eks("us-apps", region="us-east-1")
    namespace("risk", provider)
    api_deployment("ledger", "risk", provider)


@program(
    "a tenant namespace with no guard rails; another whose quota bounds only best-effort pods, its real "
    "quota created on another cluster",
    AWS_EU,
    {(TGR, "bare"), (TGR, "scoped")},
)
def p_k8s_tenancy_missing_guardrails() -> None:
    provider = eks("apps")
    k8s.core.v1.Namespace("bare", metadata={"name": "bare", "labels": {TENANT: "bare"}}, opts=_opts(provider))
    labels = {TENANT: "scoped", **RESTRICTED}
    k8s.core.v1.Namespace("scoped", metadata={"name": "scoped", "labels": labels}, opts=_opts(provider))
    guardrails("scoped-elsewhere", eks("other"), namespace="scoped")
    meta = {"namespace": "scoped"}
    k8s.core.v1.ResourceQuota(
        "scoped-best-effort",
        metadata=meta,
        spec={"hard": {"cpu": "1", "memory": "1Gi"}, "scopes": ["BestEffort"]},
        opts=_opts(provider),
    )
    k8s.core.v1.LimitRange(
        "scoped-limits", metadata=meta, spec={"limits": [{"type": "Container"}]}, opts=_opts(provider)
    )
    k8s.networking.v1.NetworkPolicy(
        "scoped-deny",
        metadata=meta,
        spec={"pod_selector": {}, "policy_types": ["Ingress", "Egress"]},
        opts=_opts(provider),
    )
