"""Reading a stack file (``stacks/Pulumi.<env>.yaml``) and finding its environment."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from strata.declarations.errors import Problem, SpecError
from strata.declarations.yamlfile import MAX_BYTES, MAX_DEPTH, check_bounds, read_yaml

ENVIRONMENT_SUFFIX = ":environment"


def find_environment_key(config: Mapping[str, Any], source: str | None = None) -> str:
    """The one config key whose name ends in ``:environment`` (its prefix is the project name)."""
    keys = [k for k in config if str(k).endswith(ENVIRONMENT_SUFFIX)]
    if len(keys) != 1:
        found = ", ".join(keys) if keys else "none"
        raise SpecError(
            [Problem("config", f"must hold exactly one key ending in '{ENVIRONMENT_SUFFIX}' (found: {found})")],
            source,
        )
    return str(keys[0])


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a declaration may hold")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def decode_config_value(value: Any, source: str | None = None, path: str = "(root)") -> Any:
    """Object config reaches a program as a JSON string; a stack file holds it as YAML. JSON text
    is held to the YAML reader's bounds (size, values, depth) and rules (no duplicate keys, no NaN);
    text that is not JSON stays text."""
    if not isinstance(value, str) or not value.lstrip().startswith(("{", "[")):
        return value
    if len(value) > MAX_BYTES:
        raise SpecError([Problem(path, f"is more than {MAX_BYTES:,} characters of JSON")], source)
    try:
        decoded = json.loads(value, parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise SpecError([Problem(path, f"nested more than {MAX_DEPTH} levels deep")], source) from None
    except ValueError as exc:
        raise SpecError([Problem(path, f"is not valid JSON: {exc}")], source) from None
    return check_bounds(decoded, source, path)


def environment_value(config: Mapping[str, Any], key: str, source: str | None = None) -> Any:
    """The environment declaration under ``key``: a mapping (as YAML or as JSON text), bounded."""
    value = decode_config_value(config[key], source, f"config.{key}")
    if not isinstance(value, dict):
        raise SpecError(
            [
                Problem(
                    f"config.{key}",
                    "must be a mapping: the environment's declaration (name, jurisdiction, owner, pools)",
                    value,
                )
            ],
            source,
        )
    return value


def read_stack_config(path: Path) -> dict[str, Any]:
    """The whole ``config`` mapping of a stack file (``aws:region``, ``platform:environment``, ...),
    read under :mod:`strata.declarations.yamlfile`'s rules (bounded, no duplicate keys, plain values)."""
    source = str(path)
    doc = read_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        raise SpecError([Problem("config", "a stack file needs a top-level 'config' mapping")], source)
    return {str(k): v for k, v in doc["config"].items()}


def read_stack_file(path: Path) -> tuple[str, Any]:
    """Return ``(config key, environment mapping)`` of a stack file."""
    config = read_stack_config(path)
    key = find_environment_key(config, str(path))
    return key, environment_value(config, key, str(path))
