"""`strata plan` on the example stacks: text, json, markdown and the preview document."""

from __future__ import annotations

import importlib.metadata
import json
import re

from typer.testing import CliRunner

from strata.cli import app

from .conftest import STACKS

RUN = CliRunner()
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _plan(*args: str) -> dict:
    result = RUN.invoke(app, ["plan", *args, "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "json" in args else {"text": result.stdout}


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
    assert pool["drawn"] == {"vcpus": 8 * 9 + 16 * 12 + 16 * 4, "memoryGib": 32 * 9 + 64 * 12 + 64 * 4, "gpus": 4}
    clusters = {c["name"]: c for c in pool["clusters"]}
    assert clusters["payments"]["version"] == "1.35" and clusters["analytics"]["version"] == "1.36"
    assert clusters["payments"]["versionStage"] == "supported"
    assert [n["machineType"] for n in clusters["analytics"]["nodePools"]] == ["m7i.4xlarge", "g6.4xlarge"]
    assert clusters["analytics"]["tenants"][0] == {
        "name": "risk",
        "isolation": "namespace",
        "runtime": "default",
        "dataClasses": ["personal-eu"],
        "built": False,
    }
    assert [f["kind"] for f in clusters["analytics"]["frameworks"]] == ["kafka", "spark"]
    assert doc["notBuilt"] == {"tenants": 3, "frameworks": 2, "note": doc["notBuilt"]["note"]}
    assert doc["resourcesByType"]["aws:eks/cluster:Cluster"] == 2
    assert doc["resources"] == sum(doc["resourcesByType"].values()) + 1
    assert doc["cost"]["atMin"] < doc["cost"]["atMax"]
    assert "on-demand list-price estimate" in doc["cost"]["basis"]


def test_text_plan_shows_the_tree_ledger_and_what_is_not_built() -> None:
    text = _plan("eu-prod")["text"]
    assert "pool eu-core — aws eu-central-1 (DE) · drawn 328/512 vCPU, 1312/2048 GiB, 4/8 GPU" in text
    assert "cluster payments — Kubernetes 1.35 (supported) · private API" in text
    assert "node pool gpu: 0–4 × g6.4xlarge (16 vCPU, 64 GiB, 1 GPU)" in text
    assert "tenant cards (dedicated, pci) — declared, not built yet" in text
    assert "kafka events for tenant risk — declared, not built yet" in text
    assert re.search(r"\d+ resources to create", text)
    assert "on-demand list-price estimate" in text


def test_markdown_plan() -> None:
    result = RUN.invoke(app, ["plan", "eu-prod-gcp", "--format", "markdown", "--as-of", "2026-11-23"])
    assert result.exit_code == 0
    assert result.stdout.startswith("## Strata plan: `eu-prod`")  # the environment inside the file is eu-prod
    assert "| eu-core | gcp europe-west3 (DE) | payments | 1.35 (supported) |" in result.stdout
    assert "3 tenant(s) and 2 framework(s) declared and validated; not built yet" in result.stdout


def test_a_stack_file_path_works_as_well_as_a_name() -> None:
    by_path = _plan(str(STACKS / "Pulumi.eu-prod-gcp.yaml"), "--format", "json")
    assert by_path["pools"][0]["substrate"] == "gcp"


def test_swapping_the_substrate_keeps_the_declaration_and_plan_shape() -> None:
    aws, gcp = _plan("eu-prod", "--format", "json"), _plan("eu-prod-gcp", "--format", "json")

    def shape(doc: dict) -> list:
        return [
            (
                p["name"],
                p["capacity"],
                p["drawn"],
                [
                    (
                        c["name"],
                        c["version"],
                        c["versionStage"],
                        c["draw"],
                        c["tenants"],
                        c["frameworks"],
                        [(n["name"], n["machine"], n["min"], n["max"]) for n in c["nodePools"]],
                    )
                    for c in p["clusters"]
                ],
            )
            for p in doc["pools"]
        ]

    assert shape(aws) == shape(gcp)
    assert sorted(aws) == sorted(gcp)  # same keys at the top
    aws_text = (STACKS / "Pulumi.eu-prod.yaml").read_text().splitlines()
    gcp_text = (STACKS / "Pulumi.eu-prod-gcp.yaml").read_text().splitlines()
    differing = [a for a, g in zip(aws_text, gcp_text, strict=True) if a != g]
    assert len(differing) == 2 and "substrate:" in differing[1]  # the header comment and the substrate


def test_preview_json_is_what_pulumi_preview_json_prints() -> None:
    result = RUN.invoke(app, ["plan", "eu-prod", "--format", "preview-json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    steps = doc["steps"]
    assert doc["changeSummary"] == {"create": len(steps)}
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
        default_provider = state["type"].startswith("pulumi:providers:") and s["urn"].split("::")[-1].startswith(
            "default"
        )
        assert state["parent"] == ("" if default_provider else stack_urn) or state["parent"] in urns
    by_name = {s["urn"].split("::")[-1]: s["newState"] for s in steps}
    # Resources that name no provider get the engine's default provider, made from the stack's
    # config (eu-prod sets no aws:* keys) and listed before its first user, with no parent.
    version = importlib.metadata.version("pulumi-aws")
    default_aws = f"urn:pulumi:eu-prod::platform::pulumi:providers:aws::default_{version.replace('.', '_')}"
    assert by_name[default_aws.split("::")[-1]]["inputs"] == {"version": version}
    assert urns.index(default_aws) < urns.index(next(u for u in urns if u.endswith("::eu-core-vpc")))
    assert by_name["eu-core-vpc"]["provider"].startswith(default_aws + "::")
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
