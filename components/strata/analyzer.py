"""Drive a policy pack offline through the analyzer gRPC protocol, as the Pulumi engine does.

The pack runs as the engine starts it — ``python -u -m pulumi.policy <engine-address> <pack-dir>``
with the pack directory as working directory, the port read from the first line of its stdout —
and is asked the same RPCs: GetAnalyzerInfo, Configure, Analyze for every resource, AnalyzeStack.
Like the CLI (``ReconcilePolicyPackConfig``), this driver applies each policy's schema defaults and
enforcement level before Configure and rejects config the schemas do not allow, because the SDK
does neither and a mandatory rule would otherwise silently turn advisory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from strata.declarations.errors import Problem, SpecError
from strata.offline import STACK_TYPE, OfflineRun, Registration

#: Analyze calls kept in flight at once (the pack serves four at a time).
IN_FLIGHT = 16
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

    def stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        if self._stub is None:
            assert self.proc.stdout is not None and self.proc.stderr is not None
            port_line = self.proc.stdout.readline().strip()
            err, out = self.proc.stderr, self.proc.stdout
            threading.Thread(target=lambda: self.stderr.extend(err), daemon=True).start()
            threading.Thread(target=lambda: [None for _ in out], daemon=True).start()
            if not port_line.isdigit():
                self.proc.wait(timeout=10)
                raise PackError(f"policy pack {self.pack_dir} did not start: {port_line!r} {self.tail()}")
            self.channel = grpc.insecure_channel(f"127.0.0.1:{port_line}", options=_CHANNEL_OPTIONS)
            self._stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        return self._stub

    def tail(self) -> str:
        return "".join(self.stderr)[-2000:]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stub(), name)


_CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 400 * 1024 * 1024),
    ("grpc.max_send_message_length", 400 * 1024 * 1024),
]


@contextmanager
def running_pack(pack_dir: Path, python: str | None = None) -> Iterator[Any]:
    """Start the pack as the engine does and yield a connection that behaves as its
    ``AnalyzerStub`` (connecting on first call); stop the pack afterwards."""
    pack_dir = pack_dir.resolve()
    if not (pack_dir / "PulumiPolicy.yaml").is_file():
        raise SpecError([Problem("--policy-pack", "not a policy pack: no PulumiPolicy.yaml", str(pack_dir))])
    proc = subprocess.Popen(
        [python or sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(pack_dir)],
        cwd=pack_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    conn = _PackConnection(proc, pack_dir)
    try:
        yield conn
    except grpc.RpcError as err:
        raise PackError(f"policy pack failed: {err} {conn.tail()}") from err
    finally:
        if conn.channel is not None:
            conn.channel.close()
        proc.send_signal(signal.SIGINT)  # the SDK's server stops cleanly on SIGINT
        threading.Thread(target=_reap, args=(proc,), daemon=True).start()


def _reap(proc: subprocess.Popen[str]) -> None:
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


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
