"""What the pack knows about each provider resource type, read from the catalog.

Two files hold it: ``provider_types.json``, generated from the provider SDKs (every located AWS
and GCP type, where its labels live), and ``resource_types.yaml``, kept by hand (roles, placements
the SDKs do not express, version inputs). Nothing here imports a driver, a component or a cloud SDK.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class VersionInput:
    path: str
    pinned: bool  # True: unset means the provider picks a version of its own choosing


@dataclass(frozen=True)
class TypeFacts:
    """One resource type: its provider package, role, placement and label slot."""

    token: str
    provider: str  # the package: aws | gcp | command | kubernetes | ...
    role: str | None = None
    #: Inputs that place it, first set wins ('[]' each element, '@x' the place x refers to).
    at: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    fallback: tuple[str, ...] = ()  # provider settings used when no input is set
    default: str | None = None  # the provider's fixed default location
    otherwise: str | None = None  # 'anywhere': unset means the provider chooses freely
    anywhere: str | None = None  # why it runs outside any region we can see (always)
    anywhere_if: tuple[tuple[str, str], ...] = ()  # (input, why): set, it sends the resource elsewhere
    global_kind: str | None = None  # a global resource: no location of its own
    labels_path: str | None = None
    default_labels: bool = False  # the provider's defaultTags / defaultLabels apply
    label_prefix: str = ""
    versions: tuple[VersionInput, ...] = field(default=())

    @property
    def located(self) -> bool:
        return bool(self.at or self.default or self.fallback or self.otherwise or self.also or self.anywhere)


def _read(name: str) -> str:
    return resources.files("strata.catalog").joinpath("data", name).read_text(encoding="utf-8")


@functools.cache
def _hand() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.load(_read("resource_types.yaml"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return doc


@functools.cache
def _table() -> dict[str, TypeFacts]:
    generated: dict[str, dict[str, Any]] = json.loads(_read("provider_types.json"))["types"]
    hand = _hand()
    tokens = set(generated) | set(hand["roles"]) | set(hand["placement"]) | set(hand["kubernetesVersion"])
    out: dict[str, TypeFacts] = {}
    for token in tokens:
        provider = token.split(":", 1)[0]
        g = dict(generated.get(token, {}))
        placed = hand["placement"].get(token, {})
        also = (*g.get("also", ()), *placed.get("also", ()))
        out[token] = TypeFacts(
            token=token,
            provider=provider,
            role=hand["roles"].get(token),
            at=tuple(placed.get("at", g.get("at", ()))),
            also=tuple(also),
            fallback=tuple(placed.get("fallback", g.get("fallback", ()))),
            default=placed.get("default", g.get("default")),
            otherwise=placed.get("otherwise"),
            anywhere=placed.get("anywhere"),
            anywhere_if=tuple((placed.get("anywhereIf") or {}).items()),
            global_kind=None if "at" in placed else g.get("global"),
            labels_path=hand["labels"].get(token, g.get("labels")),
            default_labels=bool(g.get("defaultLabels")),
            label_prefix=hand["labelPrefix"].get(provider, ""),
            versions=tuple(
                VersionInput(v["path"], bool(v["pinned"])) for v in hand["kubernetesVersion"].get(token, ())
            ),
        )
    return out


def type_facts(token: str) -> TypeFacts | None:
    """Facts about a resource type, or None for a type the pack has no facts about."""
    return _table().get(token)


def all_types() -> dict[str, TypeFacts]:
    return dict(_table())
