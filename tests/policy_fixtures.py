"""Fixture stacks for the policy pack: a compliant baseline per resource type; each violation is
a small mutation of it. Resources are shaped as the engine hands them to an analyzer."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from google.protobuf import struct_pb2

from strata.offline import OfflineRun, Registration

STACK = "eu-prod"
PROJECT = "platform"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
ENV = "strata:environment:Environment"
POOL = f"{ENV}$strata:pool:ResourcePool"
CLUSTER = f"{POOL}$strata:cluster:KubernetesCluster"


def urn(qualified: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{qualified}::{name}"


ENV_URN = urn(ENV, "eu-prod")
POOL_URN = urn(POOL, "eu-core")
CLUSTER_URN = urn(CLUSTER, "payments")
AWS_TAGS = {
    "strata:owner": "platform-team",
    "strata:environment": "eu-prod",
    "strata:pool": "eu-core",
    "strata:cluster": "payments",
    "strata:jurisdiction": "eu",
}
GCP_LABELS = {k.replace(":", "-"): v for k, v in AWS_TAGS.items()}


def _struct(inputs: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(inputs)
    return s


def reg(
    qualified: str,
    name: str,
    inputs: dict[str, Any],
    *,
    parent: str = "",
    provider: str = "",
    prop_deps: dict[str, tuple[str, ...]] | None = None,
    custom: bool = True,
) -> Registration:
    type_ = qualified.split("$")[-1]
    return Registration(
        urn=urn(qualified, name),
        type=type_,
        name=name,
        custom=custom,
        parent=parent,
        provider=provider,
        inputs=inputs,
        dependencies=tuple(u for us in (prop_deps or {}).values() for u in us),
        property_dependencies=dict(prop_deps or {}),
        additional_secret_outputs=(),
        raw_inputs=_struct(inputs),
    )


OWNERSHIP = {"owner": "platform-team", "environment": "eu-prod", "jurisdiction": "eu"}


def components(substrate: str = "aws", region: str = "eu-central-1") -> list[Registration]:
    """Strata's components as they register: their claims in the ``strata`` input."""
    placed = {"substrate": substrate, "region": region, "country": "DE"}
    return [
        reg(ENV, "eu-prod", {"strata": dict(OWNERSHIP)}, custom=False),
        reg(POOL, "eu-core", {"strata": {**OWNERSHIP, "pool": "eu-core", **placed}}, parent=ENV_URN, custom=False),
        reg(
            CLUSTER,
            "payments",
            {"strata": {**OWNERSHIP, "pool": "eu-core", "cluster": "payments", "version": "1.35"}},
            parent=POOL_URN,
            custom=False,
        ),
    ]


def kubernetes_provider(cluster_urn: str) -> Registration:
    """The cluster's Kubernetes provider, which tenants and frameworks are deployed through: its
    kubeconfig is built from the cluster resource's outputs."""
    return reg(
        f"{CLUSTER}$pulumi:providers:kubernetes",
        "payments-k8s",
        {"kubeconfig": UNKNOWN, "clusterIdentifier": "strata/eu-prod/payments"},
        parent=CLUSTER_URN,
        prop_deps={"kubeconfig": (cluster_urn,)},
    )


def aws_baseline() -> list[Registration]:
    """A compliant AWS pool with one EKS cluster, node group, launch template, key and OIDC provider."""
    key = reg(
        f"{POOL}$aws:kms/key:Key",
        "eu-core-key",
        {"region": "eu-central-1", "enableKeyRotation": True, "tags": dict(AWS_TAGS)},
        parent=POOL_URN,
    )
    vpc = reg(
        f"{POOL}$aws:ec2/vpc:Vpc",
        "eu-core-vpc",
        {"region": "eu-central-1", "cidrBlock": "10.0.0.0/16", "tags": dict(AWS_TAGS)},
        parent=POOL_URN,
    )
    eks = reg(
        f"{CLUSTER}$aws:eks/cluster:Cluster",
        "payments-eks",
        {
            "region": "eu-central-1",
            "version": "1.35",
            "roleArn": UNKNOWN,
            "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False, "subnetIds": [UNKNOWN]},
            "encryptionConfig": {"provider": {"keyArn": UNKNOWN}, "resources": ["secrets"]},
            "accessConfig": {"authenticationMode": "API"},
            "tags": dict(AWS_TAGS),
        },
        parent=CLUSTER_URN,
        prop_deps={"encryptionConfig": (key.urn,)},
    )
    oidc = reg(
        f"{CLUSTER}$aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "payments-oidc",
        {"url": UNKNOWN, "clientIdLists": ["sts.amazonaws.com"], "tags": dict(AWS_TAGS)},
        parent=CLUSTER_URN,
        prop_deps={"url": (eks.urn,)},
    )
    lt = reg(
        f"{CLUSTER}$aws:ec2/launchTemplate:LaunchTemplate",
        "payments-general",
        {
            "region": "eu-central-1",
            "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1},
            "tags": dict(AWS_TAGS),
        },
        parent=CLUSTER_URN,
    )
    ng = reg(
        f"{CLUSTER}$aws:eks/nodeGroup:NodeGroup",
        "payments-general",
        {
            "region": "eu-central-1",
            "clusterName": UNKNOWN,
            "launchTemplate": {"id": UNKNOWN, "version": UNKNOWN},
            "scalingConfig": {"minSize": 3, "maxSize": 9, "desiredSize": 3},
            "tags": dict(AWS_TAGS),
        },
        parent=CLUSTER_URN,
        prop_deps={"launchTemplate": (lt.urn,), "clusterName": (eks.urn,)},
    )
    return [*components(), key, vpc, eks, oidc, lt, ng, kubernetes_provider(eks.urn)]


def gcp_baseline() -> list[Registration]:
    """A compliant GCP pool: key ring and key, subnetwork, GKE cluster and node pool."""
    ring = reg(
        f"{POOL}$gcp:kms/keyRing:KeyRing",
        "eu-core-keys",
        {"location": "europe-west3", "project": "p-eu"},
        parent=POOL_URN,
    )
    key = reg(
        f"{POOL}$gcp:kms/cryptoKey:CryptoKey",
        "eu-core-key",
        {"keyRing": UNKNOWN, "rotationPeriod": "7776000s", "labels": dict(GCP_LABELS)},
        parent=POOL_URN,
        prop_deps={"keyRing": (ring.urn,)},
    )
    account = reg(
        f"{POOL}$gcp:serviceaccount/account:Account",
        "eu-core-nodes",
        {"accountId": "strata-eu-core-nodes", "project": "p-eu"},
        parent=POOL_URN,
    )
    node_config = {
        "serviceAccount": UNKNOWN,
        "workloadMetadataConfig": {"mode": "GKE_METADATA"},
        "shieldedInstanceConfig": {"enableSecureBoot": True, "enableIntegrityMonitoring": True},
    }
    subnet = reg(
        f"{POOL}$gcp:compute/subnetwork:Subnetwork",
        "eu-core-nodes",
        {"region": "europe-west3", "ipCidrRange": "10.0.0.0/20"},
        parent=POOL_URN,
    )
    gke = reg(
        f"{CLUSTER}$gcp:container/cluster:Cluster",
        "payments-gke",
        {
            "location": "europe-west3",
            "minMasterVersion": "1.35",
            "project": "p-eu",
            "privateClusterConfig": {"enablePrivateNodes": True, "enablePrivateEndpoint": True},
            "masterAuthorizedNetworksConfig": {"cidrBlocks": [], "gcpPublicCidrsAccessEnabled": False},
            "masterAuth": {"clientCertificateConfig": {"issueClientCertificate": False}},
            "datapathProvider": "ADVANCED_DATAPATH",
            "networkPolicy": {"enabled": False},
            "workloadIdentityConfig": {"workloadPool": "p-eu.svc.id.goog"},
            "databaseEncryption": {"state": "ENCRYPTED", "keyName": UNKNOWN},
            "nodeConfig": dict(node_config),
            "resourceLabels": dict(GCP_LABELS),
        },
        parent=CLUSTER_URN,
        prop_deps={"databaseEncryption": (key.urn,), "nodeConfig": (account.urn,)},
    )
    np = reg(
        f"{CLUSTER}$gcp:container/nodePool:NodePool",
        "payments-general",
        {
            "location": "europe-west3",
            "cluster": UNKNOWN,
            "nodeConfig": {**node_config, "machineType": "n2-standard-8", "resourceLabels": dict(GCP_LABELS)},
        },
        parent=CLUSTER_URN,
        prop_deps={"cluster": (gke.urn,), "nodeConfig": (account.urn,)},
    )
    return [*components("gcp", "europe-west3"), ring, key, account, subnet, gke, np, kubernetes_provider(gke.urn)]


def tenant_namespace(data_classes: list[str], tenant: str = "risk") -> Registration:
    """A tenant's namespace as the tenancy work will stamp it, deployed through the cluster's provider."""
    labels = {"strata.io/tenant": tenant, **{f"dataclass.strata.io/{c}": "true" for c in data_classes}}
    provider = f"{urn(CLUSTER + '$pulumi:providers:kubernetes', 'payments-k8s')}::{UNKNOWN}"
    return reg(
        f"{CLUSTER}$kubernetes:core/v1:Namespace",
        f"payments-{tenant}",
        {"metadata": {"name": tenant, "labels": labels}},
        parent=CLUSTER_URN,
        provider=provider,
    )


def mutate(regs: list[Registration], name: str, type_suffix: str, **changes: Any) -> list[Registration]:
    """Copy ``regs`` with one resource's inputs changed: ``path__to__key=value`` (None deletes)."""
    out = []
    for r in regs:
        if r.name == name and r.type.endswith(type_suffix):
            inputs = copy.deepcopy(r.inputs)
            for path, value in changes.items():
                *head, last = path.split("__")
                node = inputs
                for part in head:
                    node = node.setdefault(part, {})
                if value is None:
                    node.pop(last, None)
                else:
                    node[last] = value
            r = replace(r, inputs=inputs, raw_inputs=_struct(inputs))
        out.append(r)
    return out


def run_of(regs: list[Registration]) -> OfflineRun:
    run = OfflineRun(project=PROJECT, stack=STACK)
    run.registrations.extend(regs)
    return run
