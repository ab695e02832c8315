"""Reading a resource's properties as the engine hands them, never trusting their shape.

Programs Strata did not write send whatever their SDK let through: a string where a number
belongs, a list entry without its key, a map where a list was expected. Every reader here checks
the shape it returns and raises :class:`Malformed` naming the property path, the value and what was
expected; rules turn that into a violation on the resource instead of crashing (an exception in a
validator voids every other verdict of that call).

Values unknown during preview raise ``pulumi_policy.proxy.UnknownValueError`` when read, as the
SDK's proxies do; rules collect those as "cannot verify until apply".
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import proxy

#: The engine's sentinels for values not known until apply, as the policy SDK defines them.
UNKNOWNS = frozenset(
    {
        proxy.UNKNOWN_BOOLEAN_VALUE,
        proxy.UNKNOWN_NUMBER_VALUE,
        proxy.UNKNOWN_STRING_VALUE,
        proxy.UNKNOWN_ARRAY_VALUE,
        proxy.UNKNOWN_OBJECT_VALUE,
        proxy.UNKNOWN_ASSET_VALUE,
        proxy.UNKNOWN_ARCHIVE_VALUE,
    }
)


class Malformed(Exception):
    """A property whose value does not have the shape its provider's schema gives it."""

    def __init__(self, path: str, value: Any, expected: str) -> None:
        self.path = path
        self.value = value
        self.expected = expected
        super().__init__(f"property {path} is {describe(value)}; expected {expected}")


def describe(value: Any) -> str:
    """A short, safe rendering of a value for a message."""
    raw = unproxied(value)
    kind = {bool: "a boolean", str: "a string", int: "a number", float: "a number", type(None): "null"}.get(
        type(raw), "a list" if isinstance(raw, list | tuple) else "an object" if isinstance(raw, dict) else "a value"
    )
    try:
        shown = json.dumps(raw, default=str)
    except (TypeError, ValueError):  # pragma: no cover - proxies always unwrap to JSON values
        shown = repr(raw)
    return f"{kind} {shown[:80]}{'…' if len(shown) > 80 else ''}"


def unproxied(node: Any) -> Any:
    """The SDK's proxies hand out their raw target under the key ``__target``; plain values pass."""
    if isinstance(node, str | bytes | int | float | bool) or node is None:
        return node
    try:
        inner = node["__target"]
    except (KeyError, IndexError, TypeError):
        return node
    if isinstance(inner, list):
        return [unproxied(x) for x in inner]
    if isinstance(inner, dict):
        return {k: unproxied(v) for k, v in inner.items()}
    return inner


def is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWNS


def get(props: Mapping[str, Any] | None, path: str) -> Any:
    """A nested property (``vpcConfig.endpointPublicAccess``), or None when absent. Raises
    ``UnknownValueError`` if it (or a step on the way) is unknown until apply and
    :class:`Malformed` if a step on the way is not an object."""
    node: Any = props
    walked: list[str] = []
    for part in path.split("."):
        if node is None:
            return None
        if not isinstance(node, Mapping):
            raise Malformed(".".join(walked), node, "an object")
        walked.append(part)
        if part not in node:
            return None
        node = node[part]
    return node


def peek(props: Mapping[str, Any] | None, path: str) -> tuple[bool, Any]:
    """``(unknown, value)`` of a nested property without raising: for rules that only need to
    know a value is set (or wired to a resource), not what it is."""
    node: Any = unproxied(props)
    for part in path.split("."):
        if is_unknown(node):
            return True, None
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return is_unknown(node), node


def text(props: Mapping[str, Any] | None, path: str) -> str | None:
    value = get(props, path)
    if value is None or isinstance(value, str):
        return value
    raise Malformed(path, value, "a string")


def flag(props: Mapping[str, Any] | None, path: str) -> bool | None:
    value = get(props, path)
    if value is None or isinstance(value, bool):
        return value
    raise Malformed(path, value, "a boolean")


def number(props: Mapping[str, Any] | None, path: str) -> float | None:
    value = get(props, path)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value:  # NaN is not a number
        return float(value)
    raise Malformed(path, value, "a number")


def mapping(props: Mapping[str, Any] | None, path: str) -> Mapping[str, Any] | None:
    value = get(props, path)
    if value is None or isinstance(value, Mapping):
        return value
    raise Malformed(path, value, "an object")


def items(props: Mapping[str, Any] | None, path: str) -> list[Any] | None:
    """A list property (entries may be unknown: reading one raises)."""
    value = get(props, path)
    if value is None:
        return None
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [value[i] for i in range(len(value))]
    raise Malformed(path, value, "a list")


def strings(props: Mapping[str, Any] | None, path: str) -> list[str] | None:
    """A list of strings."""
    found = items(props, path)
    if found is None:
        return None
    for i, entry in enumerate(found):
        if not isinstance(entry, str):
            raise Malformed(f"{path}[{i}]", entry, "a string")
    return found


def entries(props: Mapping[str, Any] | None, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(path[i], entry)`` for each object in a list of objects."""
    for i, entry in enumerate(items(props, path) or []):
        if not isinstance(entry, Mapping):
            raise Malformed(f"{path}[{i}]", entry, "an object")
        yield f"{path}[{i}]", entry


def decoded(props: Mapping[str, Any] | None, path: str, expected: str) -> Any:
    """An object or list property, which a default provider's settings carry as JSON text (the
    engine hands them to policies as strings): the text is decoded, undecodable text is Malformed."""
    value = get(props, path)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise Malformed(path, value, expected) from None
    return value


def string_map(props: Mapping[str, Any] | None, path: str) -> dict[str, str]:
    """A map of strings (tags, labels), decoded if it arrives as JSON text."""
    value = decoded(props, path, "an object of strings")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Malformed(path, value, "an object of strings")
    out: dict[str, str] = {}
    for key in value:
        entry = value[key]
        if not isinstance(entry, str | int | float | bool):
            raise Malformed(f"{path}.{key}", entry, "a string")
        out[str(key)] = str(entry)
    return out


def values_at(props: Mapping[str, Any] | None, path: str) -> list[str]:
    """The strings at ``path``; ``a.b[].c`` collects ``c`` of every element of ``a.b``. Unknown
    elements raise ``UnknownValueError`` when read, like any other property."""
    head, sep, rest = path.partition("[]")
    if not sep:
        value = text(props, path)
        return [value] if value else []
    out: list[str] = []
    for i, entry in enumerate(items(props, head) or []):
        if not rest:
            if not isinstance(entry, str):
                raise Malformed(f"{head}[{i}]", entry, "a string")
            out.append(entry)
        elif not isinstance(entry, Mapping):
            raise Malformed(f"{head}[{i}]", entry, "an object")
        else:
            out.extend(values_at(entry, rest.lstrip(".")))
    return out
