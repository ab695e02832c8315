"""Benchmark: hostile stack files end as fast as a valid one, in as little memory.

Each input is planned by ``strata plan`` in a fresh process (``python -m strata.cli``), timed from
start to exit, with the process's peak RSS from ``wait4``; medians of ``--repeat`` runs,
interleaved. The floor is the same command on ``stacks/Pulumi.eu-prod.yaml`` (a valid plan). The
table is printed on stdout (Markdown); the only files written are the inputs, in a temporary directory.

    .venv/bin/python bench/bad_input_bench.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bomb(levels: int = 12) -> bytes:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return ("config:\n  platform:environment:\n" + "\n".join("    " + x for x in lines) + "\n").encode()


def _huge() -> bytes:
    return b"config:\n  platform:environment:\n    padding: '" + b"x" * (50 << 20) + b"'\n"


def _many() -> bytes:
    return b"config:\n  x: [" + b",".join(b"{a: 1, b: [1, 2]}" for _ in range(52_000)) + b"]\n"


def _deep() -> bytes:
    return b"config: " + b"[" * 900 + b"]" * 900 + b"\n"


INPUTS: dict[str, Callable[[], bytes]] = {
    "alias bomb (10^12 values expanded)": _bomb,
    "50 MB file": _huge,
    "1 MiB of 364,000 values": _many,
    "nesting 900 deep": _deep,
}


def _run(path: Path) -> tuple[float, float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "strata.cli", "plan", str(path), "--format", "json"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    return elapsed, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per input (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"valid plan (eu-prod): the floor": ROOT / "stacks" / "Pulumi.eu-prod.yaml"}
        for name, make in INPUTS.items():
            path = Path(tmp) / f"Pulumi.{len(paths)}.yaml"
            path.write_bytes(make())
            paths[name] = path
        runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in paths}
        for _ in range(args.repeat):
            for name, path in paths.items():
                runs[name].append(_run(path))
    floor_s = statistics.median(r[0] for r in runs["valid plan (eu-prod): the floor"])
    floor_mib = statistics.median(r[1] for r in runs["valid plan (eu-prod): the floor"])
    print(f"Median of {args.repeat} fresh processes each, interleaved ({sys.version.split()[0]}).\n")
    print("| input | exit | s | ÷ floor | peak MiB | ÷ floor |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, rs in runs.items():
        s = statistics.median(r[0] for r in rs)
        mib = statistics.median(r[1] for r in rs)
        codes = sorted({r[2] for r in rs})
        exits = ",".join(map(str, codes))
        print(f"| {name} | {exits} | {s:.2f} | {s / floor_s:.2f}× | {mib:.1f} | {mib / floor_mib:.2f}× |")


if __name__ == "__main__":
    main()
