"""Turning what a resource says about its place into countries.

A cloud location value is a region (``eu-central-1``, ``europe-west3``), a zone (``eu-central-1a``,
``europe-west3-b``), a multi- or dual-region (``EU``, ``eur4``, ``nam3``), ``global``, or a reference
that carries one (``projects/p/locations/europe-west3/keyRings/r``, an ARN). Each becomes a
:class:`Location`: a name to print and the countries its data may sit in — none when no
jurisdiction can vouch for it (``global``, a region the catalog does not know).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from strata.catalog import load_catalog


@dataclass(frozen=True, order=True)
class Location:
    """A place: what to call it and the countries its data may be in (empty: none we can vouch for)."""

    where: str
    countries: frozenset[str]

    def describe(self) -> str:
        return f"{self.where} ({', '.join(sorted(self.countries)) or 'no country a jurisdiction vouches for'})"


def outside(places: Iterable[Location], allowed: frozenset[str]) -> str | None:
    """The places (of a resource or its cluster) not wholly inside ``allowed`` countries, described
    for a message — a place no country vouches for is never inside — or None if all are inside."""
    out = sorted(loc for loc in places if not loc.countries or not loc.countries <= allowed)
    return "; ".join(loc.describe() for loc in out) or None


_GCP_ZONE = re.compile(r"^([a-z]+-[a-z]+\d+)-[a-z]$")
_GCP_SEGMENT = re.compile(r"(?:^|/)(?:locations|regions|zones)/([^/]+)")
_AWS_ARN = re.compile(r"^arn:[a-z-]+:[a-z0-9-]+:([a-z0-9-]*):")
#: What follows a region name in an AWS zone: ``a`` (eu-central-1a) or a Local/Wavelength Zone suffix.
_AWS_ZONE_SUFFIX = re.compile(r"^(?:[a-z]|-[a-z0-9-]+)$")


def _aws(value: str) -> Location:
    catalog = load_catalog()
    name = value.strip().lower()
    if (known := catalog.region("aws", name)) is not None:
        return Location(name, frozenset({known.country}))
    for region in sorted(catalog.regions.get("aws", {}), key=len, reverse=True):
        if name.startswith(region) and _AWS_ZONE_SUFFIX.match(name[len(region) :]):
            return Location(f"{region} (zone {name})", frozenset({catalog.regions["aws"][region].country}))
    return Location(f"{name} (a region the catalog does not know)", frozenset())


def _gcp(value: str) -> Location:
    catalog = load_catalog()
    name = value.strip()
    if "/" in name:  # a self link or resource path: its location segment, else its last segment
        m = _GCP_SEGMENT.search(name)
        name = m.group(1) if m else name.rstrip("/").rsplit("/", 1)[-1]
    name = name.lower()
    if (multi := catalog.multi_region("gcp", name)) is not None:
        return Location(f"{name} ({multi.display_name})", multi.countries or frozenset())
    zone = _GCP_ZONE.match(name)
    region = zone.group(1) if zone else name
    if (known := catalog.region("gcp", region)) is not None:
        return Location(region if not zone else f"{region} (zone {name})", frozenset({known.country}))
    return Location(f"{name} (a location the catalog does not know)", frozenset())


_PARSERS = {"aws": _aws, "gcp": _gcp}


def parse(provider: str, value: str) -> Location | None:
    """The place a location value names, for a provider package (None for a package with no
    regions, such as ``kubernetes``)."""
    parser = _PARSERS.get(provider)
    return parser(value) if parser else None


def from_reference(provider: str, value: str) -> Location | None:
    """The place a resource reference carries in its text (a GCP path's ``locations/L`` segment,
    an AWS ARN's region), or None if the text does not say."""
    if provider == "gcp" and (m := _GCP_SEGMENT.search(value)):
        return _gcp(m.group(1))
    if provider == "aws" and (m := _AWS_ARN.match(value)) and m.group(1):
        return _aws(m.group(1))
    return None
