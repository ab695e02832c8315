"""Run Checkov's Terraform resource checks on Strata's offline Pulumi preview.

    .venv/bin/strata plan eu-prod-gcp --format preview-json | .venv-checkov/bin/python tools/checkov_scan.py

Run it with the Python of the separate Checkov venv (``.venv-checkov``): checkov 3.3.30 pins
``packaging<24`` and pulumi 3.272 needs ``packaging>=26``, so the two cannot share ``.venv``. It
imports nothing of Strata or Pulumi; the preview document (``strata plan --format preview-json``)
comes in on stdin and the verdicts go out on stdout as JSON, one object per (resource, check)::

    [{"resource": "payments-gke", "type": "google_container_cluster", "check": "CKV_GCP_12",
      "name": "Ensure Network Policy is enabled on Kubernetes Engine Clusters", "result": "PASSED"}, ...]

What it guarantees:

* Every step whose ``newState.type`` is a key of ``TYPES`` is converted and checked (by the last
  ``::`` part of its URN); steps of any other type are ignored.
* Every Terraform resource check Checkov registers for the converted type is run once, on its own
  deep copy of the conf (checks may mutate it). A type with no registered check is an error, so a
  Checkov upgrade that renames or drops a type cannot turn the scan into a silent no-op.
* A check that raises is reported, not hidden: Checkov's ``Registry.scan`` turns an exception into
  UNKNOWN, so this calls each check's ``run`` itself and on an exception prints the check, the
  resource and the traceback on stderr and exits with status 2. ``result`` is therefore always one
  of PASSED, FAILED or UNKNOWN (a check's own "cannot tell", e.g. a value that is unknown in preview).
* Only single-resource checks run: Checkov's graph checks (``CKV2_*``) need its graph and are not run.
* The output is sorted by type, resource and check id, so two runs on one preview print the same.

How Pulumi engine inputs (camelCase JSON) become the conf Checkov's HCL parser would hand a check
(the shape was compared with the conf Checkov parses from equivalent ``.tf`` files):

* keys: camelCase becomes snake_case (``masterIpv4CidrBlock`` -> ``master_ipv4_cidr_block``), except
  the list-of-block fields Pulumi pluralises, renamed by ``PLURAL_BLOCKS`` (``taints`` -> ``taint``,
  ``guestAccelerators`` -> ``guest_accelerator``, ``nodePools`` -> ``node_pool``). Names that are
  plural in Terraform too (``oauthScopes``, ``subnetIds``) only change case.
* a scalar is wrapped in a list: ``"ADVANCED_DATAPATH"`` -> ``["ADVANCED_DATAPATH"]``; an integral
  float becomes an int (the engine sends ``1.0``), the strings ``"true"``/``"false"`` (any case) become
  bools (as Checkov's loader does), and the engine's unknown-value sentinel becomes ``"var.pulumi_unknown"``,
  which Checkov treats as a variable it cannot resolve.
* an object is a block: a list of one converted dict. A list of objects is one dict per block.
* a list of scalars is wrapped once (``[["a", "b"]]``, string lists sorted as Checkov sorts them);
  an empty list is ``[[]]``.
* a label/tag map (``MAP_ATTRIBUTES``) is a list of one dict whose keys are kept verbatim and whose
  values are converted like scalars but not wrapped.

The two tables are the only schema knowledge here: a new pluralised block or map attribute in a
provider release must be added to them by hand.
"""

from __future__ import annotations

import copy
import json
import re
import sys
import traceback
from typing import Any

import checkov.terraform.checks.resource  # noqa: F401  (importing it registers every Terraform resource check)
from checkov.common.models.enums import CheckResult
from checkov.terraform.checks.resource.registry import resource_registry

#: The Pulumi types scanned, and the Terraform type whose checks judge them.
TYPES: dict[str, str] = {
    "gcp:container/cluster:Cluster": "google_container_cluster",
    "gcp:container/nodePool:NodePool": "google_container_node_pool",
    "aws:eks/cluster:Cluster": "aws_eks_cluster",
    "aws:eks/nodeGroup:NodeGroup": "aws_eks_node_group",
    "aws:ec2/launchTemplate:LaunchTemplate": "aws_launch_template",
}
#: Repeated blocks whose Terraform name is singular but which Pulumi's bridge pluralises.
PLURAL_BLOCKS: dict[str, str] = {"taints": "taint", "guestAccelerators": "guest_accelerator", "nodePools": "node_pool"}
#: Map-typed attributes (snake_case): one dict of raw keys, not a block.
MAP_ATTRIBUTES = frozenset({"labels", "resource_labels", "metadata", "tags", "tags_all", "resource_manager_tags"})
PULUMI_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_AS = "var.pulumi_unknown"
Conf = dict[str, list[Any]]


def snake(key: str) -> str:
    return PLURAL_BLOCKS.get(key) or re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def scalar(value: Any) -> Any:
    if value == PULUMI_UNKNOWN:
        return UNKNOWN_AS
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def block(inputs: dict[str, Any]) -> Conf:
    """One block of Pulumi inputs as Checkov's conf of the equivalent HCL block."""
    conf: Conf = {}
    for key, value in inputs.items():
        name = snake(key)
        if name in MAP_ATTRIBUTES and isinstance(value, dict):
            conf[name] = [{k: scalar(v) for k, v in value.items()}]
        elif isinstance(value, dict):
            conf[name] = [block(value)]
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            conf[name] = [block(item) for item in value]
        elif isinstance(value, list):
            items = [scalar(item) for item in value]
            conf[name] = [sorted(items) if all(isinstance(item, str) for item in items) else items]
        else:
            conf[name] = [scalar(value)]
    return conf


def _check_order(check_id: str) -> tuple[str, int]:
    prefix, _, number = check_id.rpartition("_")
    return (prefix, int(number) if number.isdigit() else 0)


def scan(preview: dict[str, Any]) -> list[dict[str, str]]:
    """Every registered check on every resource of ``TYPES`` in ``preview``; raises if a check raises."""
    results: list[dict[str, str]] = []
    for step in preview.get("steps", []):
        state = step.get("newState") or {}
        tf_type = TYPES.get(state.get("type", ""))
        if tf_type is None:
            continue
        name = state["urn"].rpartition("::")[2]
        conf = block(state.get("inputs") or {})
        checks = resource_registry.get_checks(tf_type)
        if not checks:
            raise LookupError(f"Checkov registers no resource check for {tf_type}")
        for check in checks:
            try:
                outcome = check.run("pulumi-preview", copy.deepcopy(conf), name, tf_type, {})
            except Exception as error:
                raise RuntimeError(f"Checkov check {check.id} raised on {tf_type}.{name}") from error
            result = outcome["result"]
            verdict = result[0] if isinstance(result, tuple) else result
            if verdict not in (CheckResult.PASSED, CheckResult.FAILED, CheckResult.UNKNOWN):
                raise RuntimeError(f"Checkov check {check.id} returned {verdict} on {tf_type}.{name}")
            results.append(
                {"resource": name, "type": tf_type, "check": check.id, "name": check.name, "result": verdict.name}
            )
    return sorted(results, key=lambda r: (r["type"], r["resource"], _check_order(r["check"])))


def main() -> int:
    try:
        results = scan(json.load(sys.stdin))
    except (LookupError, RuntimeError):
        traceback.print_exc()
        return 2
    json.dump(results, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
