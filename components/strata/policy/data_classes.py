"""Which data classes a Kubernetes object declares, wherever the label sits.

A data class is the label ``dataclass.strata.io/<class>: "true"``. Programs put it on the object's
own metadata, on a pod template (a Deployment's pods, a CronJob's jobs' pods), inside a Helm
release's values, or inside the YAML a ConfigGroup applies. The scan walks every key of the
object's inputs and every YAML or JSON text among them, so a label counts wherever it is; a
label-holding property that is unknown until apply is reported, never taken as "no class".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from strata.labels import DATA_CLASS_LABEL_PREFIX
from strata.policy.props import is_unknown, unproxied

#: ``dataclass.strata.io/personal-eu: "true"`` (YAML) or ``"dataclass.strata.io/personal-eu":"true"`` (JSON)
#: inside a text; the label syntax of Kubernetes allows the rest.
_IN_TEXT = re.compile(re.escape(DATA_CLASS_LABEL_PREFIX) + r"([A-Za-z0-9][A-Za-z0-9._-]*)[\"']?\s*[:=]\s*[\"']?true\b")
#: Keys under which an unknown value could hide a label.
_LABEL_HOLDERS = frozenset({"labels", "metadata", "template", "values", "yaml", "objs", "podLabels", "commonLabels"})
_MAX_DEPTH = 64
_MAX_NODES = 200_000


class Hidden(Exception):
    """A place that could hold a data-class label is unknown until apply."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"{path} is not known until apply; its data classes cannot be read")


def _truthy(value: Any) -> bool:
    return (isinstance(value, str) and value.strip().lower() == "true") or value is True


def data_classes(props: Mapping[str, Any]) -> tuple[frozenset[str], list[str]]:
    """``(classes, hidden)``: the data classes declared anywhere in ``props``, and the paths of
    label-holding properties that are unknown until apply (a class could hide there)."""
    found: set[str] = set()
    hidden: list[str] = []
    stack: list[tuple[str, Any, int]] = [("", unproxied(props), 0)]
    seen = 0
    while stack:
        path, node, depth = stack.pop()
        seen += 1
        if seen > _MAX_NODES or depth > _MAX_DEPTH:
            hidden.append(path or "(inputs)")
            break
        if isinstance(node, Mapping):
            for key, value in node.items():
                key = str(key)
                sub = f"{path}.{key}" if path else key
                if key.startswith(DATA_CLASS_LABEL_PREFIX) and _truthy(value):
                    found.add(key[len(DATA_CLASS_LABEL_PREFIX) :])
                if is_unknown(value):
                    if key in _LABEL_HOLDERS:
                        hidden.append(sub)
                    continue
                stack.append((sub, value, depth + 1))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", v, depth + 1) for i, v in enumerate(node))
        elif isinstance(node, str) and DATA_CLASS_LABEL_PREFIX in node:
            # YAML or JSON text (a ConfigGroup's manifests, a release's values file): read by
            # pattern, not parsed, so a hostile document cannot make the pack expand aliases.
            found.update(_IN_TEXT.findall(node))
    return frozenset(found), hidden
