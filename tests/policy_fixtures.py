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


def kubernetes_provider(cluster_urn: str, name: str = "payments-k8s") -> Registration:
    """The cluster's Kubernetes provider, which tenants and frameworks are deployed through: its
    kubeconfig is built from the cluster resource's outputs."""
    return reg(
        f"{CLUSTER}$pulumi:providers:kubernetes",
        name,
        {"kubeconfig": UNKNOWN, "clusterIdentifier": f"strata/eu-prod/{name.removesuffix('-k8s')}"},
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
    cni = reg(
        f"{CLUSTER}$aws:eks/addon:Addon",
        "payments-vpc-cni",
        {
            "region": "eu-central-1",
            "clusterName": UNKNOWN,
            "addonName": "vpc-cni",
            "configurationValues": '{"enableNetworkPolicy": "true"}',
            "tags": dict(AWS_TAGS),
        },
        parent=CLUSTER_URN,
        prop_deps={"clusterName": (eks.urn,)},
    )
    return [*components(), key, vpc, eks, oidc, cni, lt, ng, kubernetes_provider(eks.urn)]


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


PROVIDER = f"{urn(CLUSTER + '$pulumi:providers:kubernetes', 'payments-k8s')}::{UNKNOWN}"
PSA = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "v1.36",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
}
RBAC = "rbac.authorization.k8s.io"


def provider_ref(name: str = "payments-k8s") -> str:
    """The provider reference a resource registered through Kubernetes provider ``name`` carries."""
    return f"{urn(CLUSTER + '$pulumi:providers:kubernetes', name)}::{UNKNOWN}"


def k8s(kind: str, name: str, inputs: dict[str, Any], provider: str = PROVIDER) -> Registration:
    """A Kubernetes object of the cluster (``kind`` as in the type token: ``core/v1:Namespace``)."""
    return reg(f"{CLUSTER}$kubernetes:{kind}", name, inputs, parent=CLUSTER_URN, provider=provider)


def tenant_namespace(
    data_classes: list[str],
    tenant: str = "risk",
    *,
    isolation: str | None = "namespace",
    runtime: str | None = None,
    provider: str = PROVIDER,
) -> Registration:
    """A tenant's Namespace as Strata's tenant component stamps it, through the cluster's provider."""
    labels = {"strata.io/tenant": tenant, **{f"dataclass.strata.io/{c}": "true" for c in data_classes}, **PSA}
    if isolation is not None:
        labels["strata.io/isolation"] = isolation
    if runtime is not None:
        labels["strata.io/runtime"] = runtime
    return k8s("core/v1:Namespace", f"payments-{tenant}", {"metadata": {"name": tenant, "labels": labels}}, provider)


def tenant_guardrails(tenant: str = "risk", provider: str = PROVIDER) -> list[Registration]:
    """What Strata's component puts in a namespace or virtual tenant's namespace: quota, limit range,
    default-deny network policy and its two allowances, a namespaced Role and its group binding."""
    meta = {"namespace": tenant, "labels": {"strata.io/tenant": tenant}}
    same = {"namespaceSelector": {"matchLabels": {"strata.io/tenant": tenant}}}
    dns = {
        "to": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }
    limits = {"cpu": "500m", "memory": "512Mi"}
    return [
        k8s(
            "core/v1:ResourceQuota",
            f"payments-{tenant}-quota",
            {
                "metadata": {"name": "tenant-quota", **meta},
                "spec": {
                    "hard": {
                        "requests.cpu": "64",
                        "requests.memory": "256Gi",
                        "limits.cpu": "64",
                        "limits.memory": "256Gi",
                        "services.nodeports": "0",
                    }
                },
            },
            provider,
        ),
        k8s(
            "core/v1:LimitRange",
            f"payments-{tenant}-limits",
            {
                "metadata": {"name": "tenant-limits", **meta},
                "spec": {"limits": [{"type": "Container", "default": limits, "defaultRequest": limits}]},
            },
            provider,
        ),
        k8s(
            "networking.k8s.io/v1:NetworkPolicy",
            f"payments-{tenant}-default-deny",
            {
                "metadata": {"name": "default-deny", **meta},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            },
            provider,
        ),
        k8s(
            "networking.k8s.io/v1:NetworkPolicy",
            f"payments-{tenant}-allow-same-tenant",
            {
                "metadata": {"name": "allow-same-tenant", **meta},
                "spec": {
                    "podSelector": {},
                    "policyTypes": ["Ingress", "Egress"],
                    "ingress": [{"from": [same]}],
                    "egress": [{"to": [same]}],
                },
            },
            provider,
        ),
        k8s(
            "networking.k8s.io/v1:NetworkPolicy",
            f"payments-{tenant}-allow-dns",
            {
                "metadata": {"name": "allow-dns", **meta},
                "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [dns]},
            },
            provider,
        ),
        k8s(
            f"{RBAC}/v1:Role",
            f"payments-{tenant}-role",
            {
                "metadata": {"name": "tenant", **meta},
                "rules": [{"apiGroups": ["", "apps", "batch"], "resources": ["*"], "verbs": ["*"]}],
            },
            provider,
        ),
        k8s(
            f"{RBAC}/v1:RoleBinding",
            f"payments-{tenant}-groups",
            {
                "metadata": {"name": "tenant-groups", **meta},
                "roleRef": {"apiGroup": RBAC, "kind": "Role", "name": "tenant"},
                "subjects": [{"kind": "Group", "name": f"{tenant}-devs", "apiGroup": RBAC}],
            },
            provider,
        ),
    ]


#: The names of a tenant's objects in its namespace (``payments-risk-quota``, ...).
def guardrail_names(tenant: str = "risk") -> set[str]:
    return {r.name for r in tenant_guardrails(tenant)}


def namespace_tenant(
    data_classes: list[str], tenant: str = "risk", *, runtime: str | None = None, provider: str = PROVIDER
) -> list[Registration]:
    """A ``namespace`` tenant as Strata renders it."""
    ns = tenant_namespace(data_classes, tenant, runtime=runtime, provider=provider)
    return [ns, *tenant_guardrails(tenant, provider)]


def virtual_tenant(data_classes: list[str], tenant: str = "quants", provider: str = PROVIDER) -> list[Registration]:
    """A ``virtual`` tenant: its host namespace with the same guard rails, and the vCluster release in it."""
    ns = tenant_namespace(data_classes, tenant, isolation="virtual", provider=provider)
    release = k8s(
        "helm.sh/v3:Release",
        f"payments-{tenant}-vcluster",
        {
            "chart": "vcluster",
            "version": "0.30.0",
            "namespace": tenant,
            "repositoryOpts": {"repo": "https://charts.loft.sh"},
            "values": {"controlPlane": {"distro": {"k8s": {"enabled": True}}}},
        },
        provider,
    )
    return [ns, *tenant_guardrails(tenant, provider), release]


def dedicated_tenant(data_classes: list[str], tenant: str = "cards", provider: str = PROVIDER) -> list[Registration]:
    """A ``dedicated`` tenant: its Namespace, and its groups administering the cluster."""
    ns = tenant_namespace(data_classes, tenant, isolation="dedicated", provider=provider)
    admin = k8s(
        f"{RBAC}/v1:ClusterRoleBinding",
        f"payments-{tenant}-admin",
        {
            "metadata": {"name": f"strata-tenant-{tenant}-admin", "labels": {"strata.io/tenant": tenant}},
            "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "Group", "name": f"{tenant}-devs", "apiGroup": RBAC}],
        },
        provider,
    )
    return [ns, admin]


RUNTIME_EXPRESSION = (
    "has(object.spec.runtimeClassName) && object.spec.runtimeClassName == "
    "namespaceObject.metadata.labels['strata.io/runtime']"
)
PODS = [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["pods"]}]


def admission_policies(provider: str = PROVIDER) -> list[Registration]:
    """The cluster's tenant admission policies (one shown for the escapes) and the runtime one, bound."""
    out = []
    for short, expression, selector in [
        (
            "pod-escapes",
            "!has(object.spec.hostNetwork) || !object.spec.hostNetwork",
            {"matchExpressions": [{"key": "strata.io/tenant", "operator": "Exists"}]},
        ),
        ("runtime", RUNTIME_EXPRESSION, {"matchExpressions": [{"key": "strata.io/runtime", "operator": "Exists"}]}),
    ]:
        name = f"strata-tenant-{short}"
        out.append(
            k8s(
                "admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
                f"payments-{name}",
                {
                    "metadata": {"name": name},
                    "spec": {
                        "failurePolicy": "Fail",
                        "matchConstraints": {"resourceRules": PODS},
                        "validations": [{"expression": expression, "message": f"{short}"}],
                    },
                },
                provider,
            )
        )
        out.append(
            k8s(
                "admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
                f"payments-{name}-binding",
                {
                    "metadata": {"name": name},
                    "spec": {
                        "policyName": name,
                        "validationActions": ["Deny"],
                        "matchResources": {"namespaceSelector": selector},
                    },
                },
                provider,
            )
        )
    return out


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
