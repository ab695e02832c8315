"""Shared fixtures: the example stacks, a builder for valid environments, and offline runs."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from strata.cli import offline_config
from strata.declarations import read_stack_file
from strata.offline import OfflineRun, Registration, run_offline
from strata.program import main

ROOT = Path(__file__).resolve().parents[1]
STACKS = ROOT / "stacks"
#: Tests judge version lifecycles on a fixed day so they do not change with the calendar.
TODAY = dt.date(2026, 11, 23)

#: Tests that take far longer than the rest (mypy over the package; programs padding their inputs
#: past the pack's limits; a terminal that fills its disk). Started first, so that with ``-n 2`` they
#: run beside the many short ones instead of ending the run alone.
EARLY = (
    "test_mypy_passes_slice_by_slice",
    "red-inputs-too-big-or-unreadable",
    "test_output_to_an_ascii_terminal_or_a_full_disk",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not any(name in item.nodeid for name in EARLY))


def stack_environment(name: str) -> dict[str, Any]:
    _, env = read_stack_file(STACKS / f"Pulumi.{name}.yaml")
    return copy.deepcopy(env)


def plan_offline(env: dict[str, Any], *, stack: str = "test", record: OfflineRun | None = None) -> OfflineRun:
    """Run the real program on ``env`` under mocks and return what it registered."""
    config, secret_keys = offline_config("platform:environment", env)
    run, _ = run_offline(
        lambda: main(today=TODAY),
        project="platform",
        stack=stack,
        config=config,
        record=record,
        secret_keys=secret_keys,
    )
    return run


def only(run: OfflineRun, type_: str, name: str | None = None) -> Registration:
    found = [r for r in run.by_type(type_) if name is None or r.name == name]
    assert len(found) == 1, f"expected one {type_} {name or ''}, found {[r.name for r in found]}"
    return found[0]


def minimal_environment(substrate: dict[str, Any] | None = None) -> dict[str, Any]:
    """A small valid environment: one pool, one cluster, one node pool."""
    return {
        "name": "dev",
        "jurisdiction": "eu",
        "owner": "platform-team",
        "pools": [
            {
                "name": "core",
                "substrate": substrate or {"aws": {"region": "eu-west-1", "zones": 2}},
                "capacity": {"vcpus": 64, "memoryGib": 256, "gpus": 0},
                "clusters": [
                    {
                        "name": "apps",
                        "version": "1.35",
                        "nodePools": [
                            {"name": "general", "machine": {"vcpus": 4, "memoryGib": 16}, "min": 1, "max": 4}
                        ],
                    }
                ],
            }
        ],
    }


@pytest.fixture(scope="session")
def eu_prod_run() -> OfflineRun:
    return plan_offline(stack_environment("eu-prod"), stack="eu-prod")


@pytest.fixture(scope="session")
def eu_prod_gcp_run() -> OfflineRun:
    return plan_offline(stack_environment("eu-prod-gcp"), stack="eu-prod-gcp")


@pytest.fixture(scope="session")
def fra_run() -> OfflineRun:
    return plan_offline(stack_environment("fra-onprem"), stack="fra-onprem")
