"""Tenants as they are built: the objects of each isolation level and runtime (their fields, under
Pulumi's mocks), and the declarations the plan refuses before anything is registered."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from strata.declarations.errors import SpecError
from strata.kube.virtual import _decode, server_url
from strata.offline import OfflineRun, Registration
from strata.validation import validate_environment

from .conftest import TODAY, minimal_environment, plan_offline
from .kube_manifests import provider_of

Env = dict[str, Any]
C0 = "pools[0].clusters[0]"
QUOTA = {"cpu": 4, "memoryGib": 8}


def with_tenants(*tenants: dict[str, Any], substrate: dict[str, Any] | None = None, **cluster: Any) -> Env:
    env = minimal_environment(substrate)
    env["pools"][0]["clusters"][0].update(cluster, tenants=list(tenants))
    return env


def objects(run: OfflineRun, type_: str) -> dict[str, Registration]:
    return {r.name: r for r in run.by_type(type_)}


def problems(env: Env) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as info:
        validate_environment(env, today=TODAY)
    return [(p.path, p.message) for p in info.value.problems]


# ------------------------------------------------------------------ namespace tenants


@pytest.fixture(scope="module")
def namespace_run() -> OfflineRun:
    tenant = {
        "name": "risk",
        "groups": ["risk-devs"],
        "quota": {"cpu": 2.5, "memoryGib": 6},
        "dataClasses": ["internal"],
    }
    return plan_offline(with_tenants(tenant))


def test_a_namespace_tenant_gets_a_restricted_labelled_namespace(namespace_run: OfflineRun) -> None:
    ns = objects(namespace_run, "kubernetes:core/v1:Namespace")["apps-risk-namespace"]
    assert ns.inputs["metadata"] == {
        "name": "risk",
        "labels": {
            "strata.io/tenant": "risk",
            "strata.io/isolation": "namespace",
            "dataclass.strata.io/internal": "true",
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/enforce-version": "v1.35",
        },
    }
    # deployed through the cluster's own provider
    assert provider_of(namespace_run, ns).inputs["clusterIdentifier"] == "strata/dev/apps"


def test_quota_and_limits_come_from_the_declared_quota(namespace_run: OfflineRun) -> None:
    quota = objects(namespace_run, "kubernetes:core/v1:ResourceQuota")["apps-risk-quota"].inputs
    assert quota["metadata"]["namespace"] == "risk"
    assert quota["spec"]["hard"] == {
        "requests.cpu": "2500m",
        "requests.memory": "6Gi",
        "limits.memory": "6Gi",
        "services.nodeports": "0",
    }
    (item,) = objects(namespace_run, "kubernetes:core/v1:LimitRange")["apps-risk-limits"].inputs["spec"]["limits"]
    assert item["type"] == "Container"
    assert item["max"] == {"cpu": "2500m", "memory": "6Gi"}
    assert item["default"] == {"cpu": "1", "memory": "1Gi"}
    assert item["defaultRequest"] == {"cpu": "100m", "memory": "128Mi"}


def test_network_policies_deny_by_default_and_allow_dns_and_the_tenant(namespace_run: OfflineRun) -> None:
    policies = {
        r.inputs["metadata"]["name"]: r.inputs["spec"]
        for r in namespace_run.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    same = {"namespaceSelector": {"matchLabels": {"strata.io/tenant": "risk"}}}
    assert policies["allow-same-tenant"]["ingress"] == [{"from": [same]}]
    assert policies["allow-same-tenant"]["egress"] == [{"to": [same]}]
    (dns,) = policies["allow-dns"]["egress"]
    assert dns["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert sorted((p["protocol"], p["port"]) for p in dns["ports"]) == [("TCP", 53), ("UDP", 53)]


def test_groups_get_a_namespaced_role_that_cannot_touch_the_guard_rails(namespace_run: OfflineRun) -> None:
    binding = objects(namespace_run, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")["apps-risk-groups"].inputs
    assert binding["metadata"]["namespace"] == "risk"
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "tenant"}
    assert binding["subjects"] == [{"kind": "Group", "name": "risk-devs", "apiGroup": "rbac.authorization.k8s.io"}]
    role = objects(namespace_run, "kubernetes:rbac.authorization.k8s.io/v1:Role")["apps-risk-role"].inputs
    granted = {res for rule in role["rules"] if "create" in rule["verbs"] for res in rule["resources"]}
    assert {"deployments", "pods", "secrets"} <= granted
    assert not granted & {"resourcequotas", "limitranges", "networkpolicies", "roles", "rolebindings", "namespaces"}
    assert all("*" not in rule["verbs"] for rule in role["rules"])
    assert not namespace_run.by_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")


def test_the_guardrails_bind_to_shared_tenants_and_deny(namespace_run: OfflineRun) -> None:
    policies = objects(namespace_run, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy")
    bindings = objects(namespace_run, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding")
    pods = policies["apps-guardrails-strata-tenant-pods"].inputs["spec"]
    assert pods["failurePolicy"] == "Fail"
    assert pods["matchConstraints"]["resourceRules"][0]["resources"] == ["pods"]
    text = " ".join(v["expression"] for v in pods["validations"])
    for escape in ("privileged", "hostPath", "hostNetwork", "hostPID", "hostIPC"):
        assert escape in text
    services = " ".join(
        v["expression"] for v in policies["apps-guardrails-strata-tenant-services"].inputs["spec"]["validations"]
    )
    assert "'NodePort'" in services and "'ExternalName'" in services
    bindings_text = policies["apps-guardrails-strata-tenant-role-bindings"].inputs["spec"]["validations"]
    assert bindings_text[0]["expression"] == "object.roleRef.kind != 'ClusterRole'"
    shared = bindings["apps-guardrails-strata-tenant-pods"].inputs["spec"]
    assert shared["validationActions"] == ["Deny"] and shared["policyName"] == "strata-tenant-pods"
    assert shared["matchResources"]["namespaceSelector"] == {
        "matchExpressions": [{"key": "strata.io/isolation", "operator": "In", "values": ["namespace", "virtual"]}]
    }
    # the tenant's namespace waits for the guard rails
    ns = objects(namespace_run, "kubernetes:core/v1:Namespace")["apps-risk-namespace"]
    assert set(objects(namespace_run, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy").keys())
    assert any("guardrails" in d for d in ns.dependencies)


# ------------------------------------------------------------------ dedicated, virtual, runtimes


def test_a_dedicated_tenants_groups_administer_its_cluster() -> None:
    run = plan_offline(
        with_tenants({"name": "cards", "isolation": "dedicated", "groups": ["cards-devs"], "dataClasses": ["pci"]})
    )
    (crb,) = run.by_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")
    assert crb.inputs["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "cluster-admin",
    }
    assert crb.inputs["subjects"] == [{"kind": "Group", "name": "cards-devs", "apiGroup": "rbac.authorization.k8s.io"}]
    assert crb.inputs["metadata"]["labels"] == {"strata.io/tenant": "cards", "dataclass.strata.io/pci": "true"}
    (ns,) = [
        n for n in run.by_type("kubernetes:core/v1:Namespace") if "strata.io/tenant" in n.inputs["metadata"]["labels"]
    ]
    assert ns.inputs["metadata"]["labels"]["strata.io/isolation"] == "dedicated"
    # alone on its cluster: no quota to share, no guard rails against other tenants
    assert not run.by_type("kubernetes:core/v1:ResourceQuota")
    assert not run.by_type("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy")


@pytest.fixture(scope="module")
def virtual_run() -> OfflineRun:
    gcp = {"gcp": {"project": "strata-dev", "region": "europe-west3", "zones": 3}}
    env = with_tenants(
        {"name": "quants", "isolation": "virtual", "version": "1.34", "runtime": "gvisor", "quota": QUOTA},
        substrate=gcp,
        version="1.35",
        nodePools=[
            {"name": "general", "machine": {"vcpus": 4, "memoryGib": 16}, "min": 1, "max": 4},
            {"name": "sandbox", "machine": {"vcpus": 4, "memoryGib": 16}, "min": 1, "max": 2, "runtime": "gvisor"},
        ],
    )
    return plan_offline(env)


def test_a_virtual_tenant_runs_the_pinned_vcluster_chart_on_its_version(virtual_run: OfflineRun) -> None:
    (release,) = [r for r in virtual_run.by_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "vcluster"]
    i = release.inputs
    assert (i["chart"], i["version"], i["repositoryOpts"], i["namespace"]) == (
        "vcluster",
        "0.36.1",
        {"repo": "https://charts.loft.sh"},
        "quants",
    )
    values = i["values"]
    k8s = values["controlPlane"]["distro"]["k8s"]
    assert k8s["image"] == {"registry": "ghcr.io", "repository": "loft-sh/kubernetes", "tag": "v1.34.0"}
    assert values["controlPlane"]["statefulSet"]["image"] == {
        "registry": "ghcr.io",
        "repository": "loft-sh/vcluster-oss",
    }
    security = values["controlPlane"]["statefulSet"]["security"]
    assert security["podSecurityContext"]["runAsNonRoot"] is True
    assert security["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert security["containerSecurityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert values["exportKubeConfig"]["server"] == "https://quants.quants:443"
    assert values["policies"]["podSecurityStandard"] == "restricted"
    # the tenant's pods keep its sandbox inside the virtual cluster too
    assert values["sync"]["toHost"]["pods"]["runtimeClassName"] == "gvisor"


def test_a_virtual_cluster_has_a_provider_of_its_own_with_a_secret_kubeconfig(virtual_run: OfflineRun) -> None:
    providers = objects(virtual_run, "pulumi:providers:kubernetes")
    inner = providers["apps-quants-vcluster-k8s"]
    assert inner.inputs["clusterIdentifier"] == "strata/dev/apps/quants"
    assert "kubeconfig" in inner.inputs
    assert server_url("quants", "quants") == "https://quants.quants:443"
    text = "apiVersion: v1\nkind: Config\n"
    assert _decode({"config": base64.b64encode(text.encode()).decode()}) == text


def test_gvisor_on_gke_is_a_sandbox_node_pool_and_enforced_by_admission(virtual_run: OfflineRun) -> None:
    pools = objects(virtual_run, "gcp:container/nodePool:NodePool")
    sandbox = next(r for n, r in pools.items() if n.endswith("sandbox"))
    general = next(r for n, r in pools.items() if n.endswith("general"))
    assert sandbox.inputs["nodeConfig"]["sandboxConfig"] == {"type": "GVISOR"}
    assert sandbox.inputs["nodeConfig"]["imageType"] == "COS_CONTAINERD"
    assert "sandboxConfig" not in general.inputs["nodeConfig"]
    # GKE provides the RuntimeClass itself: Strata makes none
    assert not virtual_run.by_type("kubernetes:node.k8s.io/v1:RuntimeClass")
    ns = objects(virtual_run, "kubernetes:core/v1:Namespace")["apps-quants-namespace"]
    assert ns.inputs["metadata"]["labels"]["strata.io/runtime"] == "gvisor"
    policy = objects(virtual_run, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy")[
        "apps-guardrails-strata-tenant-runtime"
    ].inputs["spec"]
    assert policy["validations"][0]["expression"] == (
        "has(object.spec.runtimeClassName) && "
        "object.spec.runtimeClassName == namespaceObject.metadata.labels['strata.io/runtime']"
    )
    bindings = objects(virtual_run, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding")
    virtual = bindings["apps-guardrails-strata-tenant-runtime-virtual"].inputs["spec"]["matchResources"]
    assert virtual["objectSelector"] == {
        "matchExpressions": [{"key": "vcluster.loft.sh/managed-by", "operator": "Exists"}]
    }
    direct = bindings["apps-guardrails-strata-tenant-runtime"].inputs["spec"]["matchResources"]
    assert "objectSelector" not in direct


def test_kata_on_aws_takes_a_metal_instance_tainted_for_the_sandbox_and_installs_kata() -> None:
    env = with_tenants(
        {"name": "models", "runtime": "kata", "quota": QUOTA},
        nodePools=[
            {"name": "general", "machine": {"vcpus": 4, "memoryGib": 16}, "min": 1, "max": 2},
            {"name": "sandbox", "machine": {"vcpus": 8, "memoryGib": 32}, "min": 0, "max": 1, "runtime": "kata"},
        ],
    )
    env["pools"][0]["capacity"] = {"vcpus": 256, "memoryGib": 1024, "gpus": 0}
    run = plan_offline(env)
    groups = objects(run, "aws:eks/nodeGroup:NodeGroup")
    sandbox = next(r for n, r in groups.items() if n.endswith("sandbox"))
    assert sandbox.inputs["instanceTypes"] == ["c7i.metal-24xl"]
    assert sandbox.inputs["labels"]["strata.io/runtime"] == "kata"
    assert sandbox.inputs["taints"] == [{"key": "strata.io/runtime", "value": "kata", "effect": "NO_SCHEDULE"}]
    general = next(r for n, r in groups.items() if n.endswith("general"))
    assert "metal" not in general.inputs["instanceTypes"][0] and "taints" not in general.inputs
    (runtime_class,) = run.by_type("kubernetes:node.k8s.io/v1:RuntimeClass")
    assert runtime_class.inputs["metadata"]["name"] == "kata"
    assert runtime_class.inputs["handler"] == "kata-qemu-runtime-rs"
    assert runtime_class.inputs["scheduling"]["nodeSelector"] == {"strata.io/runtime": "kata"}
    (installer,) = [r for r in run.by_type("kubernetes:helm.sh/v3:Release") if r.inputs["name"] == "kata-deploy"]
    assert installer.inputs["chart"] == "oci://ghcr.io/kata-containers/kata-deploy-charts/kata-deploy"
    assert installer.inputs["version"] == "4.1.0"
    values = installer.inputs["values"]
    assert values["nodeSelector"] == {"strata.io/runtime": "kata"} and values["k8sDistribution"] == "k8s"
    assert values["shims"] == {"disableAll": True, "qemu-runtime-rs": {"enabled": True}}
    assert values["runtimeClasses"] == {"enabled": False}
    assert installer.urn in runtime_class.dependencies


def test_kata_on_an_air_gapped_site_comes_from_the_mirror() -> None:
    from .test_kube_schemas import kata_on_bare_metal

    run = plan_offline(kata_on_bare_metal())
    releases = {r.inputs["chart"]: r.inputs for r in run.by_type("kubernetes:helm.sh/v3:Release")}
    mirror = "registry.fra-dc1.corp:5000"
    kata = releases[f"oci://{mirror}/charts/kata-deploy"]
    assert kata["values"]["image"]["reference"] == f"{mirror}/kata-containers/kata-deploy"
    assert kata["values"]["kubectlImage"]["reference"] == f"{mirror}/kata-containers/kubectl"
    assert kata["values"]["k8sDistribution"] == "rke2"
    vcluster = releases[f"oci://{mirror}/charts/vcluster"]
    assert vcluster["values"]["controlPlane"]["distro"]["k8s"]["image"]["registry"] == mirror
    assert "repositoryOpts" not in vcluster
    # the hosts' labels and taints: tests/test_baremetal_driver.py


# ------------------------------------------------------------------ what the plan refuses


def test_shared_tenants_need_a_quota_and_a_dedicated_one_is_alone() -> None:
    env = with_tenants({"name": "a"}, {"name": "b", "isolation": "virtual"}, {"name": "c", "isolation": "dedicated"})
    found = problems(env)
    assert [p for p, _ in found] == [f"{C0}.tenants[0].quota", f"{C0}.tenants[1].quota", f"{C0}.tenants[2].isolation"]
    assert "a namespace tenant needs a quota" in found[0][1]
    assert "dedicated tenant has its cluster alone, but this cluster also has tenants a, b" in found[2][1]


def test_tenants_need_admission_policies_from_kubernetes_1_30() -> None:
    env = with_tenants({"name": "a", "quota": QUOTA}, version="1.29")
    found = [m for p, m in problems(env) if p == f"{C0}.version"]
    assert any("from 1.30 on" in m and "tenants a" in m for m in found), found


def test_a_runtime_nobody_provides_is_an_error_never_a_downgrade() -> None:
    env = with_tenants({"name": "a", "runtime": "gvisor", "quota": QUOTA})
    ((path, message),) = problems(env)
    assert path == f"{C0}.tenants[0].runtime"
    assert "no node pool of this cluster provides gvisor" in message
    assert "aws offers no gvisor; it is offered on gcp (GKE Sandbox)" in message


def test_a_node_pool_sandbox_the_substrate_does_not_offer_is_an_error() -> None:
    env = with_tenants(
        nodePools=[
            {"name": "general", "machine": {"vcpus": 4, "memoryGib": 16}, "min": 1, "max": 2, "runtime": "gvisor"}
        ]
    )
    ((path, message),) = problems(env)
    assert path == f"{C0}.nodePools[0].runtime"
    assert message.startswith("aws offers no gvisor node pools")


def test_gke_sandbox_needs_a_node_pool_without_it() -> None:
    gcp = {"gcp": {"project": "strata-dev", "region": "europe-west3", "zones": 3}}
    env = with_tenants(
        substrate=gcp,
        nodePools=[{"name": "s", "machine": {"vcpus": 4, "memoryGib": 16}, "min": 1, "max": 2, "runtime": "gvisor"}],
    )
    ((path, message),) = problems(env)
    assert path == f"{C0}.nodePools" and "GKE Sandbox needs a node pool without a sandbox" in message


def test_a_virtual_version_the_pinned_chart_cannot_run_is_an_error() -> None:
    env = with_tenants({"name": "v", "isolation": "virtual", "version": "1.31", "quota": QUOTA})
    ((path, message),) = problems(env)
    assert path == f"{C0}.tenants[0].version"
    assert "vCluster 0.36.1 runs virtual clusters of Kubernetes 1.34, 1.35, 1.36" in message
    host = with_tenants({"name": "v", "isolation": "virtual", "quota": QUOTA}, version="1.33")
    paths = [p for p, _ in problems(host)]
    assert paths == [f"{C0}.tenants[0].isolation", f"{C0}.tenants[0].isolation"]
    namespace = with_tenants({"name": "n", "version": "1.35", "quota": QUOTA})
    assert [p for p, _ in problems(namespace)] == [f"{C0}.tenants[0].version"]
