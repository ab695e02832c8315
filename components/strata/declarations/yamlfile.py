"""Reading a YAML file the way a declaration must be read: bounded, unambiguous, JSON-shaped.

PyYAML (libyaml underneath) parses; this module decides what a parsed document may hold before
anything else sees it. It guarantees, for any bytes at all, either a value made only of ``dict``
(string keys), ``list``, ``str``, ``int``, finite ``float``, ``bool`` and ``None`` — what Pulumi's
stack config can carry — or a :class:`SpecError` naming every problem with its path and line:

- the file is at most :data:`MAX_BYTES` and UTF-8 (a byte-order mark is allowed);
- a duplicate key is an error, not "the last one wins" (as Pulumi's own YAML reader, yaml.v3, has it);
- aliases are expanded against a budget of :data:`MAX_NODES` values in all, so a nested-anchor
  "billion laughs" document stops after a bounded amount of work and memory;
- nesting is at most :data:`MAX_DEPTH` deep;
- an unquoted date stays the text it was written as, only ``true``/``false`` are booleans
  (``yes``, ``on`` are text), ``190:20:30`` is text and ``1e5`` a number: YAML 1.2, as Pulumi
  reads a stack file; an integer with a leading zero (``017``: octal to YAML, 17 to a person) and an explicit
  type tag other than the JSON ones (``!!binary``, ``!!set``, ``!!timestamp``, ``!custom``) and
  merge keys (``<<``) are errors; ``.nan`` and ``.inf`` are not numbers a declaration may hold.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, ClassVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from strata.declarations.errors import PathPart, Problem, SpecError, format_path

#: Largest file read. Stack files are a few kilobytes; a megabyte is far past any real one.
MAX_BYTES = 1 << 20
#: Values built in all, aliases expanded: a real stack file has a few hundred.
MAX_NODES = 100_000
#: Deepest nesting of mappings and lists: a stack file's is under ten.
MAX_DEPTH = 64

_TOO_MANY = "a declaration is far smaller; write it out plainly"
_TAG = "tag:yaml.org,2002:"
_OCTAL = "tag:strata,2026:leading-zero"
_PLAIN_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null")}

_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml where PyYAML has it (PyPI wheels do)


class _Loader(_Base):
    """The safe loader, except that an unquoted date or ``=`` resolves to text, not to a type."""

    yaml_implicit_resolvers: ClassVar[dict[Any, list[Any]]] = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in (f"{_TAG}timestamp", f"{_TAG}value", f"{_TAG}bool")]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


# Integers without YAML 1.1's base-60 form (``190:20:30`` is text to Pulumi's reader); a leading
# zero (``017``) resolves to its own tag, refused below: octal to YAML readers, decimal to people.
for _first in "-+0123456789":
    _Loader.yaml_implicit_resolvers[_first] = [
        (tag, rx)
        for tag, rx in _Loader.yaml_implicit_resolvers.get(_first, [])
        if tag not in (f"{_TAG}int", f"{_TAG}float")
    ]
_Loader.add_implicit_resolver(
    f"{_TAG}int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0|[-+]?[1-9][0-9_]*|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(_OCTAL, re.compile(r"^[-+]?0[0-9_]+$"), list("-+0"))
_Loader.add_implicit_resolver(
    f"{_TAG}float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*|[0-9][0-9_]*(?=[eE]))(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)

# YAML 1.2's booleans only, as Pulumi's reader (yaml.v3) has them: ``yes``, ``on``, ``n`` stay text.
_Loader.add_implicit_resolver(f"{_TAG}bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


class _Budget(Exception):
    """Raised when a document would expand past :data:`MAX_NODES`."""


class _Reader:
    """Builds plain values from PyYAML's node graph, collecting every problem."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.built = 0
        self._scalars = yaml.constructor.SafeConstructor()

    def problem(self, path: list[PathPart], node: Node, message: str) -> None:
        self.problems.append(Problem(format_path(path), f"line {node.start_mark.line + 1}: {message}"))

    def value(self, node: Node, path: list[PathPart], depth: int) -> Any:
        self.built += 1
        if self.built > MAX_NODES:
            raise _Budget
        if depth > MAX_DEPTH:
            self.problem(path, node, f"nested more than {MAX_DEPTH} levels deep")
            return None
        if isinstance(node, MappingNode):
            return self.mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            if node.tag != f"{_TAG}seq":
                self.problem(path, node, f"the YAML tag {_short(node.tag)} is not allowed here; write a plain list")
                return None
            return [self.value(item, [*path, i], depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self.scalar(node, path)

    def mapping(self, node: MappingNode, path: list[PathPart], depth: int) -> dict[str, Any] | None:
        if node.tag != f"{_TAG}map":
            self.problem(path, node, f"the YAML tag {_short(node.tag)} is not allowed here; write a plain mapping")
            return None
        out: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problem(path, key_node, "a key must be plain text, not a list or a mapping")
                continue
            if key_node.tag == f"{_TAG}merge":
                self.problem(path, key_node, "merge keys (<<) are not supported; write the keys out")
                continue
            key = key_node.value
            here = [*path, key]
            if key in lines:
                self.problem(here, key_node, f"duplicate key {key!r} (first at line {lines[key]})")
                continue
            lines[key] = key_node.start_mark.line + 1
            out[key] = self.value(value_node, here, depth + 1)
        return out

    def scalar(self, node: ScalarNode, path: list[PathPart]) -> Any:
        if node.tag == _OCTAL:
            self.problem(
                path, node, f"{node.value!r} has a leading zero: octal to YAML, decimal to people; drop the zero"
            )
            return None
        if node.tag not in _PLAIN_TAGS:
            self.problem(path, node, f"the YAML tag {_short(node.tag)} is not allowed; write plain text or a number")
            return None
        try:
            value = self._scalars.construct_object(node, deep=True)
        except (yaml.constructor.ConstructorError, ValueError) as exc:
            self.problem(path, node, f"not a valid {_short(node.tag)} value ({exc})")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(path, node, f"{node.value!r} is not a finite number")
            return None
        return value


def _short(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


def load_yaml(data: bytes, source: str | None = None) -> Any:
    """Parse one YAML document from ``data`` under the rules above; raise SpecError otherwise."""
    if len(data) > MAX_BYTES:
        raise SpecError(
            [Problem("(file)", f"is {len(data):,} bytes; a declaration file may be at most {MAX_BYTES:,} bytes")],
            source,
        )
    for bom, name in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if data.startswith(bom):
            raise SpecError([Problem("(file)", f"is {name} text; save it as UTF-8")], source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(
            [Problem("(file)", f"is not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x}); save it as UTF-8")],
            source,
        ) from None
    try:
        # Count the parser's events first (cheap, in libyaml) so that building nodes is bounded too.
        for events, _ in enumerate(yaml.parse(text, Loader=_Loader)):
            if events > MAX_NODES:
                raise SpecError([Problem("(file)", f"holds more than {MAX_NODES:,} values; {_TOO_MANY}")], source)
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise SpecError([Problem("(file)", f"is not valid YAML: {_one_line(exc)}")], source) from None
    if root is None:
        return None
    reader = _Reader()
    try:
        value = reader.value(root, [], 0)
    except _Budget:
        raise SpecError(
            [
                Problem(
                    "(file)",
                    f"expands to more than {MAX_NODES:,} values through its aliases; {_TOO_MANY}",
                )
            ],
            source,
        ) from None
    if reader.problems:
        raise SpecError(reader.problems, source)
    return value


def check_bounds(value: Any, source: str | None = None, path: str = "(root)") -> Any:
    """``value`` (parsed from JSON) held to the same bounds as a YAML document: at most
    :data:`MAX_NODES` values and :data:`MAX_DEPTH` levels. Iterative, so any depth is safe."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    count = 0
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise SpecError([Problem(path, f"holds more than {MAX_NODES:,} values; {_TOO_MANY}")], source)
        if depth > MAX_DEPTH:
            raise SpecError([Problem(path, f"nested more than {MAX_DEPTH} levels deep")], source)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return value


def read_yaml(path: Path) -> Any:
    """:func:`load_yaml` of a file, reading no more than the size limit allows."""
    source = str(path)
    if path.is_dir():
        raise SpecError([Problem("(file)", "is a directory, not a YAML file")], source)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SpecError([Problem("(file)", f"cannot be read: {exc.strerror}")], source) from None
    return load_yaml(data, source)


def _one_line(exc: yaml.YAMLError) -> str:
    return " ".join(str(exc).split())
