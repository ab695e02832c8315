"""Reading a stack file (``stacks/Pulumi.<env>.yaml``) and finding its environment."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from strata.declarations.errors import Problem, SpecError
from strata.declarations.yamlfile import read_yaml

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


def decode_config_value(value: Any) -> Any:
    """Object config reaches a program as a JSON string; a stack file holds it as YAML.
    Text that is not JSON (or holds NaN or an infinity, which JSON has not) stays text."""
    if isinstance(value, str):
        try:
            return json.loads(value, parse_constant=_no_constant)
        except ValueError:
            return value
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
    return key, decode_config_value(config[key])
