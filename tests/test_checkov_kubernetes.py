"""Checkov's Kubernetes checks on every object Strata renders into the example stacks' clusters.

The objects go to Checkov as YAML manifests (its ``kubernetes`` framework). Every failing check
must be listed in ``ALLOWED_FAILURES`` with its reason, and every listed entry must still fail, so
that list is exactly what Checkov flags today (it is empty: nothing is skipped). A negative
control (a Role granting ``*``) shows the scan can fail.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
import yaml

from .conftest import plan_offline, stack_environment
from .kube_manifests import manifests
from .test_checkov import CHECKOV_VENV, _checkov_python

STACKS = ("eu-prod", "eu-prod-gcp", "fra-onprem")
#: (check id, resource as Checkov names it: ``Kind.namespace.name``) -> why it is accepted.
ALLOWED_FAILURES: dict[tuple[str, str], str] = {}
CONTROL = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "Role",
    "metadata": {"name": "control", "namespace": "control"},
    "rules": [{"apiGroups": [""], "resources": ["*"], "verbs": ["*"]}],
}


@pytest.fixture(scope="module")
def failures(tmp_path_factory: pytest.TempPathFactory) -> tuple[set[tuple[str, str]], int]:
    _checkov_python()
    directory = tmp_path_factory.mktemp("manifests")
    for stack in STACKS:
        objects = [m for _, m, _ in manifests(plan_offline(stack_environment(stack)))]
        (directory / f"{stack}.yaml").write_text(yaml.safe_dump_all(objects))
    (directory / "control.yaml").write_text(yaml.safe_dump(CONTROL))
    result = subprocess.run(
        [str(CHECKOV_VENV / "bin" / "checkov"), "-d", str(directory), "--framework", "kubernetes", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["check_type"] == "kubernetes" and report["summary"]["parsing_errors"] == 0, report["summary"]
    failed = {(f["check_id"], f["resource"]) for f in report["results"]["failed_checks"]}
    return failed, int(report["summary"]["passed"])


def test_the_negative_control_fails(failures: tuple[set[tuple[str, str]], int]) -> None:
    failed, _ = failures
    assert ("CKV_K8S_49", "Role.control.control") in failed


def test_every_failure_is_allowed_with_a_reason(failures: tuple[set[tuple[str, str]], int]) -> None:
    failed, passed = failures
    ours = {f for f in failed if not f[1].endswith(".control.control")}
    assert passed > 0
    assert ours == set(ALLOWED_FAILURES), f"Checkov flags {sorted(ours - set(ALLOWED_FAILURES))}"
