"""Benchmark `strata plan` against the floor: the same number of bare resources, same mocks.

For each size (10, 100, 300 clusters) a generated environment is planned in a fresh process, and
in other fresh processes two floors register as many resources as that plan registered, through
the very same offline runner (mocks + recording monitor):

- ``bare``: a custom resource with no inputs at all — the SDK's cost per resource, nothing more;
- ``bucket``: an ``aws.s3.Bucket`` with no inputs set — the floor FACTS.md measured.

Each is run ``--repeat`` times, interleaved; the medians of wall time (the run itself, imports
excluded) and of peak RSS (whole process, same modules loaded) are compared. Results go to
bench/RESULTS.md.

    .venv/bin/python bench/plan_bench.py [--sizes 10 100 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CLUSTERS_PER_POOL = 10


def environment(clusters: int) -> dict[str, Any]:
    """``clusters`` clusters in pools of ten, each with a general pool and every fifth a GPU pool."""
    pools = []
    for p in range((clusters + CLUSTERS_PER_POOL - 1) // CLUSTERS_PER_POOL):
        members = []
        for c in range(p * CLUSTERS_PER_POOL, min(clusters, (p + 1) * CLUSTERS_PER_POOL)):
            node_pools = [{"name": "general", "machine": {"vcpus": 8, "memoryGib": 32}, "min": 3, "max": 6}]
            if c % 5 == 0:
                node_pools.append(
                    {"name": "gpu", "machine": {"vcpus": 8, "memoryGib": 32, "gpus": 1}, "min": 0, "max": 2}
                )
            members.append({"name": f"c{c:03d}", "version": "1.35" if c % 2 else "1.34", "nodePools": node_pools})
        pools.append(
            {
                "name": f"pool{p:02d}",
                "substrate": {"aws": {"region": "eu-central-1", "zones": 3}},
                "capacity": {"vcpus": 100000, "memoryGib": 400000, "gpus": 1000},
                "clusters": members,
            }
        )
    return {"name": "bench", "jurisdiction": "eu", "owner": "platform-team", "pools": pools}


def _child(mode: str, arg: str) -> None:
    """Runs in a fresh interpreter; prints one JSON line."""
    import datetime as dt

    import pulumi_aws as aws

    # Both modes load the same modules before the clock starts; only the work differs.
    import pulumi_aws.ec2
    import pulumi_aws.eks
    import pulumi_aws.iam
    import pulumi_aws.kms
    import pulumi_aws.s3

    import strata.drivers.aws
    import strata.program  # noqa: F401
    from strata.cli import StackRef, plan_stack
    from strata.offline import run_offline

    start = time.perf_counter()
    if mode == "plan":
        planned = plan_stack(StackRef(Path(arg), "bench"), dt.date(2026, 11, 23))
        count = len(planned.run.registrations)
    else:
        import pulumi

        n = int(arg)

        def floor() -> None:
            for i in range(n):
                if mode == "bucket":
                    aws.s3.Bucket(f"b{i}")
                else:
                    pulumi.CustomResource("bench:index:Bare", f"r{i}", {})

        run, _ = run_offline(floor, project="platform", stack="bench")
        count = len(run.registrations)
    seconds = time.perf_counter() - start
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mib": rss_mib, "resources": count}))


def _spawn(mode: str, arg: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, arg], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 300])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", nargs=2)
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"Pulumi.bench-{size}.yaml"
            path.write_text(yaml.safe_dump({"config": {"platform:environment": environment(size)}}))
            runs: dict[str, list[dict[str, float]]] = {"plan": [], "bare": [], "bucket": []}
            for _ in range(args.repeat):
                runs["plan"].append(_spawn("plan", str(path)))
                for floor in ("bare", "bucket"):
                    runs[floor].append(_spawn(floor, str(runs["plan"][-1]["resources"])))
            row: dict[str, Any] = {"clusters": size, "resources": runs["plan"][0]["resources"]}
            for mode, samples in runs.items():
                row[f"{mode}_s"] = statistics.median(x["seconds"] for x in samples)
                row[f"{mode}_mib"] = statistics.median(x["rss_mib"] for x in samples)
            rows.append(row)
            print(json.dumps(row), flush=True)
    write_results(args.out, rows, args.repeat)


def write_results(out: Path, rows: list[dict[str, Any]], repeat: int) -> None:
    lines = [
        "| clusters | resources | plan s | bucket floor s | **time ÷ bucket** | bare floor s | time ÷ bare "
        "| plan MiB | bucket MiB | **memory ÷ bucket** | bare MiB | memory ÷ bare |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['clusters']} | {r['resources']} | {r['plan_s']:.2f} | {r['bucket_s']:.2f} | "
            f"**{r['plan_s'] / r['bucket_s']:.2f}×** | {r['bare_s']:.2f} | {r['plan_s'] / r['bare_s']:.2f}× | "
            f"{r['plan_mib']:.0f} | {r['bucket_mib']:.0f} | **{r['plan_mib'] / r['bucket_mib']:.2f}×** | "
            f"{r['bare_mib']:.0f} | {r['plan_mib'] / r['bare_mib']:.2f}× |"
        )
    table = "\n".join(lines)
    marker_start, marker_end = "<!-- results:start -->", "<!-- results:end -->"
    header = (
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} ({platform.python_version()}), "
        f"median of {repeat} fresh processes each, plan and floor interleaved.\n\n"
    )
    block = f"{marker_start}\n{header}{table}\n{marker_end}"
    text = out.read_text() if out.exists() else f"# Benchmark results\n\n{block}\n"
    if marker_start in text:
        text = text[: text.index(marker_start)] + block + text[text.index(marker_end) + len(marker_end) :]
    out.write_text(text)


if __name__ == "__main__":
    main()
