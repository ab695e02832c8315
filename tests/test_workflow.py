"""The pull-request workflow previews each cloud stack with that cloud's credentials.

A stack previewed with another cloud's credentials fails for want of them, on every pull request,
which teaches a team to ignore the job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .conftest import STACKS, stack_environment

WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "policy.yml"
#: The step that gives a job each cloud's credentials.
CREDENTIALS = {"aws": "aws-actions/configure-aws-credentials@", "gcp": "google-github-actions/auth@"}


def _substrates(stack: str) -> set[str]:
    return {next(iter(pool["substrate"])) for pool in stack_environment(stack)["pools"]}


def _job() -> dict[str, Any]:
    job: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["engine-preview"]
    return job


def test_every_previewed_stack_gets_its_own_clouds_credentials() -> None:
    job = _job()
    entries = job["strategy"]["matrix"]["include"]
    for entry in entries:
        assert _substrates(entry["stack"]) == {entry["cloud"]}, f"{entry['stack']} is not an {entry['cloud']} stack"
    for cloud, action in CREDENTIALS.items():
        (step,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith(action)]
        assert f"matrix.cloud == '{cloud}'" in step["if"], f"{action} runs for other clouds' stacks too"
    preview = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("pulumi/actions@"))
    assert "env.READY == 'true'" in preview["if"]  # a cloud without credentials is skipped, not failed


def test_every_cloud_stack_is_previewed() -> None:
    previewed = {e["stack"] for e in _job()["strategy"]["matrix"]["include"]}
    for path in sorted(STACKS.glob("Pulumi.*.yaml")):
        stack = path.name[len("Pulumi.") : -len(".yaml")]
        kinds = _substrates(stack)
        if kinds <= set(CREDENTIALS) and len(kinds) == 1:
            assert stack in previewed, f"{stack} is a cloud stack the workflow never previews"
