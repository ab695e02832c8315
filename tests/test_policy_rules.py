"""Every rule through the analyzer protocol: a compliant baseline and violating mutations,
asserting the exact verdicts (policy, level, URN) the engine would get."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from strata.analyzer import Verdict, analyze, pack_policies, reconcile_config, running_pack
from strata.offline import Registration

from .policy_fixtures import (
    CLUSTER,
    OWNERSHIP,
    POOL,
    UNKNOWN,
    admission_policies,
    aws_baseline,
    components,
    gcp_baseline,
    guardrail_names,
    kubernetes_provider,
    mutate,
    namespace_tenant,
    reg,
    run_of,
    urn,
)

PACK = Path(__file__).resolve().parents[1] / "policies"
AS_OF = {
    "supported-kubernetes-version": {"asOf": "2026-11-23"},
    "kubernetes-version-end-of-support-soon": {"asOf": "2026-11-23"},
}


@pytest.fixture(scope="module")
def pack() -> Iterator[object]:
    with running_pack(PACK) as stub:
        yield stub


def verdicts(pack: object, regs: list[Registration], config: dict | None = None) -> set[tuple[str, str, str]]:
    cfg = reconcile_config(pack_policies(pack), {**AS_OF, **(config or {})})  # type: ignore[arg-type]
    found: list[Verdict] = analyze(pack, run_of(regs), cfg)  # type: ignore[arg-type]
    return {(v.policy, v.level, v.urn.split("::")[-1]) for v in found}


def test_pack_lists_every_contract_rule_with_levels(pack: object) -> None:
    info = {p.name: p for p in pack_policies(pack)}  # type: ignore[arg-type]
    assert {n: info[n].level for n in info} == {
        "pool-in-jurisdiction": "mandatory",
        "data-class-residency": "mandatory",
        "data-class-isolation": "mandatory",
        "dedicated-tenant-alone": "mandatory",
        "tenant-guardrails": "mandatory",
        "no-cluster-admin-for-tenants": "mandatory",
        "sandbox-runtime-enforced": "mandatory",
        "supported-kubernetes-version": "mandatory",
        "kubernetes-version-end-of-support-soon": "advisory",
        "cluster-api-private": "mandatory",
        "cluster-secrets-encrypted": "mandatory",
        "cluster-network-policy": "mandatory",
        "cluster-static-credentials": "mandatory",
        "node-metadata-protected": "mandatory",
        "workload-identity": "mandatory",
        "required-labels": "mandatory",
    }


@pytest.mark.parametrize("baseline", [aws_baseline, gcp_baseline], ids=["aws", "gcp"])
def test_compliant_baselines_pass_every_rule(pack: object, baseline) -> None:
    tenant = namespace_tenant(["personal-eu", "internal"], runtime="gvisor")
    assert verdicts(pack, [*baseline(), *tenant, *admission_policies()]) == set()


# ---------------------------------------------------------------- AWS mutations

AWS_CASES = [
    (
        "public-endpoint",
        "payments-eks",
        "Cluster",
        {"vpcConfig__endpointPublicAccess": True},
        {("cluster-api-private", "mandatory", "payments-eks")},
    ),
    (
        "public-endpoint-by-default",
        "payments-eks",
        "Cluster",
        {"vpcConfig__endpointPublicAccess": None},
        {("cluster-api-private", "mandatory", "payments-eks")},
    ),
    (
        "no-secrets-encryption",
        "payments-eks",
        "Cluster",
        {"encryptionConfig": None},
        {("cluster-secrets-encrypted", "mandatory", "payments-eks")},
    ),
    (
        "imdsv1-allowed",
        "payments-general",
        "LaunchTemplate",
        {"metadataOptions__httpTokens": "optional"},
        {("node-metadata-protected", "mandatory", "payments-general")},
    ),
    (
        "hop-limit-2",
        "payments-general",
        "LaunchTemplate",
        {"metadataOptions__httpPutResponseHopLimit": 2},
        {("node-metadata-protected", "mandatory", "payments-general")},
    ),
    (
        "node-group-without-template",
        "payments-general",
        "NodeGroup",
        {"launchTemplate": None},
        {("node-metadata-protected", "mandatory", "payments-general")},
    ),
    (
        "expired-version",
        "payments-eks",
        "Cluster",
        {"version": "1.29"},
        {("supported-kubernetes-version", "mandatory", "payments-eks")},
    ),
    (
        "version-near-end",
        "payments-eks",
        "Cluster",
        {"version": "1.34"},
        {("kubernetes-version-end-of-support-soon", "advisory", "payments-eks")},
    ),
    (
        "missing-owner-tag",
        "eu-core-key",
        "Key",
        {"tags__strata:owner": None},
        {("required-labels", "mandatory", "eu-core-key")},
    ),
    (
        "pool-in-us",
        "eu-core-vpc",
        "Vpc",
        {"region": "us-east-1"},
        {("pool-in-jurisdiction", "mandatory", "eu-core-vpc")},
    ),
    (
        "key-in-switzerland",
        "eu-core-key",
        "Key",
        {"region": "eu-central-2"},
        {("pool-in-jurisdiction", "mandatory", "eu-core-key")},
    ),
    (
        "unknown-region-is-a-violation",
        "eu-core-vpc",
        "Vpc",
        {"region": "eu-mars-1"},
        {("pool-in-jurisdiction", "mandatory", "eu-core-vpc")},
    ),
    (
        "cni-network-policy-agent-off",
        "payments-vpc-cni",
        "Addon",
        {"configurationValues": '{"enableNetworkPolicy": "false"}'},
        {("cluster-network-policy", "mandatory", "payments-eks")},
    ),
    (
        "cni-without-configuration",
        "payments-vpc-cni",
        "Addon",
        {"configurationValues": None},
        {("cluster-network-policy", "mandatory", "payments-eks")},
    ),
    (
        "cni-configuration-as-a-json-boolean",
        "payments-vpc-cni",
        "Addon",
        {"configurationValues": '{"enableNetworkPolicy": true}'},
        set(),
    ),
    (
        "another-addon-is-not-the-cni",
        "payments-vpc-cni",
        "Addon",
        {"addonName": "coredns"},
        {("cluster-network-policy", "mandatory", "payments-eks")},
    ),
]


@pytest.mark.parametrize(("case", "name", "type_", "change", "expected"), AWS_CASES, ids=[c[0] for c in AWS_CASES])
def test_aws_violations(pack: object, case: str, name: str, type_: str, change: dict, expected: set) -> None:
    assert verdicts(pack, mutate(aws_baseline(), name, type_, **change)) == expected


def test_a_cni_configuration_unknown_until_apply_cannot_be_verified(pack: object) -> None:
    regs = mutate(aws_baseline(), "payments-vpc-cni", "Addon", configurationValues=UNKNOWN)
    assert verdicts(pack, regs) == {("cluster-network-policy", "advisory", "")}  # "cannot verify until apply"


def test_restricted_public_endpoint_is_allowed_unless_config_forbids(pack: object) -> None:
    regs = mutate(
        aws_baseline(),
        "payments-eks",
        "Cluster",
        vpcConfig__endpointPublicAccess=True,
        vpcConfig__publicAccessCidrs=["203.0.113.0/24"],
    )
    assert verdicts(pack, regs) == set()
    strict = {"cluster-api-private": {"allowRestrictedPublicEndpoint": False}}
    assert verdicts(pack, regs, strict) == {("cluster-api-private", "mandatory", "payments-eks")}


def test_cluster_without_irsa_or_pod_identity(pack: object) -> None:
    regs = [r for r in aws_baseline() if not r.type.endswith("OpenIdConnectProvider")]
    assert verdicts(pack, regs) == {("workload-identity", "mandatory", "payments-eks")}


def test_extended_support_can_be_allowed_by_config(pack: object) -> None:
    regs = mutate(aws_baseline(), "payments-eks", "Cluster", version="1.31")  # extended until 2026-11-26
    assert verdicts(pack, regs) == {("supported-kubernetes-version", "mandatory", "payments-eks")}
    allow = {"supported-kubernetes-version": {"asOf": "2026-11-23", "allowExtendedSupport": True}}
    assert verdicts(pack, regs, allow) == set()


# ---------------------------------------------------------------- GCP mutations

GCP_CASES = [
    (
        "public-endpoint",
        "payments-gke",
        "Cluster",
        {"privateClusterConfig__enablePrivateEndpoint": False, "masterAuthorizedNetworksConfig": None},
        {("cluster-api-private", "mandatory", "payments-gke")},
    ),
    (
        "no-secrets-encryption",
        "payments-gke",
        "Cluster",
        {"databaseEncryption__state": "DECRYPTED"},
        {("cluster-secrets-encrypted", "mandatory", "payments-gke")},
    ),
    (
        "no-workload-identity",
        "payments-gke",
        "Cluster",
        {"workloadIdentityConfig": None},
        {("workload-identity", "mandatory", "payments-gke")},
    ),
    (
        "metadata-exposed",
        "payments-general",
        "NodePool",
        {"nodeConfig__workloadMetadataConfig__mode": "GCE_METADATA"},
        {("node-metadata-protected", "mandatory", "payments-general")},
    ),
    (
        "cluster-in-asia",
        "payments-gke",
        "Cluster",
        {"location": "asia-east1"},
        # the node pool is where its cluster is, whatever its own location input says
        {
            ("pool-in-jurisdiction", "mandatory", "payments-gke"),
            ("pool-in-jurisdiction", "mandatory", "payments-general"),
        },
    ),
    (
        "key-ring-in-us-reaches-the-key",
        "eu-core-keys",
        "KeyRing",
        {"location": "us-central1"},
        {("pool-in-jurisdiction", "mandatory", "eu-core-keys"), ("pool-in-jurisdiction", "mandatory", "eu-core-key")},
    ),
    (
        "missing-labels",
        "payments-general",
        "NodePool",
        {"nodeConfig__resourceLabels": None},
        {("required-labels", "mandatory", "payments-general")},
    ),
    (
        "expired-version",
        "payments-gke",
        "Cluster",
        {"minMasterVersion": "1.30"},
        {("supported-kubernetes-version", "mandatory", "payments-gke")},
    ),
]


@pytest.mark.parametrize(("case", "name", "type_", "change", "expected"), GCP_CASES, ids=[c[0] for c in GCP_CASES])
def test_gcp_violations(pack: object, case: str, name: str, type_: str, change: dict, expected: set) -> None:
    assert verdicts(pack, mutate(gcp_baseline(), name, type_, **change)) == expected


# ---------------------------------------------------------------- residency through the graph


def test_personal_eu_tenant_on_a_cluster_outside_the_eu(pack: object) -> None:
    regs = [*mutate(aws_baseline(), "payments-eks", "Cluster", region="us-east-1"), *namespace_tenant(["personal-eu"])]
    found = verdicts(pack, regs)
    # the Namespace, and every object in it: they inherit its data classes
    assert {n for p, _, n in found if p == "data-class-residency"} == {"payments-risk", *guardrail_names()}
    assert ("pool-in-jurisdiction", "mandatory", "payments-eks") in found


def test_extra_data_class_from_config(pack: object) -> None:
    regs = [*aws_baseline(), *namespace_tenant(["swiss-banking"])]
    every = {("data-class-residency", "mandatory", n) for n in {"payments-risk", *guardrail_names()}}
    assert verdicts(pack, regs) == every  # an unknown class, on the Namespace and inherited in it
    swiss = {"data-class-residency": {"extraDataClasses": {"swiss-banking": {"residency": ["ch"]}}}}
    assert verdicts(pack, regs, swiss) == every
    eu_ok = {"data-class-residency": {"extraDataClasses": {"swiss-banking": {"residency": ["eu"]}}}}
    assert verdicts(pack, regs, eu_ok) == set()


def test_unknown_location_is_reported_as_cannot_verify_not_passed(pack: object) -> None:
    regs = mutate(aws_baseline(), "eu-core-vpc", "Vpc", region=UNKNOWN)
    found = verdicts(pack, regs)
    assert found == {("pool-in-jurisdiction", "advisory", "")}


def test_unknown_value_does_not_hide_definite_violations(pack: object) -> None:
    regs = mutate(
        mutate(aws_baseline(), "eu-core-vpc", "Vpc", region=UNKNOWN), "eu-core-key", "Key", region="us-west-2"
    )
    assert verdicts(pack, regs) == {
        ("pool-in-jurisdiction", "mandatory", "eu-core-key"),
        ("pool-in-jurisdiction", "advisory", ""),
    }


def test_resource_with_no_location_at_all_is_a_violation(pack: object) -> None:
    orphan = reg(
        f"{POOL}$aws:ebs/volume:Volume",
        "orphan",
        {"size": 10, "tags": {"strata:owner": "x", "strata:environment": "eu-prod", "strata:jurisdiction": "eu"}},
    )
    assert verdicts(pack, [*aws_baseline(), orphan]) == {("pool-in-jurisdiction", "mandatory", "orphan")}


def test_config_the_schema_does_not_allow_is_rejected(pack: object) -> None:
    from strata.declarations import SpecError

    with pytest.raises(SpecError) as info:
        reconcile_config(
            pack_policies(pack),
            {
                "cluster-api-private": {"allowRestrictedPublicEndpoint": "yes"},  # type: ignore[arg-type]
                "no-such-policy": "mandatory",
            },
        )
    paths = {p.path for p in info.value.problems}
    assert paths == {"policyConfig.cluster-api-private.allowRestrictedPublicEndpoint", "policyConfig.no-such-policy"}


def test_reconciled_config_keeps_mandatory_rules_mandatory(pack: object) -> None:
    cfg = reconcile_config(pack_policies(pack), {})  # type: ignore[arg-type]
    assert cfg["pool-in-jurisdiction"]["enforcementLevel"] == "mandatory"
    assert cfg["kubernetes-version-end-of-support-soon"] == {"enforcementLevel": "advisory", "warningDays": 90}
    assert urn(CLUSTER, "x").startswith("urn:pulumi:eu-prod::platform::")


@pytest.mark.parametrize(
    ("provider_region", "expected"),
    [
        ("us-east-1", {("pool-in-jurisdiction", "mandatory", "eu-core-vpc")}),
        ("eu-west-1", set()),
    ],
)
def test_location_falls_back_to_the_provider_config(pack: object, provider_region: str, expected: set) -> None:
    from dataclasses import replace

    provider = reg("pulumi:providers:aws", "aws-explicit", {"region": provider_region})
    regs = mutate(aws_baseline(), "eu-core-vpc", "Vpc", region=None)
    regs = [replace(r, provider=f"{provider.urn}::{UNKNOWN}") if r.name == "eu-core-vpc" else r for r in regs]
    assert verdicts(pack, [provider, *regs]) == expected


def test_a_crashing_rule_fails_the_check_loudly(tmp_path: Path) -> None:
    from strata.analyzer import PackError

    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "__main__.py").write_text(
        "from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy\n"
        "def boom(args, report):\n    raise RuntimeError('rule bug')\n"
        "PolicyPack('crashy', [ResourceValidationPolicy('boom', 'always crashes', boom)], EnforcementLevel.MANDATORY)\n"
    )
    with pytest.raises(PackError, match="rule bug"), running_pack(tmp_path) as stub:
        analyze(stub, run_of(aws_baseline()), reconcile_config(pack_policies(stub), {}))


def _bare_metal_site(country: str) -> list[Registration]:
    """A bare-metal pool at site dc1 claiming ``country``: one agent host and the command that reads
    the kubeconfig, which the cluster's Kubernetes provider is built from."""
    pool = reg(
        POOL,
        "eu-core",
        {"strata": {**OWNERSHIP, "pool": "eu-core", "substrate": "bareMetal", "site": "dc1", "country": country}},
        parent=urn("strata:environment:Environment", "eu-prod"),
        custom=False,
    )
    regs = [r for r in components() if r.type != "strata:pool:ResourcePool"]
    host = reg(
        f"{CLUSTER}$command:remote:Command", "payments-agent-h1", {"create": UNKNOWN}, parent=urn(CLUSTER, "payments")
    )
    kubeconfig = reg(
        f"{CLUSTER}$command:remote:Command",
        "payments-kubeconfig",
        {"create": "cat rke2.yaml"},
        parent=urn(CLUSTER, "payments"),
    )
    return [pool, *regs, host, kubeconfig, kubernetes_provider(kubeconfig.urn), *namespace_tenant(["personal-eu"])]


RESIDENCY_IN_RISK = {("data-class-residency", "mandatory", n) for n in {"payments-risk", *guardrail_names()}}


def test_tenant_on_a_bare_metal_cluster_takes_the_sites_country(pack: object) -> None:
    assert verdicts(pack, _bare_metal_site("DE")) == set()
    assert verdicts(pack, _bare_metal_site("US")) == {
        *RESIDENCY_IN_RISK,
        ("pool-in-jurisdiction", "mandatory", "payments-agent-h1"),
        ("pool-in-jurisdiction", "mandatory", "payments-kubeconfig"),
    }


def test_a_site_pinned_centrally_cannot_be_moved_by_its_claim(pack: object) -> None:
    pinned = {
        "pool-in-jurisdiction": {"sites": {"dc1": "US"}},
        "data-class-residency": {"sites": {"dc1": "US"}},
    }
    # The program claims Germany; the platform pinned dc1 in the US.
    assert verdicts(pack, _bare_metal_site("DE"), pinned) == {
        *RESIDENCY_IN_RISK,
        ("pool-in-jurisdiction", "mandatory", "payments-agent-h1"),
        ("pool-in-jurisdiction", "mandatory", "payments-kubeconfig"),
    }
    # Once sites are pinned, a site the config does not name cannot be placed at all.
    other = {"pool-in-jurisdiction": {"sites": {"dc9": "DE"}}, "data-class-residency": {"sites": {"dc9": "DE"}}}
    assert verdicts(pack, _bare_metal_site("DE"), other) == {
        *RESIDENCY_IN_RISK,
        ("pool-in-jurisdiction", "mandatory", "payments-agent-h1"),
        ("pool-in-jurisdiction", "mandatory", "payments-kubeconfig"),
    }


def test_central_config_is_authoritative_over_an_environments_own_promise(pack: object) -> None:
    widened = mutate(
        aws_baseline(), "eu-core-vpc", "Vpc", **{"region": "us-east-1", "tags__strata:jurisdiction": "eu_us"}
    )
    assert verdicts(pack, widened) == set()  # the stack file widened its own promise to eu + us
    governed = {"pool-in-jurisdiction": {"environments": {"platform/eu-prod": ["eu"]}}}
    assert verdicts(pack, widened, governed) == {("pool-in-jurisdiction", "mandatory", "eu-core-vpc")}
    switzerland = {"pool-in-jurisdiction": {"environments": {"platform/eu-prod": ["ch"]}}}
    assert ("pool-in-jurisdiction", "mandatory", "payments-eks") in verdicts(pack, aws_baseline(), switzerland)
