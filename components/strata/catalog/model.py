"""Typed view over the catalog's data files."""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

#: Substrate kinds as they are spelled in the stack file.
CLOUD_KINDS = ("aws", "gcp")
SUBSTRATE_KINDS = (*CLOUD_KINDS, "bareMetal")


@dataclass(frozen=True)
class Region:
    """A cloud region: where it is (ISO 3166-1 alpha-2) and how many zones it offers."""

    substrate: str
    name: str
    country: str
    zones: int
    display_name: str


@dataclass(frozen=True)
class MultiRegion:
    """A location spanning several regions (``EU``, ``eur4``, ``nam3``): the countries its data may
    sit in, or None when the provider places it anywhere (``global``)."""

    substrate: str
    name: str
    countries: frozenset[str] | None
    display_name: str
    verified: bool


@dataclass(frozen=True)
class Jurisdiction:
    """A legal area that residency rules are written against."""

    key: str
    name: str
    countries: frozenset[str]


@dataclass(frozen=True)
class MachineType:
    """One machine type a cloud sells, with its on-demand list price in the reference region."""

    substrate: str
    name: str
    family: str
    kind: str  # general | compute | memory | gpu
    vcpus: int
    memory_gib: float
    gpus: int
    usd_per_hour: float
    accelerator: str | None


class Stage(enum.StrEnum):
    """Lifecycle stage of a Kubernetes minor version on a substrate (Gardener's vocabulary)."""

    PREVIEW = "preview"  # announced, not yet released on this substrate
    SUPPORTED = "supported"  # within standard support
    DEPRECATED = "deprecated"  # past standard support, within extended support
    EXPIRED = "expired"  # past extended support


@dataclass(frozen=True)
class VersionLifecycle:
    """Dates that decide a Kubernetes minor version's stage on one substrate."""

    substrate: str
    version: str
    released: dt.date
    end_of_standard: dt.date
    end_of_extended: dt.date
    estimated: bool
    #: The distribution release Strata installs for this minor (bare metal), e.g. v1.35.7+rke2r1.
    release: str | None = None

    def stage(self, today: dt.date) -> Stage:
        if today < self.released:
            return Stage.PREVIEW
        if today <= self.end_of_standard:
            return Stage.SUPPORTED
        if today <= self.end_of_extended:
            return Stage.DEPRECATED
        return Stage.EXPIRED


@dataclass(frozen=True)
class DataClass:
    """A class of data a tenant handles, and where it may live."""

    name: str
    description: str
    residency: frozenset[str] | None  # jurisdiction keys; None = anywhere
    requires_isolation: str | None


@dataclass(frozen=True)
class SubstratePricing:
    reference_region: str
    control_plane_usd_per_hour: float
    source: str
    retrieved: dt.date


@dataclass(frozen=True)
class NameRule:
    """What a provider takes as one resource type's physical name."""

    type: str
    max: int
    pattern: str
    min: int = 1
    #: False where Strata sets the physical name itself; True where Pulumi adds its random suffix.
    autonamed: bool = True
    source: str = ""


@dataclass(frozen=True)
class SizeLimits:
    """The most nodes a substrate gives one node pool and one cluster (None: no such limit)."""

    nodes_per_node_pool: int | None = None
    nodes_per_node_pool_zone: int | None = None
    nodes_per_cluster: int | None = None
    node_pools_per_cluster: int | None = None
    source: str = ""


@dataclass(frozen=True)
class Catalog:
    """All provider facts Strata plans and validates against."""

    regions: Mapping[str, Mapping[str, Region]]
    jurisdictions: Mapping[str, Jurisdiction]
    machine_types: Mapping[str, tuple[MachineType, ...]]
    pricing: Mapping[str, SubstratePricing]
    versions: Mapping[str, Mapping[str, VersionLifecycle]]
    data_classes: Mapping[str, DataClass]
    #: vCPUs and memory a self-managed control-plane server needs (bare metal).
    control_plane_shape: tuple[int, float] = (4, 8.0)
    multi_regions: Mapping[str, Mapping[str, MultiRegion]] = field(default_factory=dict)
    #: AWS Local Zone groups (``us-east-1-qro-1``) → the country they are in.
    local_zones: Mapping[str, str] = field(default_factory=dict)
    #: Physical-name rules per resource type, and the length of Pulumi's auto-name suffix.
    name_rules: Mapping[str, NameRule] = field(default_factory=dict)
    autoname_suffix: int = 8
    #: Size limits per substrate kind.
    sizes: Mapping[str, SizeLimits] = field(default_factory=dict)

    def region(self, substrate: str, name: str) -> Region | None:
        return self.regions.get(substrate, {}).get(name)

    def multi_region(self, substrate: str, name: str) -> MultiRegion | None:
        return self.multi_regions.get(substrate, {}).get(name.lower())

    def version(self, substrate: str, version: str) -> VersionLifecycle | None:
        return self.versions.get(substrate, {}).get(version)

    def jurisdictions_of(self, country: str) -> tuple[str, ...]:
        """The jurisdictions a country belongs to (a country may sit in none)."""
        return tuple(k for k, j in self.jurisdictions.items() if country in j.countries)

    def countries_of(self, jurisdictions: tuple[str, ...] | list[str]) -> frozenset[str]:
        out: set[str] = set()
        for key in jurisdictions:
            out |= self.jurisdictions[key].countries
        return frozenset(out)


def _read(name: str) -> Any:
    text = resources.files("strata.catalog").joinpath("data", name).read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@functools.cache
def load_catalog() -> Catalog:
    """Load the catalog shipped with Strata (cached; the data is immutable)."""
    regions_doc = _read("regions.yaml")
    regions = {
        kind: {
            name: Region(kind, name, r["country"], int(r["zones"]), r["name"])
            for name, r in regions_doc[kind]["regions"].items()
        }
        for kind in CLOUD_KINDS
    }
    jur_doc = _read("jurisdictions.yaml")["jurisdictions"]
    jurisdictions = {key: Jurisdiction(key, j["name"], frozenset(j["countries"])) for key, j in jur_doc.items()}
    mach_doc = _read("machines.yaml")
    machine_types: dict[str, tuple[MachineType, ...]] = {}
    pricing: dict[str, SubstratePricing] = {}
    for kind in CLOUD_KINDS:
        doc = mach_doc[kind]
        families = doc["families"]
        rows = []
        for name, (vcpus, mem, gpus, price) in doc["types"].items():
            family = next(f for f in families if name.startswith(f + (".", "-")[kind == "gcp"]))
            rows.append(
                MachineType(
                    substrate=kind,
                    name=name,
                    family=family,
                    kind=families[family]["kind"],
                    vcpus=int(vcpus),
                    memory_gib=float(mem),
                    gpus=int(gpus),
                    usd_per_hour=float(price),
                    accelerator=families[family].get("accelerator"),
                )
            )
        machine_types[kind] = tuple(rows)
        pricing[kind] = SubstratePricing(
            doc["referenceRegion"],
            float(doc["controlPlaneUsdPerHour"]),
            doc["source"],
            _date(doc["retrieved"]),
        )
    ver_doc = _read("kubernetes.yaml")
    versions = {
        kind: {
            str(v): VersionLifecycle(
                kind,
                str(v),
                _date(d["released"]),
                _date(d["endOfStandard"]),
                _date(d["endOfExtended"]),
                bool(d.get("estimated", False)),
                d.get("release"),
            )
            for v, d in ver_doc[kind]["versions"].items()
        }
        for kind in SUBSTRATE_KINDS
    }
    dc_doc = _read("data_classes.yaml")["dataClasses"]
    data_classes = {
        name: DataClass(
            name,
            d["description"],
            frozenset(d["residency"]) if "residency" in d else None,
            d.get("requiresIsolation"),
        )
        for name, d in dc_doc.items()
    }
    multi_regions = {
        kind: {
            str(name).lower(): MultiRegion(
                kind,
                str(name).lower(),
                None if m.get("anywhere") else frozenset(m["countries"]),
                m["name"],
                bool(m.get("verified", False)),
            )
            for name, m in (regions_doc[kind].get("multiRegions") or {}).items()
        }
        for kind in CLOUD_KINDS
    }
    cp = mach_doc["bareMetal"]["controlPlane"]
    limits = _read("limits.yaml")
    name_rules = {
        t: NameRule(
            t, int(r["max"]), str(r["pattern"]), int(r.get("min", 1)), bool(r.get("autonamed", True)), r["source"]
        )
        for t, r in limits["names"].items()
    }
    sizes = {
        kind: SizeLimits(
            lim.get("nodesPerNodePool"),
            lim.get("nodesPerNodePoolZone"),
            lim.get("nodesPerCluster"),
            lim.get("nodePoolsPerCluster"),
            lim["source"],
        )
        for kind, lim in limits["sizes"].items()
    }
    return Catalog(
        regions,
        jurisdictions,
        machine_types,
        pricing,
        versions,
        data_classes,
        (int(cp["vcpus"]), float(cp["memoryGib"])),
        multi_regions,
        {str(k): str(v) for k, v in (regions_doc["aws"].get("localZones") or {}).items()},
        name_rules,
        int(limits["autonameSuffix"]["length"]),
        sizes,
    )
