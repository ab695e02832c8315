"""Default providers, made offline exactly as the engine makes them.

A resource registered without an explicit provider is handled by its package's *default provider*,
which the engine creates itself: ``urn:pulumi:<stack>::<project>::pulumi:providers:<pkg>::default_<version>``
(no parent, no dependencies), with the stack's ``<pkg>:<key>`` config as inputs — every value a
string, objects and lists as compact JSON — plus ``version``, after the provider's CheckConfig has
filled unset keys from the environment (``AWS_REGION``, ``GOOGLE_ZONE``, ...). Policies see those
inputs as the resource's provider, and the provider itself among the stack's resources.

Pulumi's mocks register no default providers, so :func:`with_default_providers` adds them to an
offline run; ``strata check`` then hands the policy pack what ``pulumi preview`` would.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import replace
from importlib import resources
from typing import Any

import yaml
from google.protobuf import struct_pb2
from pulumi.runtime import rpc

from strata.offline import UNKNOWN, OfflineRun, Registration

PROVIDER_TYPE_PREFIX = "pulumi:providers:"
#: What stands in offline for a secure config value, which only the engine can decrypt.
OFFLINE_SECRET = "offline placeholder: a secure config value only the engine can decrypt"


def package_of(type_: str) -> str | None:
    """The provider package that handles a resource type (``aws:s3/bucket:Bucket`` → ``aws``);
    None for the engine's own types (``pulumi:pulumi:StackReference``) and for providers."""
    pkg = type_.split(":", 1)[0]
    return None if pkg == "pulumi" else pkg


def default_provider_name(version: str) -> str:
    """``default_7_51_1`` for version 7.51.1 (pre-release and build parts appended), ``default``
    when the SDK sent no version (``ProviderRequest.DefaultName``)."""
    if not version:
        return "default"
    core, _, build = version.partition("+")
    core, _, pre = core.partition("-")
    parts = [*core.split("."), *(pre.split(".") if pre else []), *(build.split(".") if build else [])]
    return "default_" + "_".join(parts)


def _go_json(value: Any) -> str:
    """JSON as Go's ``json.Marshal`` writes it: keys sorted, compact, ``<>&`` escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@functools.cache
def _environment_defaults() -> dict[str, dict[str, tuple[str, ...]]]:
    text = resources.files("strata.catalog").joinpath("data", "providers.yaml").read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    return {
        pkg: {key: tuple(names) for key, names in (facts.get("environment") or {}).items()}
        for pkg, facts in doc["packages"].items()
    }


def provider_inputs(
    pkg: str, stack_config: Mapping[str, Any], version: str, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The inputs of ``pkg``'s default provider: ``{key: string}``; secure values come back as
    ``(secret, text)`` pairs for the caller to mark."""
    environ = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for full_key, value in stack_config.items():
        namespace, _, key = str(full_key).partition(":")
        if namespace != pkg or not key:
            continue
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            out[key] = ("secret", OFFLINE_SECRET)
        elif isinstance(value, str):
            out[key] = value
        else:
            out[key] = _go_json(value)
    for key, names in _environment_defaults().get(pkg, {}).items():
        if key not in out:
            found = next((environ[n] for n in names if environ.get(n)), None)
            if found is not None:
                out[key] = found
    if version:
        out["version"] = version
    return out


def _struct(inputs: Mapping[str, Any]) -> struct_pb2.Struct:
    wire: dict[str, Any] = {}
    for key, value in inputs.items():
        if isinstance(value, tuple):  # a secret: the engine's wire form
            wire[key] = {rpc._special_sig_key: rpc._special_secret_sig, "value": value[1]}
        else:
            wire[key] = value
    s = struct_pb2.Struct()
    s.update(wire)
    return s


def with_default_providers(
    run: OfflineRun, stack_config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> OfflineRun:
    """``run`` as the engine would see it: with the default providers the engine makes (each
    before its first user) and every resource that named no provider pointed at its package's."""
    made: dict[tuple[str, str], str] = {}
    out: list[Registration] = []
    for reg in run.registrations:
        pkg = package_of(reg.type)
        needs = (
            (reg.custom or reg.remote) and not reg.provider and pkg and not reg.type.startswith(PROVIDER_TYPE_PREFIX)
        )
        if needs and pkg:
            key = (pkg, reg.version)
            if key not in made:
                name = default_provider_name(reg.version)
                urn = f"urn:pulumi:{run.stack}::{run.project}::{PROVIDER_TYPE_PREFIX}{pkg}::{name}"
                inputs = provider_inputs(pkg, stack_config, reg.version, environ)
                shown = {k: (rpc.wrap_rpc_secret(v[1]) if isinstance(v, tuple) else v) for k, v in inputs.items()}
                out.append(
                    Registration(
                        urn=urn,
                        type=f"{PROVIDER_TYPE_PREFIX}{pkg}",
                        name=name,
                        custom=True,
                        parent="",
                        provider="",
                        inputs=shown,
                        dependencies=(),
                        property_dependencies={},
                        additional_secret_outputs=(),
                        raw_inputs=_struct(inputs),
                        version=reg.version,
                        default_provider=True,
                    )
                )
                made[key] = urn
            reg = replace(reg, provider=f"{made[key]}::{UNKNOWN}")
        out.append(reg)
    return OfflineRun(
        project=run.project,
        stack=run.stack,
        registrations=out,
        component_outputs=run.component_outputs,
        duplicate_urns=run.duplicate_urns,
    )
