"""The policy pack never outlives `strata check`: not where SIGINT is ignored (``nohup``, a background
job in a script), not when the CLI is interrupted (SIGINT) or terminated (SIGTERM, SIGHUP), and not a
pack that ignores SIGTERM or has children of its own.

Every run carries a unique marker in its environment, which the pack and its children inherit; a
process still carrying it after the CLI has been reaped is a leak. Linux only: read from /proc."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path

import pytest

from strata import analyzer
from strata.analyzer import running_pack

ROOT = Path(__file__).resolve().parents[1]
MARKER = "STRATA_TEST_MARKER"

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").is_file(), reason="reads processes from /proc")

#: Sets SIGINT as asked ("ignore" or "default"), SIGTERM and SIGHUP to their defaults (whatever
#: the test run has), then becomes the command that follows; an ignored signal stays ignored
#: across exec, as under nohup or in a background job.
TRAMPOLINE = (
    "import os, signal, sys\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN if sys.argv[1] == 'ignore' else signal.SIG_DFL)\n"
    "signal.signal(signal.SIGTERM, signal.SIG_DFL)\n"
    "signal.signal(signal.SIGHUP, signal.SIG_DFL)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)

#: A pack that starts a child of its own, serves the analyzer protocol and never answers
#: GetAnalyzerInfo, the check's first call after the plan: a check stalled on its pack. It writes
#: ``ready`` into its directory once serving and ``asked`` once asked.
STALLING_PACK = """\
import signal, subprocess, sys, time
from concurrent import futures
from pathlib import Path

import grpc
from pulumi.runtime.proto import analyzer_pb2_grpc

if {ignore_term}:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # inherited by the child too
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])


class Stalling(analyzer_pb2_grpc.AnalyzerServicer):
    def GetAnalyzerInfo(self, request, context):
        Path("asked").write_text("")
        time.sleep(300)


server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
analyzer_pb2_grpc.add_AnalyzerServicer_to_server(Stalling(), server)
port = server.add_insecure_port("127.0.0.1:0")
server.start()
Path("ready").write_text("")
print(port, flush=True)
time.sleep(300)
"""


def _marked(marker: str) -> dict[int, str]:
    """The live processes carrying ``marker`` in their environment, with their command lines."""
    entry = f"{MARKER}={marker}".encode()
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{name}/environ").read_bytes()  # empty for a zombie
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
        except OSError:  # gone meanwhile
            continue
        if entry in environ.split(b"\0"):
            found[int(name)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return found


def _packs(marker: str) -> dict[int, str]:
    return {pid: cmd for pid, cmd in _marked(marker).items() if "pulumi.policy" in cmd}


def _eventually(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def marker() -> Iterator[str]:
    """A fresh marker; whatever still carries it at the end (a failed test) is killed."""
    value = uuid.uuid4().hex
    yield value
    for pid in _marked(value):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _stalling_pack(directory: Path, *, ignore_term: bool = False) -> Path:
    directory.mkdir()
    (directory / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (directory / "__main__.py").write_text(STALLING_PACK.format(ignore_term=ignore_term))
    return directory


def _start_check(marker: str, sigint: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", TRAMPOLINE, sigint, sys.executable, "-m", "strata.cli", "check", "fra-onprem", *args],
        cwd=ROOT,
        env={**os.environ, MARKER: marker},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_check_with_sigint_ignored_leaves_no_pack_behind(marker: str) -> None:
    cli = _start_check(marker, "ignore", "--format", "json", "--as-of", "2026-11-23")
    out, err = cli.communicate(timeout=60)
    assert cli.returncode == 0, err
    assert '"violations": []' in out  # the pack did run and judge
    assert _eventually(lambda: not _marked(marker), 5), f"left running: {_marked(marker)}"


@pytest.mark.parametrize(
    ("signum", "when", "code"),
    [
        # while the program is planned, the pack booted; SIGTERM and SIGHUP still end the CLI at once
        (signal.SIGTERM, "ready", -signal.SIGTERM),
        (signal.SIGHUP, "ready", -signal.SIGHUP),
        # stalled on the pack, past the plan: Ctrl-C is "interrupted"
        (signal.SIGINT, "asked", 130),
    ],
    ids=["SIGTERM-while-planning", "SIGHUP-while-planning", "SIGINT-while-stalled-on-the-pack"],
)
def test_a_signalled_check_stops_its_pack_and_the_packs_children(
    marker: str, tmp_path: Path, signum: int, when: str, code: int
) -> None:
    pack = _stalling_pack(tmp_path / "pack")
    cli = _start_check(marker, "default", "--policy-pack", str(pack))
    try:
        assert _eventually(lambda: (pack / when).exists(), 30), f"the pack never got {when}"
        assert len(_packs(marker)) == 1 and len(_marked(marker)) == 3  # the CLI, the pack and its child
        cli.send_signal(signum)
        _, err = cli.communicate(timeout=30)
    finally:
        cli.kill()
        cli.wait()
    assert cli.returncode not in (0, 1), err  # an interrupted check is never a verdict
    assert cli.returncode == code, err
    assert _eventually(lambda: not _marked(marker), 5), f"left running: {_marked(marker)}"


def test_a_pack_that_ignores_sigterm_is_killed_after_the_grace_with_its_children(
    marker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(analyzer, "STOP_GRACE_SECONDS", 0.5)
    monkeypatch.setenv(MARKER, marker)
    pack = _stalling_pack(tmp_path / "pack", ignore_term=True)
    with running_pack(pack):
        assert _eventually(lambda: (pack / "ready").exists(), 30), "the pack never started"
        assert len(_marked(marker)) == 2  # the pack and its child, both ignoring SIGTERM
        start = time.monotonic()
    # running_pack returns only once the pack is reaped and its group has had SIGKILL
    assert 0.5 <= time.monotonic() - start < 5
    assert _eventually(lambda: not _marked(marker), 5), f"left running: {_marked(marker)}"


#: A team program that registers resources from inside apply callbacks (in the event loop's
#: tasks, where a KeyboardInterrupt used to strand the run) for several seconds, after writing
#: ``planning`` into its directory.
SLOW_PROGRAM = """\
import time
from pathlib import Path

import pulumi
import pulumi_random as random

Path("planning").write_text("")


def more(i):
    for j in range(15):
        time.sleep(0.01)
        random.RandomPet(f"pet-{i}-{j}")
    return i


for i in range(10):
    pulumi.Output.from_input(i).apply(more)
"""


@pytest.mark.parametrize("sigint", ["default", "ignore"])
def test_ctrl_c_while_a_program_is_planned_ends_the_check(marker: str, tmp_path: Path, sigint: str) -> None:
    """Interrupted while the program runs under mocks, the check ends (130) and its pack with it,
    instead of waiting forever for a registration the interrupt cut off; with SIGINT ignored the
    check runs to its end."""
    project = tmp_path / "team"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: team\nruntime: python\n")
    (project / "__main__.py").write_text(SLOW_PROGRAM)
    (project / "Pulumi.dev.yaml").write_text("config: {}\n")
    cli = subprocess.Popen(
        [
            sys.executable,
            "-c",
            TRAMPOLINE,
            sigint,
            sys.executable,
            "-m",
            "strata.cli",
            "check",
            str(project / "Pulumi.dev.yaml"),
            "--format",
            "json",
        ],
        cwd=ROOT,
        env={**os.environ, MARKER: marker},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert _eventually(lambda: (project / "planning").exists(), 30)
    time.sleep(0.3)  # well inside the registrations (about one and a half seconds of them)
    cli.send_signal(signal.SIGINT)
    out, err = cli.communicate(timeout=60)
    assert cli.returncode == (130 if sigint == "default" else 0), err[-2000:]
    if sigint == "ignore":
        assert '"resources": 151' in out  # 150 pets and the stack
    assert _eventually(lambda: not _marked(marker), 5), f"left running: {_marked(marker)}"
