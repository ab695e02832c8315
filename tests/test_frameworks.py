"""Data frameworks as the engine would receive them: the operators once per cluster, the custom
resources in the tenant's space (inside its virtual cluster for a virtual tenant), the fields that
matter, what waits for what, what a team gets as outputs, and what the plan refuses.

Mock runs of the example stacks: ``eu-prod`` (AWS: Kafka and Spark on the namespace tenant risk,
Elasticsearch in the virtual tenant quants) and ``fra-onprem`` (air-gapped bare metal: Kafka, Spark,
Flink, and Elasticsearch in a virtual tenant). Every custom resource is also validated against its
operator's CRD schema in tests/test_kube_schemas.py.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from strata.catalog import load_catalog
from strata.declarations.errors import SpecError
from strata.offline import OfflineRun, Registration
from strata.validation import validate_environment

from .conftest import TODAY, minimal_environment, only, plan_offline, stack_environment
from .test_paved_road import MIRROR, RELEASE, depends, plan_doc

KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka"
NODE_POOL = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool"
ELASTICSEARCH = "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch"
FLINK = "kubernetes:flink.apache.org/v1beta1:FlinkDeployment"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


@pytest.fixture
def eu_prod(eu_prod_run: OfflineRun) -> OfflineRun:
    return eu_prod_run


@pytest.fixture
def fra(fra_run: OfflineRun) -> OfflineRun:
    return fra_run


def operators(run: OfflineRun) -> dict[str, Registration]:
    """The frameworks' operator releases, by Pulumi name."""
    charts = {f.chart.name for f in load_catalog().frameworks.values()}
    return {r.name: r for r in run.by_type(RELEASE) if r.inputs["name"] in charts}


def provider_of(r: Registration) -> str:
    return r.provider.split("::")[-2]


def outputs(run: OfflineRun, type_: str, name: str) -> dict[str, Any]:
    component = only(run, type_, name)
    return run.component_outputs[component.urn]


def test_kafka_is_kraft_with_a_tls_listener_racks_over_zones_and_the_paved_roads_storage(eu_prod: OfflineRun) -> None:
    kafka = only(eu_prod, KAFKA, "analytics-events-kafka")
    spec = kafka.inputs["spec"]["kafka"]
    assert spec["version"] == "4.3.1"
    assert spec["listeners"] == [
        {"name": "tls", "port": 9093, "type": "internal", "tls": True, "authentication": {"type": "tls"}}
    ]
    assert spec["authorization"] == {"type": "simple"}
    assert spec["rack"] == {"type": "topology-label", "topologyKey": "topology.kubernetes.io/zone"}  # 3 zones
    assert spec["config"]["min.insync.replicas"] == 2 and spec["config"]["default.replication.factor"] == 3
    pool = only(eu_prod, NODE_POOL, "analytics-events-pool")
    assert pool.inputs["spec"]["replicas"] == 3 and pool.inputs["spec"]["roles"] == ["controller", "broker"]
    (volume,) = pool.inputs["spec"]["storage"]["volumes"]
    assert volume == {
        "id": 0,
        "type": "persistent-claim",
        "size": "500Gi",
        "deleteClaim": False,
        "kraftMetadata": "shared",
        "class": "gp3-encrypted",  # the paved road's StorageClass, encrypted with the pool's key
    }
    # requests equal limits: what the tenant's quota draws is what a broker gets
    size = {"cpu": "2", "memory": "8Gi"}
    assert pool.inputs["spec"]["resources"] == {"requests": size, "limits": size}
    for r in (kafka, pool):
        meta = r.inputs["metadata"]
        assert meta["namespace"] == "risk"
        assert meta["labels"]["strata.io/tenant"] == "risk"
        assert meta["labels"]["dataclass.strata.io/personal-eu"] == "true"
        assert provider_of(r) == "analytics-k8s"
        # after its operator (which installs the CRDs) and its tenant's space (its namespace, guard rails)
        assert {"analytics-kafka-operator-release", "analytics-risk-namespace", "analytics-risk-quota"} <= depends(r)
    assert pool.inputs["metadata"]["labels"]["strimzi.io/cluster"] == "events"
    out = outputs(eu_prod, "strata:frameworks:Kafka", "analytics-events")
    assert out["bootstrapServers"] == "events-kafka-bootstrap.risk.svc:9093"
    assert out["clusterCaSecret"] == "events-cluster-ca-cert" and out["dataClass"] == "personal-eu"


def test_one_operator_per_cluster_acting_only_in_its_tenants_namespaces(eu_prod: OfflineRun, fra: OfflineRun) -> None:
    eu = operators(eu_prod)
    assert set(eu) == {
        "analytics-kafka-operator-release",
        "analytics-spark-operator-release",
        "analytics-quants-vcluster-elasticsearch-operator-release",  # inside quants's virtual cluster
    }
    strimzi = eu["analytics-kafka-operator-release"]
    assert strimzi.inputs["chart"] == "oci://quay.io/strimzi-helm/strimzi-kafka-operator"
    assert strimzi.inputs["version"] == "1.2.0" and strimzi.inputs["namespace"] == "strimzi"
    values = strimzi.inputs["values"]
    assert values["watchNamespaces"] == ["risk"] and values["watchAnyNamespace"] is False
    assert {"name": "STRIMZI_POD_SECURITY_PROVIDER_CLASS", "value": "restricted"} in values["extraEnvs"]
    # after the nodes, the load-balancer controller's webhook, the StorageClass and the namespace it acts in
    assert {
        "analytics-general",
        "analytics-addons-aws-load-balancer-controller",
        "analytics-addons-storage-class",
        "analytics-risk-namespace",
        "analytics-kafka-operator-release-ns",
    } <= depends(strimzi)
    spark = eu["analytics-spark-operator-release"]
    assert spark.inputs["values"]["spark"] == {
        "jobNamespaces": ["risk"],
        "serviceAccount": {"create": False},
        "rbac": {"create": False},
    }
    assert spark.inputs["values"]["webhook"]["resourceQuotaEnforcement"] == {"enable": True}
    fra_ops = {r.inputs["name"]: r for r in operators(fra).values()}
    assert fra_ops["spark-operator"].inputs["values"]["spark"]["jobNamespaces"] == ["research"]
    assert fra_ops["flink-kubernetes-operator"].inputs["values"]["watchNamespaces"] == ["research"]


def test_spark_gets_a_service_account_and_a_namespaced_role_and_no_cluster_wide_rights(eu_prod: OfflineRun) -> None:
    sa = only(eu_prod, "kubernetes:core/v1:ServiceAccount", "analytics-batch-sa")
    assert sa.inputs["metadata"]["name"] == "batch-spark" and sa.inputs["metadata"]["namespace"] == "risk"
    role = only(eu_prod, "kubernetes:rbac.authorization.k8s.io/v1:Role", "analytics-batch-role")
    assert {g for rule in role.inputs["rules"] for g in rule["apiGroups"]} == {""}
    assert {res for rule in role.inputs["rules"] for res in rule["resources"]} == {
        "pods",
        "services",
        "configmaps",
        "persistentvolumeclaims",
        "pods/log",
    }
    binding = only(eu_prod, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "analytics-batch-binding")
    assert binding.inputs["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "batch-spark"}
    assert binding.inputs["subjects"] == [{"kind": "ServiceAccount", "name": "batch-spark", "namespace": "risk"}]
    spark = only(eu_prod, "strata:frameworks:Spark", "analytics-batch")
    cluster_wide = [
        r.name
        for r in eu_prod.registrations
        if r.type.endswith(("ClusterRole", "ClusterRoleBinding")) and r.parent == spark.urn
    ]
    assert cluster_wide == []
    # drivers reach the API server (to start executors) through the tenant's default-deny, nothing else
    egress = only(eu_prod, POLICY, "analytics-batch-allow-api").inputs["spec"]
    assert egress["podSelector"] == {"matchLabels": {"spark-role": "driver"}} and egress["policyTypes"] == ["Egress"]
    assert [p["port"] for p in egress["egress"][0]["ports"]] == [443, 6443]
    out = outputs(eu_prod, "strata:frameworks:Spark", "analytics-batch")
    assert out["serviceAccount"] == "batch-spark" and out["namespace"] == "risk"


def test_elasticsearch_on_a_virtual_tenant_runs_inside_its_virtual_cluster(eu_prod: OfflineRun) -> None:
    es = only(eu_prod, ELASTICSEARCH, "analytics-search-elasticsearch")
    assert provider_of(es) == "analytics-quants-vcluster-k8s"
    eck = operators(eu_prod)["analytics-quants-vcluster-elasticsearch-operator-release"]
    assert provider_of(eck) == "analytics-quants-vcluster-k8s"  # ECK inside the virtual cluster too
    assert eck.inputs["values"]["managedNamespaces"] == ["quants"]
    assert eck.inputs["values"]["telemetry"] == {"disabled": True}
    assert "analytics-quants-vcluster-release" in depends(eck)  # the virtual cluster is up first
    (node_set,) = es.inputs["spec"]["nodeSets"]
    assert node_set["count"] == 3 and node_set["config"] == {"node.store.allow_mmap": False}
    assert node_set["zoneAwareness"] == {"topologyKey": "topology.kubernetes.io/zone"}
    (claim,) = node_set["volumeClaimTemplates"]
    assert claim["metadata"] == {"name": "elasticsearch-data"}
    assert claim["spec"]["resources"] == {"requests": {"storage": "100Gi"}}
    assert claim["spec"]["storageClassName"] == "gp3-encrypted"
    assert es.inputs["metadata"]["labels"]["dataclass.strata.io/internal"] == "true"
    assert {
        "analytics-quants-vcluster-elasticsearch-operator-release",
        "analytics-quants-vcluster-namespace",
        "analytics-quants-vcluster-release",
    } <= depends(es)
    # inside its own virtual cluster the tenant is alone: its namespace there is not a shared tenant's
    inner = only(eu_prod, "kubernetes:core/v1:Namespace", "analytics-quants-vcluster-namespace")
    labels = inner.inputs["metadata"]["labels"]
    assert "strata.io/tenant" not in labels and labels["dataclass.strata.io/internal"] == "true"
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert provider_of(inner) == "analytics-quants-vcluster-k8s"
    out = outputs(eu_prod, "strata:frameworks:Elasticsearch", "analytics-search")
    assert out["url"] == "https://search-es-http.quants.svc:9200"
    assert out["elasticUserSecret"] == "search-es-elastic-user"


def test_flink_is_a_restricted_session_cluster_only_its_operator_reaches(fra: OfflineRun) -> None:
    flink = only(fra, FLINK, "ml-features-deployment").inputs["spec"]
    assert flink["image"] == f"{MIRROR}/library/flink:2.2"  # air-gapped: the site's mirror
    assert (flink["flinkVersion"], flink["mode"]) == ("v2_2", "standalone")  # Flink never calls the API
    assert flink["taskManager"] == {"replicas": 2, "resource": {"cpu": 1, "memory": "4096m"}}
    assert flink["jobManager"] == {"replicas": 1, "resource": {"cpu": 1, "memory": "2048m"}}
    pod = flink["podTemplate"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["containers"][0]["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
    }
    ingress = only(fra, POLICY, "ml-features-allow-operator").inputs["spec"]
    assert ingress["podSelector"] == {"matchLabels": {"app": "features", "component": "jobmanager"}}
    (rule,) = ingress["ingress"]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "flink-operator"}}}]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8081}]
    # its webhook's certificate is cert-manager's: the operator waits for the paved road's cert-manager
    operator = next(r for r in operators(fra).values() if r.inputs["name"] == "flink-kubernetes-operator")
    assert "webhook" not in operator.inputs["values"] and "ml-addons-cert-manager" in depends(operator)


def test_without_cert_manager_flinks_webhook_is_left_out() -> None:
    env = minimal_environment()
    cluster = env["pools"][0]["clusters"][0]
    cluster["addons"] = {"certificates": False}
    cluster["tenants"] = [{"name": "streams", "quota": {"cpu": 8, "memoryGib": 32}}]
    cluster["frameworks"] = [{"flink": {"name": "stream", "tenant": "streams", "taskManagers": 1}}]
    run = plan_offline(env)
    (operator,) = operators(run).values()
    assert operator.inputs["values"]["webhook"] == {"create": False}


def test_an_air_gapped_sites_operators_and_their_images_come_from_the_mirror(fra: OfflineRun) -> None:
    ops = {r.inputs["name"]: r for r in operators(fra).values()}
    assert set(ops) == {"strimzi-kafka-operator", "spark-operator", "flink-kubernetes-operator", "eck-operator"}
    for name, r in ops.items():
        assert r.inputs["chart"] == f"oci://{MIRROR}/charts/{name}" and "repositoryOpts" not in r.inputs
    # each chart builds its images (and its operands') from the value Strata points at the mirror
    assert ops["strimzi-kafka-operator"].inputs["values"]["defaultImageRegistry"] == MIRROR
    assert ops["spark-operator"].inputs["values"]["image"]["registry"] == MIRROR
    assert ops["flink-kubernetes-operator"].inputs["values"]["image"]["repository"] == (
        f"{MIRROR}/apache/flink-kubernetes-operator"
    )
    eck = ops["eck-operator"].inputs["values"]
    assert eck["image"]["repository"] == f"{MIRROR}/eck/eck-operator" and eck["config"]["containerRegistry"] == MIRROR
    doc = plan_doc(stack_environment("fra-onprem"), fra)
    pulled = [i for c in doc["pools"][0]["clusters"] for i in c["images"] if "operator" in i["pulledBy"]]
    assert {i["image"] for i in pulled} == {i for f in load_catalog().frameworks.values() for i in f.images}
    assert {i["source"] for i in pulled} == {"mirror"}
    assert all(i["pulled"].startswith(f"{MIRROR}/") for i in pulled)


def problems(env: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(SpecError) as info:
        validate_environment(env, today=TODAY)
    return {p.path: p.message for p in info.value.problems}


def test_frameworks_that_overdraw_their_tenants_quota_are_refused_naming_tenant_framework_and_figures() -> None:
    env = stack_environment("eu-prod")
    analytics = env["pools"][0]["clusters"][1]
    analytics["frameworks"][0]["kafka"].update(brokers=9, size={"cpu": 6, "memoryGib": 20})  # 54.5 vCPU
    analytics["frameworks"][1]["spark"].update(executors=10)  # 10 × 1 + the driver's 1: 11 vCPU
    found = problems(copy.deepcopy(env))
    assert set(found) == {"pools[0].clusters[1].tenants[0].quota.cpu"}  # 181 + 44 GiB of 256: memory fits
    assert found["pools[0].clusters[1].tenants[0].quota.cpu"] == (
        "tenant risk's frameworks draw cpu 65.5 > 64 of its quota (kafka events: 54.5 (9 brokers × 6 + 0.5); "
        "spark batch: 11 (10 executors × 1 + 1)); raise the quota or shrink the frameworks"
    )
    # volumes too, where the tenant's quota limits them
    analytics["frameworks"][0]["kafka"].update(brokers=3, size={"cpu": 2, "memoryGib": 8})
    analytics["tenants"][0]["quota"]["storageGib"] = 1000
    found = problems(env)
    assert set(found) == {"pools[0].clusters[1].tenants[0].quota.storageGib"}
    assert "storageGib 1500 > 1000" in found["pools[0].clusters[1].tenants[0].quota.storageGib"]
    assert "kafka events: 1500 (3 brokers × 500)" in found["pools[0].clusters[1].tenants[0].quota.storageGib"]


def test_an_operator_that_does_not_run_on_the_clusters_version_is_refused() -> None:
    env = stack_environment("eu-prod")
    analytics = env["pools"][0]["clusters"][1]
    analytics["tenants"][1]["version"] = "1.31"  # quants' virtual cluster: ECK 3.5.0 runs on 1.32-1.36
    found = problems(env)
    assert found["pools[0].clusters[1].frameworks[2].elasticsearch"].startswith(
        "eck-operator 3.5.0 (the Elasticsearch (ECK) operator Strata pins) runs on Kubernetes 1.32, 1.33, 1.34, "
        "1.35, 1.36, not on tenant quants's virtual cluster's 1.31"
    )


def test_a_stateful_framework_needs_a_node_per_member() -> None:
    env = stack_environment("fra-onprem")
    env["pools"][0]["clusters"][0]["frameworks"][0]["kafka"]["brokers"] = 5  # core: 4 nodes at max
    found = problems(env)
    assert found == {
        "pools[0].clusters[0].frameworks[0].kafka.brokers": (
            "more brokers than the cluster has nodes at max (4); each runs on a node of its own"
        )
    }


def test_a_team_program_builds_frameworks_on_a_handle_the_same_way() -> None:
    """No driver: a handle on a cluster the program did not build (a team repo's) gets the same
    operator and custom resources, through that cluster's provider."""
    import pulumi
    from pulumi_kubernetes.provider import Provider

    from strata import ClusterFacts, ClusterHandle, Framework, KafkaSpec, Quota, Tenant, TenantSpace, build_frameworks
    from strata.offline import run_offline

    def program() -> None:
        provider = Provider("analytics-k8s", kubeconfig=pulumi.Output.secret("apiVersion: v1"))
        facts = ClusterFacts(
            environment="eu-prod",
            pool="eu-core",
            cluster="analytics",
            substrate="aws",
            region="eu-central-1",
            site=None,
            country="DE",
            jurisdictions=("eu",),
            version="1.36",
            zones=3,
            vcpus=192,
            memory_gib=768,
            storage_class="gp3-encrypted",
        )
        handle = ClusterHandle("team", provider, pulumi.Output.secret("apiVersion: v1"), facts)
        tenant = Tenant(name="ledger", quota=Quota(cpu=16, memory_gib=64), data_classes=("personal-eu",))
        space = TenantSpace("team-ledger", tenant, handle)
        kafka = Framework(kafka=KafkaSpec(name="payments", tenant="ledger", data_class="personal-eu", brokers=3))
        build_frameworks(handle, [kafka], {"ledger": space})

    run, _ = run_offline(program, project="team", stack="dev")
    kafka = only(run, KAFKA, "team-payments-kafka")
    assert provider_of(kafka) == "analytics-k8s"
    assert kafka.inputs["metadata"]["labels"]["dataclass.strata.io/personal-eu"] == "true"
    (operator,) = operators(run).values()
    assert provider_of(operator) == "analytics-k8s" and operator.inputs["values"]["watchNamespaces"] == ["ledger"]
    assert not [r for r in run.registrations if r.type.startswith(("aws:", "gcp:", "command:"))]


def test_the_program_exports_each_clusters_facts_and_frameworks_for_teams() -> None:
    """Per cluster: its facts as plain values (where it runs, version, what it offers, capacity its
    tenants' quotas leave) and each framework's outputs, beside its endpoint and secret kubeconfig."""
    from pulumi.runtime.settings import get_root_resource

    from strata.cli import offline_config
    from strata.offline import run_offline
    from strata.program import main

    config, secrets = offline_config("platform:environment", stack_environment("eu-prod"))
    _, (env, exported) = run_offline(
        lambda: (main(today=TODAY), get_root_resource().outputs),  # type: ignore[union-attr]
        project="platform",
        stack="eu-prod",
        config=config,
        secret_keys=secrets,
    )
    assert {"analytics.facts", "payments.facts", "analytics.events", "analytics.batch", "analytics.search"} <= set(
        exported
    )
    clusters = env.pools["eu-core"].clusters
    analytics = clusters["analytics"].published_facts()
    assert {k: analytics[k] for k in ("pool", "substrate", "region", "country", "jurisdictions", "version")} == {
        "pool": "eu-core",
        "substrate": "aws",
        "region": "eu-central-1",
        "country": "DE",
        "jurisdictions": ["eu"],
        "version": "1.36",
    }
    assert analytics["isolation"] == ["namespace", "virtual"] and analytics["runtimes"] == ["default", "kata"]
    # 12 + 4 nodes of 16 vCPU / 64 GiB and one 96 / 384 metal host, less risk's and quants's quotas
    assert analytics["capacityLeft"] == {"cpu": 352 - 64 - 32, "memoryGib": 1408 - 256 - 128}
    assert analytics["storageClass"] == "gp3-encrypted"
    payments = clusters["payments"].published_facts()
    assert payments["isolation"] == [] and payments["capacityLeft"] == {"cpu": 0, "memoryGib": 0}  # cards' alone
