"""Benchmark `strata plan` against the floor: the same number of bare resources, same mocks.

For each size (10, 100, 300 clusters) a generated environment is planned in a fresh process, and
in other fresh processes two floors register as many resources as that plan registered, through
the very same offline runner (mocks + recording monitor):

- ``bare``: a custom resource with no inputs at all — the SDK's cost per resource, nothing more;
- ``bucket``: an ``aws.s3.Bucket`` with no inputs set — the floor FACTS.md measured.

Each is run ``--repeat`` times, interleaved; the medians of wall time (the run itself, imports
excluded) and of peak RSS (whole process, same modules loaded) are compared. A JSON line per size
and then the results table (Markdown, as in bench/RESULTS.md) are printed on stdout. No file is
written unless asked: ``--write-results PATH`` also puts the table in place of the one between the
results markers of PATH (appended where PATH has none, a new file where there is none), e.g.
``--write-results bench/RESULTS.md`` to update the committed results.

    .venv/bin/python bench/plan_bench.py [--sizes 10 100 300] [--repeat 3] [--write-results PATH]

The quickest run: ``--sizes 10 --repeat 1``.
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
MARKER_START, MARKER_END = "<!-- results:start -->", "<!-- results:end -->"


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
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 300], help="clusters per environment")
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per measurement (median)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument(
        "--write-results",
        type=Path,
        metavar="PATH",
        help="also write the table into PATH, in place of the one between its results markers "
        "(default: stdout only, no file written)",
    )
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
    block = results_block(rows, args.repeat)
    print(f"\n{block}")
    if args.write_results is not None:
        write_results(args.write_results, block)
        print(f"written to {args.write_results}", file=sys.stderr)


def results_block(rows: list[dict[str, Any]], repeat: int) -> str:
    """The results table with its header, between the markers that ``write_results`` replaces."""
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
    header = (
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} ({platform.python_version()}), "
        f"median of {repeat} fresh processes each, plan and floor interleaved.\n\n"
    )
    return f"{MARKER_START}\n{header}{table}\n{MARKER_END}"


def write_results(out: Path, block: str) -> None:
    """Put ``block`` in place of the results between the markers of ``out``; append it to a file
    without markers, make a new file of it where there is none."""
    if not out.exists():
        text = f"# Benchmark results\n\n{block}\n"
    else:
        text = out.read_text()
        if MARKER_START in text and MARKER_END in text:
            text = text[: text.index(MARKER_START)] + block + text[text.index(MARKER_END) + len(MARKER_END) :]
        else:
            text = f"{text.rstrip()}\n\n{block}\n"
    out.write_text(text)


if __name__ == "__main__":
    main()
