"""Frameworks under the residency and isolation rules, through the analyzer protocol: the custom
resources Strata renders (a Strimzi ``Kafka`` in a tenant's namespace, an ECK ``Elasticsearch``
inside a virtual cluster), compliant and violating, and programs that claim a virtual cluster they
do not have. A framework's data class is its own label; a virtual cluster runs where its host does,
which the pack believes only of a vCluster release whose kubeconfig names its own service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strata.analyzer import Verdict, analyze, pack_policies, reconcile_config, running_pack
from strata.offline import Registration

from .policy_fixtures import CLUSTER, CLUSTER_URN, PSA, UNKNOWN, k8s, provider_ref, reg, run_of
from .test_tenancy_rules import AS_OF, CARDS, DCI, DCR, DTA, cards_cluster, platform

PACK = Path(__file__).resolve().parents[1] / "policies"
RULES = (DCR, DCI, DTA)


@pytest.fixture(scope="module")
def pack() -> Iterator[object]:
    with running_pack(PACK) as stub:
        yield stub


def verdicts(pack: object, regs: list[Registration]) -> dict[tuple[str, str], str]:
    """``(policy, resource name) → message`` of the residency and tenancy rules' violations."""
    cfg = reconcile_config(pack_policies(pack), AS_OF)  # type: ignore[arg-type]
    found: list[Verdict] = analyze(pack, run_of(regs), cfg)  # type: ignore[arg-type]
    return {(v.policy, v.urn.split("::")[-1]): v.message for v in found if v.policy in RULES}


def kafka(data_class: str, *, tenant: str = "risk", provider: str = provider_ref()) -> Registration:
    """A Strimzi Kafka as :class:`strata.kube.frameworks.Kafka` renders it."""
    labels = {"strata.io/tenant": tenant, "strata.io/framework": "kafka", f"dataclass.strata.io/{data_class}": "true"}
    spec = {
        "kafka": {"version": "4.3.1", "listeners": [{"name": "tls", "port": 9093, "type": "internal", "tls": True}]}
    }
    return k8s(
        "kafka.strimzi.io/v1:Kafka",
        f"events-{tenant}",
        {"metadata": {"name": "events", "namespace": tenant, "labels": labels}, "spec": spec},
        provider,
    )


def virtual_cluster(
    host: str,
    *,
    name: str = "search",
    server: str | None = None,
    chart: str = "vcluster",
    repo: str = "https://charts.loft.sh",
    image: str = "loft-sh/kubernetes",
    also: tuple[str, ...] = (),
    values: dict[str, Any] | None = None,
    inputs: dict[str, Any] | None = None,
    kubeconfig: str = UNKNOWN,
) -> list[Registration]:
    """A vCluster release on ``host`` and the provider whose kubeconfig is built from it (and from
    ``also``), as :class:`strata.kube.VirtualCluster` makes them."""
    release = k8s(
        "helm.sh/v3:Release",
        f"{name}-vcluster-release",
        {
            "chart": chart,
            "name": name,
            "namespace": name,
            "repositoryOpts": {"repo": repo},
            "values": {
                "controlPlane": {
                    "distro": {"k8s": {"image": {"registry": "registry.fra-dc1.corp:5000", "repository": image}}}
                },
                "exportKubeConfig": {"server": server or f"https://{name}.{name}:443"},
                **(values or {}),
            },
            **(inputs or {}),
        },
        host,
    )
    provider = reg(
        f"{CLUSTER}$pulumi:providers:kubernetes",
        f"{name}-vcluster-k8s",
        {"kubeconfig": kubeconfig, "clusterIdentifier": f"strata/eu-prod/payments/{name}"},
        parent=CLUSTER_URN,
        prop_deps={"kubeconfig": (release.urn, *also)},
    )
    return [release, provider]


def elasticsearch(data_class: str, provider: str) -> Registration:
    labels = {"strata.io/tenant": "search", f"dataclass.strata.io/{data_class}": "true"}
    return k8s(
        "elasticsearch.k8s.elastic.co/v1:Elasticsearch",
        "docs-es",
        {
            "metadata": {"name": "docs", "namespace": "search", "labels": labels},
            "spec": {"version": "9.4.3", "nodeSets": [{"name": "default", "count": 3}]},
        },
        provider,
    )


VC = provider_ref("search-vcluster-k8s")


def test_strata_s_frameworks_pass(pack: object) -> None:
    """A personal-eu Kafka in the namespace tenant, and a personal-eu Elasticsearch inside a virtual
    cluster on the same EU cluster: where each runs is established, and allowed."""
    regs: list[Any] = [
        *platform(),
        kafka("personal-eu"),
        *virtual_cluster(provider_ref()),
        elasticsearch("personal-eu", VC),
    ]
    assert verdicts(pack, regs) == {}


def test_a_personal_eu_kafka_on_a_us_cluster_fails_residency(pack: object) -> None:
    regs = [*platform(), *cards_cluster("us-east-1")]
    regs = [r for r in regs if r.name not in {"payments-cards", "payments-cards-admin"}]  # no dedicated tenant there
    found = verdicts(pack, [*regs, kafka("personal-eu", tenant="risk", provider=CARDS)])
    assert set(found) == {(DCR, "events-risk")}
    assert "personal-eu, which must stay in eu, but runs on a cluster in us-east-1 (US)" in found[(DCR, "events-risk")]


def test_a_pci_kafka_on_a_shared_tenant_fails_isolation(pack: object) -> None:
    found = verdicts(pack, [*platform(), kafka("pci")])
    assert set(found) == {(DCI, "events-risk")}
    assert "tenant risk has no Namespace labelled strata.io/isolation=dedicated" in found[(DCI, "events-risk")]


def test_a_framework_inside_a_virtual_cluster_runs_where_its_host_does(pack: object) -> None:
    us = cards_cluster("us-east-1")
    regs = [*platform(), *us, *virtual_cluster(CARDS), elasticsearch("personal-eu", VC)]
    regs = [r for r in regs if r.name not in {"payments-cards", "payments-cards-admin"}]
    found = verdicts(pack, regs)
    assert set(found) == {(DCR, "docs-es")}
    assert "runs on a cluster in us-east-1 (US)" in found[(DCR, "docs-es")]
    # a virtual cluster's pods run on its host's nodes: on the dedicated tenant's cluster it is a neighbour
    dedicated = [*platform(), *virtual_cluster(CARDS), elasticsearch("internal", VC)]
    found = verdicts(pack, dedicated)
    assert set(found) == {(DTA, "payments-cards")}
    assert "Elasticsearch docs-es of tenant search on its cluster" in found[(DTA, "payments-cards")]


def test_a_dedicated_tenant_inside_a_virtual_cluster_on_a_shared_host_is_not_alone(pack: object) -> None:
    """pci in a Namespace labelled dedicated inside a virtual cluster: the virtual cluster's pods
    share the host's nodes with the host's other tenants."""
    inner = k8s(
        "core/v1:Namespace",
        "search-inner",
        {
            "metadata": {
                "name": "search",
                "labels": {"strata.io/tenant": "search", "strata.io/isolation": "dedicated", **PSA},
            }
        },
        VC,
    )
    regs = [*platform(), *virtual_cluster(provider_ref()), inner, kafka("pci", tenant="search", provider=VC)]
    found = verdicts(pack, regs)
    assert (DTA, "search-inner") in found and "of tenant risk on its cluster" in found[(DTA, "search-inner")]


@pytest.mark.parametrize(
    "claim",
    [
        {"server": "https://eks.us-east-1.example.com"},
        {"chart": "my-cluster-api-kubeconfig"},
        {"repo": "https://charts.example.com"},  # a chart named vcluster, from someone else
        {"image": "example/api-proxy"},  # vCluster running an image that could forward anywhere
        {"image": "example/api-proxy-not-loft-sh/kubernetes"},
        {"name": "other"},
        # vCluster settings that send its nodes, workloads or state elsewhere
        {"values": {"privateNodes": {"enabled": True}}},
        {"values": {"experimental": {"isolatedControlPlane": {"enabled": True, "kubeConfig": "us-workload"}}}},
        {"values": {"controlPlane": {"backingStore": {"database": {"external": {"dataSource": "mysql://db.us"}}}}}},
        # values the pack cannot read, manifests rewritten after rendering
        {"inputs": {"valueYamlFiles": ["controlPlane: {statefulSet: {image: {repository: example/proxy}}}\n"]}},
        {"inputs": {"postrender": "/usr/local/bin/swap-syncer"}},
    ],
    ids=[
        "server-elsewhere",
        "not-vcluster",
        "another-repository",
        "another-image",
        "an-image-named-like-vclusters",
        "another-releases-service",
        "private-nodes",
        "isolated-control-plane",
        "external-backing-store",
        "values-files",
        "post-renderer",
    ],
)
def test_a_kubeconfig_that_only_claims_a_virtual_cluster_is_not_believed(pack: object, claim: dict[str, Any]) -> None:
    release, provider = virtual_cluster(provider_ref(), **{k: v for k, v in claim.items() if k != "name"})
    if "name" in claim:  # the release's service is other.search; the kubeconfig names search.search
        release = k8s("helm.sh/v3:Release", release.name, {**release.inputs, "name": claim["name"]}, provider_ref())
    found = verdicts(pack, [*platform(), release, provider, elasticsearch("personal-eu", VC)])
    # and, on a cluster that may be any, it may be the dedicated tenant's
    assert set(found) == {(DCR, "docs-es"), (DTA, "payments-cards")}
    message = found[(DCR, "docs-es")]
    assert "where it runs cannot be established" in message and "is read from kubernetes:helm.sh/v3:Release" in message


def test_a_kubeconfig_from_a_virtual_cluster_and_a_us_cluster_is_judged_on_both(pack: object) -> None:
    us = cards_cluster("us-east-1")
    regs = [*platform(), *us, *virtual_cluster(provider_ref(), also=(us[0].urn,)), elasticsearch("personal-eu", VC)]
    regs = [r for r in regs if r.name not in {"payments-cards", "payments-cards-admin"}]
    found = verdicts(pack, regs)
    assert set(found) == {(DCR, "docs-es")} and "US" in found[(DCR, "docs-es")]


def test_a_known_kubeconfig_must_name_the_virtual_clusters_own_service(pack: object) -> None:
    """Once the kubeconfig's text is known (at ``up``), built from a vCluster release is not
    enough: its server must be that release's service."""
    us = "apiVersion: v1\nclusters:\n- name: us\n  cluster:\n    server: https://k8s.us-east.example.com\n"
    regs = [*platform(), *virtual_cluster(provider_ref(), kubeconfig=us), elasticsearch("personal-eu", VC)]
    found = verdicts(pack, regs)
    assert set(found) == {(DCR, "docs-es"), (DTA, "payments-cards")}
    assert "names https://k8s.us-east.example.com, not its service https://search.search:443" in found[(DCR, "docs-es")]
    own = us.replace("https://k8s.us-east.example.com", "https://search.search:443")
    regs = [*platform(), *virtual_cluster(provider_ref(), kubeconfig=own), elasticsearch("personal-eu", VC)]
    assert verdicts(pack, regs) == {}
