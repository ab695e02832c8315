"""The tenancy rules through the analyzer protocol: Strata's tenants as its components render them
(tests/policy_fixtures.py), compliant, and mutated into each violation, asserting the exact
verdicts (policy, level, resource) the engine would get."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from strata.analyzer import Verdict, analyze, pack_policies, reconcile_config, running_pack
from strata.offline import Registration

from .policy_fixtures import (
    CLUSTER,
    CLUSTER_URN,
    PODS,
    RBAC,
    UNKNOWN,
    admission_policies,
    aws_baseline,
    dedicated_tenant,
    guardrail_names,
    k8s,
    kubernetes_provider,
    mutate,
    namespace_tenant,
    provider_ref,
    reg,
    run_of,
    tenant_guardrails,
    tenant_namespace,
    virtual_tenant,
)

PACK = Path(__file__).resolve().parents[1] / "policies"
AS_OF = {
    "supported-kubernetes-version": {"asOf": "2026-11-23"},
    "kubernetes-version-end-of-support-soon": {"asOf": "2026-11-23"},
}
DCR = "data-class-residency"
DCI = "data-class-isolation"
DTA = "dedicated-tenant-alone"
TGR = "tenant-guardrails"
NCA = "no-cluster-admin-for-tenants"
SRE = "sandbox-runtime-enforced"
CARDS = provider_ref("cards-k8s")
CARDS_AGAIN = provider_ref("cards-k8s-again")
DEFAULT = ""  # the default provider: no provider named


@pytest.fixture(scope="module")
def pack() -> Iterator[object]:
    with running_pack(PACK) as stub:
        yield stub


def verdicts(pack: object, regs: list[Registration], config: dict | None = None) -> set[tuple[str, str, str]]:
    cfg = reconcile_config(pack_policies(pack), {**AS_OF, **(config or {})})  # type: ignore[arg-type]
    found: list[Verdict] = analyze(pack, run_of(regs), cfg)  # type: ignore[arg-type]
    return {(v.policy, v.level, v.urn.split("::")[-1]) for v in found}


def messages(pack: object, regs: list[Registration], policy: str) -> list[str]:
    cfg = reconcile_config(pack_policies(pack), AS_OF)  # type: ignore[arg-type]
    return [v.message for v in analyze(pack, run_of(regs), cfg) if v.policy == policy]  # type: ignore[arg-type]


def v(policy: str, *names: str) -> set[tuple[str, str, str]]:
    return {(policy, "mandatory", n) for n in names}


def cards_cluster(region: str = "eu-central-1") -> list[Registration]:
    """A second compliant EKS cluster in the same pool, ``cards-eks`` (with its OIDC provider and
    network-policy CNI add-on), and its provider ``cards-k8s``."""
    base = {r.name: r for r in aws_baseline()}
    eks = base["payments-eks"]
    cluster = reg(
        f"{CLUSTER}$aws:eks/cluster:Cluster",
        "cards-eks",
        {**eks.inputs, "region": region},
        parent=CLUSTER_URN,
        prop_deps=eks.property_dependencies,
    )
    oidc = reg(
        f"{CLUSTER}$aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "cards-oidc",
        dict(base["payments-oidc"].inputs),
        parent=CLUSTER_URN,
        prop_deps={"url": (cluster.urn,)},
    )
    cni = reg(
        f"{CLUSTER}$aws:eks/addon:Addon",
        "cards-vpc-cni",
        {**base["payments-vpc-cni"].inputs, "region": region},
        parent=CLUSTER_URN,
        prop_deps={"clusterName": (cluster.urn,)},
    )
    return [cluster, oidc, cni, kubernetes_provider(cluster.urn, "cards-k8s")]


def second_provider_of_cards() -> Registration:
    """Another provider whose kubeconfig is built from the very same ``cards-eks``."""
    cluster_urn = cards_cluster()[0].urn
    return kubernetes_provider(cluster_urn, "cards-k8s-again")


def platform() -> list[Registration]:
    """Strata's compliant platform: the payments cluster shared by a namespace tenant (sandboxed) and
    a virtual tenant behind the cluster's admission policies; a dedicated pci tenant on its own cluster."""
    return [
        *aws_baseline(),
        *admission_policies(),
        *namespace_tenant(["personal-eu", "internal"], runtime="gvisor"),
        *virtual_tenant(["confidential"]),
        *cards_cluster(),
        *dedicated_tenant(["pci"], provider=CARDS),
        *admission_policies(CARDS)[:0],  # a dedicated cluster needs none
    ]


def with_inputs(regs: list[Registration], name: str, **inputs: Any) -> list[Registration]:
    """``regs`` with resource ``name``'s top-level inputs replaced (a value of None removes it)."""
    out = []
    for r in regs:
        if r.name == name:
            merged = {k: v for k, v in {**r.inputs, **inputs}.items() if v is not None}
            r = replace(r, inputs=merged, raw_inputs=reg("x", "x", merged).raw_inputs)
        out.append(r)
    return out


def drop(regs: list[Registration], *names: str) -> list[Registration]:
    return [r for r in regs if r.name not in names]


def deployment(
    name: str, namespace: Any, *, runtime: str | None = None, provider: str = "", labels=None
) -> Registration:
    pod_spec: dict[str, Any] = {"containers": [{"name": "app", "image": "registry.example/app:1"}]}
    if runtime is not None:
        pod_spec["runtimeClassName"] = runtime
    metadata = {"name": name, "namespace": namespace, **({"labels": labels} if labels else {})}
    return k8s(
        "apps/v1:Deployment",
        name,
        {
            "metadata": metadata,
            "spec": {
                "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec},
            },
        },
        provider or provider_ref(),
    )


def test_strata_s_tenants_of_every_kind_pass_every_rule(pack: object) -> None:
    assert verdicts(pack, platform()) == set()


# ---------------------------------------------------------------- data-class-residency (extended)


def test_an_unlabelled_deployment_inherits_its_namespace_s_classes(pack: object) -> None:
    us = mutate(aws_baseline(), "payments-eks", "Cluster", region="us-east-1")
    regs = [*us, *namespace_tenant(["personal-eu"]), deployment("ledger", "risk")]
    found = verdicts(pack, regs)
    assert {n for p, _, n in found if p == DCR} == {"payments-risk", *guardrail_names(), "ledger"}
    assert any("from its namespace risk's Namespace object" in m for m in messages(pack, regs, DCR))


def test_a_namespace_on_another_cluster_passes_nothing_on(pack: object) -> None:
    # risk's Namespace (personal-eu) is on the US cluster; a namespace named risk on the EU cards
    # cluster is another namespace, and its deployment handles no class.
    us = mutate(aws_baseline(), "payments-eks", "Cluster", region="us-east-1")
    regs = [*us, *cards_cluster(), *namespace_tenant(["personal-eu"]), deployment("ledger", "risk", provider=CARDS)]
    assert {n for p, _, n in verdicts(pack, regs) if p == DCR} == {"payments-risk", *guardrail_names()}


def test_an_object_on_an_unknown_cluster_may_be_in_the_classified_namespace(pack: object) -> None:
    regs = [*aws_baseline(), *namespace_tenant(["personal-eu"]), deployment("ledger", "risk", provider=DEFAULT)]
    regs = [replace(r, provider="") if r.name == "ledger" else r for r in regs]
    assert v(DCR, "ledger") <= verdicts(pack, regs)


def test_an_unknown_namespace_is_not_taken_as_unclassified(pack: object) -> None:
    us = mutate(aws_baseline(), "payments-eks", "Cluster", region="us-east-1")
    regs = [*us, *namespace_tenant(["personal-eu"]), deployment("ledger", UNKNOWN)]
    found = verdicts(pack, regs)
    assert (DCR, "advisory", "") in found and (DCR, "mandatory", "ledger") not in found
    # wired to the Namespace, the unknown namespace is that Namespace
    ns_urn = next(r.urn for r in regs if r.name == "payments-risk")
    wired = [replace(r, property_dependencies={"metadata": (ns_urn,)}) if r.name == "ledger" else r for r in regs]
    assert (DCR, "mandatory", "ledger") in verdicts(pack, wired)


# ---------------------------------------------------------------- data-class-isolation


def test_pci_on_a_namespace_tenant(pack: object) -> None:
    regs = [*aws_baseline(), *admission_policies(), *namespace_tenant(["pci"], "shop")]
    assert verdicts(pack, regs) == v(DCI, "payments-shop", *guardrail_names("shop"))


def test_pci_on_a_virtual_tenant(pack: object) -> None:
    regs = [*aws_baseline(), *virtual_tenant(["pci"])]
    assert verdicts(pack, regs) == v(DCI, "payments-quants", *guardrail_names("quants"), "payments-quants-vcluster")


def test_pci_with_no_tenant_at_all(pack: object) -> None:
    config_map = k8s(
        "core/v1:ConfigMap",
        "card-tokens",
        {"metadata": {"name": "card-tokens", "namespace": "default", "labels": {"dataclass.strata.io/pci": "true"}}},
    )
    assert verdicts(pack, [*platform(), config_map]) == v(DCI, "card-tokens")


def test_pci_labelled_for_a_dedicated_tenant_but_deployed_on_a_shared_cluster(pack: object) -> None:
    stray = deployment("vault", "default", labels={"strata.io/tenant": "cards", "dataclass.strata.io/pci": "true"})
    assert verdicts(pack, [*platform(), stray]) == v(DCI, "vault")


def test_pci_on_a_cluster_that_cannot_be_established(pack: object) -> None:
    regs = [*aws_baseline(), *dedicated_tenant(["pci"], provider=DEFAULT)]
    assert verdicts(pack, regs) == v(DCI, "payments-cards") | v(DTA, "payments-cards")


def test_pci_in_a_dedicated_tenant_s_namespace_inherits_and_passes(pack: object) -> None:
    assert verdicts(pack, [*platform(), deployment("vault", "cards", provider=CARDS)]) == set()


# ---------------------------------------------------------------- dedicated-tenant-alone


def test_a_dedicated_tenant_sharing_its_cluster_with_a_namespace_tenant(pack: object) -> None:
    regs = [*aws_baseline(), *admission_policies(), *namespace_tenant(["internal"]), *dedicated_tenant(["pci"])]
    assert verdicts(pack, regs) == v(DTA, "payments-cards")


def test_a_second_provider_built_from_the_same_cluster_is_the_same_cluster(pack: object) -> None:
    sneaky = [*namespace_tenant(["internal"], "risk2", provider=CARDS_AGAIN)]
    regs = [*platform(), second_provider_of_cards(), *sneaky]
    assert verdicts(pack, regs) == v(DTA, "payments-cards")
    assert "risk2" in messages(pack, regs, DTA)[0]


def test_another_tenant_s_framework_on_a_dedicated_cluster(pack: object) -> None:
    kafka = k8s(
        "helm.sh/v3:Release",
        "risk-kafka",
        {
            "chart": "strimzi-kafka-operator",
            "namespace": "streams",
            "values": {"podLabels": {"strata.io/tenant": "risk"}},
        },
        CARDS,
    )
    assert verdicts(pack, [*platform(), kafka]) == v(DTA, "payments-cards")


def test_an_object_in_another_tenant_s_namespace_counts_as_that_tenant_s(pack: object) -> None:
    # risk's Namespace is on the payments cluster; an unlabelled deployment in namespace "risk" on
    # the cards cluster is in some other namespace named risk: no tenant, not a neighbour.
    assert verdicts(pack, [*platform(), deployment("app", "risk", provider=CARDS)]) == set()
    # but another tenant's Namespace on cards' cluster makes it a neighbour
    regs = [*platform(), tenant_namespace([], "risk", provider=CARDS), *tenant_guardrails("risk", CARDS)]
    regs = [
        replace(r, urn=r.urn + "-on-cards", name=r.name + "-on-cards")
        if r.provider == CARDS and "risk" in r.name
        else r
        for r in regs
    ]
    assert verdicts(pack, regs) == v(DTA, "payments-cards")


def test_a_dedicated_tenant_on_a_cluster_that_cannot_be_established(pack: object) -> None:
    regs = [*aws_baseline(), *dedicated_tenant([], provider=DEFAULT)]
    assert verdicts(pack, regs) == v(DTA, "payments-cards")


def test_another_tenant_on_an_unknown_cluster_may_be_on_the_dedicated_one(pack: object) -> None:
    regs = [
        *platform(),
        *[replace(r, urn=r.urn + "-x", name=r.name + "-x") for r in namespace_tenant([], "ops", provider=DEFAULT)],
    ]
    assert verdicts(pack, regs) == v(DTA, "payments-cards")


# ---------------------------------------------------------------- tenant-guardrails


@pytest.mark.parametrize(
    "missing",
    ["payments-risk-quota", "payments-risk-limits", "payments-risk-default-deny"],
    ids=["quota", "limits", "deny"],
)
def test_each_missing_guard_rail(pack: object, missing: str) -> None:
    assert verdicts(pack, drop(platform(), missing)) == v(TGR, "payments-risk")


def test_a_virtual_tenant_without_its_guard_rails(pack: object) -> None:
    assert verdicts(pack, drop(platform(), "payments-quants-quota")) == v(TGR, "payments-quants")


def test_pod_security_must_be_enforced_restricted(pack: object) -> None:
    regs = mutate(
        platform(), "payments-risk", "Namespace", **{"metadata__labels__pod-security.kubernetes.io/enforce": "baseline"}
    )
    assert verdicts(pack, regs) == v(TGR, "payments-risk")
    regs = mutate(
        platform(), "payments-risk", "Namespace", **{"metadata__labels__pod-security.kubernetes.io/enforce": None}
    )
    assert verdicts(pack, regs) == v(TGR, "payments-risk")


@pytest.mark.parametrize(
    ("name", "kind", "change"),
    [
        ("payments-risk-quota", "ResourceQuota", {"spec__hard": {"pods": "10"}}),
        ("payments-risk-quota", "ResourceQuota", {"spec__hard": {"requests.cpu": "64"}}),
        ("payments-risk-quota", "ResourceQuota", {"spec__scopes": ["BestEffort"]}),
        ("payments-risk-limits", "LimitRange", {"spec__limits": []}),
        ("payments-risk-default-deny", "NetworkPolicy", {"spec__policyTypes": ["Ingress"]}),
        ("payments-risk-default-deny", "NetworkPolicy", {"spec__podSelector": {"matchLabels": {"app": "x"}}}),
        (
            "payments-risk-default-deny",
            "NetworkPolicy",
            {"spec__ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]},
        ),
        ("payments-risk-quota", "ResourceQuota", {"metadata__namespace": "other"}),
    ],
    ids=[
        "no-cpu-memory",
        "no-memory",
        "scoped",
        "empty-limits",
        "ingress-only",
        "selects-some",
        "allows-all",
        "elsewhere",
    ],
)
def test_a_guard_rail_that_does_not_guard(pack: object, name: str, kind: str, change: dict) -> None:
    assert verdicts(pack, mutate(platform(), name, kind, **change)) == v(TGR, "payments-risk")


def test_a_guard_rail_must_be_on_the_tenant_s_cluster(pack: object) -> None:
    moved = [replace(r, provider=CARDS) if r.name == "payments-risk-quota" else r for r in platform()]
    # (and a quota labelled risk on cards' dedicated cluster makes risk its neighbour)
    assert verdicts(pack, moved) == v(TGR, "payments-risk") | v(DTA, "payments-cards")
    unknown = [replace(r, provider="") if r.name == "payments-risk-quota" else r for r in platform()]
    # (it may then be in risk's personal-eu namespace, handling personal-eu on a cluster unknown, and
    # a risk-labelled object may be on cards' dedicated cluster)
    assert verdicts(pack, unknown) == v(TGR, "payments-risk") | v(DCR, "payments-risk-quota") | v(DTA, "payments-cards")
    # through another provider built from the same cluster, it is there
    again = kubernetes_provider(next(r.urn for r in aws_baseline() if r.name == "payments-eks"), "payments-k8s-again")
    same = [
        replace(r, provider=provider_ref("payments-k8s-again")) if r.name == "payments-risk-quota" else r
        for r in platform()
    ]
    assert verdicts(pack, [*same, again]) == set()


def test_a_tenant_namespace_without_an_isolation_label_is_a_namespace_tenant(pack: object) -> None:
    bare = tenant_namespace([], "ops", isolation=None)
    assert verdicts(pack, [*platform(), bare]) == v(TGR, "payments-ops")


def test_a_dedicated_tenant_needs_no_guard_rails(pack: object) -> None:
    assert verdicts(pack, [*cards_cluster(), *aws_baseline(), *dedicated_tenant([], provider=CARDS)]) == set()


# ---------------------------------------------------------------- no-cluster-admin-for-tenants


def binding(
    kind: str,
    name: str,
    group: str,
    role_kind: str,
    role: str,
    *,
    namespace: str | None = None,
    labels=None,
    provider: str = "",
) -> Registration:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if labels:
        metadata["labels"] = labels
    return k8s(
        f"{RBAC}/v1:{kind}",
        name,
        {
            "metadata": metadata,
            "roleRef": {"apiGroup": RBAC, "kind": role_kind, "name": role},
            "subjects": [{"kind": "Group", "name": group, "apiGroup": RBAC}],
        },
        provider or provider_ref(),
    )


def test_a_namespace_tenant_s_group_bound_to_cluster_admin(pack: object) -> None:
    crb = binding("ClusterRoleBinding", "risk-admins", "risk-devs", "ClusterRole", "cluster-admin")
    assert verdicts(pack, [*platform(), crb]) == v(NCA, "risk-admins")


def test_a_role_binding_in_the_tenant_namespace_to_a_cluster_role(pack: object) -> None:
    rb = mutate(platform(), "payments-risk-groups", "RoleBinding", roleRef__kind="ClusterRole", roleRef__name="admin")
    assert verdicts(pack, rb) == v(NCA, "payments-risk-groups")


def test_a_virtual_tenant_s_labelled_binding(pack: object) -> None:
    crb = binding(
        "ClusterRoleBinding",
        "quants-view",
        "quants-analysts",
        "ClusterRole",
        "view",
        labels={"strata.io/tenant": "quants"},
    )
    assert verdicts(pack, [*platform(), crb]) == v(NCA, "quants-view")


def test_a_dedicated_tenant_s_admin_binding_only_on_its_own_cluster(pack: object) -> None:
    stray = binding(
        "ClusterRoleBinding",
        "cards-admin-here",
        "cards-devs",
        "ClusterRole",
        "cluster-admin",
        labels={"strata.io/tenant": "cards"},
    )
    assert verdicts(pack, [*platform(), stray]) == v(NCA, "cards-admin-here")


def test_a_tenant_group_on_a_cluster_its_tenant_is_not_on(pack: object) -> None:
    # risk-devs is risk's group on the payments cluster; on cards' cluster it is no tenant's group
    crb = binding("ClusterRoleBinding", "risk-on-cards", "risk-devs", "ClusterRole", "view", provider=CARDS)
    assert verdicts(pack, [*platform(), crb]) == set()


def test_a_namespaced_role_is_fine(pack: object) -> None:
    rb = binding("RoleBinding", "risk-extra", "risk-devs", "Role", "tenant", namespace="risk")
    assert verdicts(pack, [*platform(), rb]) == set()


# ---------------------------------------------------------------- sandbox-runtime-enforced


def test_a_sandbox_without_its_admission_policy(pack: object) -> None:
    regs = drop(platform(), "payments-strata-tenant-runtime", "payments-strata-tenant-runtime-binding")
    assert verdicts(pack, regs) == v(SRE, "payments-risk")


@pytest.mark.parametrize(
    ("name", "kind", "change"),
    [
        ("payments-strata-tenant-runtime", "Policy", {"spec__failurePolicy": "Ignore"}),
        ("payments-strata-tenant-runtime", "Policy", {"spec__validations": [{"expression": "true"}]}),
        (
            "payments-strata-tenant-runtime",
            "Policy",
            {"spec__matchConditions": [{"name": "never", "expression": "false"}]},
        ),
        (
            "payments-strata-tenant-runtime",
            "Policy",
            {"spec__matchConstraints": {"resourceRules": [{**PODS[0], "resources": ["configmaps"]}]}},
        ),
        ("payments-strata-tenant-runtime-binding", "PolicyBinding", {"spec__validationActions": ["Warn", "Audit"]}),
        ("payments-strata-tenant-runtime-binding", "PolicyBinding", {"spec__policyName": "strata-tenant-pod-escapes"}),
        (
            "payments-strata-tenant-runtime-binding",
            "PolicyBinding",
            {"spec__matchResources__namespaceSelector": {"matchLabels": {"strata.io/runtime": "kata"}}},
        ),
        (
            "payments-strata-tenant-runtime-binding",
            "PolicyBinding",
            {
                "spec__matchResources__namespaceSelector": {
                    "matchExpressions": [
                        {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["risk"]}
                    ]
                }
            },
        ),
        (
            "payments-strata-tenant-runtime-binding",
            "PolicyBinding",
            {"spec__matchResources__objectSelector": {"matchLabels": {"sandbox": "yes"}}},
        ),
    ],
    ids=[
        "fail-open",
        "checks-nothing",
        "exempts-all",
        "not-pods",
        "warn-only",
        "other-policy",
        "other-runtime",
        "not-in",
        "object-selector",
    ],
)
def test_an_admission_policy_that_does_not_enforce(pack: object, name: str, kind: str, change: dict) -> None:
    assert verdicts(pack, mutate(platform(), name, kind, **change)) == v(SRE, "payments-risk")


def test_selectors_are_evaluated(pack: object) -> None:
    exprs = [
        {"key": "strata.io/runtime", "operator": "In", "values": ["gvisor", "kata"]},
        {"key": "strata.io/legacy", "operator": "DoesNotExist"},
        {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system"]},
    ]
    regs = mutate(
        platform(),
        "payments-strata-tenant-runtime-binding",
        "PolicyBinding",
        spec__matchResources__namespaceSelector={
            "matchExpressions": exprs,
            "matchLabels": {"strata.io/tenant": "risk"},
        },
    )
    assert verdicts(pack, regs) == set()


def test_the_admission_policy_must_be_on_the_sandbox_s_cluster(pack: object) -> None:
    moved = [replace(r, provider=CARDS) if "tenant-runtime" in r.name else r for r in platform()]
    assert verdicts(pack, moved) == v(SRE, "payments-risk")


def test_a_pod_template_without_the_runtime(pack: object) -> None:
    regs = [*platform(), deployment("ledger", "risk", runtime="runc"), deployment("ok", "risk", runtime="gvisor")]
    assert verdicts(pack, regs) == v(SRE, "ledger")
    cron = k8s(
        "batch/v1:CronJob",
        "nightly",
        {
            "metadata": {"namespace": "risk"},
            "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}},
        },
    )
    assert verdicts(pack, [*platform(), cron]) == v(SRE, "nightly")


def test_objects_in_a_config_group_are_read_one_by_one(pack: object) -> None:
    crb = (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: sneaky}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n"
        "subjects: [{kind: Group, name: risk-devs}]\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: risk}\nspec: {containers: []}\n"
    )
    group = k8s("yaml/v2:ConfigGroup", "extras", {"yaml": crb})
    assert verdicts(pack, [*platform(), group]) == v(NCA, "extras") | v(SRE, "extras")
