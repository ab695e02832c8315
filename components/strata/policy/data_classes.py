"""Which data classes a Kubernetes object declares, wherever the label sits.

A data class is the label ``dataclass.strata.io/<class>: "true"``. Programs put it on the object's
own metadata, on a pod template (a Deployment's pods, a CronJob's jobs' pods), inside a Helm
release's values or values files, or inside the YAML a ConfigGroup applies. The scan walks every
key of the object's inputs and reads every YAML or JSON text among them as YAML (so escapes, tags
and quoting cannot disguise a key), with these guarantees:

* in a Kubernetes object, a label under a selector (``selector``, ``matchLabels``, ``podSelector``,
  ...) selects objects, it does not make this one handle the class: it is not counted (a Helm
  release's values are read whole: a chart may render any value as a label);
* a place that could hold the label but is unknown until apply is reported as *hidden*, never
  taken as "no class";
* what cannot be read — a values file given as a file asset, YAML with aliases, inputs too large
  or too deep — is reported as *unreadable*, so the rule fails the object instead of passing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import yaml

from strata.labels import DATA_CLASS_LABEL_PREFIX
from strata.policy.props import is_unknown, unproxied

#: Keys whose values select other objects by label rather than label this one.
SELECTOR_KEYS = frozenset(
    {"selector", "matchLabels", "matchExpressions", "podSelector", "namespaceSelector", "labelSelector"}
    | {"objectSelector", "nodeSelector"}
)
#: Keys under which an unknown value could hide a label (and anything under them).
_HOLDERS = frozenset(
    {"metadata", "labels", "annotations", "spec", "template", "jobTemplate", "values", "valueYamlFiles"}
    | {"yaml", "objs", "files", "podLabels", "commonLabels", "podTemplate", "manifest", "resources"}
)
MAX_DEPTH = 64
MAX_NODES = 100_000
MAX_TEXT = 1_000_000


class _NoAliases(yaml.SafeLoader):
    """YAML without anchors and aliases: a document cannot make the pack expand it exponentially."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("YAML aliases are not read")
        return super().compose_node(parent, index)


#: The loader the pack reads YAML with.
NoAliases = _NoAliases


@dataclass
class Scan:
    """What a scan found: the classes, the hidden places, and why it could not read it all."""

    classes: set[str] = field(default_factory=set)
    hidden: list[str] = field(default_factory=list)
    unreadable: str | None = None


def _truthy(value: Any) -> bool:
    return (isinstance(value, str) and value.strip().lower() == "true") or value is True


def _holds(key: str) -> bool:
    return key in _HOLDERS or "label" in key.lower() or "yaml" in key.lower() or "values" in key.lower()


def _looks_like_text_to_parse(text: str) -> bool:
    return "\n" in text or text.lstrip().startswith(("{", "[")) or "\\" in text or "dataclass" in text.lower()


def data_classes(props: Mapping[str, Any], *, manifests: bool = True) -> Scan:
    """The data classes declared anywhere in ``props`` (see the module's guarantees). With
    ``manifests`` false (a Helm chart's values, which its templates may render anywhere), a key
    named like a selector is read like any other."""
    scan = Scan()
    stack: list[tuple[str, Any, int, bool]] = [("", unproxied(props), 0, False)]
    nodes = 0
    while stack and scan.unreadable is None:
        path, node, depth, held = stack.pop()
        nodes += 1
        if nodes > MAX_NODES or depth > MAX_DEPTH:
            scan.unreadable = f"its inputs are too large or too deep to read (at {path or 'the top'})"
            break
        if isinstance(node, Mapping):
            for raw_key, value in node.items():
                key = str(raw_key)
                if manifests and key in SELECTOR_KEYS:
                    continue
                sub = f"{path}.{key}" if path else key
                if key.startswith(DATA_CLASS_LABEL_PREFIX):
                    if is_unknown(value):
                        scan.hidden.append(sub)
                    elif _truthy(value):
                        scan.classes.add(key[len(DATA_CLASS_LABEL_PREFIX) :])
                    continue
                holder = held or _holds(key)
                if is_unknown(value):
                    if holder:
                        scan.hidden.append(sub)
                    continue
                stack.append((sub, value, depth + 1, holder))
        elif isinstance(node, list | tuple):
            for i, value in enumerate(node):
                if is_unknown(value):
                    if held:
                        scan.hidden.append(f"{path}[{i}]")
                elif isinstance(value, Mapping | list | tuple | str) or _is_asset(value):
                    stack.append((f"{path}[{i}]", value, depth + 1, held))
        elif isinstance(node, str):
            _read_text(scan, stack, path, node, depth, held)
        elif _is_asset(node):
            text = getattr(node, "text", None)
            if isinstance(text, str):
                _read_text(scan, stack, path, text, depth, held)
            else:
                where = getattr(node, "path", None) or getattr(node, "uri", None) or type(node).__name__
                scan.unreadable = f"{path or 'an input'} is a file asset ({where}) the pack cannot read"
    return scan


def _is_asset(value: Any) -> bool:
    return isinstance(value, pulumi.Asset | pulumi.Archive)


def _read_text(
    scan: Scan, stack: list[tuple[str, Any, int, bool]], path: str, text: str, depth: int, held: bool
) -> None:
    if not _looks_like_text_to_parse(text):
        return
    if len(text) > MAX_TEXT:
        scan.unreadable = f"{path} holds {len(text):,} characters of text, more than the pack reads"
        return
    try:
        documents = list(yaml.load_all(text, Loader=_NoAliases))
    except yaml.YAMLError as err:
        if "aliases" in str(err):
            scan.unreadable = f"{path} holds YAML with aliases, which the pack does not expand"
        elif DATA_CLASS_LABEL_PREFIX in text:
            scan.unreadable = f"{path} mentions a data class in text that is not valid YAML or JSON"
        return
    for i, doc in enumerate(documents):
        if isinstance(doc, Mapping | list):
            stack.append((f"{path}(document {i})", doc, depth + 1, held))
