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
#: A resource path's location, as the provider reads it: the first ``projects/P/locations/L``
#: (its id regular expressions are unanchored), else any ``locations/L``, else the last
#: ``regions/R`` or ``zones/Z`` segment (a self link).
_GCP_PROJECT_LOCATION = re.compile(r"projects/[^/]+/locations/([^/]+)")
_GCP_LOCATIONS = re.compile(r"(?:^|/)locations/([^/]+)")
_GCP_SEGMENT = re.compile(r"(?:^|/)(?:regions|zones)/([^/]+)")
_AWS_ARN = re.compile(r"^arn:[a-z-]+:[a-z0-9-]+:([a-z0-9-]*):")
#: An AWS Local or Wavelength Zone: its group (``us-east-1-qro-1``) and the zone letter.
_AWS_LOCAL_ZONE = re.compile(r"^(.+-\d+)[a-z]$")


def _aws(value: str) -> Location:
    catalog = load_catalog()
    name = value.strip().lower()
    if (known := catalog.region("aws", name)) is not None:
        return Location(name, frozenset({known.country}))
    if len(name) > 1 and (known := catalog.region("aws", name[:-1])) is not None and name[-1].isalpha():
        return Location(f"{name[:-1]} (zone {name})", frozenset({known.country}))  # eu-central-1a
    if (m := _AWS_LOCAL_ZONE.match(name)) and (country := catalog.local_zones.get(m.group(1))):
        return Location(f"local zone {name}", frozenset({country}))
    return Location(f"{name} (a region or zone the catalog does not know)", frozenset())


def _gcp(value: str) -> Location:
    catalog = load_catalog()
    name = value.strip()
    if "/" in name:  # a self link: the provider keeps its last segment (GetResourceNameFromSelfLink)
        name = name.rsplit("/", 1)[-1]
    name = name.lower().removeprefix("regional-")  # a Spanner regional configuration
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
    if provider == "gcp":
        m = _GCP_PROJECT_LOCATION.search(value) or _GCP_LOCATIONS.search(value)
        if m:
            return _gcp(m.group(1))
        segments = _GCP_SEGMENT.findall(value)
        return _gcp(segments[-1]) if segments else None
    if provider == "aws" and (m := _AWS_ARN.match(value)) and m.group(1):
        return _aws(m.group(1))
    return None
