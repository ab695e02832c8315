"""GCP pools and GKE clusters: the inputs a platform engineer relies on."""

from __future__ import annotations

import importlib
import inspect
import re

from pulumi.runtime import rpc

from strata.offline import OfflineRun, Registration

from .conftest import minimal_environment, only, plan_offline

LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")


def _gcp_params(reg: Registration) -> set[str]:
    _, module, name = reg.type.split(":")
    mod = importlib.import_module("pulumi_gcp." + module.split("/")[0])
    return set(inspect.signature(getattr(mod, name)._internal_init).parameters)


def _labels_of(reg: Registration) -> dict[str, str] | None:
    if reg.type == "gcp:container/nodePool:NodePool":
        return reg.inputs["nodeConfig"].get("resourceLabels")
    if reg.type == "gcp:container/cluster:Cluster":
        return reg.inputs.get("resourceLabels")
    return reg.inputs.get("labels")


def test_every_labelable_resource_carries_ownership_labels_in_gcp_syntax(eu_prod_gcp_run: OfflineRun) -> None:
    labelable = [
        r
        for r in eu_prod_gcp_run.registrations
        if r.type.startswith("gcp:")
        and ({"labels", "resource_labels"} & _gcp_params(r) or r.type == "gcp:container/nodePool:NodePool")
    ]
    assert {r.type for r in labelable} >= {
        "gcp:container/cluster:Cluster",
        "gcp:container/nodePool:NodePool",
        "gcp:kms/cryptoKey:CryptoKey",
    }
    for r in labelable:
        labels = _labels_of(r)
        assert labels is not None, r.urn
        assert labels["strata-owner"] == "platform-team"
        assert labels["strata-environment"] == "eu-prod-gcp"
        assert labels["strata-pool"] == "eu-core"
        assert labels["strata-jurisdiction"] == "eu"
        for k, v in labels.items():
            assert LABEL_KEY.match(k) and LABEL_VALUE.match(v), (k, v)


def test_gke_control_plane(eu_prod_gcp_run: OfflineRun) -> None:
    gke = only(eu_prod_gcp_run, "gcp:container/cluster:Cluster", "payments-gke")
    i = gke.inputs
    assert i["privateClusterConfig"]["enablePrivateNodes"] is True
    assert i["privateClusterConfig"]["enablePrivateEndpoint"] is True
    assert i["removeDefaultNodePool"] is True
    assert i["workloadIdentityConfig"] == {"workloadPool": "strata-eu-prod.svc.id.goog"}
    assert i["databaseEncryption"]["state"] == "ENCRYPTED"
    assert gke.property_dependencies["databaseEncryption"][0].endswith("gcp:kms/cryptoKey:CryptoKey::eu-core-key")
    assert i["enableShieldedNodes"] is True
    assert i["datapathProvider"] == "ADVANCED_DATAPATH"
    assert i["minMasterVersion"] == "1.35"
    assert i["location"] == "europe-west3"
    assert i["nodeLocations"] == ["europe-west3-a", "europe-west3-b", "europe-west3-c"]
    assert i["ipAllocationPolicy"] == {"clusterSecondaryRangeName": "pods", "servicesSecondaryRangeName": "services"}
    assert gke.inputs["resourceLabels"]["strata-cluster"] == "payments"
    blocks = {
        r.inputs["privateClusterConfig"]["masterIpv4CidrBlock"]
        for r in eu_prod_gcp_run.by_type("gcp:container/cluster:Cluster")
    }
    assert len(blocks) == 2  # each cluster's control plane gets its own range


def test_pool_network_nat_and_key(eu_prod_gcp_run: OfflineRun) -> None:
    net = only(eu_prod_gcp_run, "gcp:compute/network:Network")
    assert net.inputs["autoCreateSubnetworks"] is False
    sub = only(eu_prod_gcp_run, "gcp:compute/subnetwork:Subnetwork")
    assert sub.inputs["privateIpGoogleAccess"] is True
    assert {r["rangeName"] for r in sub.inputs["secondaryIpRanges"]} == {"pods", "services"}
    assert only(eu_prod_gcp_run, "gcp:compute/routerNat:RouterNat").inputs["natIpAllocateOption"] == "AUTO_ONLY"
    key = only(eu_prod_gcp_run, "gcp:kms/cryptoKey:CryptoKey")
    assert key.inputs["rotationPeriod"] == "7776000s"
    grant = only(eu_prod_gcp_run, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "eu-core-key-gke")
    assert grant.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert "container-engine-robot" in grant.inputs["member"]


def test_node_service_account_has_least_privilege(eu_prod_gcp_run: OfflineRun) -> None:
    roles = {r.inputs["role"] for r in eu_prod_gcp_run.by_type("gcp:projects/iAMMember:IAMMember")}
    assert roles == {"roles/container.defaultNodeServiceAccount", "roles/artifactregistry.reader"}


def test_node_pools(eu_prod_gcp_run: OfflineRun) -> None:
    general = only(eu_prod_gcp_run, "gcp:container/nodePool:NodePool", "analytics-general")
    cfg = general.inputs["nodeConfig"]
    assert cfg["machineType"] == "n2-standard-16"
    assert cfg["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert cfg["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
    assert "guestAccelerators" not in cfg and "taints" not in cfg
    assert general.inputs["autoscaling"]["totalMinNodeCount"] == 3
    assert general.inputs["autoscaling"]["totalMaxNodeCount"] == 12
    gpu = only(eu_prod_gcp_run, "gcp:container/nodePool:NodePool", "analytics-gpu").inputs
    assert gpu["nodeConfig"]["machineType"] == "g2-standard-16"
    assert gpu["nodeConfig"]["guestAccelerators"][0]["type"] == "nvidia-l4"
    assert gpu["nodeConfig"]["guestAccelerators"][0]["count"] == 1
    assert gpu["nodeConfig"]["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert gpu["autoscaling"]["totalMinNodeCount"] == 0


def test_kubeconfig_is_secret(eu_prod_gcp_run: OfflineRun) -> None:
    provider = only(eu_prod_gcp_run, "pulumi:providers:kubernetes", "analytics-k8s")
    assert rpc.is_rpc_secret(provider.inputs["kubeconfig"])
    assert provider.inputs["clusterIdentifier"] == "strata/eu-prod-gcp/analytics"
    assert provider.inputs["deleteUnreachable"] == "true"


def test_public_endpoint_is_opt_in_and_restricted() -> None:
    env = minimal_environment({"gcp": {"project": "acme-dev-1", "region": "europe-west1", "zones": 3}})
    env["pools"][0]["clusters"][0]["apiEndpoint"] = {"publicAccessCidrs": ["198.51.100.0/24"]}
    run = plan_offline(env)
    gke = only(run, "gcp:container/cluster:Cluster").inputs
    assert gke["privateClusterConfig"]["enablePrivateEndpoint"] is False
    assert gke["privateClusterConfig"]["enablePrivateNodes"] is True
    assert gke["masterAuthorizedNetworksConfig"]["cidrBlocks"] == [
        {"cidrBlock": "198.51.100.0/24", "displayName": "strata-public-access"}
    ]


def test_kubeconfig_authenticates_with_the_gke_auth_plugin() -> None:
    import json

    from strata.drivers.gcp.driver import _kubeconfig, api_url

    # the cluster's `endpoint` output is a URL on GKE as on EKS and bare metal, not a bare address
    assert api_url("10.0.0.2") == "https://10.0.0.2" == api_url("https://10.0.0.2")
    doc = json.loads(_kubeconfig("payments-gke-1a2b", api_url("10.0.0.2"), "Q0E="))
    assert doc["clusters"][0]["cluster"]["server"] == "https://10.0.0.2"
    assert doc["users"][0]["user"] == {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "interactiveMode": "Never",
            "command": "gke-gcloud-auth-plugin",
            "provideClusterInfo": True,
        }
    }


def test_the_cluster_and_node_pools_wait_for_their_grants(eu_prod_gcp_run: OfflineRun) -> None:
    """GKE encrypts secrets with the pool key from the start and nodes run as the node account
    from their first boot: without the dependencies a first `pulumi up` races the IAM grants."""
    key_grant = only(eu_prod_gcp_run, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "eu-core-key-gke")
    node_grants = {r.urn for r in eu_prod_gcp_run.by_type("gcp:projects/iAMMember:IAMMember")}
    assert len(node_grants) >= 2
    for cluster in eu_prod_gcp_run.by_type("gcp:container/cluster:Cluster"):
        assert {key_grant.urn, *node_grants} <= set(cluster.dependencies), cluster.name
    pools = eu_prod_gcp_run.by_type("gcp:container/nodePool:NodePool")
    assert len(pools) == 4
    for pool in pools:
        assert node_grants <= set(pool.dependencies), pool.name
