"""Run a Strata program offline under Pulumi's mocks, recording what the engine would be asked.

This is how ``strata plan`` works without a Pulumi CLI, credentials or plugins: the program runs
in preview mode (outputs not known until apply stay unknown, as in ``pulumi preview``) and a
recording monitor keeps every registration with its type, inputs (secrets still marked), parent,
provider and dependencies, under the URN the engine would give it.

Invokes (account id, partition, zones, project number) have no cloud to ask; they return the
placeholder values in :data:`PLACEHOLDERS`, so inputs built from them are marked as such.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import posix
import runpy
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn, TypeVar

from google.protobuf import struct_pb2
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

T = TypeVar("T")

STACK_TYPE = "pulumi:pulumi:Stack"
#: What the engine sends for a value not known until apply.
UNKNOWN = rpc.UNKNOWN
#: Placeholder invoke results used offline, where no cloud answers.
PLACEHOLDERS = {"accountId": "000000000000", "projectNumber": "000000000000"}


@dataclass(frozen=True)
class Registration:
    """One resource the program registered, as the engine would receive it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    inputs: dict[str, Any]
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]
    additional_secret_outputs: tuple[str, ...]
    #: The inputs exactly as serialized for the engine (unknowns and secrets in wire form), which
    #: is what an analyzer receives.
    raw_inputs: struct_pb2.Struct = field(default_factory=struct_pb2.Struct, repr=False, compare=False)
    #: The provider package version the SDK sent with the registration (names default providers).
    version: str = ""
    #: A component built by a provider plugin (``helm.v4.Chart``, ``eks.Cluster``): it has a provider.
    remote: bool = False
    #: A provider the engine made for resources that named none (see :func:`with_default_providers`).
    default_provider: bool = False


@dataclass
class OfflineRun:
    """The result of one offline run."""

    project: str
    stack: str
    registrations: list[Registration] = field(default_factory=list)
    component_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    duplicate_urns: list[str] = field(default_factory=list)
    _by_urn: dict[str, Registration] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def stack_urn(self) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{STACK_TYPE}::{self.project}-{self.stack}"

    def registration(self, urn: str) -> Registration | None:
        if len(self._by_urn) != len(self.registrations):
            self._by_urn = {r.urn: r for r in self.registrations}
        return self._by_urn.get(urn)

    def by_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def counts_by_type(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.registrations:
            out[r.type] = out.get(r.type, 0) + 1
        return dict(sorted(out.items()))


def _zone_names(region: str, n: int, sep: str) -> list[str]:
    return [f"{region}{sep}{chr(ord('a') + i)}" for i in range(n)]


class PreviewMocks(pulumi_mocks.Mocks):
    """Mocks that behave like a preview: a created resource's outputs are its inputs, and what
    the provider computes stays unknown; invokes answer with documented placeholders."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        return "", dict(args.inputs)

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return self._answer(args.token, args.args), []

    def _answer(self, token: str, a: dict[str, Any]) -> dict[str, Any]:
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            acct = PLACEHOLDERS["accountId"]
            return {
                "accountId": acct,
                "arn": f"arn:aws:iam::{acct}:user/offline",
                "userId": "OFFLINE",
                "id": acct,
            }
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            region = a.get("region") or "us-east-1"
            names = _zone_names(region, 6, "")
            return {"names": names, "zoneIds": names, "id": region}
        if token == "gcp:organizations/getProject:getProject":
            return {
                "number": PLACEHOLDERS["projectNumber"],
                "projectId": a.get("projectId"),
                "id": f"projects/{a.get('projectId')}",
            }
        if token == "gcp:compute/getZones:getZones":
            region = a.get("region") or "us-central1"
            return {"names": _zone_names(region, 4, "-"), "id": region}
        return {}


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that records registrations the way the engine receives them.

    Unlike the stock one it keeps parents, providers, dependencies and secrets, gives engine URNs
    (full parent type chain, no ``pulumi:pulumi:Stack$`` prefix), notes duplicate URNs, which the
    engine would reject and the stock mocks silently accept, and runs resource transforms (the
    ``transforms`` option and ``register_resource_transform``) before recording, as the engine
    does — the stock mocks record them and never run them, so a program could move its resources
    elsewhere and be judged where it said they were.
    """

    def __init__(self, mocks: pulumi_mocks.Mocks, run: OfflineRun) -> None:
        super().__init__(mocks)
        self.run = run
        self._lock = threading.Lock()
        self._types: dict[str, str] = {}  # urn -> qualified type
        self._stack_callbacks: list[Any] = []
        self._own_callbacks: dict[str, list[Any]] = {}  # urn -> the transforms declared on it
        self._parents: dict[str, str] = {}

    def RegisterStackTransform(self, request: Any) -> Any:
        with self._lock:
            self._stack_callbacks.append(request)
        return super().RegisterStackTransform(request)

    def _transformed(self, request: Any, urn: str) -> Any:
        """``request`` after its transforms ran: its own, then its ancestors', then the stack's
        (the engine's order, ``source_eval.go``); each sees the previous one's result."""
        from pulumi.runtime.proto import resource_pb2

        with self._lock:
            own = list(request.transforms)
            self._own_callbacks[urn] = own
            self._parents[urn] = request.parent
            chain = list(own)
            parent = request.parent
            while parent:
                chain += self._own_callbacks.get(parent, [])
                parent = self._parents.get(parent, "")
            chain += self._stack_callbacks
        if not chain:
            return request
        out = resource_pb2.RegisterResourceRequest()
        out.CopyFrom(request)
        for callback in chain:
            options = resource_pb2.TransformResourceOptions(
                depends_on=list(out.dependencies),
                provider=out.provider,
                providers=dict(out.providers),
                version=out.version,
                additional_secret_outputs=list(out.additionalSecretOutputs),
            )
            ask = resource_pb2.TransformRequest(
                type=out.type,
                name=out.name,
                custom=out.custom,
                parent=out.parent,
                properties=out.object,
                options=options,
            )
            answer = resource_pb2.TransformResponse.FromString(_invoke_callback(callback, ask.SerializeToString()))
            out.object.CopyFrom(answer.properties)
            if answer.HasField("options"):
                out.provider = answer.options.provider
                out.providers.clear()
                out.providers.update(dict(answer.options.providers))
                del out.dependencies[:]
                out.dependencies.extend(answer.options.depends_on)
        return out

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != STACK_TYPE:
                qualified = f"{parent_type}${type_}"
        return f"urn:pulumi:{self.run.stack}::{self.run.project}::{qualified}::{name}"

    def RegisterResource(self, request: Any) -> Any:
        from pulumi.runtime.proto import resource_pb2

        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        pulumi_mocks._ensure_event_loop()
        request = self._transformed(request, urn)
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        plain = rpc.deserialize_properties(request.object)
        resource_args = pulumi_mocks.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=plain,
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
        )
        id_, state = self.mocks.new_resource(resource_args)
        reg = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            provider=request.provider,
            inputs=inputs,
            dependencies=tuple(request.dependencies),
            property_dependencies={k: tuple(v.urns) for k, v in request.propertyDependencies.items()},
            additional_secret_outputs=tuple(request.additionalSecretOutputs),
            raw_inputs=request.object,
            version=request.version,
            remote=bool(request.remote),
        )
        for key in reg.additional_secret_outputs:  # the engine would mark these secret; mocks do not
            if key in state and not rpc.is_rpc_secret(state[key]):
                state[key] = rpc.wrap_rpc_secret(state[key])
        with self._lock:
            if urn in self.resources:
                self.run.duplicate_urns.append(urn)
            self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, id_ or "", state)
            self.run.registrations.append(reg)
        obj_proto = _sync_await(rpc.serialize_properties(state, {}))
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_ or "", object=obj_proto)

    def RegisterResourceOutputs(self, request: Any) -> Any:
        from google.protobuf import empty_pb2

        outputs = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        with self._lock:
            self.run.component_outputs[request.urn] = outputs
        return empty_pb2.Empty()


def _invoke_callback(callback: Any, payload: bytes) -> bytes:
    """Call a function the program registered with the SDK's callback server (a transform), on the
    program's own event loop, from the monitor's thread — what the engine does over gRPC."""
    from pulumi.runtime._callbacks import _CallbackServicer

    for servicer in list(_CallbackServicer._servicers):
        function = servicer._callbacks.get(callback.token)
        if function is not None:
            pending: Any = function(payload)  # a coroutine of the program's loop
            result = asyncio.run_coroutine_threadsafe(pending, servicer._loop).result(timeout=60)
            return bytes(result.SerializeToString())
    raise RuntimeError(f"no callback registered under token {callback.token}")


class DuplicateResourceError(RuntimeError):
    """Two resources share a URN: the engine would fail the whole update."""


def run_offline(
    program: Callable[[], T],
    *,
    project: str,
    stack: str,
    config: dict[str, str] | None = None,
    mocks: pulumi_mocks.Mocks | None = None,
    record: OfflineRun | None = None,
    secret_keys: list[str] | None = None,
) -> tuple[OfflineRun, T]:
    """Run ``program`` as a preview under mocks; return the recording and the program's result.

    Safe to call repeatedly in one process: each run gets a fresh event loop, settings, root
    stack resource and config. Exceptions from the program propagate unchanged; pass ``record``
    to keep what was registered before one was raised.
    """
    run = record or OfflineRun(project=project, stack=stack)
    monitor = RecordingMonitor(mocks or PreviewMocks(), run)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    interrupt = _Interrupt(loop)
    try:
        settings.reset_options(project=project, stack=stack, preview=True)
        runtime_config.set_all_config(dict(config or {}), list(secret_keys or []))
        pulumi_mocks.set_mocks(monitor.mocks, project=project, stack=stack, preview=True, monitor=monitor)
        result: list[T] = []

        def body() -> None:
            result.append(program())

        with interrupt:
            try:
                _sync_await(run_pulumi_func(body))
            except RuntimeError:
                if not interrupt.received:
                    raise
            except KeyboardInterrupt:
                if not interrupt.received:  # raised by the program, not by Ctrl-C: the program failed
                    raise ProgramExit("the program raised KeyboardInterrupt") from None
                raise
    finally:
        settings.ROOT.set(None)
        _cancel_pending(loop)
        asyncio.set_event_loop(None)
        loop.close()
    interrupt.deliver()
    if run.duplicate_urns:
        raise DuplicateResourceError("duplicate resource URNs: " + ", ".join(sorted(set(run.duplicate_urns))))
    return run, result[0]


class ProgramExit(RuntimeError):
    """The program tried to end the process (``os._exit``) or raised KeyboardInterrupt itself."""


class _Interrupt:
    """Ctrl-C during an offline run stops its event loop, and is delivered once the loop is out.

    Raised inside the loop, KeyboardInterrupt kills whichever task it lands in, and the program's
    run then waits forever for that task's registration. So while the loop runs, SIGINT only asks
    the loop to stop; afterwards it is delivered to the handler that was in place before (Python's,
    raising KeyboardInterrupt, or ``strata check``'s, which stops the policy pack first). A second
    Ctrl-C is delivered at once. An ignored SIGINT (``nohup``) stays ignored. Main thread only."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.received = False
        self.previous: Any = None

    def __enter__(self) -> _Interrupt:
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            if previous not in (signal.SIG_IGN, None):
                self.previous = previous
                signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received:  # a second Ctrl-C: at once
            self._call_previous(signum, frame)
        self.received = True
        self.loop.call_soon_threadsafe(self.loop.stop)

    def _call_previous(self, signum: int, frame: FrameType | None) -> None:
        if callable(self.previous):
            self.previous(signum, frame)
        raise KeyboardInterrupt

    def deliver(self) -> None:
        if self.received:
            self._call_previous(signal.SIGINT, None)


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what an interrupted run left pending, so that nothing runs (or warns) later."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending and not loop.is_running():
        loop.run_until_complete(asyncio.wait(pending, timeout=2))


def _refuse_exit(status: int) -> NoReturn:
    raise ProgramExit(f"the program called os._exit({status})")


def _refuse_fork() -> int:
    raise ProgramExit("the program called os.fork(): a program under check runs in one process")


def program_file(main: Path) -> Callable[[], None]:
    """A Pulumi Python program file as the language host runs it: as ``__main__``, with its
    directory as the working directory and first on ``sys.path`` (for the program's own modules)."""

    def run() -> None:
        here = str(main.parent)
        cwd = os.getcwd()
        sys.path.insert(0, here)
        os.chdir(here)
        exit_, fork = os._exit, os.fork
        # A program may not end the check before it is judged, fork a second one, nor write into
        # its output: what it prints goes to stderr, as the engine shows a program's prints.
        os._exit = posix._exit = _refuse_exit
        os.fork = posix.fork = _refuse_fork
        try:
            with contextlib.redirect_stdout(sys.stderr):
                runpy.run_path(str(main), run_name="__main__")
        finally:
            os._exit = posix._exit = exit_
            os.fork = posix.fork = fork
            os.chdir(cwd)
            if here in sys.path:
                sys.path.remove(here)

    return run


def config_for(key: str, environment: Any) -> dict[str, str]:
    """Stack config as the engine hands it to a program: object values as JSON strings."""
    return {key: json.dumps(environment)}


__all__ = [
    "PLACEHOLDERS",
    "UNKNOWN",
    "DuplicateResourceError",
    "OfflineRun",
    "PreviewMocks",
    "ProgramExit",
    "RecordingMonitor",
    "Registration",
    "config_for",
    "program_file",
    "run_offline",
]
