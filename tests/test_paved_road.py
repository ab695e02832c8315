"""The paved road: what every cluster gets, per substrate, as the engine would receive it.

Mock runs of the example stacks (AWS ``eu-prod``, GCP ``eu-prod-gcp``, air-gapped bare metal
``fra-onprem``) and of variants: the values that matter (storage class parameters and key, the load
balancer controller's identity, mirror rewrites), the order of what depends on what, and what the
plan refuses.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from strata.catalog import load_catalog
from strata.declarations.errors import SpecError
from strata.offline import OfflineRun, Registration
from strata.paved_road import split_image
from strata.report import plan_document
from strata.validation import validate_environment

from .conftest import TODAY, minimal_environment, only, plan_offline, stack_environment
from .test_baremetal_driver import _apply_like_run, _text

RELEASE = "kubernetes:helm.sh/v3:Release"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
MIRROR = "registry.fra-dc1.corp:5000"


def releases(run: OfflineRun, cluster: str) -> dict[str, Registration]:
    """A cluster's paved-road releases by chart release name."""
    return {r.inputs["name"]: r for r in run.by_type(RELEASE) if r.name.startswith(f"{cluster}-addons-")}


def depends(r: Registration) -> set[str]:
    return {d.rsplit("::", 1)[-1] for d in r.dependencies}


def images_in(release: Registration) -> Iterator[tuple[str, str]]:
    """``(value path, image)`` for every image value the catalog says the chart pulls."""
    addon = load_catalog().paved_road.addons[release.inputs["name"]]
    for path in addon.image_values:
        node: Any = release.inputs["values"]
        for key in path.split("."):
            node = node[key]
        yield path, node


def problems(env: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as info:
        validate_environment(env, today=TODAY)
    return [(p.path, p.message) for p in info.value.problems]


# ------------------------------------------------------------------ AWS


def test_aws_enforces_network_policy_through_the_cni_add_on_before_nodes_join(eu_prod_run: OfflineRun) -> None:
    cni = only(eu_prod_run, "aws:eks/addon:Addon", "payments-vpc-cni")
    assert cni.inputs["addonName"] == "vpc-cni"
    assert json.loads(cni.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}
    assert cni.inputs["resolveConflictsOnCreate"] == "OVERWRITE"
    group = only(eu_prod_run, "aws:eks/nodeGroup:NodeGroup", "payments-general")
    assert "payments-vpc-cni" in depends(group)


def test_aws_default_storage_class_is_gp3_encrypted_with_the_pool_key(eu_prod_run: OfflineRun) -> None:
    sc = only(eu_prod_run, STORAGE_CLASS, "payments-addons-storage-class")
    i = sc.inputs
    assert i["provisioner"] == "ebs.csi.aws.com"
    assert (i["parameters"]["type"], i["parameters"]["encrypted"]) == ("gp3", "true")
    assert i["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert i["volumeBindingMode"] == "WaitForFirstConsumer" and i["allowVolumeExpansion"] is True
    # the key is the pool's (its ARN is known once the key exists): the class waits for it and for
    # the EBS CSI add-on that provisions its volumes
    assert sc.property_dependencies["parameters"] == tuple(
        d for d in sc.property_dependencies["parameters"] if d.endswith("::eu-core-key")
    )
    assert {"eu-core-key", "payments-ebs-csi", "payments-general"} <= depends(sc)
    addon = only(eu_prod_run, "aws:eks/addon:Addon", "payments-ebs-csi")
    assert addon.inputs["addonName"] == "aws-ebs-csi-driver"
    (association,) = addon.inputs["podIdentityAssociations"]
    assert association["serviceAccount"] == "ebs-csi-controller-sa"


def test_aws_identities_are_pod_identity_roles_with_the_upstream_policies(eu_prod_run: OfflineRun) -> None:
    policies = load_catalog().paved_road.aws_policies
    role = only(eu_prod_run, "aws:iam/role:Role", "payments-lb-controller")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(trust["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    policy = only(eu_prod_run, "aws:iam/rolePolicy:RolePolicy", "payments-lb-controller")
    assert json.loads(policy.inputs["policy"]) == policies["aws-load-balancer-controller"]["document"]
    association = only(eu_prod_run, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "payments-lb-controller")
    assert (association.inputs["namespace"], association.inputs["serviceAccount"]) == (
        "kube-system",
        "aws-load-balancer-controller",
    )
    # The EBS CSI role may use the pool's key (its ARN known once the key exists) and nothing else
    # beside its managed policy.
    ebs = only(eu_prod_run, "aws:iam/rolePolicy:RolePolicy", "payments-ebs-csi")
    assert [d.rsplit("::", 1)[-1] for d in ebs.property_dependencies["policy"]] == ["eu-core-key"]
    kms = policies["ebs-csi"]["document"]["Statement"]
    assert {r for s in kms for r in s["Resource"]} == {"{key}"}
    assert all(a.startswith("kms:") for s in kms for a in s["Action"])
    managed = only(
        eu_prod_run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "payments-ebs-csi-AmazonEBSCSIDriverPolicyV2"
    )
    assert managed.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicyV2"


def test_aws_controllers_get_values_known_before_anything_exists(eu_prod_run: OfflineRun) -> None:
    charts = releases(eu_prod_run, "payments")
    lbc = charts["aws-load-balancer-controller"].inputs
    assert (lbc["chart"], lbc["version"], lbc["repositoryOpts"], lbc["namespace"]) == (
        "aws-load-balancer-controller",
        "3.5.0",
        {"repo": "https://aws.github.io/eks-charts"},
        "kube-system",
    )
    values = lbc["values"]
    assert values["clusterName"] == "eu-prod-payments" and values["region"] == "eu-central-1"
    assert values["vpcTags"] == {"strata:environment": "eu-prod", "strata:pool": "eu-core"}
    assert values["serviceAccount"] == {"create": True, "name": "aws-load-balancer-controller"}
    autoscaler = charts["cluster-autoscaler"].inputs["values"]
    assert autoscaler["image"]["tag"] == "v1.35.2"  # the cluster's minor
    assert autoscaler["autoDiscovery"] == {
        "clusterName": "eu-prod-payments",
        "tags": ["k8s.io/cluster-autoscaler/enabled", "k8s.io/cluster-autoscaler/eu-prod-payments"],
    }
    tag = only(eu_prod_run, "aws:autoscaling/tag:Tag", "payments-general-autoscaler")
    assert tag.inputs["tag"] == {
        "key": "k8s.io/cluster-autoscaler/eu-prod-payments",
        "value": "owned",
        "propagateAtLaunch": False,
    }
    analytics = releases(eu_prod_run, "analytics")["cluster-autoscaler"].inputs["values"]
    assert analytics["image"]["tag"] == "v1.36.1"
    # nothing in any release's values is unknown during a preview: the pack can judge them
    for r in eu_prod_run.by_type(RELEASE):
        assert "<pulumi.output.Unknown" not in repr(r.inputs["values"]), r.name


def test_aws_pulls_through_the_pools_ecr_cache_where_ecr_serves_the_registry(eu_prod_run: OfflineRun) -> None:
    rules = {
        r.inputs["upstreamRegistryUrl"]: r.inputs
        for r in eu_prod_run.by_type("aws:ecr/pullThroughCacheRule:PullThroughCacheRule")
    }
    assert set(rules) == {"public.ecr.aws", "registry.k8s.io", "quay.io"}
    prefix = rules["quay.io"]["ecrRepositoryPrefix"]
    assert prefix.startswith("eu-core-") and prefix.endswith("/quay") and len(prefix) <= 30
    cache = f"000000000000.dkr.ecr.eu-central-1.amazonaws.com/{prefix}"
    charts = releases(eu_prod_run, "payments")
    assert (
        dict(images_in(charts["cert-manager"]))["webhook.image.repository"] == f"{cache}/jetstack/cert-manager-webhook"
    )
    # Docker Hub needs credentials ECR does not have: Envoy Gateway's images come from upstream
    envoy = dict(images_in(charts["envoy-gateway"]))
    assert envoy["global.images.envoyProxy.image"] == "docker.io/envoyproxy/envoy:distroless-v1.39.0"
    node_pull = json.loads(
        only(eu_prod_run, "aws:iam/rolePolicy:RolePolicy", "eu-core-eks-node-pull-through").inputs["policy"]
    )
    (statement,) = node_pull["Statement"]
    assert statement["Action"] == ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]
    assert statement["Resource"].endswith(f":repository/{prefix.split('/')[0]}/*")


def test_aws_order_nodes_identity_then_the_load_balancer_controller_then_the_rest(eu_prod_run: OfflineRun) -> None:
    charts = releases(eu_prod_run, "payments")
    lbc = charts.pop("aws-load-balancer-controller")
    assert {"payments-general", "payments-lb-controller"} <= depends(lbc)
    for name, r in charts.items():
        assert {"payments-general", "payments-addons-aws-load-balancer-controller"} <= depends(r), name
    assert "payments-autoscaler" in depends(charts["cluster-autoscaler"])
    gateway_class = only(
        eu_prod_run, "kubernetes:gateway.networking.k8s.io/v1:GatewayClass", "payments-addons-gateway-class"
    )
    assert gateway_class.inputs["spec"] == {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"}
    assert "payments-addons-envoy-gateway" in depends(gateway_class)  # its CRD comes with the chart


# ------------------------------------------------------------------ GCP


def test_gcp_storage_class_is_pd_balanced_with_the_pool_key_and_the_disk_agent_may_use_it(
    eu_prod_gcp_run: OfflineRun,
) -> None:
    sc = only(eu_prod_gcp_run, STORAGE_CLASS, "payments-addons-storage-class")
    assert sc.inputs["provisioner"] == "pd.csi.storage.gke.io"
    assert sc.inputs["parameters"]["type"] == "pd-balanced"
    assert any(d.endswith("::eu-core-key") for d in sc.property_dependencies["parameters"])
    grant = only(eu_prod_gcp_run, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "eu-core-key-disks")
    assert grant.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert grant.inputs["member"].endswith("@compute-system.iam.gserviceaccount.com")
    assert "eu-core-key-disks" in depends(sc)
    cluster = only(eu_prod_gcp_run, "gcp:container/cluster:Cluster", "payments-gke")
    assert cluster.inputs["addonsConfig"] == {"gcePersistentDiskCsiDriverConfig": {"enabled": True}}
    assert cluster.inputs["gatewayApiConfig"] == {"channel": "CHANNEL_STANDARD"}


def test_gcp_uses_its_own_load_balancers_gateway_and_metrics_and_caches_in_artifact_registry(
    eu_prod_gcp_run: OfflineRun,
) -> None:
    assert set(releases(eu_prod_gcp_run, "payments")) == {"cert-manager"}
    repos = {
        r.inputs["repositoryId"]: r.inputs
        for r in eu_prod_gcp_run.by_type("gcp:artifactregistry/repository:Repository")
    }
    hub = next(i for i in repos.values() if i["description"].endswith("docker.io"))
    assert (hub["format"], hub["mode"], hub["location"]) == ("DOCKER", "REMOTE_REPOSITORY", "europe-west3")
    assert hub["remoteRepositoryConfig"]["dockerRepository"] == {"publicRepository": "DOCKER_HUB"}
    quay_id, quay = next((k, i) for k, i in repos.items() if i["description"].endswith("quay.io"))
    assert quay["remoteRepositoryConfig"]["commonRepository"] == {"uri": "https://quay.io"}
    images = dict(images_in(releases(eu_prod_gcp_run, "payments")["cert-manager"]))
    assert (
        images["image.repository"]
        == f"europe-west3-docker.pkg.dev/strata-eu-prod/{quay_id}/jetstack/cert-manager-controller"
    )


# ------------------------------------------------------------------ bare metal, air-gapped


def test_an_air_gapped_site_pulls_no_chart_and_no_image_from_the_internet(fra_run: OfflineRun) -> None:
    """Every image every cluster of the air-gapped site pulls, listed: each from the mirror."""
    pulled = []
    for r in fra_run.by_type(RELEASE):
        i = r.inputs
        assert i["chart"].startswith(f"oci://{MIRROR}/charts/") and "repositoryOpts" not in i, r.name
        if r.name.startswith(("core-addons-", "ml-addons-")):
            pulled += [image for _, image in images_in(r)]
    assert len(pulled) == 11 + 9  # core: local-path 2, metallb 2, envoy 2, cert-manager 5; ml: no envoy
    assert [p for p in pulled if split_image(p)[0] != MIRROR] == []
    doc = plan_doc(stack_environment("fra-onprem"), fra_run)
    addons = load_catalog().paved_road.addons  # (the tenants' and frameworks' images have tests of their own)
    listed = [i for p in doc["pools"] for c in p["clusters"] for i in c["images"] if i["pulledBy"] in addons]
    assert len(listed) == len(pulled) and {i["source"] for i in listed} == {"mirror"}
    assert {i["pulled"] for i in listed} == {p if ":" in p.rsplit("/", 1)[-1] else None for p in pulled} - {None} | {
        i["pulled"] for i in listed
    }
    assert all(i["pulled"].startswith(f"{MIRROR}/") for i in listed)


def test_bare_metal_gets_metallb_with_the_sites_addresses_after_its_chart(fra_run: OfflineRun) -> None:
    charts = releases(fra_run, "core")
    assert set(charts) == {"local-path", "metallb", "envoy-gateway", "cert-manager"}
    metallb = charts["metallb"]
    assert metallb.inputs["namespace"] == "metallb-system"
    assert metallb.inputs["values"]["frrk8s"] == {"enabled": False}
    pool = only(fra_run, "kubernetes:metallb.io/v1beta1:IPAddressPool", "core-addons-address-pool")
    assert pool.inputs["spec"] == {"addresses": ["10.20.9.0/28"]}
    assert pool.inputs["metadata"]["namespace"] == "metallb-system"
    assert "core-addons-metallb" in depends(pool)
    l2 = only(fra_run, "kubernetes:metallb.io/v1beta1:L2Advertisement", "core-addons-l2")
    assert l2.inputs["spec"] == {"ipAddressPools": ["strata"]} and "core-addons-address-pool" in depends(l2)
    namespace = only(fra_run, "kubernetes:core/v1:Namespace", "core-addons-metallb-ns")
    assert namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    cert_ns = only(fra_run, "kubernetes:core/v1:Namespace", "core-addons-cert-manager-ns")
    assert cert_ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    # every release waits for the cluster's hosts to have joined
    agents = {r.name for r in fra_run.by_type("command:remote:Command") if r.name.startswith("core-agent-")}
    for r in charts.values():
        assert agents <= depends(r), r.name


def test_bare_metal_storage_class_is_local_path_and_says_it_is_not_encrypted_by_the_provisioner(
    fra_run: OfflineRun,
) -> None:
    sc = only(fra_run, STORAGE_CLASS, "core-addons-storage-class")
    assert (sc.inputs["metadata"]["name"], sc.inputs["provisioner"]) == ("local-path", "rancher.io/local-path")
    assert "parameters" not in sc.inputs and "core-addons-local-path" in depends(sc)
    values = releases(fra_run, "core")["local-path"].inputs["values"]
    assert values["storageClass"] == {"create": False, "provisionerName": "rancher.io/local-path"}
    assert values["helperImage"] == {"tag": "1.37.0", "repository": f"{MIRROR}/library/busybox"}
    facts = load_catalog().paved_road.addons["local-path"].storage_class
    assert facts is not None and facts.key_parameter is None and "LUKS" in facts.encryption


def _server_settings(env: dict[str, Any]) -> str:
    """The first server's install settings, from a run whose join token is known."""
    run = _apply_like_run(env, "fra-onprem")
    return _text(only(run, "command:remote:Command", "core-server-fra-g01").inputs["stdin"])


# ------------------------------------------------------------------ one line swaps or turns off


def _fra(**addons: Any) -> dict[str, Any]:
    env = stack_environment("fra-onprem")
    env["pools"][0]["clusters"][0]["addons"].update(addons)
    return env


def test_swapping_the_cni_and_turning_off_metrics_and_ingress_is_one_line_each() -> None:
    env = _fra(networkPolicy="cilium", metrics=False, ingress=False)
    settings = _server_settings(env)
    assert "export STRATA_CNI=cilium" in settings and "export STRATA_DISABLE=rke2-metrics-server" in settings
    run = plan_offline(env)
    assert "envoy-gateway" not in releases(run, "core")
    assert not [
        r for r in run.by_type("kubernetes:gateway.networking.k8s.io/v1:GatewayClass") if r.name.startswith("core-")
    ]


def test_gcp_can_swap_gke_gateway_for_envoy_gateway() -> None:
    env = stack_environment("eu-prod-gcp")
    env["pools"][0]["clusters"][0]["addons"] = {"ingress": "envoy-gateway"}
    run = plan_offline(env)
    assert "envoy-gateway" in releases(run, "payments")
    assert "gatewayApiConfig" not in only(run, "gcp:container/cluster:Cluster", "payments-gke").inputs


def test_turning_storage_off_leaves_no_default_class_and_the_plan_says_so() -> None:
    env = copy.deepcopy(minimal_environment())
    env["pools"][0]["clusters"][0]["addons"] = {"storage": False, "images": False}
    run = plan_offline(env)
    assert not run.by_type(STORAGE_CLASS)
    assert not run.by_type("aws:ecr/pullThroughCacheRule:PullThroughCacheRule")
    assert not [r for r in run.by_type("aws:eks/addon:Addon") if r.inputs["addonName"] == "aws-ebs-csi-driver"]
    doc = plan_doc(env, run)
    cluster = doc["pools"][0]["clusters"][0]
    assert {"need": "storage", "reason": "turned off in the stack file"} in cluster["addonsOff"]
    assert {i["source"] for i in cluster["images"]} == {"upstream"}


# ------------------------------------------------------------------ what the plan refuses


def test_every_bad_choice_is_reported_at_once_with_what_the_substrate_offers() -> None:
    env = minimal_environment()
    env["pools"][0]["clusters"][0]["addons"] = {
        "networkPolicy": False,
        "storage": "local-path",
        "ingress": "envoy-gatway",
        "metrics": "cert-manager",
        "loadBalancerAddresses": ["10.20.9.0/28"],
    }
    found = problems(env)
    base = "pools[0].clusters[0].addons"
    assert [p for p, _ in found] == [
        f"{base}.networkPolicy",
        f"{base}.storage",
        f"{base}.ingress",
        f"{base}.metrics",
        f"{base}.loadBalancerAddresses",
    ]
    messages = dict(found)
    assert messages[f"{base}.networkPolicy"].startswith(
        "network policy enforcement cannot be turned off: tenants' NetworkPolicies (default deny, same-tenant only)"
    )
    assert messages[f"{base}.storage"] == "'local-path' runs on bareMetal, not aws; aws offers ebs-csi"
    assert messages[f"{base}.ingress"] == (
        "no ingress (Gateway API) is called 'envoy-gatway'; aws offers envoy-gateway; did you mean envoy-gateway?"
    )
    assert (
        messages[f"{base}.metrics"] == "'cert-manager' is certificates, not resource metrics; aws offers metrics-server"
    )
    assert messages[f"{base}.loadBalancerAddresses"] == (
        "only MetalLB (bare metal) takes addresses; aws clusters get load balancers from aws-load-balancer-controller"
    )


def test_what_gke_runs_itself_cannot_be_turned_off_and_metallb_is_not_an_aws_choice() -> None:
    env = stack_environment("eu-prod-gcp")
    env["pools"][0]["clusters"][0]["addons"] = {"autoscaling": False, "metrics": False, "storage": False}
    found = dict(problems(env))
    base = "pools[0].clusters[0].addons"
    assert found == {
        f"{base}.autoscaling": "node autoscaling on gcp is GKE cluster autoscaler (node pool autoscaling), "
        "which gcp runs itself: it cannot be turned off here",
        f"{base}.metrics": "resource metrics on gcp is GKE's managed metrics-server, which gcp runs itself: "
        "it cannot be turned off here",
    }  # a default StorageClass is Strata's to leave out
    aws = minimal_environment()
    aws["pools"][0]["clusters"][0]["addons"] = {"loadBalancers": "metallb"}
    assert problems(aws) == [
        (f"{base}.loadBalancers", "'metallb' runs on bareMetal, not aws; aws offers aws-load-balancer-controller")
    ]


def test_a_wide_range_over_the_hosts_is_one_problem_naming_them() -> None:
    env = stack_environment("fra-onprem")
    env["pools"][0]["clusters"][0]["addons"]["loadBalancerAddresses"] = ["10.20.0.0/16"]
    ((path, message),) = [(p, m) for p, m in problems(env) if "holds" in m]
    assert path == "pools[0].clusters[0].addons.loadBalancerAddresses[0]"
    assert message.startswith("holds the address of 14 host(s): fra-g01 (10.20.0.11), fra-g02 (10.20.0.12),")


def test_true_is_not_a_choice() -> None:
    env = minimal_environment()
    env["pools"][0]["clusters"][0]["addons"] = {"ingress": True}
    ((path, message),) = problems(env)
    assert path == "pools[0].clusters[0].addons.ingress"
    assert "`true` is not a choice" in message


def test_bare_metal_addresses_never_clash_and_an_air_gapped_site_keeps_its_mirror() -> None:
    env = stack_environment("fra-onprem")
    core, ml = env["pools"][0]["clusters"]
    core["addons"]["loadBalancerAddresses"] = ["10.20.9.0/28", "10.20.0.10/31"]  # the /31 holds host fra-g01
    core["addons"]["images"] = False
    ml["addons"]["loadBalancerAddresses"] = ["10.20.9.8-10.20.9.20"]  # overlaps core's /28
    base = "pools[0].clusters"
    assert problems(env) == [
        (f"{base}[0].addons.loadBalancerAddresses[1]", "holds the address of 1 host(s): fra-g01 (10.20.0.11)"),
        (
            f"{base}[0].addons.images",
            "an air-gapped site pulls every image from its mirror (registry.fra-dc1.corp:5000); it cannot go without",
        ),
        (
            f"{base}[1].addons.loadBalancerAddresses[0]",
            f"overlaps {base}[0].addons.loadBalancerAddresses[0]: each address is handed out once",
        ),
    ]


def test_metallb_chosen_without_addresses_and_a_mirror_the_site_lacks_are_refused() -> None:
    env = minimal_environment(
        {
            "bareMetal": {
                "site": "dc1",
                "country": "DE",
                "ssh": {"user": "strata"},
                "hosts": [
                    {"name": f"h{i}", "address": f"10.0.0.{10 + i}", "vcpus": 8, "memoryGib": 32} for i in range(8)
                ],
            }
        }
    )
    env["pools"][0]["capacity"] = None
    env["pools"][0]["clusters"][0]["addons"] = {"loadBalancers": "metallb", "images": "site-mirror"}
    found = dict(problems(env))
    assert "MetalLB hands out addresses" in found["pools[0].clusters[0].addons.loadBalancerAddresses"]
    assert "none is declared" in found["pools[0].clusters[0].addons.images"]


def test_a_pinned_chart_that_does_not_run_on_the_version_is_refused_with_the_way_out() -> None:
    env = stack_environment("fra-onprem")
    env["pools"][0]["clusters"][1]["version"] = "1.31"  # ml: no ingress, so only... nothing version-bound
    env["pools"][0]["clusters"][1]["tenants"].pop()  # (nor its virtual tenant and frameworks)
    env["pools"][0]["clusters"][1]["frameworks"] = []
    env["pools"][0]["clusters"][0]["frameworks"] = []  # (Strimzi runs on 1.30 and newer: tested with frameworks)
    env["pools"][0]["clusters"][0]["version"] = "1.31"  # core: Envoy Gateway v1.9.0 runs on 1.33-1.36
    found = problems(env)
    assert found == [
        (
            "pools[0].clusters[0].version",
            next(m for p, m in found if p == "pools[0].clusters[0].version"),
        )
    ]
    assert found[0][1].startswith(
        "Envoy Gateway (Gateway API) v1.9.0 (the catalog's pin) runs on Kubernetes 1.33, 1.34, 1.35, 1.36, not 1.31"
    )
    assert found[0][1].endswith("run another Kubernetes version or set addons.ingress: false")


def plan_doc(env: dict[str, Any], run: OfflineRun | None = None) -> dict[str, Any]:
    """What ``strata plan --format json`` prints for ``env`` (from its offline run, if made)."""
    _, plan = validate_environment(copy.deepcopy(env), today=TODAY)
    return plan_document(plan, run or plan_offline(env))


def test_an_air_gapped_sites_tenants_pull_their_vcluster_and_kata_from_the_mirror_too() -> None:
    from .test_kube_schemas import kata_on_bare_metal

    doc = plan_doc(kata_on_bare_metal())
    ml = doc["pools"][0]["clusters"][1]
    tenancy = [i for i in ml["images"] if i["pulledBy"] in ("vcluster (tenant labs)", "kata-deploy")]
    assert [i["image"] for i in tenancy] == [
        "ghcr.io/loft-sh/vcluster-oss:0.36.1",
        "ghcr.io/loft-sh/kubernetes:v1.35.0",
        "quay.io/kata-containers/kata-deploy:4.1.0",
        "quay.io/kata-containers/kubectl",
    ]
    assert {i["source"] for i in ml["images"]} == {"mirror"}
    assert all(i["pulled"].startswith(f"{MIRROR}/") for i in ml["images"])


def test_what_tenants_install_waits_for_the_nodes_and_the_load_balancer_controller(eu_prod_run: OfflineRun) -> None:
    """A vCluster's Service made before the controller whose webhook admits Services runs would be
    refused, and a chart with nothing to run on never gets ready: a first ``pulumi up`` would fail."""
    installer = only(eu_prod_run, RELEASE, "analytics-runtimes-kata-installer")
    namespace = only(eu_prod_run, "kubernetes:core/v1:Namespace", "analytics-quants-namespace")
    for r in (installer, namespace):
        assert {"analytics-general", "analytics-sandbox", "analytics-addons-aws-load-balancer-controller"} <= depends(r)
    assert "analytics-quants-namespace" in depends(only(eu_prod_run, RELEASE, "analytics-quants-vcluster-release"))
