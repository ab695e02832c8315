"""Benchmark `strata check` against `strata plan` alone, and the analyzer protocol's cost.

1. Plan vs check: the generated 300-cluster environment of plan_bench.py (~3500 resources) is
   planned, and checked (plan + starting the pack + Configure + Analyze per resource +
   AnalyzeStack), each in fresh processes, median of ``--repeat``. Target: check ≤ 1.3× plan.
2. Protocol vs direct: on the same recorded resources, the time per resource of ``Analyze`` over
   gRPC against calling every resource rule's validate function in-process, and the time of
   ``AnalyzeStack`` against calling the stack rules directly.

The results are printed on stdout as one JSON document; no file is written.

    .venv/bin/python bench/check_bench.py [--clusters 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from plan_bench import environment  # noqa: E402

ROOT = HERE.parent
TODAY = dt.date(2026, 11, 23)


def _child(mode: str, path: str) -> None:
    import pulumi_aws as aws
    import pulumi_kubernetes as k8s

    import strata.drivers.aws
    from strata.analyzer import analyze, pack_policies, reconcile_config, running_pack
    from strata.cli import StackRef, plan_stack

    for cls in (aws.ec2.Vpc, aws.eks.Cluster, aws.iam.Role, aws.kms.Key, k8s.Provider):
        assert cls is not None and strata.drivers.aws is not None
    start = time.perf_counter()
    verdicts = 0
    if mode == "check":  # as `strata check` does it: the pack boots while the program is planned
        with running_pack(ROOT / "policies") as stub:
            planned = plan_stack(StackRef(Path(path), "bench"), TODAY)
            config = reconcile_config(pack_policies(stub), {})
            verdicts = len(analyze(stub, planned.run, config))
    else:
        planned = plan_stack(StackRef(Path(path), "bench"), TODAY)
    print(
        json.dumps(
            {"seconds": time.perf_counter() - start, "resources": len(planned.run.registrations), "verdicts": verdicts}
        )
    )


def _spawn(mode: str, path: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, path], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def protocol_vs_direct(path: Path) -> dict[str, float]:
    """Per-resource Analyze over gRPC vs the rule functions called directly, on one recorded run."""
    from google.protobuf import json_format
    from pulumi.runtime.proto import analyzer_pb2
    from pulumi_policy import (
        PolicyCustomTimeouts,
        PolicyResourceOptions,
        ResourceValidationArgs,
        ResourceValidationPolicy,
        StackValidationArgs,
        StackValidationPolicy,
    )
    from pulumi_policy.deserialize import deserialize_properties
    from pulumi_policy.policy import PolicyResource
    from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

    from strata.analyzer import _configure_request, _provider_ref, pack_policies, reconcile_config, running_pack
    from strata.cli import StackRef, plan_stack
    from strata.policy.pack import RULES

    run = plan_stack(StackRef(path, "bench"), TODAY).run
    regs = run.registrations
    with running_pack(ROOT / "policies") as stub:
        config = reconcile_config(pack_policies(stub), {})
        stub.Configure(_configure_request(config))
        requests = []
        for reg in regs:
            req = analyzer_pb2.AnalyzeRequest(type=reg.type, properties=reg.raw_inputs, urn=reg.urn, name=reg.name)
            if (p := _provider_ref(run.registration, reg)) is not None:
                req.provider.CopyFrom(p)
            requests.append(req)
        t = time.perf_counter()
        for req in requests:
            stub.Analyze(req)
        grpc_per = (time.perf_counter() - t) / len(requests)
        from strata.analyzer import _analyzer_resource

        stack_req = analyzer_pb2.AnalyzeStackRequest(resources=[_analyzer_resource(run, r) for r in regs])
        t = time.perf_counter()
        stub.AnalyzeStack(stack_req)
        grpc_stack = time.perf_counter() - t

    def noop(message: str, urn: str | None = None) -> None:
        return None

    props = [unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(r.raw_inputs))) for r in regs]
    resource_rules = [(m, p) for m, p in RULES if isinstance(p, ResourceValidationPolicy)]
    stack_rules = [(m, p) for m, p in RULES if isinstance(p, StackValidationPolicy)]
    opts = PolicyResourceOptions(False, [], False, [], PolicyCustomTimeouts(0, 0, 0), [])
    t = time.perf_counter()
    for reg, pr in zip(regs, props, strict=True):
        for meta, policy in resource_rules:
            args = ResourceValidationArgs(reg.type, pr, reg.urn, reg.name, opts, None, config[meta.name], {})
            with contextlib.suppress(UnknownValueError):
                policy.validate(args, noop)
    direct_per = (time.perf_counter() - t) / len(regs)
    resources = [
        PolicyResource(r.type, pr, r.urn, r.name, opts, None, None, [], {}) for r, pr in zip(regs, props, strict=True)
    ]
    t = time.perf_counter()
    for meta, policy in stack_rules:
        with contextlib.suppress(UnknownValueError):
            policy.validate(StackValidationArgs(resources, config[meta.name], {}), noop)
    direct_stack = time.perf_counter() - t
    return {
        "resources": len(regs),
        "grpc_ms_per_resource": grpc_per * 1000,
        "direct_ms_per_resource": direct_per * 1000,
        "grpc_stack_s": grpc_stack,
        "direct_stack_s": direct_stack,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clusters", type=int, default=300, help="clusters in the generated environment")
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per measurement (median)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Pulumi.bench.yaml"
        path.write_text(yaml.safe_dump({"config": {"platform:environment": environment(args.clusters)}}))
        plans, checks = [], []
        for _ in range(args.repeat):
            plans.append(_spawn("plan", str(path)))
            checks.append(_spawn("check", str(path)))
        row = {
            "clusters": args.clusters,
            "resources": plans[0]["resources"],
            "plan_s": statistics.median(p["seconds"] for p in plans),
            "check_s": statistics.median(c["seconds"] for c in checks),
            "verdicts": checks[0]["verdicts"],
        }
        row["ratio"] = row["check_s"] / row["plan_s"]
        row.update(protocol_vs_direct(path))
    print(json.dumps(row, indent=2))


if __name__ == "__main__":
    main()
