"""What a policy may know about a resource, read only from what the engine hands it.

Provider specifics live here once — in the catalog's ``resource_types.yaml`` (roles, label slots)
and in one small location adapter per provider — so each rule is written once per concept.
Nothing here imports a driver, a component or a cloud SDK.

Values unknown during preview raise ``pulumi_policy.proxy.UnknownValueError`` when read, as the
SDK's proxies do; rules catch it per resource and report "cannot verify until apply".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from pulumi_policy import proxy

from strata.catalog import load_catalog
from strata.labels import JURISDICTION_SEPARATOR, STRATA_PROPERTY

#: The pool component's type token (a name, not an import: rules never import components).
POOL_TYPE = "strata:pool:ResourcePool"


@dataclass(frozen=True)
class TypeFacts:
    provider: str  # aws | gcp
    role: str
    labels_path: str | None
    located: bool
    label_prefix: str


@functools.cache
def _type_table() -> dict[str, TypeFacts]:
    text = resources.files("strata.catalog").joinpath("data", "resource_types.yaml").read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    out: dict[str, TypeFacts] = {}
    for provider in ("aws", "gcp", "command"):
        prefix = doc[provider]["labelPrefix"]
        for type_, facts in doc[provider]["types"].items():
            out[type_] = TypeFacts(provider, facts["role"], facts.get("labels"), bool(facts["located"]), prefix)
    return out


def type_facts(type_: str) -> TypeFacts | None:
    """Facts about a resource type, or None for a type Strata's rules do not judge."""
    return _type_table().get(type_)


def _path(props: Mapping[str, Any] | None, path: str) -> Any:
    node: Any = props
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def get(props: Mapping[str, Any] | None, path: str) -> Any:
    """A nested property (``vpcConfig.endpointPublicAccess``), or None when absent. Raises
    ``UnknownValueError`` if it (or a step on the way) is unknown until apply."""
    return _path(props, path)


#: The engine's sentinels for values not known until apply, as the policy SDK defines them.
_UNKNOWNS = frozenset(
    {
        proxy.UNKNOWN_BOOLEAN_VALUE,
        proxy.UNKNOWN_NUMBER_VALUE,
        proxy.UNKNOWN_STRING_VALUE,
        proxy.UNKNOWN_ARRAY_VALUE,
        proxy.UNKNOWN_OBJECT_VALUE,
    }
)


def _unproxied(node: Any) -> Any:
    """The SDK's proxies hand out their raw target under the key ``__target``."""
    if isinstance(node, str | bytes | int | float | bool) or node is None:
        return node
    try:
        return node["__target"]
    except (KeyError, IndexError, TypeError):
        return node


def peek(props: Mapping[str, Any] | None, path: str) -> tuple[bool, Any]:
    """``(unknown, value)`` of a nested property without raising: for rules that only need to
    know a value is set (or wired to a resource), not what it is."""
    node: Any = _unproxied(props)
    for part in path.split("."):
        if isinstance(node, str) and node in _UNKNOWNS:
            return True, None
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = _unproxied(node[part])
    return (isinstance(node, str) and node in _UNKNOWNS), node


def labels_of(type_: str, props: Mapping[str, Any]) -> dict[str, str] | None:
    """Strata's ownership labels on a resource, keys without the provider prefix (``owner``)."""
    facts = type_facts(type_)
    if facts is None or facts.labels_path is None:
        return None
    raw = _path(props, facts.labels_path) or {}
    return {str(k)[len(facts.label_prefix) :]: str(raw[k]) for k in list(raw) if str(k).startswith(facts.label_prefix)}


def jurisdictions_from_label(value: str | None) -> tuple[str, ...]:
    return tuple(j for j in (value or "").split(JURISDICTION_SEPARATOR) if j)


# ------------------------------------------------------------------ location adapters

_AWS_ZONE = re.compile(r"^([a-z]{2}(?:-gov)?-[a-z]+-\d)[a-z]$")
_GCP_ZONE = re.compile(r"^([a-z]+-[a-z]+\d+)-[a-z]$")
#: GCP multi-region locations (KMS, storage) and the jurisdiction they stay inside.
GCP_MULTI_REGIONS = {"europe": "eu", "eu": "eu", "us": "us"}


def _aws_region(props: Mapping[str, Any], provider: Mapping[str, Any] | None) -> str | None:
    region = get(props, "region")
    if region:
        return str(region)
    zone = get(props, "availabilityZone")
    if zone and (m := _AWS_ZONE.match(str(zone))):
        return m.group(1)
    return str(get(provider, "region")) if get(provider, "region") else None


def _gcp_region(props: Mapping[str, Any], provider: Mapping[str, Any] | None) -> str | None:
    for key in ("location", "region", "zone"):
        value = get(props, key)
        if value:
            value = str(value).lower()
            if (m := _GCP_ZONE.match(value)) and load_catalog().region("gcp", m.group(1)):
                return m.group(1)
            return value
    return str(get(provider, "region")) if get(provider, "region") else None


@dataclass(frozen=True)
class Location:
    """Where a resource is: a region and the countries it may put data in."""

    region: str
    countries: frozenset[str]


def component_labels(props: Mapping[str, Any] | None) -> dict[str, str]:
    """The ownership labels and placement a Strata component carries in its inputs."""
    raw = _path(props, STRATA_PROPERTY)
    return {str(k): str(raw[k]) for k in list(raw)} if isinstance(raw, Mapping) else {}


def location_of(type_: str, props: Mapping[str, Any], provider: Mapping[str, Any] | None) -> Location | None:
    """The resource's own location, from its properties or its provider's; None if it has none.
    A Strata pool component is where its site (bare metal) or region is."""
    if type_ == POOL_TYPE:
        placed = component_labels(props)
        country = placed.get("country")
        return (
            Location(placed.get("site") or placed.get("region") or country, frozenset({country})) if country else None
        )
    facts = type_facts(type_)
    if facts is None:
        return None
    catalog = load_catalog()
    if facts.provider not in ("aws", "gcp"):
        return None  # no location of its own: the graph decides
    region = (_aws_region if facts.provider == "aws" else _gcp_region)(props, provider)
    if region is None:
        return None
    known = catalog.region(facts.provider, region)
    if known is not None:
        return Location(region, frozenset({known.country}))
    if facts.provider == "gcp" and region in GCP_MULTI_REGIONS:
        return Location(region, catalog.jurisdictions[GCP_MULTI_REGIONS[region]].countries)
    return Location(region, frozenset())  # a region the catalog does not know: nowhere we can vouch for
