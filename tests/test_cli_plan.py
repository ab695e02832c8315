"""`strata plan` on the example stacks: text, json, markdown and the preview document."""

from __future__ import annotations

import functools
import importlib.metadata
import io
import json
import re
from typing import Any

import pulumi
import pytest
from pulumi_kubernetes.core.v1 import ConfigMap, Namespace
from pulumi_kubernetes.provider import Provider
from rich.console import Console
from typer.testing import CliRunner

from strata.catalog import load_catalog
from strata.cli import _print_text, app
from strata.declarations import EnvironmentArgs
from strata.default_providers import with_default_providers
from strata.offline import OfflineRun, run_offline
from strata.planner import plan_environment
from strata.report import plan_document, plan_markdown, preview_document

from .conftest import STACKS, TODAY, stack_environment
from .test_docs import undocumented_keys

RUN = CliRunner()
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# What an estimate is and leaves out, named in every format: the reference region's list price.
_PRICED = "on-demand list price of node pools and control planes in the catalog's reference region"
_LEFT_OUT = "USD/month; NAT, disks, load balancers and traffic not included"
BASIS = f"{_PRICED} (AWS us-east-1), {_LEFT_OUT}"
GCP_BASIS = f"{_PRICED} (GCP us-central1), {_LEFT_OUT}"
NO_CLOUD_BASIS = f"{_PRICED}, {_LEFT_OUT}"


@functools.cache
def _invoke(*args: str) -> str:
    """The output of one ``strata plan`` (each run once per test session: the tests only read it)."""
    result = RUN.invoke(app, ["plan", *args, "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    return result.stdout


def _plan(*args: str) -> dict:
    out = _invoke(*args)
    return json.loads(out) if "json" in args else {"text": out}


def test_json_plan_of_eu_prod() -> None:
    doc = _plan("eu-prod", "--format", "json")
    assert doc["environment"] == "eu-prod"
    pool = doc["pools"][0]
    assert (pool["name"], pool["substrate"], pool["region"], pool["country"]) == (
        "eu-core",
        "aws",
        "eu-central-1",
        "DE",
    )
    assert pool["capacity"] == {"vcpus": 512, "memoryGib": 2048, "gpus": 8}
    # every node pool at max: payments' general, analytics' general, gpu and its one Kata metal host
    assert pool["drawn"] == {
        "vcpus": 8 * 9 + 16 * 12 + 16 * 4 + 96 * 1,
        "memoryGib": 32 * 9 + 64 * 12 + 64 * 4 + 384 * 1,
        "gpus": 4,
    }
    clusters = {c["name"]: c for c in pool["clusters"]}
    assert clusters["payments"]["version"] == "1.35" and clusters["analytics"]["version"] == "1.36"
    assert clusters["payments"]["versionStage"] == "supported"
    assert [(n["machineType"], n["runtime"]) for n in clusters["analytics"]["nodePools"]] == [
        ("m7i.4xlarge", "default"),
        ("g6.4xlarge", "default"),
        ("m7i.metal-24xl", "kata"),  # Kata needs KVM: a metal instance type on AWS
    ]
    assert clusters["payments"]["tenants"] == [
        {
            "name": "cards",
            "isolation": "dedicated",
            "runtime": "default",
            "quota": None,  # the whole cluster is its own
            "frameworks": [],
            "groups": ["cards-devs"],
            "dataClasses": ["pci"],
            "built": True,
        }
    ]
    assert clusters["analytics"]["tenants"] == [
        {
            "name": "risk",
            "isolation": "namespace",
            "runtime": "default",
            "quota": {"cpu": 64.0, "memoryGib": 256.0},
            "frameworks": ["events", "batch"],
            "groups": ["risk-devs"],
            "dataClasses": ["personal-eu"],
            "built": True,
        },
        {
            "name": "quants",
            "isolation": "virtual",
            "runtime": "kata",
            "version": "1.36",  # unset in the stack file: the host's
            "quota": {"cpu": 32.0, "memoryGib": 128.0},
            "frameworks": ["search"],
            "groups": ["quants-devs"],
            "dataClasses": ["internal"],
            "built": True,
        },
    ]
    frameworks = {f["name"]: f for f in clusters["analytics"]["frameworks"]}
    assert [(f["kind"], f["tenant"], f["built"]) for f in frameworks.values()] == [
        ("kafka", "risk", True),
        ("spark", "risk", True),
        ("elasticsearch", "quants", True),
    ]
    kafka = frameworks["events"]
    # 3 brokers of the default size (2 vCPU, 8 GiB) and the entity operator (0.5, 1); 500 GiB each
    assert kafka["draws"] == {"cpu": 6.5, "memoryGib": 25, "storageGib": 1500}
    assert kafka["members"] == {"brokers": 3} and kafka["runsIn"] == "cluster analytics"
    assert kafka["operator"] == {"chart": "strimzi-kafka-operator", "version": "1.2.0", "licence": "Apache-2.0"}
    # its share of the cluster: the larger of 6.5 of 352 vCPU and 25 of 1408 GiB, times the cluster's cost
    analytics_cost = clusters["analytics"]["cost"]
    assert kafka["cost"]["atMax"] == pytest.approx(analytics_cost["atMax"] * 6.5 / 352, abs=0.01)
    search = frameworks["search"]
    assert search["runsIn"] == "virtual cluster analytics/quants" and search["draws"]["cpu"] == 6
    assert search["operator"]["licence"] == "Elastic-2.0"
    assert doc["resourcesByType"]["aws:eks/cluster:Cluster"] == 2
    # one space per tenant, the guard rails once on the cluster with shared tenants, one virtual cluster
    assert doc["resourcesByType"]["strata:tenancy:TenantSpace"] == 3
    assert doc["resourcesByType"]["strata:tenancy:TenantGuardrails"] == 1
    assert doc["resourcesByType"]["strata:tenancy:VirtualCluster"] == 1
    assert doc["resourcesByType"]["kubernetes:node.k8s.io/v1:RuntimeClass"] == 1
    assert doc["resources"] == sum(doc["resourcesByType"].values()) + 1
    assert doc["cost"]["atMin"] < doc["cost"]["atMax"]
    assert doc["cost"]["basis"] == BASIS


def test_text_plan_shows_the_tree_ledger_and_what_is_not_built() -> None:
    text = _plan("eu-prod")["text"]
    assert "pool eu-core — aws eu-central-1 (DE) · drawn 424/512 vCPU, 1696/2048 GiB, 4/8 GPU" in text
    assert "cluster payments — Kubernetes 1.35 (supported) · private API" in text
    assert "node pool gpu: 0–4 × g6.4xlarge (16 vCPU, 64 GiB, 1 GPU)" in text
    assert "node pool sandbox: 0–1 × m7i.metal-24xl (96 vCPU, 384 GiB, kata sandbox)" in text
    assert "tenant cards: dedicated · quota the whole cluster · pci · groups cards-devs" in text
    tenant_lines = [line for line in text.splitlines() if "── tenant " in line]
    assert len(tenant_lines) == 3 and not any("not built" in line for line in tenant_lines)  # tenants are built
    assert (
        "kafka events for tenant risk (cluster analytics): 3 brokers × 2 vCPU, 8 GiB · draws 6.5 vCPU, 25 GiB, "
        "1500 GiB storage of its quota · $"
    ) in text
    assert "elasticsearch search for tenant quants (virtual cluster analytics/quants)" in text
    assert re.search(r"\d+ resources to create", text)
    assert BASIS in text


def test_markdown_plan() -> None:
    md = _plan("eu-prod-gcp", "--format", "markdown")["text"]
    assert md.startswith("## Strata plan: `eu-prod-gcp`\n")  # its own name, not eu-prod's
    assert "| eu-core | gcp europe-west3 (DE) | payments | 1.35 (supported) |" in md
    assert (
        "| analytics | kafka events | risk | cluster analytics | strimzi-kafka-operator 1.2.0 | "
        "3 brokers × 2 vCPU, 8 GiB | 6.5 / 25 / 1500 |"
    ) in md
    # every node pool with the machine asked, GPUs included
    assert (
        "| general: 3–12 × n2-standard-16 (16 vCPU/64 GiB asked); gpu: 0–4 × g2-standard-16 "
        "(16 vCPU/64 GiB, 1 GPU asked); sandbox: 1–4 × n2-standard-8 (8 vCPU/32 GiB asked) | 288 / 1152 / 4 |"
    ) in md
    # the tenants table: one row per tenant, under its cluster
    assert (
        "| cluster | tenant | isolation | runtime | quota | data classes | groups |\n"
        "|---|---|---|---|---|---|---|\n"
        "| payments | cards | dedicated | default | the whole cluster | pci | cards-devs |\n"
        "| analytics | risk | namespace | default | 64 CPU / 256 GiB | personal-eu | risk-devs |\n"
        "| analytics | quants | virtual cluster (Kubernetes 1.36) | gvisor | 32 CPU / 128 GiB | internal "
        "| quants-devs |\n"
    ) in md
    assert f"$2,982–$13,988/month ({GCP_BASIS})\n" in md


def test_gpus_asked_are_printed_with_cpu_and_memory_on_every_substrate() -> None:
    aws, gcp = _plan("eu-prod")["text"], _plan("eu-prod-gcp")["text"]
    assert "node pool gpu: 0–4 × g6.4xlarge (16 vCPU, 64 GiB, 1 GPU) for 16 vCPU/64 GiB, 1 GPU asked" in aws
    assert "node pool gpu: 0–4 × g2-standard-16 (16 vCPU, 64 GiB, 1 GPU) for 16 vCPU/64 GiB, 1 GPU asked" in gcp
    assert "node pool general: 3–9 × m7i.2xlarge (8 vCPU, 32 GiB) for 8 vCPU/32 GiB asked" in aws  # no GPU, none said
    onprem = _plan("fra-onprem")["text"]
    assert "node pool gpu: 2 host(s) fra-x01, fra-x02 for 32 vCPU/256 GiB, 4 GPU" in onprem
    md = _plan("eu-prod", "--format", "markdown")["text"]
    assert "gpu: 0–4 × g6.4xlarge (16 vCPU/64 GiB, 1 GPU asked); sandbox:" in md
    assert (
        "memory: 2–3 × host (64 vCPU/512 GiB asked); gpu: 2–2 × host (32 vCPU/256 GiB, 4 GPU asked) |"
        in (_plan("fra-onprem", "--format", "markdown")["text"])
    )


def test_cloud_cost_is_an_estimate_of_every_pool() -> None:
    doc = _plan("eu-prod", "--format", "json")
    assert doc["cost"] == {
        "atMin": 2795.02,
        "atMax": 17254.86,
        "basis": BASIS,
        "estimated": True,
        "covers": ["eu-core"],
        "notEstimated": [],
    }
    pool = doc["pools"][0]
    assert pool["cost"] == {"atMin": 2795.02, "atMax": 17254.86, "estimated": True}
    assert pool["clusters"][0]["cost"]["estimated"] is True
    assert all(isinstance(pool["cost"][k], float) for k in ("atMin", "atMax"))
    assert "freeHosts" not in pool and "free" not in pool  # a cloud has no inventory of hosts
    assert (
        _plan("eu-prod")["text"]
        .rstrip()
        .endswith(f"Monthly cost $2,795 (every node pool at min) to $17,255 (at max): {BASIS}.")
    )


OWNED = {"atMin": None, "atMax": None, "estimated": False, "note": "owned hardware: not estimated"}


def test_bare_metal_shows_free_hosts_and_does_not_price_owned_hardware() -> None:
    doc = _plan("fra-onprem", "--format", "json")
    pool = doc["pools"][0]
    assert pool["freeHosts"] == [{"name": "fra-m04", "address": "10.20.1.14", "vcpus": 64, "memoryGib": 512, "gpus": 0}]
    assert pool["free"] == {"vcpus": 64, "memoryGib": 512, "gpus": 0}
    assert pool["cost"] == OWNED
    assert all(c["cost"] == OWNED for c in pool["clusters"])
    assert all(n["cost"] == OWNED and n["usdPerHour"] is None for c in pool["clusters"] for n in c["nodePools"])
    assert doc["cost"] == {
        "atMin": None,
        "atMax": None,
        "basis": NO_CLOUD_BASIS,
        "estimated": False,
        "covers": [],
        "notEstimated": ["fra-dc1"],
        "note": "not estimated: every pool is owned hardware (fra-dc1)",
    }
    text = _plan("fra-onprem")["text"]
    assert (
        "pool fra-dc1 — bareMetal site fra-dc1 (DE) · drawn 544/608 vCPU, 3328/3840 GiB, 8/8 GPU · "
        "owned hardware, cost not estimated\n"
    ) in text
    assert "└── free hosts (1): fra-m04 — 64 vCPU, 512 GiB, 0 GPU in total\n" in text
    assert text.rstrip().endswith(
        "Monthly cost: not estimated — every pool is owned hardware (fra-dc1); "
        "Strata estimates cloud pools only, at list price."
    )
    md = _plan("fra-onprem", "--format", "markdown")["text"]
    assert "· 132 resources · cost not estimated (owned hardware)\n" in md
    assert "| fra-dc1 | bareMetal site fra-dc1 (DE) | core | 1.35 (supported) |" in md
    assert "| 224 / 896 / 0 | not estimated (owned hardware) |" in md
    assert "\nPool **fra-dc1** free hosts (1): fra-m04 — 64 vCPU, 512 GiB, 0 GPU in total.\n" in md
    for out in (text, md):
        assert "$0" not in out and "list-price estimate" not in out


def test_an_environment_mixing_cloud_and_owned_hardware_prices_only_the_cloud() -> None:
    env = stack_environment("eu-prod")
    site = stack_environment("fra-onprem")["pools"][0]
    site["substrate"]["bareMetal"]["hosts"] = [
        h for h in site["substrate"]["bareMetal"]["hosts"] if h["name"] != "fra-m04"
    ]  # every host assigned
    env["pools"].append(site)
    plan = plan_environment(load_catalog(), EnvironmentArgs.model_validate(env, by_alias=True, by_name=False), TODAY)
    assert not plan.problems
    doc = plan_document(plan, OfflineRun("platform", "mixed"))
    note = "covers only the cloud pools (eu-core); owned hardware (fra-dc1) is not estimated"
    assert doc["cost"] == {
        "atMin": 2795.02,
        "atMax": 17254.86,
        "basis": BASIS,
        "estimated": True,
        "covers": ["eu-core"],
        "notEstimated": ["fra-dc1"],
        "note": note,
    }
    assert [p["cost"]["estimated"] for p in doc["pools"]] == [True, False]
    assert doc["pools"][1]["freeHosts"] == [] and doc["pools"][1]["free"] == {"vcpus": 0, "memoryGib": 0, "gpus": 0}
    out = io.StringIO()
    _print_text(doc, Console(file=out, width=400, highlight=False))
    assert "    └── free hosts: none (every host is assigned)\n" in out.getvalue()
    assert "\nPool **fra-dc1** free hosts: none (every host is assigned).\n" in plan_markdown(doc)
    assert (
        out.getvalue()
        .rstrip()
        .endswith(f"Monthly cost $2,795 (every node pool at min) to $17,255 (at max): {BASIS} — {note}.")
    )
    assert f"· $2,795–$17,255/month ({BASIS}) — {note}\n" in plan_markdown(doc)


def test_a_stack_file_path_works_as_well_as_a_name() -> None:
    by_path = _plan(str(STACKS / "Pulumi.eu-prod-gcp.yaml"), "--format", "json")
    assert by_path["pools"][0]["substrate"] == "gcp"


def test_swapping_the_substrate_keeps_the_declaration_and_plan_shape() -> None:
    """Everything but the sandbox is the same on AWS and GCP. A sandbox is what a substrate offers
    (gVisor is GKE Sandbox, GCP only; Kata needs KVM, metal instance types on AWS), so the
    sandboxed node pool and the tenant that asks for it are the only declarations that change
    with the substrate, and only in the runtime and the node pool's machine and size."""
    aws, gcp = _plan("eu-prod", "--format", "json"), _plan("eu-prod-gcp", "--format", "json")

    def sandboxes(doc: dict) -> list:
        return [n for p in doc["pools"] for c in p["clusters"] for n in c["nodePools"] if n["runtime"] != "default"]

    def shape(doc: dict) -> list:
        return [
            (
                p["name"],
                p["capacity"],
                [
                    (
                        c["name"],
                        c["version"],
                        c["versionStage"],
                        [{k: v for k, v in t.items() if k != "runtime"} for t in c["tenants"]],
                        [{k: v for k, v in f.items() if k != "cost"} for f in c["frameworks"]],
                        [
                            (n["name"], n["machine"], n["min"], n["max"])
                            for n in c["nodePools"]
                            if n["runtime"] == "default"
                        ],
                    )
                    for c in p["clusters"]
                ],
            )
            for p in doc["pools"]
        ]

    def runtimes(doc: dict) -> list:
        return [t["runtime"] for p in doc["pools"] for c in p["clusters"] for t in c["tenants"]]

    assert shape(aws) == shape(gcp)
    assert [(n["name"], n["runtime"]) for n in sandboxes(aws)] == [("sandbox", "kata")]
    assert [(n["name"], n["runtime"]) for n in sandboxes(gcp)] == [("sandbox", "gvisor")]
    assert runtimes(aws) == ["default", "default", "kata"] and runtimes(gcp) == ["default", "default", "gvisor"]
    # the draw differs by the sandbox node pools at max, and by nothing else
    for doc in (aws, gcp):
        sandbox = sandboxes(doc)[0]
        assert doc["pools"][0]["drawn"]["vcpus"] - sandbox["machine"]["vcpus"] * sandbox["max"] == 328
        assert doc["pools"][0]["drawn"]["memoryGib"] - sandbox["machine"]["memoryGib"] * sandbox["max"] == 1312
    assert sorted(aws) == sorted(gcp)  # same keys at the top
    aws_text = (STACKS / "Pulumi.eu-prod.yaml").read_text().splitlines()
    gcp_text = (STACKS / "Pulumi.eu-prod-gcp.yaml").read_text().splitlines()
    differing = [(a.strip(), g.strip()) for a, g in zip(aws_text, gcp_text, strict=True) if a != g]
    # the header comment, the environment's name (unique across stacks/), the substrate, and the sandbox
    assert len(differing) == 5
    assert differing[1] == ("name: eu-prod", "name: eu-prod-gcp")
    assert differing[2][0].startswith("substrate: {aws:") and differing[2][1].startswith("substrate: {gcp:")
    assert differing[3][0].startswith("- {name: sandbox,") and differing[3][0].endswith("runtime: kata}")
    assert differing[3][1].startswith("- {name: sandbox,") and differing[3][1].endswith("runtime: gvisor}")
    assert differing[4][0].replace("runtime: kata", "runtime: gvisor") == differing[4][1]  # the quants tenant


def _preview(stack: str) -> dict[str, Any]:
    return json.loads(_invoke(stack, "--format", "preview-json"))


PROVIDER_REF = re.compile(r"(urn:pulumi:[^:]+::[^:]+::(?:[^$]+\$)*pulumi:providers:([\w-]+)::[^:]+)::([^:]+)")


def assert_provider_references(doc: dict[str, Any]) -> int:
    """Every custom resource's step names its provider as the engine does, ``<provider URN>::<id>``
    (the id unknown until the provider is created, as in a first preview), in ``newState`` and
    on the step, of the resource's package: an explicit provider is a step of the same document
    listed before the resource; a default provider (``default_<version>``, made by the engine)
    has no step, as the engine reports none. A provider itself names none. Returns the resources
    checked."""
    steps = doc["steps"]
    index = {s["urn"]: i for i, s in enumerate(steps)}
    checked = 0
    for i, step in enumerate(steps):
        state = step["newState"]
        if state["type"].startswith("pulumi:providers:") or not state["custom"]:
            assert "provider" not in state and "provider" not in step, step["urn"]
            continue
        ref = state.get("provider")
        assert ref and step.get("provider") == ref, f"{step['urn']} has no provider reference"
        match = PROVIDER_REF.fullmatch(ref)
        assert match, f"{step['urn']}: malformed provider reference {ref!r}"
        urn, package, id_ = match.groups()
        if urn.split("::")[-1].startswith("default_"):
            assert urn not in index, f"{urn}: the engine reports no step for a default provider"
            stack_prefix = doc["steps"][0]["urn"].split("::pulumi:pulumi:Stack::")[0]
            assert urn == f"{stack_prefix}::pulumi:providers:{package}::{urn.split('::')[-1]}"
        else:
            assert urn in index and index[urn] < i, f"{step['urn']}: provider {urn} is not a step before it"
            assert steps[index[urn]]["newState"]["type"] == f"pulumi:providers:{package}"
        assert package == state["type"].split(":")[0]
        assert id_ == UNKNOWN
        checked += 1
    return checked


@pytest.mark.parametrize("stack", ["eu-prod", "eu-prod-gcp", "fra-onprem"])
def test_every_custom_resource_in_the_preview_names_its_provider(stack: str) -> None:
    doc = _preview(stack)
    custom = [s for s in doc["steps"] if s["newState"]["custom"] and "pulumi:providers:" not in s["newState"]["type"]]
    assert assert_provider_references(doc) == len(custom) > 10
    # every cluster's explicit Kubernetes provider is in the document, under its cluster, and so is
    # every virtual cluster's (tenant quants of the eu-prod stacks, search of fra-onprem), under its VirtualCluster
    k8s_providers = [s["newState"] for s in doc["steps"] if s["newState"]["type"] == "pulumi:providers:kubernetes"]
    clusters = [p for p in k8s_providers if p["parent"].split("::")[-2].endswith("strata:cluster:KubernetesCluster")]
    virtual = [p for p in k8s_providers if p["parent"].split("::")[-2].endswith("strata:tenancy:VirtualCluster")]
    assert len(clusters) == 2
    assert len(virtual) == 1
    assert len(k8s_providers) == len(clusters) + len(virtual)
    for p in virtual:
        assert p["parent"].endswith("::ml-search-vcluster" if stack == "fra-onprem" else "::analytics-quants-vcluster")
        assert "strata:cluster:KubernetesCluster$strata:tenancy:TenantSpace$" in p["parent"]  # in its host


def test_resources_on_an_explicit_kubernetes_provider_name_it() -> None:
    """The Kubernetes objects Strata puts on a cluster use the cluster's explicit provider, given
    directly or through a component's ``providers``; they must point at it, not at a default one."""

    class Cluster(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("test:index:Cluster", name)
            self.provider = Provider(
                f"{name}-k8s", kubeconfig=pulumi.Output.secret("{}"), opts=pulumi.ResourceOptions(parent=self)
            )

    class Tenant(pulumi.ComponentResource):
        def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
            super().__init__("test:index:Tenant", name, None, opts)
            ConfigMap(f"{name}-settings", opts=pulumi.ResourceOptions(parent=self))

    def program() -> None:
        cluster = Cluster("apps").provider
        Namespace("apps", opts=pulumi.ResourceOptions(provider=cluster))
        Tenant("risk", pulumi.ResourceOptions(providers={"kubernetes": cluster}))
        Namespace("stray")  # names none: the engine's default provider

    run, _ = run_offline(program, project="team", stack="dev", config={}, secret_keys=[])
    doc = preview_document(with_default_providers(run, {}), {})
    assert assert_provider_references(doc) == 3
    by_name = {s["urn"].split("::")[-1]: s["newState"] for s in doc["steps"]}
    explicit = f"urn:pulumi:dev::team::test:index:Cluster$pulumi:providers:kubernetes::apps-k8s::{UNKNOWN}"
    assert by_name["apps"]["provider"] == by_name["risk-settings"]["provider"] == explicit
    version = importlib.metadata.version("pulumi-kubernetes").replace(".", "_")
    assert (
        by_name["stray"]["provider"]
        == f"urn:pulumi:dev::team::pulumi:providers:kubernetes::default_{version}::{UNKNOWN}"
    )


def test_preview_json_is_what_pulumi_preview_json_prints() -> None:
    doc = _preview("eu-prod")
    steps = doc["steps"]
    # what the plan counts, as the engine counts it: no step for a default provider
    assert (
        doc["changeSummary"] == {"create": len(steps)} == {"create": _plan("eu-prod", "--format", "json")["resources"]}
    )
    assert all(s["op"] == "create" for s in steps)
    urns = [s["urn"] for s in steps]
    assert len(urns) == len(set(urns))
    stack_urn = "urn:pulumi:eu-prod::platform::pulumi:pulumi:Stack::platform-eu-prod"
    assert urns[0] == stack_urn
    for s in steps[1:]:
        assert s["urn"].startswith("urn:pulumi:eu-prod::platform::")
        assert "pulumi:pulumi:Stack$" not in s["urn"]
        state = s["newState"]
        assert {"type", "inputs", "parent", "dependencies"} <= set(state)
        assert state["parent"] == stack_urn or state["parent"] in urns
    by_name = {s["urn"].split("::")[-1]: s["newState"] for s in steps}
    # Resources that name no provider get the engine's default provider, which it makes from the
    # stack's config and reports no step for.
    version = importlib.metadata.version("pulumi-aws")
    default_aws = f"urn:pulumi:eu-prod::platform::pulumi:providers:aws::default_{version.replace('.', '_')}"
    assert default_aws not in urns
    assert by_name["eu-core-vpc"]["provider"] == f"{default_aws}::{UNKNOWN}"
    eks = by_name["payments-eks"]
    assert eks["type"] == "aws:eks/cluster:Cluster"
    assert eks["parent"].endswith("strata:pool:ResourcePool$strata:cluster:KubernetesCluster::payments")
    assert eks["inputs"]["roleArn"] == UNKNOWN  # known only after apply, as in a real preview
    provider = by_name["payments-k8s"]
    assert provider["inputs"]["kubeconfig"] == "[secret]"
    assert by_name["eu-core-vpc"]["inputs"]["cidrBlock"] == "10.0.0.0/16"


def test_invalid_as_of_date_is_rejected() -> None:
    result = RUN.invoke(app, ["plan", "eu-prod", "--as-of", "yesterday"])
    assert result.exit_code == 2


@pytest.mark.parametrize("stack", ["eu-prod", "fra-onprem"])
def test_every_key_of_the_json_plan_is_documented(stack: str) -> None:
    doc = _plan(stack, "--format", "json")
    assert undocumented_keys(doc, free_form=("resourcesByType",)) == set(), "document these keys in docs/cli.md"


def test_tenants_show_isolation_runtime_and_data_classes() -> None:
    text = _plan("eu-prod")["text"]
    assert (
        "tenant quants: virtual cluster (Kubernetes 1.36) · kata runtime · quota 32 CPU / 128 GiB · internal "
        "· groups quants-devs\n"
    ) in text
    # the default runtime unsaid
    assert "tenant risk: namespace · quota 64 CPU / 256 GiB · personal-eu · groups risk-devs\n" in text
    gcp = _plan("eu-prod-gcp")["text"]
    assert "tenant quants: virtual cluster (Kubernetes 1.36) · gvisor runtime · quota 32 CPU / 128 GiB" in gcp
    onprem = _plan("fra-onprem")["text"]
    assert "tenant payments: namespace · quota 32 CPU / 128 GiB · personal-eu\n" in onprem  # no groups, none said


def test_a_mistyped_stack_says_what_was_meant() -> None:
    path = RUN.invoke(app, ["plan", "stacks/Pulumi.eu-prd.yaml"])
    assert path.exit_code == 2
    assert 'STACK: "stacks/Pulumi.eu-prd.yaml" — no such file; did you mean stacks/Pulumi.eu-prod.yaml?' in path.stderr
    name = RUN.invoke(app, ["plan", "eu-prd"])
    assert name.exit_code == 2
    assert "no stack file" in name.stderr and "did you mean eu-prod?" in name.stderr
    assert "stacks in " in name.stderr and "eu-prod, eu-prod-gcp, fra-onprem" in name.stderr
