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
    #: A bare-metal instance, exposing hardware virtualization (chosen only where a sandbox needs it).
    metal: bool = False


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
class Chart:
    """An upstream Helm chart Strata installs, pinned: where it comes from and what it supports."""

    name: str
    repository: str
    version: str
    released: dt.date
    source: str
    #: Images it pulls, as ``registry/repository`` (the tag follows the chart's version).
    images: tuple[str, ...] = ()
    #: Kubernetes minor versions it runs on as a host, and (vCluster) those it runs virtually.
    host_versions: tuple[str, ...] = ()
    virtual_versions: tuple[str, ...] = ()
    licence: str | None = None


@dataclass(frozen=True)
class RuntimeOffer:
    """How one substrate provides a sandboxed runtime."""

    runtime: str
    substrate: str
    #: ``managed``: the provider installs it with the node pool (GKE Sandbox); ``kata-deploy``:
    #: Strata installs Kata Containers on the node pool's nodes.
    install: str
    #: The name people know it by, for messages (``GKE Sandbox``).
    label: str
    source: str
    #: The provider refuses a cluster whose node pools are all sandboxed (GKE).
    needs_default_pool: bool = False
    #: Only bare-metal machine types expose the virtualization it needs (AWS).
    metal_only: bool = False
    #: The Kubernetes distribution its installer configures (kata-deploy's ``k8sDistribution``).
    distribution: str | None = None


@dataclass(frozen=True)
class SandboxRuntime:
    """A sandboxed runtime: the RuntimeClass pods name, and the handler it maps to."""

    name: str
    runtime_class: str
    handler: str
    offers: Mapping[str, RuntimeOffer]


@dataclass(frozen=True)
class TenancyFacts:
    """What tenancy depends on: the Kubernetes version admission policies need, the sandboxes
    each substrate offers, and the pinned charts (vCluster, Kata)."""

    minimum_version: str
    minimum_version_source: str
    runtimes: Mapping[str, SandboxRuntime]
    vcluster: Chart
    kata_deploy: Chart

    def offer(self, runtime: str, substrate: str) -> RuntimeOffer | None:
        found = self.runtimes.get(runtime)
        return found.offers.get(substrate) if found else None

    def offered_on(self, runtime: str) -> list[str]:
        found = self.runtimes.get(runtime)
        return [f"{k} ({o.label})" for k, o in found.offers.items()] if found else []


def _chart(name: str, d: Mapping[str, Any]) -> Chart:
    return Chart(
        name=d.get("chart", name),
        repository=d["repository"],
        version=str(d["version"]),
        released=_date(d["released"]),
        source=d["source"],
        images=tuple(d.get("images") or ()),
        host_versions=tuple(str(v) for v in d.get("hostVersions") or ()),
        virtual_versions=tuple(str(v) for v in d.get("virtualVersions") or ()),
        licence=d.get("licence"),
    )


def _tenancy(doc: Mapping[str, Any]) -> TenancyFacts:
    runtimes = {
        name: SandboxRuntime(
            name,
            r["runtimeClass"],
            r["handler"],
            {
                kind: RuntimeOffer(
                    name,
                    kind,
                    o["install"],
                    o["label"],
                    o["source"],
                    bool(o.get("needsDefaultPool", False)),
                    bool(o.get("metalOnly", False)),
                    o.get("distribution"),
                )
                for kind, o in r["substrates"].items()
            },
        )
        for name, r in doc["runtimes"].items()
    }
    ap = doc["admissionPolicies"]
    charts = doc["charts"]
    return TenancyFacts(
        str(ap["minimumVersion"]),
        ap["source"],
        runtimes,
        _chart("vcluster", charts["vcluster"]),
        _chart("kata-deploy", charts["kataDeploy"]),
    )


@dataclass(frozen=True)
class AddonOffer:
    """How a substrate provides an add-on: ``helm`` (Strata installs the pinned chart), ``driver``
    (the substrate driver sets it up with the cluster: an EKS add-on, a GKE feature, RKE2's config),
    ``managed`` (the substrate runs it whatever Strata does) or ``bundled`` (the distribution ships
    it and the driver can only switch it off)."""

    substrate: str
    install: str
    source: str


@dataclass(frozen=True)
class StorageClassFacts:
    """The default StorageClass an add-on backs: provisioner, parameters, and the parameter that
    takes the pool's key (None where the provisioner cannot encrypt: ``encryption`` says how data at
    rest is protected then)."""

    name: str
    provisioner: str
    parameters: Mapping[str, str]
    key_parameter: str | None
    encryption: str
    expandable: bool


@dataclass(frozen=True)
class Addon:
    """One implementation of a paved-road need (``cert-manager`` for ``certificates``)."""

    name: str
    need: str
    label: str
    offers: Mapping[str, AddonOffer]
    #: The pinned chart when Strata installs it with Helm.
    chart: Chart | None = None
    namespace: str = "kube-system"
    #: Chart values Strata sets on every substrate.
    values: Mapping[str, Any] = field(default_factory=dict)
    #: Chart value paths (``webhook.image.repository``) → the upstream image (``repo:tag``) they pull.
    image_values: Mapping[str, str] = field(default_factory=dict)
    #: ``namespace/serviceaccount`` a substrate's driver gives a cloud identity (Pod Identity,
    #: Workload Identity) where the add-on calls the cloud's API.
    identity: str | None = None
    storage_class: StorageClassFacts | None = None
    #: Custom resource kinds the chart installs (``IPAddressPool.metallb.io``): what Strata renders
    #: of them waits for the release.
    crds: tuple[str, ...] = ()
    #: The Pod Security Standard its namespace enforces (MetalLB's speaker needs ``privileged``).
    pod_security: str = "baseline"
    #: Where an image's tag must follow the cluster's Kubernetes minor: the value path and the tag
    #: per minor (the Cluster Autoscaler).
    version_tags: tuple[str, Mapping[str, str]] | None = None

    def images_for(self, version: str) -> tuple[str, ...]:
        """The images it pulls on a cluster of ``version`` (a version-bound tag replaced)."""
        if self.version_tags is None:
            return self.images
        tag = self.version_tags[1].get(version)
        return tuple(f"{i.rsplit(':', 1)[0]}:{tag}" if tag else i for i in self.images)

    @property
    def images(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.image_values.values()))


@dataclass(frozen=True)
class Need:
    """Something every cluster needs (``storage``), its default per substrate, and why it cannot be
    turned off where it cannot (``required``)."""

    name: str
    label: str
    defaults: Mapping[str, str]
    required: str | None = None


@dataclass(frozen=True)
class PavedRoadFacts:
    """The paved road: needs, the implementations offered per substrate, and the registries each
    cloud's pull-through cache serves without credentials."""

    needs: Mapping[str, Need]
    addons: Mapping[str, Addon]
    #: Substrate → upstream registry host → the cache's name for it (``quay.io`` → ``quay``).
    caches: Mapping[str, Mapping[str, str]]
    caches_source: str
    #: Add-on → the identity policy its cloud identity gets on AWS (``document``, managed policy
    #: names in ``managed``, its ``source``): upstream documents, kept verbatim.
    aws_policies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def offered(self, need: str, substrate: str) -> list[str]:
        return [a.name for a in self.addons.values() if a.need == need and substrate in a.offers]


def _paved_road(doc: Mapping[str, Any]) -> PavedRoadFacts:
    needs = {name: Need(name, n["label"], dict(n["defaults"]), n.get("required")) for name, n in doc["needs"].items()}
    addons: dict[str, Addon] = {}
    for name, a in doc["addons"].items():
        sc = a.get("storageClass")
        addons[name] = Addon(
            name=name,
            need=a["need"],
            label=a["label"],
            offers={k: AddonOffer(k, o["install"], o["source"]) for k, o in a["substrates"].items()},
            chart=_chart(name, a["chart"]) if "chart" in a else None,
            namespace=a.get("namespace", "kube-system"),
            values=a.get("values") or {},
            image_values={str(k): str(v) for k, v in (a.get("images") or {}).items()},
            identity=a.get("identity"),
            storage_class=StorageClassFacts(
                sc["name"],
                sc["provisioner"],
                {str(k): str(v) for k, v in (sc.get("parameters") or {}).items()},
                sc.get("keyParameter"),
                sc["encryption"],
                bool(sc.get("expandable", False)),
            )
            if sc
            else None,
            crds=tuple(a.get("crds") or ()),
            pod_security=a.get("podSecurity", "baseline"),
            version_tags=(a["versionTags"]["value"], {str(k): str(v) for k, v in a["versionTags"]["tags"].items()})
            if "versionTags" in a
            else None,
        )
    caches = doc["caches"]
    return PavedRoadFacts(
        needs,
        addons,
        {k: dict(v) for k, v in caches.items() if k != "source"},
        caches["source"],
        _read("aws_addon_policies.json")["policies"],
    )


@dataclass(frozen=True)
class FrameworkFacts:
    """A data framework (``kafka``): the operator Strata installs for it and the custom resource an
    instance is. ``members`` names the declaration's count of members (``brokers``); ``fixed`` is
    what an instance runs beside them (vCPUs, GiB), drawn from the tenant's quota with them."""

    kind: str
    label: str
    api_version: str
    resource_kind: str
    members: str
    operand_version: str
    operand_source: str
    fixed: tuple[float, float]
    #: The operator's namespace, and the chart value listing the namespaces it acts in.
    namespace: str
    watch: str
    chart: Chart
    values: Mapping[str, Any] = field(default_factory=dict)
    #: Chart value paths → the upstream image they pull (see ``frameworks.yaml``).
    image_values: Mapping[str, str] = field(default_factory=dict)
    #: Images the operator starts for an instance (brokers, Elasticsearch nodes, Flink's).
    operands: tuple[str, ...] = ()
    #: Values that leave out what needs cert-manager, where the cluster has none (None: nothing does).
    without_certificates: Mapping[str, Any] | None = None
    #: The port of the instance's pods (selected by these labels) the operator calls.
    reaches: tuple[int, Mapping[str, str]] | None = None

    @property
    def images(self) -> tuple[str, ...]:
        """Every image the operator and its operands pull."""
        return tuple(dict.fromkeys([*self.image_values.values(), *self.operands]))


def _frameworks(doc: Mapping[str, Any]) -> dict[str, FrameworkFacts]:
    out: dict[str, FrameworkFacts] = {}
    for kind, f in doc["frameworks"].items():
        reaches = f.get("reaches")
        out[kind] = FrameworkFacts(
            kind=kind,
            label=f["label"],
            api_version=f["apiVersion"],
            resource_kind=f["kind"],
            members=f["members"],
            operand_version=str(f["operandVersion"]),
            operand_source=f["operandSource"],
            fixed=(float(f["fixed"]["cpu"]), float(f["fixed"]["memoryGib"])),
            namespace=f["namespace"],
            watch=f["watch"],
            chart=_chart(kind, f["chart"]),
            values=f.get("values") or {},
            image_values={str(k): str(v) for k, v in (f.get("images") or {}).items()},
            operands=tuple(f.get("operands") or ()),
            without_certificates=f.get("certificates"),
            reaches=(int(reaches["port"]), {str(k): str(v) for k, v in reaches["pods"].items()}) if reaches else None,
        )
    return out


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
    #: What tenants depend on (admission policies, sandboxes, pinned charts).
    tenancy: TenancyFacts = field(default_factory=lambda: _tenancy(_read("tenancy.yaml")))
    #: The paved road: add-ons every cluster gets, per substrate, and their pinned charts.
    paved_road: PavedRoadFacts = field(default_factory=lambda: _paved_road(_read("addons.yaml")))
    #: Data frameworks: their pinned operators and what an instance draws.
    frameworks: Mapping[str, FrameworkFacts] = field(default_factory=lambda: _frameworks(_read("frameworks.yaml")))

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
        typed = [(n, row, False) for n, row in doc["types"].items()]
        typed += [(n, row, True) for n, row in (doc.get("metalTypes") or {}).items()]
        for name, (vcpus, mem, gpus, price), metal in typed:
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
                    metal=metal,
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
        _tenancy(_read("tenancy.yaml")),
        _paved_road(_read("addons.yaml")),
    )
