"""No rule crashes on a property with an unexpected shape: it is a violation on that resource,
naming the property, and every other verdict of the call still comes back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strata.analyzer import analyze, pack_policies, reconcile_config, running_pack

from .policy_fixtures import aws_baseline, gcp_baseline, mutate, run_of, tenant_namespace

PACK = Path(__file__).resolve().parents[1] / "policies"
AS_OF = {"supported-kubernetes-version": {"asOf": "2026-11-23"}}


@pytest.fixture(scope="module")
def pack() -> Iterator[Any]:
    with running_pack(PACK) as stub:
        yield stub


CASES = [
    # (id, baseline, resource, type suffix, mutation, rule, words the message must contain)
    ("region-a-number", aws_baseline, "eu-core-vpc", "Vpc", {"region": 42}, "pool-in-jurisdiction", "region"),
    ("region-a-list", aws_baseline, "eu-core-key", "Key", {"region": ["eu-west-1"]}, "pool-in-jurisdiction", "region"),
    ("location-an-object", gcp_baseline, "eu-core-keys", "KeyRing", {"location": {"a": 1}}, "pool-in-jurisdiction", "location"),
    ("version-a-number", aws_baseline, "payments-eks", "Cluster", {"version": 1.35}, "supported-kubernetes-version", "version"),
    ("node-version-a-list", gcp_baseline, "payments-general", "NodePool", {"version": ["1.29"]}, "supported-kubernetes-version", "version"),
    ("cidrs-a-string", aws_baseline, "payments-eks", "Cluster", {"vpcConfig__endpointPublicAccess": True, "vpcConfig__publicAccessCidrs": "0.0.0.0/0"}, "cluster-api-private", "vpcConfig.publicAccessCidrs"),
    ("cidr-not-a-cidr", aws_baseline, "payments-eks", "Cluster", {"vpcConfig__endpointPublicAccess": True, "vpcConfig__publicAccessCidrs": ["office"]}, "cluster-api-private", "office"),
    ("gke-block-without-cidr", gcp_baseline, "payments-gke", "Cluster", {"privateClusterConfig__enablePrivateEndpoint": False, "masterAuthorizedNetworksConfig__cidrBlocks": [{"displayName": "office"}]}, "cluster-api-private", "cidrBlock"),
    ("public-flag-a-string", aws_baseline, "payments-eks", "Cluster", {"vpcConfig__endpointPublicAccess": "false"}, "cluster-api-private", "endpointPublicAccess"),
    ("resources-a-string", aws_baseline, "payments-eks", "Cluster", {"encryptionConfig__resources": "secrets"}, "cluster-secrets-encrypted", "encryptionConfig.resources"),
    ("key-a-number", aws_baseline, "payments-eks", "Cluster", {"encryptionConfig__provider__keyArn": 42}, "cluster-secrets-encrypted", "keyArn"),
    ("hop-limit-a-word", aws_baseline, "payments-general", "LaunchTemplate", {"metadataOptions__httpPutResponseHopLimit": "one"}, "node-metadata-protected", "httpPutResponseHopLimit"),
    ("metadata-options-a-string", aws_baseline, "payments-general", "LaunchTemplate", {"metadataOptions": "required"}, "node-metadata-protected", "metadataOptions"),
    ("node-config-a-list", gcp_baseline, "payments-general", "NodePool", {"nodeConfig": ["GKE_METADATA"]}, "workload-identity", "nodeConfig"),
    ("workload-pool-a-number", gcp_baseline, "payments-gke", "Cluster", {"workloadIdentityConfig__workloadPool": 7}, "workload-identity", "workloadPool"),
    ("tags-a-list", aws_baseline, "eu-core-key", "Key", {"tags": ["strata:owner"]}, "required-labels", "tags"),
    ("tag-value-an-object", aws_baseline, "eu-core-vpc", "Vpc", {"tags__strata:owner": {"name": "x"}}, "required-labels", "strata:owner"),
    ("network-policy-a-boolean", gcp_baseline, "payments-gke", "Cluster", {"datapathProvider": None, "networkPolicy": True}, "cluster-network-policy", "networkPolicy"),
    ("certificate-config-a-string", gcp_baseline, "payments-gke", "Cluster", {"masterAuth__clientCertificateConfig": "off"}, "cluster-static-credentials", "clientCertificateConfig"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "baseline", "name", "type_", "change", "rule", "words"), CASES, ids=[c[0] for c in CASES]
)
def test_a_malformed_property_is_a_violation_naming_it(
    pack: Any, case: str, baseline: Any, name: str, type_: str, change: dict[str, Any], rule: str, words: str
) -> None:
    regs = [*mutate(baseline(), name, type_, **change), tenant_namespace(["personal-eu"])]
    cfg = reconcile_config(pack_policies(pack), AS_OF)
    found = analyze(pack, run_of(regs), cfg)  # a crashing rule would raise PackError here
    mine = [v for v in found if v.policy == rule and v.urn.endswith(f"::{name}")]
    assert mine, f"no {rule} verdict on {name}: {[(v.policy, v.message) for v in found]}"
    assert all(v.level == "mandatory" for v in mine)
    assert any(words in v.message for v in mine), [v.message for v in mine]
    assert not any("bug in Strata" in v.message for v in found), [v.message for v in found]


def test_other_verdicts_survive_a_malformed_resource(pack: Any) -> None:
    regs = mutate(mutate(aws_baseline(), "eu-core-vpc", "Vpc", region=42), "eu-core-key", "Key", region="us-east-1")
    found = analyze(pack, run_of(regs), reconcile_config(pack_policies(pack), AS_OF))
    flagged = {(v.policy, v.urn.split("::")[-1]) for v in found}
    assert {("pool-in-jurisdiction", "eu-core-vpc"), ("pool-in-jurisdiction", "eu-core-key")} <= flagged
