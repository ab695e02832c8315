"""The paved road: which add-ons a cluster gets, where their images come from, and what is wrong
with a cluster's choices, decided on the plan before anything is registered.

Every need in the catalog (``catalog/data/addons.yaml``) gets its substrate's default unless the
cluster's ``addons`` names another implementation the substrate offers, or ``false``. What the
choice means on a substrate (a Helm chart Strata installs, something the driver sets up with the
cluster, something the substrate runs anyway) is catalog data with its source. Pure: no Pulumi.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

from strata.catalog import Catalog
from strata.catalog.model import Addon
from strata.declarations.errors import Problem
from strata.declarations.models import KubernetesClusterArgs, did_you_mean
from strata.planner import ClusterPlan, EnvironmentPlan, PoolPlan


@dataclass(frozen=True)
class ImagePull:
    """One image a cluster pulls: the upstream reference, the reference its nodes pull (``None``
    where it is only known once deployed: a cloud cache in an account or project), and from where."""

    image: str
    #: ``mirror`` (the site's registry), ``cache`` (the pool's pull-through cache) or ``upstream``.
    source: str
    #: The registry, or cache repository, the node pulls it from.
    pulled_from: str
    pulled: str | None

    @property
    def from_internet(self) -> bool:
        return self.source == "upstream"


@dataclass(frozen=True)
class AddonPlan:
    """A need, the implementation chosen for it and how the substrate provides it."""

    need: str
    addon: Addon
    #: ``helm``, ``driver``, ``managed`` or ``bundled`` (see :class:`strata.catalog.model.AddonOffer`).
    install: str
    #: ``default`` or ``chosen`` (named in the stack file).
    choice: str
    images: tuple[ImagePull, ...] = ()

    @property
    def name(self) -> str:
        return self.addon.name

    @property
    def version(self) -> str | None:
        return self.addon.chart.version if self.addon.chart and self.install == "helm" else None


def split_image(image: str) -> tuple[str, str]:
    """``quay.io/jetstack/x:v1`` → ``("quay.io", "jetstack/x:v1")``; a reference without a registry
    host is Docker Hub's."""
    head, _, rest = image.partition("/")
    if rest and ("." in head or ":" in head or head == "localhost"):
        return head, rest
    return "docker.io", image if rest else f"library/{image}"


def image_pull(catalog: Catalog, substrate: str, images: str | None, registry: str | None, image: str) -> ImagePull:
    """Where a node of a cluster pulls ``image`` from, given its ``images`` add-on (None: off)."""
    host, path = split_image(image)
    if images == "site-mirror" and registry:
        return ImagePull(image, "mirror", registry, f"{registry}/{path}")
    cache = catalog.paved_road.caches.get(substrate, {}).get(host) if images else None
    if cache:
        return ImagePull(image, "cache", f"the pool's {images} ({cache})", None)
    return ImagePull(image, "upstream", host, image)


def resolve(catalog: Catalog, substrate: str, cluster: KubernetesClusterArgs, registry: str | None) -> list[AddonPlan]:
    """The add-ons a cluster gets, in the catalog's order of needs; choices the substrate does not
    offer are left out (:func:`addon_problems` reports them)."""
    road = catalog.paved_road
    images_plan = _images_choice(catalog, substrate, cluster, registry)
    out: list[AddonPlan] = []
    for need in road.needs.values():
        given = cluster.addons.choice(need.name)
        if given is False:
            continue
        name = given if given is not None else need.defaults.get(substrate)
        addon = road.addons.get(name) if name else None
        if addon is None or addon.need != need.name or substrate not in addon.offers:
            continue
        if need.name == "images" and images_plan is None:
            continue  # a site without a mirror pulls from upstream
        if name == "metallb" and given is None and not cluster.addons.load_balancer_addresses:
            continue  # MetalLB by default only where the site reserved addresses for it
        install = addon.offers[substrate].install
        pulls = (
            tuple(image_pull(catalog, substrate, images_plan, registry, i) for i in addon.images_for(cluster.version))
            if install == "helm"
            else ()
        )
        out.append(AddonPlan(need.name, addon, install, "chosen" if given else "default", pulls))
    return out


def _images_choice(
    catalog: Catalog, substrate: str, cluster: KubernetesClusterArgs, registry: str | None
) -> str | None:
    given = cluster.addons.images
    if given is False:
        return None
    name = given or catalog.paved_road.needs["images"].defaults.get(substrate)
    if name == "site-mirror" and not registry:
        return None
    return name


def cluster_addons(catalog: Catalog, pool: PoolPlan, cluster: ClusterPlan) -> list[AddonPlan]:
    """The add-ons of a planned cluster."""
    return resolve(catalog, pool.substrate, cluster.spec, site_registry(pool))


def site_registry(pool: PoolPlan) -> str | None:
    site = pool.spec.substrate.bare_metal
    return site.airgap.registry if site and site.airgap else None


def addon_problems(plan: EnvironmentPlan, catalog: Catalog) -> list[Problem]:
    """Every paved-road problem of an environment's plan."""
    problems: list[Problem] = []
    for pool_path, pool in plan.pool_paths():
        problems += pool_addon_problems(catalog, pool, pool_path)
    return problems


def pool_addon_problems(catalog: Catalog, pool: PoolPlan, pool_path: str) -> list[Problem]:
    problems: list[Problem] = []
    ranges: list[tuple[str, str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for path, cluster in pool.cluster_paths(pool_path):
        problems += cluster_addon_problems(catalog, pool, cluster, path)
        for k, text in enumerate(cluster.spec.addons.load_balancer_addresses):
            for net in _networks(text):
                ranges.append((f"{path}.addons.loadBalancerAddresses[{k}]", text, net))
    # Two clusters of a site handing out the same address, or a host's address, break both.
    hosts = pool.spec.substrate.bare_metal.hosts if pool.spec.substrate.bare_metal else ()
    clashes: dict[str, tuple[str, str]] = {}
    for i, (where, text, net) in enumerate(ranges):
        clash = next((w for w, _, other in ranges[:i] if w != where and net.overlaps(other)), None)
        if clash:
            clashes.setdefault(where, (clash, text))
    for where, (clash, text) in clashes.items():
        problems.append(Problem(where, f"overlaps {clash}: each address is handed out once", text))
    for where, text, nets in _by_range(ranges):
        held = [h for h in hosts if (a := _address(h.address)) is not None and any(a in n for n in nets)]
        if held:
            listed = ", ".join(f"{h.name} ({h.address})" for h in held[:5]) + (" ..." if len(held) > 5 else "")
            problems.append(Problem(where, f"holds the address of {len(held)} host(s): {listed}", text))
    return problems


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None  # a DNS name: not compared


def _by_range(
    ranges: list[tuple[str, str, ipaddress.IPv4Network | ipaddress.IPv6Network]],
) -> list[tuple[str, str, list[ipaddress.IPv4Network | ipaddress.IPv6Network]]]:
    """The networks of each declared range together (a range of addresses is several networks)."""
    out: dict[str, tuple[str, list[ipaddress.IPv4Network | ipaddress.IPv6Network]]] = {}
    for where, text, net in ranges:
        out.setdefault(where, (text, []))[1].append(net)
    return [(where, text, nets) for where, (text, nets) in out.items()]


def _networks(text: str) -> Iterator[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    if "-" in text:
        first, last = (ipaddress.ip_address(p) for p in text.split("-", 1))
        yield from ipaddress.summarize_address_range(first, last)
    else:
        yield ipaddress.ip_network(text)


def cluster_addon_problems(catalog: Catalog, pool: PoolPlan, cluster: ClusterPlan, path: str) -> list[Problem]:
    road = catalog.paved_road
    substrate = pool.substrate
    spec = cluster.spec.addons
    registry = site_registry(pool)
    problems: list[Problem] = []
    for need in road.needs.values():
        given = spec.choice(need.name)
        here = f"{path}.addons.{need.name}"
        offered = road.offered(need.name, substrate)
        if given is False:
            default = road.addons.get(need.defaults.get(substrate, ""))
            provided = default.offers.get(substrate) if default else None
            if need.required:
                problems.append(Problem(here, f"{need.label} cannot be turned off: {need.required}", False))
            elif default is not None and provided is not None and provided.install == "managed":
                problems.append(
                    Problem(
                        here,
                        f"{need.label} on {substrate} is {default.label}, which {substrate} runs itself: "
                        "it cannot be turned off here",
                        False,
                    )
                )
            elif need.name == "images" and registry:
                problems.append(
                    Problem(
                        here,
                        f"an air-gapped site pulls every image from its mirror ({registry}); it cannot go without",
                        False,
                    )
                )
            continue
        if given is None:
            continue
        addon = road.addons.get(given)
        offer = f"{substrate} offers {', '.join(offered) or 'none (write false)'}"
        if addon is None:
            problems.append(
                Problem(here, f"no {need.label} is called {given!r}; {offer}{did_you_mean(given, offered)}", given)
            )
        elif addon.need != need.name:
            problems.append(
                Problem(here, f"{given!r} is {road.needs[addon.need].label}, not {need.label}; {offer}", given)
            )
        elif substrate not in addon.offers:
            problems.append(
                Problem(here, f"{given!r} runs on {', '.join(addon.offers)}, not {substrate}; {offer}", given)
            )
        elif given == "site-mirror" and not registry:
            problems.append(
                Problem(here, "the site's mirror is substrate.bareMetal.airgap.registry, and none is declared", given)
            )
    lb = next((a for a in resolve(catalog, substrate, cluster.spec, registry) if a.need == "loadBalancers"), None)
    metallb = lb is not None and lb.name == "metallb"
    metallb_offered = substrate in road.addons["metallb"].offers
    if spec.load_balancers == "metallb" and metallb_offered and not spec.load_balancer_addresses:
        problems.append(
            Problem(
                f"{path}.addons.loadBalancerAddresses",
                "MetalLB hands out addresses from the site's network: list the CIDR blocks or ranges "
                "(10.20.9.0/28, 10.20.9.10-10.20.9.30) reserved for this cluster's load balancers",
                [],
            )
        )
    if spec.load_balancer_addresses and not metallb:
        if not metallb_offered:
            why = f"{substrate} clusters get load balancers from {road.needs['loadBalancers'].defaults[substrate]}"
        elif spec.load_balancers is False:
            why = "this cluster's load balancers are turned off"
        else:
            why = f"this cluster's load balancers are {spec.load_balancers}"
        problems.append(
            Problem(
                f"{path}.addons.loadBalancerAddresses",
                f"only MetalLB (bare metal) takes addresses; {why}",
                list(spec.load_balancer_addresses),
            )
        )
    # A version the substrate does not offer is reported as such; what runs on it is moot.
    known = catalog.version(substrate, cluster.version) is not None
    for added in resolve(catalog, substrate, cluster.spec, registry) if known else ():
        chart = added.addon.chart
        if added.install != "helm" or chart is None:
            continue
        where = f"{path}.addons.{added.need}" if added.choice == "chosen" else f"{path}.version"
        supported = list(chart.host_versions)
        if added.addon.version_tags is not None:
            supported = list(added.addon.version_tags[1])
        if supported and cluster.version not in supported:
            problems.append(
                Problem(
                    where,
                    f"{added.addon.label} {chart.version} (the catalog's pin) runs on Kubernetes "
                    f"{', '.join(supported)}, not {cluster.version} ({chart.source}); "
                    f"run another Kubernetes version or set addons.{added.need}: false",
                    added.name if added.choice == "chosen" else cluster.version,
                )
            )
    return problems
