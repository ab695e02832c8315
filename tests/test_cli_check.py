"""`strata check`: the offline plan plus the pack over the analyzer protocol, with exit codes
0 (no mandatory violation), 1 (one), 2 (invalid spec)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from strata.cli import app

from .conftest import stack_environment
from .test_docs import undocumented_keys

RUN = CliRunner()


def _check(tmp_path: Path, env: dict[str, Any], *extra: str) -> tuple[int, dict[str, Any]]:
    path = tmp_path / "Pulumi.case.yaml"
    path.write_text(yaml.safe_dump({"config": {"platform:environment": env}}), encoding="utf-8")
    result = RUN.invoke(app, ["check", str(path), "--format", "json", "--as-of", "2026-11-23", *extra])
    return result.exit_code, json.loads(result.stdout)


def _rules(doc: dict[str, Any], level: str = "mandatory") -> set[tuple[str, str]]:
    return {(v["policy"], v["urn"].split("::")[-1]) for v in doc["violations"] if v["level"] == level}


#: The pack's policies, in its order, with their default levels.
PACK = [
    ("pool-in-jurisdiction", "mandatory"),
    ("data-class-residency", "mandatory"),
    ("data-class-isolation", "mandatory"),
    ("dedicated-tenant-alone", "mandatory"),
    ("tenant-guardrails", "mandatory"),
    ("no-cluster-admin-for-tenants", "mandatory"),
    ("sandbox-runtime-enforced", "mandatory"),
    ("supported-kubernetes-version", "mandatory"),
    ("kubernetes-version-end-of-support-soon", "advisory"),
    ("cluster-api-private", "mandatory"),
    ("cluster-secrets-encrypted", "mandatory"),
    ("cluster-network-policy", "mandatory"),
    ("cluster-static-credentials", "mandatory"),
    ("node-metadata-protected", "mandatory"),
    ("workload-identity", "mandatory"),
    ("required-labels", "mandatory"),
]


@pytest.mark.parametrize("stack", ["eu-prod", "eu-prod-gcp"])
def test_example_stacks_pass_with_no_verdict_at_all(stack: str) -> None:
    result = RUN.invoke(app, ["check", stack, "--format", "json", "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["environment"] == stack
    assert doc["violations"] == []
    assert doc["resources"] > 20
    assert (doc["mandatory"], doc["advisory"]) == (0, 0)
    # which policies ran, at which level, with the config Configure was sent (schema defaults
    # after --as-of; whole numbers as written)
    assert [(p["name"], p["level"]) for p in doc["policies"]] == PACK
    config = {p["name"]: p["config"] for p in doc["policies"]}
    assert config["kubernetes-version-end-of-support-soon"] == {"warningDays": 90, "asOf": "2026-11-23"}
    assert config["supported-kubernetes-version"] == {"allowExtendedSupport": False, "asOf": "2026-11-23"}
    assert config["required-labels"] == {"labels": ["owner", "environment", "jurisdiction"]}
    assert config["workload-identity"] == {}
    assert doc["policyConfig"] == {"source": "defaults", "file": None, "asOf": "2026-11-23", "pack": "policies"}
    assert undocumented_keys(doc, free_form=("config",)) == set(), "document these keys in docs/cli.md"


def test_a_clean_check_says_which_policies_ran_with_which_config() -> None:
    result = RUN.invoke(app, ["check", "eu-prod"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Ran 16 policies (pack policies) with the pack's default config (no --policy-config):"
    assert [line.split()[:2] for line in lines[1:17]] == [[level, name] for name, level in PACK]
    assert "  advisory   kubernetes-version-end-of-support-soon  warningDays=90" in lines
    assert '  mandatory  required-labels                         labels=["owner", "environment", "jurisdiction"]' in (
        lines
    )
    assert "  mandatory  workload-identity                       (no settings)" in lines
    assert lines[17:] == ["eu-prod: 167 resources, 0 mandatory and 0 advisory violation(s)."]


def test_eu_environment_with_a_pool_in_us_east_1(tmp_path: Path) -> None:
    env = stack_environment("eu-prod")
    env["pools"][0]["substrate"]["aws"]["region"] = "us-east-1"
    code, doc = _check(tmp_path, env)
    assert code == 1
    flagged = {name for policy, name in _rules(doc) if policy == "pool-in-jurisdiction"}
    assert {"eu-core-vpc", "eu-core-key", "payments-eks", "analytics-eks", "analytics-gpu"} <= flagged
    # and the tenant whose personal-eu data now sits in the US
    assert {p for p, _ in _rules(doc)} == {"pool-in-jurisdiction", "data-class-residency"}
    assert {n for p, n in _rules(doc) if p == "data-class-residency"} >= {"analytics-risk-namespace"}
    message = next(v["message"] for v in doc["violations"] if v["urn"].endswith("::payments-eks"))
    assert "us-east-1 (US)" in message and "eu" in message


def test_gcp_pool_in_asia_east1_under_eu(tmp_path: Path) -> None:
    env = stack_environment("eu-prod-gcp")
    env["pools"][0]["substrate"]["gcp"]["region"] = "asia-east1"
    code, doc = _check(tmp_path, env)
    assert code == 1
    flagged = {name for policy, name in _rules(doc) if policy == "pool-in-jurisdiction"}
    assert {"eu-core-nodes", "eu-core-keys", "eu-core-key", "payments-gke", "analytics-gpu"} <= flagged


def _end_of_life(env: dict[str, Any]) -> None:
    """Kubernetes 1.30 on the first cluster: the oldest a cluster with tenants may run, and older
    than the paved road's pinned autoscaler and gateway run on (so those are turned off)."""
    cluster = env["pools"][0]["clusters"][0]
    cluster["version"] = "1.30"
    cluster["addons"] = {"autoscaling": False, "ingress": False}


def test_the_paved_road_refuses_a_version_its_pinned_addons_do_not_run_on(tmp_path: Path) -> None:
    env = stack_environment("eu-prod")
    env["pools"][0]["clusters"][0]["version"] = "1.30"
    code, doc = _check(tmp_path, env)
    assert code == 2
    messages = [p["message"] for p in doc["problems"] if p["path"] == "pools[0].clusters[0].version"]
    assert any(
        m.startswith("Cluster Autoscaler") and "runs on Kubernetes 1.33, 1.34, 1.35, 1.36, not 1.30" in m
        for m in messages
    )
    assert any(m.startswith("Envoy Gateway") and "addons.ingress: false" in m for m in messages)


def test_end_of_life_version_plans_but_fails_check(tmp_path: Path) -> None:
    env = stack_environment("eu-prod")
    _end_of_life(env)
    plan = RUN.invoke(app, ["plan", "eu-prod", "--format", "json"])
    assert plan.exit_code == 0
    code, doc = _check(tmp_path, env)
    assert code == 1
    # the control plane and the node group, which carries the version of its own
    assert _rules(doc) == {
        ("supported-kubernetes-version", "payments-eks"),
        ("supported-kubernetes-version", "payments-general"),
    }


def test_version_near_its_end_is_an_advisory_only(tmp_path: Path) -> None:
    env = stack_environment("eu-prod")
    env["pools"][0]["clusters"][0]["version"] = "1.34"  # EKS standard support ends 2026-12-02
    code, doc = _check(tmp_path, env)
    assert code == 0
    assert _rules(doc, "advisory") == {
        ("kubernetes-version-end-of-support-soon", "payments-eks"),
        ("kubernetes-version-end-of-support-soon", "payments-general"),
    }


def test_policy_config_can_lower_a_rule(tmp_path: Path) -> None:
    env = stack_environment("eu-prod")
    _end_of_life(env)
    cfg = tmp_path / "policy.json"
    cfg.write_text(json.dumps({"supported-kubernetes-version": "advisory"}))
    code, doc = _check(tmp_path, env, "--policy-config", str(cfg))
    assert code == 0
    assert _rules(doc, "advisory") == {
        ("supported-kubernetes-version", "payments-eks"),
        ("supported-kubernetes-version", "payments-general"),
    }
    levels = dict((p["name"], p["level"]) for p in doc["policies"])
    assert levels == dict(PACK) | {"supported-kubernetes-version": "advisory"}
    assert doc["policyConfig"]["source"] == "--policy-config" and doc["policyConfig"]["file"] == str(cfg)


def test_bad_policy_config_is_exit_2(tmp_path: Path) -> None:
    cfg = tmp_path / "policy.json"
    cfg.write_text(json.dumps({"workload-identity": {"enforcementLevel": "sometimes"}}))
    code, doc = _check(tmp_path, stack_environment("eu-prod"), "--policy-config", str(cfg))
    assert code == 2
    assert doc["problems"][0]["path"] == "policyConfig.workload-identity.enforcementLevel"


def test_invalid_spec_is_exit_2_and_nothing_is_checked(tmp_path: Path) -> None:
    env = stack_environment("eu-prod")
    env["pools"][0]["clusters"][0]["version"] = "1.99"
    code, doc = _check(tmp_path, env)
    assert code == 2
    assert doc["problems"][0]["path"] == "pools[0].clusters[0].version"


def test_markdown_summary(tmp_path: Path) -> None:
    env = stack_environment("eu-prod")
    _end_of_life(env)
    path = tmp_path / "Pulumi.md.yaml"
    path.write_text(yaml.safe_dump({"config": {"platform:environment": env}}), encoding="utf-8")
    result = RUN.invoke(app, ["check", str(path), "--format", "markdown", "--as-of", "2026-11-23"])
    assert result.exit_code == 1
    assert "❌ mandatory policy violated" in result.stdout
    assert "| mandatory | `supported-kubernetes-version` | `payments-eks` |" in result.stdout
    assert (
        "\n<details><summary>Ran 16 policies (pack <code>policies</code>) with the pack's default config "
        "(no --policy-config); versions judged as of 2026-11-23 (--as-of)</summary>\n"
    ) in result.stdout
    assert '\n| `kubernetes-version-end-of-support-soon` | advisory | `warningDays=90, asOf="2026-11-23"` |\n' in (
        result.stdout
    )
    assert "\n| `cluster-secrets-encrypted` | mandatory | `(no settings)` |\n" in result.stdout
    assert result.stdout.endswith("\n</details>\n")


def test_a_crashing_pack_is_an_internal_error_never_a_pass_nor_a_verdict(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (pack / "__main__.py").write_text(
        "from pulumi_policy import EnforcementLevel, PolicyPack, StackValidationPolicy\n"
        "def boom(args, report):\n    raise KeyError('rule bug')\n"
        "PolicyPack('crashy', [StackValidationPolicy('boom', 'always crashes', boom)], EnforcementLevel.MANDATORY)\n"
    )
    result = RUN.invoke(app, ["check", "eu-prod", "--policy-pack", str(pack)])
    assert result.exit_code == 3
    assert "internal error" in result.stderr and "policy pack failed, no verdict" in result.stderr


def test_bare_metal_site_country_is_judged_like_a_cloud_region(tmp_path: Path) -> None:
    result = RUN.invoke(app, ["check", "fra-onprem", "--format", "json", "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["violations"] == []
    env = stack_environment("fra-onprem")
    env["pools"][0]["substrate"]["bareMetal"]["country"] = "US"
    code, doc = _check(tmp_path, env)
    assert code == 1
    flagged = {name for policy, name in _rules(doc) if policy == "pool-in-jurisdiction"}
    assert {"core-server-fra-g01", "core-agent-fra-g04", "ml-agent-fra-x01"} <= flagged
    assert "fra-dc1 (US)" in next(v["message"] for v in doc["violations"] if v["urn"].endswith("core-server-fra-g01"))


def test_bare_metal_cluster_past_end_of_support(tmp_path: Path) -> None:
    env = stack_environment("fra-onprem")
    env["pools"][0]["clusters"][0]["version"] = "1.31"
    env["pools"][0]["clusters"][0]["addons"]["ingress"] = False  # Envoy Gateway's pin runs on 1.33+
    code, doc = _check(tmp_path, env)
    assert code == 1
    assert _rules(doc) == {("supported-kubernetes-version", "core")}


CENTRAL = Path(__file__).resolve().parents[1] / "policies" / "config.json"


@pytest.mark.parametrize("stack", ["eu-prod", "eu-prod-gcp", "fra-onprem"])
def test_the_example_stacks_pass_under_the_platforms_central_config(stack: str) -> None:
    result = RUN.invoke(
        app, ["check", stack, "--format", "json", "--as-of", "2026-11-23", "--policy-config", str(CENTRAL)]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["violations"] == []
    assert doc["policyConfig"] == {
        "source": "--policy-config",
        "file": str(CENTRAL),
        "asOf": "2026-11-23",
        "pack": "policies",
    }
    central = json.loads(CENTRAL.read_text())
    config = {p["name"]: p["config"] for p in doc["policies"]}
    assert config["pool-in-jurisdiction"] == {**central["pool-in-jurisdiction"], "allowedJurisdictions": []}
    assert config["data-class-residency"] == {**central["data-class-residency"], "extraDataClasses": {}}


def test_a_stack_file_cannot_widen_its_own_jurisdiction_past_the_central_config(tmp_path: Path) -> None:
    env = stack_environment("eu-prod")
    env["jurisdiction"] = ["eu", "us"]
    env["pools"][0]["substrate"]["aws"]["region"] = "us-east-1"
    analytics = env["pools"][0]["clusters"][1]  # no personal-eu data: residency is not the question here
    analytics["frameworks"] = []
    for tenant in analytics["tenants"]:
        tenant["dataClasses"] = ["internal"]
    path = tmp_path / "Pulumi.eu-prod.yaml"  # the same stack name the central config governs
    path.write_text(yaml.safe_dump({"config": {"platform:environment": env}}), encoding="utf-8")
    args = ["check", str(path), "--format", "json", "--as-of", "2026-11-23"]
    self_declared = RUN.invoke(app, args)
    assert self_declared.exit_code == 0, self_declared.output  # no central config: the file's own promise
    governed = RUN.invoke(app, [*args, "--policy-config", str(CENTRAL)])
    assert governed.exit_code == 1
    flagged = {name for policy, name in _rules(json.loads(governed.stdout)) if policy == "pool-in-jurisdiction"}
    assert {"eu-core-vpc", "payments-eks", "analytics-eks"} <= flagged


def test_a_team_project_is_checked_by_running_its_own_program(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: payments\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi_aws as aws\naws.s3.Bucket('ledger')\naws.sqs.Queue('events', region='eu-west-1')\n"
    )
    tags = {"strata:owner": "payments", "strata:environment": "team-prod", "strata:jurisdiction": "eu"}
    stack = tmp_path / "Pulumi.team-prod.yaml"
    stack.write_text(yaml.safe_dump({"config": {"aws:region": "us-east-1", "aws:defaultTags": {"tags": tags}}}))
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"pool-in-jurisdiction": {"environments": {"payments/team-prod": ["eu"]}}}))
    result = RUN.invoke(app, ["check", str(stack), "--format", "json", "--policy-config", str(policy)])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["environment"] == "team-prod"
    # the bucket follows the default provider made from aws:region; the queue names its own region
    assert _rules(doc) == {("pool-in-jurisdiction", "ledger")}
    (tmp_path / "__main__.py").write_text("raise RuntimeError('the program itself fails')\n")
    broken = RUN.invoke(app, ["check", str(stack), "--format", "json"])
    assert broken.exit_code == 2
    assert "the program itself fails" in broken.stdout


def test_a_personal_eu_tenant_moved_to_a_us_pool_fails_residency(tmp_path: Path) -> None:
    """A copy of eu-prod whose environment may also be in the US: its personal-eu tenant, moved
    with its personal-eu Kafka (and Spark) to a cluster of a US pool, is the one thing the pack
    flags: the tenant's objects and the frameworks' custom resources, nothing else."""
    env = stack_environment("eu-prod")
    env["jurisdiction"] = ["eu", "us"]
    analytics = env["pools"][0]["clusters"][1]
    risk = next(t for t in analytics["tenants"] if t["name"] == "risk")
    analytics["tenants"].remove(risk)
    moved = [f for f in analytics["frameworks"] if next(iter(f.values()))["tenant"] == "risk"]
    analytics["frameworks"] = [f for f in analytics["frameworks"] if f not in moved]  # quants' Elasticsearch stays
    assert [next(iter(f)) for f in moved] == ["kafka", "spark"]
    # ... and holds personal-eu too, inside quants's virtual cluster on the EU cluster: the pack
    # follows its provider to the vCluster release and places it there, so it is not flagged
    quants = next(t for t in analytics["tenants"] if t["name"] == "quants")
    quants["dataClasses"] = ["personal-eu"]
    analytics["frameworks"][0]["elasticsearch"]["dataClass"] = "personal-eu"
    env["pools"].append(
        {
            "name": "us-core",
            "substrate": {"aws": {"region": "us-east-1", "zones": 2}},
            "capacity": {"vcpus": 128, "memoryGib": 512, "gpus": 0},
            "clusters": [
                {
                    "name": "us-analytics",
                    "version": "1.36",
                    "nodePools": [{"name": "general", "machine": {"vcpus": 16, "memoryGib": 64}, "min": 3, "max": 6}],
                    "tenants": [risk],
                    "frameworks": moved,
                }
            ],
        }
    )
    code, doc = _check(tmp_path, env)
    assert code == 1
    assert {p for p, _ in _rules(doc)} == {"data-class-residency"}
    flagged = {n for _, n in _rules(doc)}
    assert {"us-analytics-risk-namespace", "us-analytics-events-kafka", "us-analytics-events-pool"} <= flagged
    assert all(n.startswith(("us-analytics-risk-", "us-analytics-events-", "us-analytics-batch-")) for n in flagged)
    for name in ("us-analytics-risk-namespace", "us-analytics-events-kafka"):
        message = next(v["message"] for v in doc["violations"] if v["urn"].endswith(f"::{name}"))
        assert "personal-eu" in message and "US" in message


def test_a_pci_tenant_on_a_namespace_fails_isolation(tmp_path: Path) -> None:
    env = stack_environment("eu-prod")
    cards = env["pools"][0]["clusters"][0]["tenants"][0]
    cards.update(isolation="namespace", quota={"cpu": 8, "memoryGib": 32})
    code, doc = _check(tmp_path, env)
    assert code == 1
    assert {p for p, _ in _rules(doc)} == {"data-class-isolation"}
    assert "payments-cards-namespace" in {n for _, n in _rules(doc)}


def test_pack_path_prints_the_pack_shipped_inside_the_package() -> None:
    """A team repo has no ``policies/``: ``pulumi preview --policy-pack "$(strata pack-path)"`` runs
    the pack the installed package carries, with the team's own Python (no virtualenv to build)."""
    import strata.cli
    from strata.analyzer import pack_policies, running_pack
    from strata.policy.pack import RULES

    result = RUN.invoke(app, ["pack-path"])
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path.is_absolute() and path == Path(strata.cli.__file__).resolve().parent / "policy" / "bundle"
    project = yaml.safe_load((path / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert project["runtime"] == "python"  # no `options.virtualenv`: the engine would not build one
    with running_pack(path) as stub:
        assert [p.name for p in pack_policies(stub)] == [meta.name for meta, _ in RULES]
