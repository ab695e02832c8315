"""Drive a policy pack offline through the analyzer gRPC protocol, as the Pulumi engine does.

The pack runs as the engine starts it — ``python -u -m pulumi.policy <engine-address> <pack-dir>``
with the pack directory as working directory, the port read from the first line of its stdout —
and is asked the same RPCs: GetAnalyzerInfo, Configure, Analyze for every resource, AnalyzeStack.
The pack runs in a session (process group) of its own and never outlives the check: on the way out,
whatever the way (a return, an exception, Ctrl-C, SIGTERM to the CLI), its whole group gets SIGTERM,
then SIGKILL after a short grace, and the pack is reaped before ``running_pack`` returns.
Like the CLI (``ReconcilePolicyPackConfig``), this driver applies each policy's schema defaults and
enforcement level before Configure and rejects config the schemas do not allow, because the SDK
does neither and a mandatory rule would otherwise silently turn advisory.
The pack's gRPC C core logs nothing unless asked to (see ``pack_environment``): what goes wrong in
the pack reaches the check as a failed call or as the pack's own Python traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from strata.declarations.errors import Problem, SpecError
from strata.offline import STACK_TYPE, OfflineRun, Registration

#: Analyze calls kept in flight at once (the pack serves four at a time).
IN_FLIGHT = 16
#: Seconds the pack's process group has between SIGTERM and SIGKILL (the pack stops at once on SIGTERM).
STOP_GRACE_SECONDS = 3.0
LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "disabled": analyzer_pb2.DISABLED,
    "remediate": analyzer_pb2.REMEDIATE,
}
LEVEL_NAMES = {v: k for k, v in LEVELS.items()}
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "array": (list,),
    "object": (dict,),
}


@dataclass(frozen=True)
class Verdict:
    """One diagnostic of the pack: a violation (mandatory or advisory) of a named policy."""

    policy: str
    level: str
    urn: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"policy": self.policy, "level": self.level, "urn": self.urn, "message": self.message}


@dataclass(frozen=True)
class PolicyInfo:
    name: str
    level: str
    schema: dict[str, Any]


class PackError(RuntimeError):
    """The pack could not be started or crashed; a check must fail loudly, never pass."""


class _PackConnection:
    """The started pack process; connects on first use, so the pack boots while the caller works."""

    def __init__(self, proc: subprocess.Popen[str], pack_dir: Path) -> None:
        self.proc = proc
        self.pack_dir = pack_dir
        self.stderr: list[str] = []
        self.channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._reading = False

    def stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        if self._stub is None:
            assert self.proc.stdout is not None and self.proc.stderr is not None
            port_line = self.proc.stdout.readline().strip()
            err, out = self.proc.stderr, self.proc.stdout
            self._reading = True
            reader = threading.Thread(target=lambda: self.stderr.extend(err), daemon=True)
            reader.start()
            threading.Thread(target=lambda: [None for _ in out], daemon=True).start()
            if not port_line.isdigit():
                if _exited_within(self.proc, 10):  # not reaped: _stop_pack signals its group by the pack's pid
                    reader.join(1)  # its traceback is read to the end (a child it left may hold the pipe)
                raise PackError(f"policy pack {self.pack_dir} did not start: {port_line!r} {self.tail()}")
            self.channel = grpc.insecure_channel(f"127.0.0.1:{port_line}", options=_CHANNEL_OPTIONS)
            self._stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        return self._stub

    def tail(self) -> str:
        return "".join(self.stderr)[-2000:]

    def close(self) -> None:
        """Close the channel and stop the pack (see ``_stop_pack``)."""
        if self.channel is not None:
            self.channel.close()
        _stop_pack(self.proc)
        if not self._reading:  # nobody reads the pipes: close them (the readers end on EOF by themselves)
            for pipe in (self.proc.stdout, self.proc.stderr):
                if pipe is not None:
                    pipe.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stub(), name)


_CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 400 * 1024 * 1024),
    ("grpc.max_send_message_length", 400 * 1024 * 1024),
]


@contextmanager
def running_pack(pack_dir: Path, python: str | None = None) -> Iterator[Any]:
    """Start the pack as the engine does and yield a connection that behaves as its
    ``AnalyzerStub`` (connecting on first call); stop the pack afterwards.

    The pack runs in a session of its own, so that a terminal's Ctrl-C reaches the CLI only and the
    pack's whole process group can be stopped; that is done synchronously on the way out, nothing
    is left to a thread that would die with the CLI. SIGINT, SIGTERM and SIGHUP, where they have
    their default action, stop the pack at once (see ``_PackSignals``)."""
    pack_dir = pack_dir.resolve()
    if not (pack_dir / "PulumiPolicy.yaml").is_file():
        raise SpecError([Problem("--policy-pack", "not a policy pack: no PulumiPolicy.yaml", str(pack_dir))])
    signals = _PackSignals()
    with signals.installed():
        conn: _PackConnection | None = None
        try:
            with signals.deferred():  # an interrupt between the start and ``conn`` would leave the pack running
                proc = subprocess.Popen(
                    [python or sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(pack_dir)],
                    cwd=pack_dir,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=pack_environment(os.environ),
                    start_new_session=True,
                )
                conn = signals.conn = _PackConnection(proc, pack_dir)
            try:
                yield conn
            except grpc.RpcError as err:
                raise PackError(f"policy pack failed: {err} {conn.tail()}") from err
        finally:
            if conn is not None:
                with signals.deferred():  # a second Ctrl-C must not cut the stopping short
                    conn.close()


#: The settings that make gRPC's C core log what it is asked to (see gRPC's
#: doc/environment_variables.md); either one set means someone is debugging gRPC on purpose.
_GRPC_LOG_SETTINGS = ("GRPC_VERBOSITY", "GRPC_TRACE")


def pack_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The pack's environment: ``environ``, unbuffered, with gRPC's C core silenced.

    The pack's stderr is shown only when the pack fails (its last 2,000 characters), where the
    pack's own traceback must be what is read, not C-core log lines such as ``I1201 ...
    fork_posix.cc:71] Other threads are currently calling into gRPC, skipping fork() handlers``
    (one per fork while gRPC is busy; grpcio 1.71, unlike 1.85, precedes the first with absl's
    ``WARNING: All log messages before absl::InitializeLog() is called are written to STDERR``).
    ``GRPC_VERBOSITY=NONE`` turns off those and nothing else: a Python traceback, a rule's exception
    and an RPC's status are no C-core log lines. A caller that set ``GRPC_VERBOSITY`` or
    ``GRPC_TRACE`` itself, to debug gRPC, gets what it asked for."""
    env = {**environ, "PYTHONUNBUFFERED": "1"}
    if not any(environ.get(name) for name in _GRPC_LOG_SETTINGS):
        env["GRPC_VERBOSITY"] = "NONE"
    return env


def _stop_pack(proc: subprocess.Popen[str]) -> None:
    """SIGTERM the pack's process group, SIGKILL it after ``STOP_GRACE_SECONDS`` at the latest and
    reap the pack. The group gets SIGKILL in any case, for whatever the pack started and left behind;
    the pack is reaped only then, so that its pid, the group's id, cannot have been reused."""
    if proc.returncode is not None:  # reaped already: its pid may name another process now
        return
    _signal_group(proc, signal.SIGTERM)
    _exited_within(proc, STOP_GRACE_SECONDS)
    _signal_group(proc, signal.SIGKILL)
    proc.wait()


def _signal_group(proc: subprocess.Popen[str], signum: int) -> None:
    with suppress(ProcessLookupError):  # the group is gone already
        os.killpg(proc.pid, signum)  # the pack leads its own session, so its group id is its pid


def _exited_within(proc: subprocess.Popen[str], timeout: float) -> bool:
    """Whether the pack has exited within ``timeout`` seconds, leaving it unreaped (a zombie keeps
    its pid, and so its process group's id, from being reused)."""
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        try:
            if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
        except ChildProcessError:  # reaped already
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(delay, left))
        delay = min(delay * 2, 0.05)


#: The signals that stop the pack at once, each with the disposition it must have for that (any
#: other is the caller's: ignored, as under ``nohup``, or handled as the caller decides).
_STOPPING: dict[int, Any] = {
    signal.SIGINT: signal.default_int_handler,
    signal.SIGTERM: signal.SIG_DFL,
    signal.SIGHUP: signal.SIG_DFL,
}


class _PackSignals:
    """While the pack runs, SIGINT, SIGTERM and SIGHUP stop it from the signal handler itself, then
    act as they would have: SIGINT raises KeyboardInterrupt, SIGTERM and SIGHUP end the process.

    Stopping in the handler, rather than in a ``finally`` clause reached by an exception raised
    there, does not depend on the interrupted code unwinding: an interrupt while a Pulumi program
    runs under mocks can leave its event loop waiting forever. A process that SIGTERM or SIGHUP
    would have ended at once still ends at once, by the same signal. Only in the main thread (where
    handlers run), for the signals that have their default action (or the handler of an enclosing
    ``running_pack``, which is then chained); within ``deferred()`` they are held back and delivered
    after the block."""

    def __init__(self) -> None:
        self.conn: _PackConnection | None = None
        self._previous: dict[int, Any] = {}
        self._deferring = False
        self._deferred: list[int] = []

    @contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is threading.main_thread():
            for signum, default in _STOPPING.items():
                previous = signal.getsignal(signum)
                if previous is default or isinstance(getattr(previous, "__self__", None), _PackSignals):
                    self._previous[signum] = previous
                    signal.signal(signum, self._handle)
        try:
            yield
        finally:
            for signum, previous in self._previous.items():
                signal.signal(signum, previous)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        if self._deferring:  # within a deferring block already: it delivers them
            yield
            return
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
            pending, self._deferred = dict.fromkeys(self._deferred), []
            for signum in pending:
                signal.raise_signal(signum)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._deferring:
            self._deferred.append(signum)
            return
        if self.conn is not None:
            with self.deferred():
                _stop_pack(self.conn.proc)
        previous = self._previous[signum]
        if callable(previous):  # KeyboardInterrupt, or an enclosing running_pack's pack stopped too
            previous(signum, frame)
        else:  # end the process as the default action would have
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)


def pack_policies(stub: analyzer_pb2_grpc.AnalyzerStub) -> list[PolicyInfo]:
    info = stub.GetAnalyzerInfo(empty_pb2.Empty())
    out = []
    for p in info.policies:
        schema = json_format.MessageToDict(p.configSchema.properties) if p.HasField("configSchema") else {}
        out.append(PolicyInfo(p.name, LEVEL_NAMES[p.enforcementLevel], schema))
    return out


def reconcile_config(policies: list[PolicyInfo], user: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """What the CLI sends to Configure: every policy with its level and its schema defaults, the
    user's config on top (``{"policy": "mandatory"}`` or ``{"policy": {"enforcementLevel": ..., ...}}``,
    and ``all`` for every policy's level). Raises SpecError on config the schemas do not allow."""
    by_name = {p.name: p for p in policies}
    problems = [
        Problem(f"policyConfig.{k}", "no such policy in the pack", k) for k in user if k != "all" and k not in by_name
    ]
    default_level = user.get("all")
    if isinstance(default_level, dict):
        default_level = default_level.get("enforcementLevel")
    out: dict[str, dict[str, Any]] = {}
    for p in policies:
        given = user.get(p.name, {})
        if isinstance(given, str):
            given = {"enforcementLevel": given}
        level = given.get("enforcementLevel", default_level or p.level)
        if level not in LEVELS:
            problems.append(
                Problem(f"policyConfig.{p.name}.enforcementLevel", f"must be one of {', '.join(LEVELS)}", level)
            )
        props = {k: v["default"] for k, v in p.schema.items() if isinstance(v, dict) and "default" in v}
        for key, value in given.items():
            if key == "enforcementLevel":
                continue
            spec = p.schema.get(key)
            if spec is None:
                problems.append(
                    Problem(
                        f"policyConfig.{p.name}.{key}",
                        f"unknown setting; allowed: {', '.join(sorted(p.schema)) or 'none'}",
                        value,
                    )
                )
                continue
            wanted = _JSON_TYPES.get(spec.get("type", ""), (object,))
            if not isinstance(value, wanted) or (isinstance(value, bool) and bool not in wanted):
                problems.append(Problem(f"policyConfig.{p.name}.{key}", f"must be {spec.get('type')}", value))
                continue
            props[key] = value
        out[p.name] = {"enforcementLevel": level, **props}
    if problems:
        raise SpecError(problems, "policy config")
    return out


def _configure_request(config: dict[str, dict[str, Any]]) -> analyzer_pb2.ConfigureAnalyzerRequest:
    req = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, values in config.items():
        entry = req.policyConfig[name]
        entry.enforcementLevel = LEVELS[values["enforcementLevel"]]
        entry.properties.update({k: v for k, v in values.items() if k != "enforcementLevel"})
    return req


def _provider_ref(
    lookup: Callable[[str], Registration | None], reg: Registration
) -> analyzer_pb2.AnalyzerProviderResource | None:
    if not reg.provider:
        return None
    urn = reg.provider.rsplit("::", 1)[0]
    provider = lookup(urn)
    if provider is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider.type, properties=provider.raw_inputs, urn=provider.urn, name=provider.name
    )


def _analyzer_resource(run: OfflineRun, reg: Registration) -> analyzer_pb2.AnalyzerResource:
    res = analyzer_pb2.AnalyzerResource(
        type=reg.type,
        properties=reg.raw_inputs,
        urn=reg.urn,
        name=reg.name,
        # The engine parents top-level resources to the stack; default providers it makes have none.
        parent="" if reg.default_provider else (reg.parent or run.stack_urn),
        dependencies=list(reg.dependencies),
    )
    provider = _provider_ref(run.registration, reg)
    if provider is not None:
        res.provider.CopyFrom(provider)
    for key, urns in reg.property_dependencies.items():
        res.propertyDependencies[key].urns.extend(urns)
    return res


def _verdicts(response: analyzer_pb2.AnalyzeResponse, urn: str) -> list[Verdict]:
    # Resource diagnostics may come back without a URN: attach the one the request was about.
    return [
        Verdict(d.policyName, LEVEL_NAMES.get(d.enforcementLevel, "advisory"), d.urn or urn, d.message)
        for d in response.diagnostics
    ]


def _analyze_request(lookup: Callable[[str], Registration | None], reg: Registration) -> analyzer_pb2.AnalyzeRequest:
    req = analyzer_pb2.AnalyzeRequest(type=reg.type, properties=reg.raw_inputs, urn=reg.urn, name=reg.name)
    provider = _provider_ref(lookup, reg)
    if provider is not None:
        req.provider.CopyFrom(provider)
    return req


def analyze_stack(stub: Any, run: OfflineRun) -> list[Verdict]:
    stack = analyzer_pb2.AnalyzerResource(type=STACK_TYPE, urn=run.stack_urn, name=f"{run.project}-{run.stack}")
    resources = [stack, *(_analyzer_resource(run, r) for r in run.registrations)]
    return _verdicts(stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources)), "")


def analyze(stub: Any, run: OfflineRun, config: dict[str, dict[str, Any]]) -> list[Verdict]:
    """Configure the pack, then Analyze every resource and AnalyzeStack the whole, as the engine does."""
    stub.Configure(_configure_request(config))
    verdicts: list[Verdict] = []
    # Keep a window of calls in flight: the round trip, not the rules, is what an Analyze call costs.
    window: list[tuple[str, Any]] = []
    for reg in run.registrations:
        window.append((reg.urn, stub.Analyze.future(_analyze_request(run.registration, reg))))
        if len(window) >= IN_FLIGHT:
            urn, fut = window.pop(0)
            verdicts += _verdicts(fut.result(), urn)
    for urn, fut in window:
        verdicts += _verdicts(fut.result(), urn)
    return verdicts + analyze_stack(stub, run)
