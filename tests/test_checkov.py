"""Checkov's Terraform checks on the offline previews of eu-prod-gcp and eu-prod.

Checkov cannot live in ``.venv`` (checkov 3.3.30 pins ``packaging<24``, pulumi 3.272 needs
``>=26``), so it has its own venv and ``tools/checkov_scan.py`` runs there: the previews go in as
JSON on stdin, the verdicts come back as JSON. One subprocess scans both previews and the
negative control.

Every check that fails must be in ``ALLOWED_FAILURES`` with the reason it is accepted, and every
entry there must still fail somewhere, so the list says exactly what Checkov flags today.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from strata.cli import app

ROOT = Path(__file__).resolve().parents[1]
CHECKOV_VENV = ROOT / ".venv-checkov"
CHECKOV_VERSION = "3.3.30"
INSTALL = f"python3 -m venv .venv-checkov && .venv-checkov/bin/pip install -q 'checkov=={CHECKOV_VERSION}'"
SCAN = ROOT / "tools" / "checkov_scan.py"
STACKS = ("eu-prod-gcp", "eu-prod")

#: Checks that fail on the example stacks today, each with why that is accepted. Fix one and its
#: entry must go: the suite fails on an entry that no longer fails.
ALLOWED_FAILURES: dict[str, str] = {
    "CKV_GCP_61": "Intranode visibility (enableIntranodeVisibility) is off, so pod-to-pod traffic that stays on "
    "one node is not in the VPC flow logs. The node subnet's flow logs are on (its logConfig); intranode "
    "visibility would add more log volume, and nobody has decided to pay for it yet.",
    "CKV_GCP_65": "Google Groups for RBAC needs authenticatorGroupsConfig.securityGroup = "
    "gke-security-groups@<the organisation's Workspace/Cloud Identity domain>. Strata's declarations do not "
    "say which domain that is. Access is granted through IAM and Workload Identity instead.",
    "CKV_GCP_66": "Binary Authorization is not enforced: enforcement needs a project Binary Authorization policy "
    "with attestors, which Strata does not manage. Turning on PROJECT_SINGLETON_POLICY_ENFORCE against the "
    "default allow-all policy would pass the check and block nothing.",
    "CKV_AWS_339": "analytics-eks runs Kubernetes 1.36, which EKS supports (see the catalog), but Checkov "
    "3.3.30's list of supported EKS versions is hard-coded and ends at 1.35 (payments-eks on 1.35 passes).",
}
#: What the GKE driver sets so that Checkov can see it (networkPolicy enabled=false beside
#: ADVANCED_DATAPATH, masterAuth without client certificates, a cluster nodeConfig with the GKE
#: metadata server and shielded nodes). These must pass on every GKE cluster.
GKE_HARDENING = ("CKV_GCP_12", "CKV_GCP_13", "CKV_GCP_68", "CKV_GCP_69", "CKV_GCP_72")
#: The Pulumi types the scan covers and the Terraform types Checkov judges them as.
SCANNED_TYPES = {
    "gcp:container/cluster:Cluster": "google_container_cluster",
    "gcp:container/nodePool:NodePool": "google_container_node_pool",
    "aws:eks/cluster:Cluster": "aws_eks_cluster",
    "aws:eks/nodeGroup:NodeGroup": "aws_eks_node_group",
    "aws:ec2/launchTemplate:LaunchTemplate": "aws_launch_template",
}
CONTROL = "payments-gke-bare"
Verdicts = dict[tuple[str, str], dict[str, str]]  # (terraform type, resource) -> check id -> result


def _checkov_python() -> Path:
    python = CHECKOV_VENV / "bin" / "python"
    if not python.exists():
        pytest.fail(f"no Checkov venv at {CHECKOV_VENV}; run the README's test command, which includes: {INSTALL}")
    found = sorted(p.name for p in CHECKOV_VENV.glob("lib/python*/site-packages/checkov-*.dist-info"))
    assert found == [f"checkov-{CHECKOV_VERSION}.dist-info"], f"{found}: the allow-list is for {CHECKOV_VERSION}"
    return python


def _preview(stack: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["plan", stack, "--format", "preview-json", "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    preview: dict[str, Any] = json.loads(result.stdout)
    return preview


def _state(step: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = step.get("newState") or {}
    return state


def _name(step: dict[str, Any]) -> str:
    return str(_state(step)["urn"]).rpartition("::")[2]


def _bare_cluster(preview: dict[str, Any]) -> dict[str, Any]:
    """payments-gke without what the driver adds for Checkov: the scan must fail it."""
    step = next(s for s in preview["steps"] if _name(s) == "payments-gke")
    bare = copy.deepcopy(step)
    state = _state(bare)
    state["urn"] = str(state["urn"]).rpartition("::")[0] + "::" + CONTROL
    for key in ("nodeConfig", "networkPolicy", "masterAuth"):
        del state["inputs"][key]
    return bare


@pytest.fixture(scope="module")
def previews() -> dict[str, dict[str, Any]]:
    return {stack: _preview(stack) for stack in STACKS}


@pytest.fixture(scope="module")
def verdicts(previews: dict[str, dict[str, Any]]) -> Verdicts:
    python = _checkov_python()
    steps = [step for preview in previews.values() for step in preview["steps"]]
    document = {"steps": [*steps, _bare_cluster(previews["eu-prod-gcp"])]}
    result = subprocess.run(
        [str(python), str(SCAN)], input=json.dumps(document), capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    out: Verdicts = {}
    for row in json.loads(result.stdout):
        checks = out.setdefault((row["type"], row["resource"]), {})
        assert row["check"] not in checks, row
        assert row["result"] in ("PASSED", "FAILED", "UNKNOWN"), row
        checks[row["check"]] = row["result"]
    return out


def test_every_resource_of_the_scanned_types_is_checked(
    previews: dict[str, dict[str, Any]], verdicts: Verdicts
) -> None:
    expected = {
        (SCANNED_TYPES[_state(step)["type"]], _name(step))
        for preview in previews.values()
        for step in preview["steps"]
        if _state(step).get("type") in SCANNED_TYPES
    }
    assert {tf_type for tf_type, _ in expected} == set(SCANNED_TYPES.values())  # both substrates are in
    assert set(verdicts) == expected | {("google_container_cluster", CONTROL)}
    assert all(verdicts.values()), "every resource must have been judged by at least one check"


def test_every_failure_is_allowed_with_a_reason(verdicts: Verdicts) -> None:
    failures = {
        (check, f"{tf_type}.{name}")
        for (tf_type, name), checks in verdicts.items()
        if name != CONTROL
        for check, result in checks.items()
        if result == "FAILED"
    }
    unexpected = sorted(f for f in failures if f[0] not in ALLOWED_FAILURES)
    assert not unexpected, f"Checkov failures not in ALLOWED_FAILURES: {unexpected}"
    stale = sorted(set(ALLOWED_FAILURES) - {check for check, _ in failures})
    assert not stale, f"these checks pass now; remove them from ALLOWED_FAILURES: {stale}"
    assert all(len(reason) > 40 for reason in ALLOWED_FAILURES.values())


def test_the_gke_hardening_passes_on_every_gke_cluster(verdicts: Verdicts) -> None:
    clusters = {name: checks for (tf_type, name), checks in verdicts.items() if tf_type == "google_container_cluster"}
    assert set(clusters) == {"payments-gke", "analytics-gke", CONTROL}
    for name in ("payments-gke", "analytics-gke"):
        assert {c: clusters[name][c] for c in GKE_HARDENING} == dict.fromkeys(GKE_HARDENING, "PASSED"), name


def test_a_cluster_without_the_hardening_fails_the_scan(verdicts: Verdicts) -> None:
    """The negative control: the checks above can fail, and the converter feeds them what they read."""
    bare = verdicts[("google_container_cluster", CONTROL)]
    assert {c: bare[c] for c in ("CKV_GCP_12", "CKV_GCP_13", "CKV_GCP_69")} == dict.fromkeys(
        ("CKV_GCP_12", "CKV_GCP_13", "CKV_GCP_69"), "FAILED"
    )
    # Without a cluster nodeConfig the secure-boot and integrity checks cannot tell.
    assert (bare["CKV_GCP_68"], bare["CKV_GCP_72"]) == ("UNKNOWN", "UNKNOWN")
    # Everything else about the control is the real cluster's, and judged the same.
    real = verdicts[("google_container_cluster", "payments-gke")]
    changed = {c for c in real if real[c] != bare[c]}
    assert changed == {"CKV_GCP_12", "CKV_GCP_13", "CKV_GCP_68", "CKV_GCP_69", "CKV_GCP_72"}
