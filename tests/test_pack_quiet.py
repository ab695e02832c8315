"""gRPC's C core says nothing on a check's stderr: a clean `strata check` writes nothing there, and a
pack that fails shows its own traceback, not the C core's log lines around it. A caller that set
GRPC_VERBOSITY or GRPC_TRACE gets the logs it asked for."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from strata import analyzer
from strata.analyzer import PackError, pack_policies, running_pack

ROOT = Path(__file__).resolve().parents[1]
GRPC_LOG_SETTINGS = ("GRPC_VERBOSITY", "GRPC_TRACE")

#: A line of the C core's log (absl: ``I1201 20:09:47.623298   13540 fork_posix.cc:71] ...``, or
#: ``E0000 00:00:1744377140.613412 35892123 init.cc:229] ...`` before absl is initialized), or one
#: of the messages that come with it.
GRPC_NOISE = re.compile(
    r"^[IWEF]\d{4} [\d:.]+ +\d+ \S+:\d+\]|absl::InitializeLog|fork_posix|Fork support|ev_poll_posix|ev_epoll",
    re.MULTILINE,
)

#: A pack that crashes while loading, after forking while gRPC serves: each fork makes the C core
#: log "Other threads are currently calling into gRPC, skipping fork() handlers" at its default
#: verbosity.
FORKING_CRASHING_PACK = """\
import os
from concurrent import futures

import grpc

server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
server.add_insecure_port("127.0.0.1:0")
server.start()
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
raise RuntimeError("a bug in the pack")
"""


def _environ_without_grpc_logs() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in GRPC_LOG_SETTINGS}


def test_clean_checks_write_nothing_on_stderr() -> None:
    """A cloud and a bare-metal stack, text and JSON, checked at once (as on a busy CI machine).
    Two runs only, some 3 s of the suite: this keeps the noise away rather than hunting it, which
    took hundreds of runs without one."""
    runs = [("eu-prod", "text"), ("fra-onprem", "json")]
    env = _environ_without_grpc_logs()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "strata.cli", "check", stack, "--format", fmt, "--as-of", "2026-11-23"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for stack, fmt in runs
    ]
    for (stack, fmt), proc in zip(runs, procs, strict=True):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, (stack, err[-2000:])
        assert "0 mandatory" in out or '"violations": []' in out, (stack, fmt)
        assert not GRPC_NOISE.search(err), (stack, fmt, err[-2000:])
        assert err == "", (stack, fmt, err[-2000:])


def _forking_crashing_pack(directory: Path) -> Path:
    directory.mkdir()
    (directory / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (directory / "__main__.py").write_text(FORKING_CRASHING_PACK)
    return directory


def test_a_failing_pack_shows_its_traceback_and_no_grpc_log_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in GRPC_LOG_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    pack = _forking_crashing_pack(tmp_path / "pack")
    with pytest.raises(PackError) as failed, running_pack(pack) as stub:
        pack_policies(stub)
    message = str(failed.value)
    assert "did not start" in message
    assert "Traceback (most recent call last)" in message and "RuntimeError: a bug in the pack" in message
    assert not GRPC_NOISE.search(message), message


def test_grpc_logs_stay_for_whoever_asked_for_them() -> None:
    quiet = _environ_without_grpc_logs()
    assert analyzer.pack_environment(quiet)["GRPC_VERBOSITY"] == "NONE"
    assert analyzer.pack_environment(quiet)["PYTHONUNBUFFERED"] == "1"
    assert analyzer.pack_environment({**quiet, "GRPC_VERBOSITY": "debug"})["GRPC_VERBOSITY"] == "debug"
    assert "GRPC_VERBOSITY" not in analyzer.pack_environment({**quiet, "GRPC_TRACE": "http"})
