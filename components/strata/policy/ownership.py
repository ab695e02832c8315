"""Who a resource belongs to: its stack, its ownership labels, and what a component claims.

* The **stack** is read from the URN the engine gives the resource (``urn:pulumi:<stack>::<project>::...``),
  never from a label the program sets: central policy config is keyed by it.
* **Labels** are Strata's ownership keys (``owner``, ``environment``, ``jurisdiction``, ...) wherever
  the provider puts them on a resource: its own tag or label map, ``tagsAll`` (the engine's view
  after the provider's Check), and the provider's ``defaultTags`` / ``defaultLabels``.
* A component's **claims** are the ``strata`` input Strata's components carry (owner, jurisdiction,
  substrate, site, country). A claim is a statement by the program, not evidence; rules believe it
  only where nothing physical says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyProviderResource

from strata.labels import JURISDICTION_SEPARATOR, STRATA_PROPERTY
from strata.policy import props as p
from strata.policy.types import type_facts

#: Where a provider keeps the labels it adds to every resource it manages.
PROVIDER_DEFAULT_LABELS = {"aws": "defaultTags.tags", "gcp": "defaultLabels"}


def stack_key(urn: str) -> str:
    """``project/stack`` of the stack a resource belongs to, from its URN."""
    parts = urn.split("::")
    if len(parts) < 2 or not parts[0].startswith("urn:pulumi:"):
        return ""
    return f"{parts[1]}/{parts[0][len('urn:pulumi:') :]}"


def _provider_defaults(provider: str, settings: PolicyProviderResource | None) -> dict[str, str]:
    path = PROVIDER_DEFAULT_LABELS.get(provider)
    if path is None or settings is None:
        return {}
    head = path.split(".")[0]
    block = p.decoded(settings.props, head, "an object")
    return p.string_map({head: block}, path) if block is not None else {}


def _prefixed(props: Mapping[str, Any], path: str, prefix: str) -> dict[str, str]:
    """The entries of the label map at ``path`` whose keys carry ``prefix``. Other entries may be
    anything, unknown included: only Strata's own keys are read (an unknown one raises)."""
    node = p.decoded(props, path, "an object of strings")
    if node is None:
        return {}
    if not isinstance(node, Mapping):
        raise p.Malformed(path, node, "an object of strings")
    raw = p.unproxied(node)
    out: dict[str, str] = {}
    for key in raw:
        if str(key).startswith(prefix):
            value = node[key]  # read through the proxy: raises if unknown until apply
            if not isinstance(value, str | int | float | bool):
                raise p.Malformed(f"{path}.{key}", value, "a string")
            out[str(key)] = str(value)
    return out


def labels_of(type_: str, props: Mapping[str, Any], settings: PolicyProviderResource | None) -> dict[str, str] | None:
    """Strata's ownership labels on a resource, keys without the provider's prefix (``owner``);
    None for a type that carries no labels."""
    facts = type_facts(type_)
    if facts is None or facts.labels_path is None:
        return None
    prefix = facts.label_prefix
    merged: dict[str, str] = {}
    if facts.default_labels:
        merged.update({k: v for k, v in _provider_defaults(facts.provider, settings).items() if k.startswith(prefix)})
        if facts.provider == "aws":
            merged.update(_prefixed(props, "tagsAll", prefix))
    merged.update(_prefixed(props, facts.labels_path, prefix))
    return {k[len(prefix) :]: v for k, v in merged.items()}


def component_claims(props: Mapping[str, Any] | None) -> dict[str, str]:
    """What a Strata component says about itself in its ``strata`` input (strings only)."""
    raw = p.unproxied(props)
    block = raw.get(STRATA_PROPERTY) if isinstance(raw, Mapping) else None
    if not isinstance(block, Mapping):
        return {}
    return {str(k): str(v) for k, v in block.items() if isinstance(v, str | int | float) and not isinstance(v, bool)}


def jurisdictions_in(value: str | None) -> tuple[str, ...]:
    """The jurisdiction keys of a label value (``eu_us`` → ``("eu", "us")``)."""
    return tuple(j for j in (value or "").split(JURISDICTION_SEPARATOR) if j)
