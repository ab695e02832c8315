"""Problems found in a declaration, each naming its path, the value and what is allowed."""

from __future__ import annotations

import contextlib
import decimal
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

PathPart = str | int


def format_path(parts: Sequence[PathPart]) -> str:
    """``("pools", 0, "clusters", 1, "min")`` → ``pools[0].clusters[1].min``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(root)"


#: The longest value :func:`show_value` prints; a longer one is cut, ending in ``...``.
SHOWN_MAX = 80


def show_value(value: Any) -> str:
    """``value`` as the declaration would write it: text in double quotes as written, anything else
    as JSON writes it (``8.0``, ``false``, ``null``, ``{"vcpus": 64, "gpus": 0}``), cut at
    :data:`SHOWN_MAX` characters. A non-finite number is ``Infinity``, ``-Infinity`` or ``NaN``; a
    model given in Python is shown by its fields, any other object by its ``repr``."""
    text = f'"{value}"' if isinstance(value, str) else _as_json(value, SHOWN_MAX + 1)
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 3] + "..."


class _Full(Exception):
    """Enough of a value is written: the rest would be cut."""


def _as_json(value: Any, budget: int) -> str:
    """``value`` in JSON's notation, written only until ``budget`` characters (so a value that is
    very large or deep, or holds itself, costs no more than what is shown)."""
    out: list[str] = []
    written = 0

    def put(text: str) -> None:
        nonlocal written
        out.append(text)
        written += len(text)
        if written >= budget:
            raise _Full

    def walk(node: Any) -> None:
        if node is None or isinstance(node, bool):
            put({None: "null", True: "true", False: "false"}[node])
        elif isinstance(node, int):  # str() refuses more than 4,300 digits
            put(str(node) if abs(node) < 10**60 else format(decimal.Decimal(node), ".3e"))
        elif isinstance(node, float):
            put(repr(node) if math.isfinite(node) else _NON_FINITE.get(str(node), "NaN"))
        elif isinstance(node, str):
            put(json.dumps(node, ensure_ascii=False))
        elif isinstance(node, BaseModel):
            walk(_fields(node))
        elif isinstance(node, Mapping):
            put("{")
            for k, (key, item) in enumerate(node.items()):
                name = key if isinstance(key, str) else _as_json(key, budget)
                put((", " if k else "") + json.dumps(name, ensure_ascii=False) + ": ")
                walk(item)
            put("}")
        elif isinstance(node, list | tuple | set | frozenset):
            put("[")
            for k, item in enumerate(node):
                put(", " if k else "")
                walk(item)
            put("]")
        else:
            put(_repr(node))

    with contextlib.suppress(_Full):
        walk(value)
    return "".join(out)


_NON_FINITE = {"inf": "Infinity", "-inf": "-Infinity"}


def _fields(model: BaseModel) -> Any:
    """A model's fields as the stack file spells them (only the key set, for a one-of mapping)."""
    try:
        return model.model_dump(by_alias=True)
    except Exception:  # a model built without validation (``model_construct``) may not serialize
        return {(info.alias or name): getattr(model, name, None) for name, info in type(model).model_fields.items()}


def _repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:
        return f"<{type(value).__name__}>"


_MISSING = object()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a declaration."""

    path: str
    message: str
    value: Any = _MISSING

    def __str__(self) -> str:
        if self.value is _MISSING:
            return f"{self.path}: {self.message}"
        return f"{self.path}: {show_value(self.value)} — {self.message}"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "message": self.message}
        if self.value is not _MISSING:
            out["value"] = _json_safe(self.value)
        return out


def _json_safe(value: Any) -> Any:
    """``value`` as JSON can hold it: a non-finite number or a non-JSON type as its repr."""
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return show_value(value)


class SpecError(ValueError):
    """A declaration is invalid. Carries every problem found, not just the first.

    ``note``, when set, says what was not checked (the checks that need the problems fixed first);
    it follows the list of problems.
    """

    def __init__(self, problems: Iterable[Problem], source: str | None = None, note: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        self.note = note
        head = f"{source}: " if source else ""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        tail = f"\n{note}" if note else ""
        super().__init__(f"{head}{len(self.problems)} problem(s) in the environment spec:\n{lines}{tail}")


_PART_END = re.compile(r"[.\[]")
_LIST_INDEX = re.compile(r"\[(\d+)\]")
_ANY_PART = re.compile(r"\[[^\]]*\]|[^.\[]+")
_NOWHERE: Any = object()


def in_file_order(problems: Iterable[Problem], data: Any = None) -> list[Problem]:
    """``problems`` once each (by path and message), in the order of their paths in ``data``, the
    declaration as given: a key by its place in its mapping (a model's keys in field order), an item
    by its index, a parent before its children. A key ``data`` does not hold (a missing field) comes
    after those its mapping holds, in the order first reported; ties keep the order reported."""
    unique: dict[tuple[str, str], Problem] = {}
    for p in problems:
        unique.setdefault((p.path, p.message), p)
    tables: dict[int, tuple[Any, dict[str, tuple[int, Any]]]] = {}
    absent: dict[tuple[str, str], int] = {}
    keyed = [(_path_key(p.path, data, tables, absent), p) for p in unique.values()]  # in the order reported
    return [p for _, p in sorted(keyed, key=lambda kp: kp[0])]


def _keys_of(node: Any, tables: dict[int, tuple[Any, dict[str, tuple[int, Any]]]]) -> dict[str, tuple[int, Any]] | None:
    """A mapping's (or model's) keys as a path spells them → (place, value); None for other shapes."""
    if not isinstance(node, Mapping | BaseModel):
        return None
    cached = tables.get(id(node))
    if cached is None:
        if isinstance(node, BaseModel):
            items = [(info.alias or name, getattr(node, name)) for name, info in type(node).model_fields.items()]
        else:
            items = list(node.items())
        table: dict[str, tuple[int, Any]] = {}
        for place, (key, value) in enumerate(items):
            table.setdefault(key if isinstance(key, str) else f"[{key}]", (place, value))
        cached = tables[id(node)] = (node, table)  # the node is held so that its id stays its own
    return cached[1]


def _path_key(
    path: str,
    data: Any,
    tables: dict[int, tuple[Any, dict[str, tuple[int, Any]]]],
    absent: dict[tuple[str, str], int],
) -> tuple[tuple[int, int], ...]:
    if path == format_path(()):
        return ()
    key: list[tuple[int, int]] = []
    node = data
    done = 0
    while done < len(path):
        rest = path[done:]
        step: tuple[int, tuple[int, int], Any] | None = None
        table = _keys_of(node, tables)
        if table is not None:  # the longest key that ends where the path does or a part begins
            ends = [m.start() for m in _PART_END.finditer(rest, 1)] + [len(rest)]
            for end in reversed(ends):
                hit = table.get(rest[:end])
                if hit is not None:
                    step = (end, (0, hit[0]), hit[1])
                    break
        if step is None and isinstance(node, list | tuple) and (m := _LIST_INDEX.match(rest)):
            i = int(m.group(1))
            step = (m.end(), (0, i), node[i] if i < len(node) else _NOWHERE)
        if step is None:  # a part the declaration does not hold
            m = _ANY_PART.match(rest)
            end = m.end() if m else 1
            place = absent.setdefault((path[:done].removesuffix("."), rest[:end]), len(absent))
            step = (end, (1, place), _NOWHERE)
        end, part, node = step
        key.append(part)
        done += end
        if path.startswith(".", done):
            done += 1
    return tuple(key)
