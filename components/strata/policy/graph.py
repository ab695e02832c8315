"""Where a resource runs, from what is physical about it — never from what it is called.

* A located type (every AWS and GCP type with a region, location or zone input; see
  :mod:`strata.policy.types`) is where its own inputs put it, in the order its provider resolves
  them, then where its provider's settings put it (``region``, ``zone``), then the provider's fixed
  default — plus every further place its data goes (replicas, backups, exports). If none of that
  says, its place *cannot be established*: it is never borrowed from a neighbour, a parent or the
  first cluster in the stack. A provider that sends a service's calls to a custom endpoint (an
  S3-compatible store elsewhere) makes the place of that service's resources unknowable.
* A reference (a KMS key's key ring, a log sink's destination, a replication target) places a
  resource where the reference's text says (a path's ``locations/L``, an ARN's region), or where
  the resource of this stack it depends on is.
* A host reached over SSH (``command:remote:Command``) is where the machine it connects to is, if
  that machine (an instance, an address) is a resource of this stack; otherwise at the bare-metal
  site its nearest enclosing component claims — a claim believed only where nothing physical says
  otherwise, and overridden by the country the policy config pins for the site (``sites``). A host
  that is neither cannot be placed.
* A Kubernetes object runs on the cluster its ``kubernetes`` provider's kubeconfig comes from:
  the clusters, machines and hosts of this stack the provider's ``kubeconfig`` input is built from,
  followed through intermediates that only carry values (random strings, certificates, components
  wrapping a cluster), and the API servers the kubeconfig's text names when it is known (an EKS or
  GKE DNS endpoint says its region). Other resources the kubeconfig happens to depend on (a
  bucket, a secret holding a token) are not clusters and place nothing. A kubeconfig printed by a
  local command or read from another cluster's objects could be any cluster's: it cannot be placed
  — except a virtual cluster's: one built from a release of the vCluster chart (loft's, or an OCI
  mirror's ``…/charts/vcluster``) running only vCluster's images, whose exported kubeconfig names
  that release's own service (``https://<release>.<namespace>``), runs on the release's cluster
  and is placed there (the ``vc-<release>`` secret read beside it adds nothing).
* *Which* cluster a Kubernetes object is on (:meth:`StackGraph.cluster_identity`) is the same
  evidence, kept as names instead of places: the clusters and machines of this stack its provider's
  kubeconfig is built from, merged across every provider sharing one of them, so a program cannot
  split one cluster into two by building two providers from it.

Every answer is a set of places, so a verdict requires *all* of them to be allowed, and nothing
depends on the order resources arrive in. Answers are memoised per graph: each resource and each
link is visited once, however the program wires them.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import pairwise
from typing import Any
from urllib.parse import urlparse

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from strata.policy import props as p
from strata.policy.location import Location, from_reference, parse
from strata.policy.ownership import component_claims
from strata.policy.types import TypeFacts, type_facts

Places = frozenset[Location]

REMOTE_COMMAND = "command:remote:Command"
LOCAL_COMMAND = "command:local:Command"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"
#: Roles of resources a kubeconfig's cluster can be: a cluster, or machines that run one.
MACHINE_ROLES = frozenset({"cluster", "node", "node-pool"})
#: Roles an SSH connection can lead to: machines and the addresses that reach them.
HOST_ROLES = MACHINE_ROLES | {"address"}
#: Hosts a provider's own API lives on: an endpoint elsewhere is a custom endpoint.
PROVIDER_HOSTS = {"aws": (".amazonaws.com", ".amazonaws.com.cn", ".api.aws"), "gcp": (".googleapis.com",)}
_SERVER = re.compile(r"""["']?server["']?\s*:\s*["']?(https?://[^\s"',}]+)""")
_EKS_HOST = re.compile(r"\.([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d)\.eks\.amazonaws\.com(?:\.cn)?$")
_GKE_DNS_HOST = re.compile(r"\.([a-z]+-[a-z]+\d+)\.gke\.goog$")


#: A Helm release, and the chart a virtual cluster is (vCluster: ``vc-<release>`` holds its kubeconfig).
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
VCLUSTER_CHART = "vcluster"
VCLUSTER_REPOSITORY = "https://charts.loft.sh"
#: The repositories vCluster's own images live in (the syncer and the Kubernetes distribution).
VCLUSTER_IMAGES = ("loft-sh/vcluster-oss", "loft-sh/vcluster", "loft-sh/kubernetes")


_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
#: The vCluster values a virtual cluster the pack believes may set (what Strata sets): anything
#: else could send its workloads, nodes or state elsewhere (``privateNodes``, ``experimental``
#: isolated control planes, an external backing store, ...).
VCLUSTER_VALUES = (
    "controlPlane.distro.k8s.enabled",
    "controlPlane.distro.k8s.image.",
    "controlPlane.distro.k8s.securityContext.",
    "controlPlane.distro.k8s.resources.",
    "controlPlane.statefulSet.image.",
    "controlPlane.statefulSet.security.",
    "controlPlane.statefulSet.resources.",
    "exportKubeConfig.server",
    "policies.podSecurityStandard",
    "policies.resourceQuota.",
    "policies.limitRange.",
    "sync.toHost.pods.runtimeClassName",
)


def _only_allowed_values(values: Any) -> bool:
    """Every value a vCluster release sets is under :data:`VCLUSTER_VALUES`."""

    def leaves(node: Any, path: str, depth: int) -> Iterator[str]:
        if depth > 32:
            yield "(too deep)"
        elif isinstance(node, Mapping) and node:
            for k, v in node.items():
                yield from leaves(v, f"{path}{k}.", depth + 1)
        else:
            yield path.rstrip(".")

    if not isinstance(values, Mapping):
        return values is None
    return all(
        any(leaf == a.rstrip(".") or (a.endswith(".") and leaf.startswith(a)) for a in VCLUSTER_VALUES)
        for leaf in leaves(values, "", 0)
    )


def _only_vcluster_images(values: Any, depth: int = 0) -> bool:
    """Every image a vCluster release's values set (``…image: {registry, repository}`` or a
    reference) is one of vCluster's own repositories; an unknown or unreadable one is not."""
    if depth > 32 or p.is_unknown(values):
        return False
    if isinstance(values, Mapping):
        for key, value in values.items():
            if key == "image" and value is not None:
                ref = value.get("repository") if isinstance(value, Mapping) else value
                if not isinstance(ref, str) or p.is_unknown(ref):
                    return False
                base = ref.split("@", 1)[0]
                if ":" in base.rsplit("/", 1)[-1]:  # a tag, not a registry's port
                    base = base.rsplit(":", 1)[0]
                if not any(base == i or base.endswith(f"/{i}") for i in VCLUSTER_IMAGES):
                    return False
            elif not _only_vcluster_images(value, depth + 1):
                return False
    elif isinstance(values, list):
        return all(_only_vcluster_images(v, depth + 1) for v in values)
    return True


def _vouches(release: PolicyResource, secret: PolicyResource) -> bool:
    """A Secret read from a virtual cluster's host that is that virtual cluster's kubeconfig
    (``vc-<release>`` in the release's namespace, through the same provider)."""
    if secret.resource_type != "kubernetes:core/v1:Secret" or secret.provider is None or release.provider is None:
        return False
    name, namespace = p.peek(secret.props, "metadata.name")[1], p.peek(secret.props, "metadata.namespace")[1]
    return (
        secret.provider.urn == release.provider.urn
        and name == f"vc-{p.peek(release.props, 'name')[1]}"
        and namespace == p.peek(release.props, "namespace")[1]
    )


class Unplaced(Exception):
    """The resource's place cannot be established; the message says why."""


class _Cycle(Exception):
    pass


def _role(r: PolicyResource) -> str | None:
    facts = type_facts(r.resource_type)
    return facts.role if facts else None


def server_places(kubeconfig: str) -> Places:
    """The places the API servers a kubeconfig's text names are in, where their names say it (an
    EKS endpoint ``….eu-central-1.eks.amazonaws.com``, a GKE DNS endpoint ``….europe-west3.gke.goog``)."""
    out: set[Location] = set()
    for url in _SERVER.findall(kubeconfig):
        host = (urlparse(url).hostname or "").lower()
        if ((m := _EKS_HOST.search(host)) and (loc := parse("aws", m.group(1)))) or (
            (m := _GKE_DNS_HOST.search(host)) and (loc := parse("gcp", m.group(1)))
        ):
            out.add(loc)
    return frozenset(out)


class StackGraph:
    """The resources of one stack and their links, for finding where each one is."""

    def __init__(self, resources: Sequence[PolicyResource], sites: Mapping[str, str] | None = None) -> None:
        self.resources = list(resources)
        self.by_urn = {r.urn: r for r in self.resources}
        self.children: dict[str, list[PolicyResource]] = defaultdict(list)
        for r in self.resources:
            if r.parent is not None:
                self.children[r.parent.urn].append(r)
        self.sites = {str(k): str(v).upper() for k, v in (sites or {}).items()}
        self._memo: dict[str, Places | BaseException | None] = {}
        self._open: set[str] = set()
        self._clusters: dict[str, Places | BaseException] = {}
        self._identities: dict[str, frozenset[str] | Unplaced] | None = None
        self._virtual: dict[str, bool] = {}

    # ------------------------------------------------------------------ any resource

    def placement(self, r: PolicyResource) -> Places | None:
        """Where ``r`` is, or None if it has no place of its own to judge (a global type, a
        Kubernetes object, a component). Raises :class:`Unplaced`, ``UnknownValueError`` or
        :class:`~strata.policy.props.Malformed`."""
        if r.urn in self._memo:
            found = self._memo[r.urn]
            if isinstance(found, BaseException):
                raise found
            return found
        if r.urn in self._open:
            raise _Cycle(r.urn)
        self._open.add(r.urn)
        try:
            result = self._compute(r)
        except _Cycle:
            self._open.discard(r.urn)
            raise Unplaced(f"{r.resource_type} {r.name} depends on itself") from None
        except (Unplaced, UnknownValueError, p.Malformed) as err:
            self._memo[r.urn] = err
            raise
        finally:
            self._open.discard(r.urn)
        self._memo[r.urn] = result
        return result

    def _compute(self, r: PolicyResource) -> Places | None:
        facts = type_facts(r.resource_type)
        if facts is not None and facts.located:
            self._custom_endpoint(r, facts)
            return self._own(r, facts)
        if r.resource_type == REMOTE_COMMAND:
            return self._host(r)
        return None

    def _own(self, r: PolicyResource, facts: TypeFacts) -> Places | None:
        provider = facts.provider
        extra: set[Location] = set()
        for path in facts.also:
            extra |= self._places_at(r, path, provider, required=True)
        if facts.anywhere:
            extra.add(Location(f"anywhere: {facts.anywhere}", frozenset()))
        for path, why in facts.anywhere_if:
            unknown, value = p.peek(r.props, path)
            if unknown or value:
                extra.add(Location(f"anywhere: {why} ({path})", frozenset()))
        own = self._own_place(r, facts)
        if own is None and not extra:
            return None  # a type placed only by what it copies to (a subscription), copying nowhere
        return (own or frozenset()) | extra

    def _own_place(self, r: PolicyResource, facts: TypeFacts) -> Places | None:
        """Where the resource itself is (None for a type with no place of its own)."""
        provider = facts.provider
        if not (facts.at or facts.fallback or facts.default or facts.otherwise):
            return None
        for path in facts.at:
            found = self._places_at(r, path, provider, required=False)
            if found:
                return found
        if facts.default:
            return frozenset({loc for loc in [parse(provider, facts.default)] if loc})
        settings = r.provider.props if r.provider is not None else None
        for key in facts.fallback:
            value = p.text(settings, key)
            if value:
                return frozenset({loc for loc in [parse(provider, value)] if loc})
        if facts.otherwise == "anywhere":
            return frozenset({Location(f"anywhere ({provider} chooses)", frozenset())})
        inputs = " or ".join(f"`{a.lstrip('@')}`" for a in facts.at) or "no location input"
        refs = [a for a in facts.at if a.startswith("@")]
        named = [v for a in refs for v in self._texts(r, a[1:])]
        if named:
            shown = ", ".join(named)
            raise Unplaced(f"{inputs} names {shown}, which is not a resource of this stack and carries no location")
        if facts.fallback:
            who = f"its provider {r.provider.name}" if r.provider is not None else "it has no provider and"
            settings_named = " or ".join(f"`{k}`" for k in facts.fallback)
            raise Unplaced(f"{inputs} is not set and {who} sets no {settings_named}")
        raise Unplaced(f"{inputs} is not set")

    def _texts(self, r: PolicyResource, path: str) -> list[str]:
        try:
            return p.values_at(r.props, path)
        except (UnknownValueError, p.Malformed):
            return []

    def _places_at(self, r: PolicyResource, path: str, provider: str, *, required: bool) -> Places:
        """The places the input at ``path`` names (an ``@`` reference: what it refers to). With
        ``required``, a reference that is set but cannot be placed is an error, not "nothing"."""
        if not path.startswith("@"):
            return frozenset(loc for v in p.values_at(r.props, path) if (loc := parse(provider, v)))
        ref = path[1:]
        key = ref.split(".")[0].split("[")[0]
        unknown, _ = p.peek(r.props, ref.split("[")[0])
        try:
            values = p.values_at(r.props, ref)
        except UnknownValueError:
            values, unknown = [], True
        out: set[Location] = set()
        unplaced: list[str] = []
        for value in values:
            loc = from_reference(provider, value)
            if loc is not None:
                out.add(loc)
            else:
                unplaced.append(value)
        deps = [d for d in r.property_dependencies.get(key, []) if d.urn != r.urn]
        if (unplaced or unknown) and deps:
            out |= self._union(deps)
        elif unknown and not deps:
            raise UnknownValueError(UNKNOWN_STRING_VALUE, [ref])
        elif unplaced and required:
            raise Unplaced(
                f"`{ref}` names {', '.join(unplaced)}, which is not a resource of this stack and carries no location"
            )
        return frozenset(out)

    def _union(self, resources: Iterable[PolicyResource]) -> Places:
        out: set[Location] = set()
        for d in resources:
            found = self.placement(d)
            if found:
                out |= found
        return frozenset(out)

    def _custom_endpoint(self, r: PolicyResource, facts: TypeFacts) -> None:
        """A provider pointing this resource's service at an endpoint not its cloud's own."""
        if r.provider is None or facts.provider not in PROVIDER_HOSTS:
            return
        service = r.resource_type.split(":")[1].split("/")[0]
        settings = r.provider.props
        url: Any = None
        if facts.provider == "aws":
            try:
                endpoints = p.unproxied(p.decoded(settings, "endpoints", "a list of endpoint objects"))
            except p.Malformed:
                endpoints = None
            for entry in endpoints if isinstance(endpoints, list) else [endpoints] if endpoints else []:
                if isinstance(entry, Mapping) and entry.get(service):
                    url = entry[service]
        else:
            url = p.get(settings, f"{service}CustomEndpoint")
        if not url:
            return
        host = (urlparse(str(url)).hostname or str(url)).lower()
        if not host.endswith(PROVIDER_HOSTS[facts.provider]):
            raise Unplaced(
                f"its provider {r.provider.name} sends {service} calls to {url}, an endpoint outside "
                f"{facts.provider}: where its data lands cannot be established"
            )

    # ------------------------------------------------------------------ hosts and sites

    def _host(self, r: PolicyResource) -> Places:
        reached = [
            d
            for d in r.property_dependencies.get("connection", [])
            if _role(d) in HOST_ROLES or d.resource_type == REMOTE_COMMAND
        ]
        if reached:  # the machine it connects to is a resource of this stack: physical evidence
            out = self._union(reached)
            if out:
                return out
        site = self.site_of(r)
        if site is not None:
            return site
        raise Unplaced(
            "it connects over SSH to a host that is neither a machine of this stack nor on a site an "
            "enclosing component claims"
        )

    def site_of(self, r: PolicyResource) -> Places | None:
        """The bare-metal site the nearest enclosing component claims for ``r`` (pinned by the
        policy config when it names sites), or None when no enclosing component claims one."""
        ancestor = r.parent
        seen: set[str] = set()
        while ancestor is not None and ancestor.urn not in seen:
            seen.add(ancestor.urn)
            claim = component_claims(ancestor.props)
            if claim.get("substrate") == "bareMetal" and claim.get("site"):
                site = claim["site"]
                if self.sites:
                    if site not in self.sites:
                        raise Unplaced(
                            f"it is on site {site!r}, which is not among the sites the policy config pins "
                            f"({', '.join(sorted(self.sites))})"
                        )
                    return frozenset({Location(f"site {site}", frozenset({self.sites[site]}))})
                country = claim.get("country", "").upper()
                if not country:
                    raise Unplaced(f"site {site!r} claims no country")
                return frozenset({Location(f"site {site}", frozenset({country}))})
            ancestor = ancestor.parent
        return None

    # ------------------------------------------------------------------ Kubernetes objects

    def cluster_placement(self, r: PolicyResource) -> Places:
        """Where the cluster that Kubernetes object ``r`` is deployed to runs. Raises
        :class:`Unplaced` when that cannot be established from the stack."""
        if r.provider is None:
            raise Unplaced("it names no Kubernetes provider")
        key = r.provider.urn
        if key not in self._clusters:
            try:
                self._clusters[key] = self._provider_cluster(r)
            except (Unplaced, UnknownValueError, p.Malformed) as err:
                self._clusters[key] = err
        found = self._clusters[key]
        if isinstance(found, BaseException):
            raise found
        return found

    def _provider_cluster(self, r: PolicyResource) -> Places:
        assert r.provider is not None
        provider = self.by_urn.get(r.provider.urn)
        if provider is None:
            raise Unplaced(f"its provider {r.provider.name} is not among the stack's resources")
        unknown, text = p.peek(provider.props, "kubeconfig")
        named = server_places(text) if isinstance(text, str) else frozenset()
        selects = [k for k in ("context", "cluster") if any(p.peek(provider.props, k))]
        if selects:
            # The provider picks one entry of a kubeconfig that may hold many: only its text tells which.
            if unknown:
                raise UnknownValueError(UNKNOWN_STRING_VALUE, ["kubeconfig"])
            if not named:
                raise Unplaced(
                    f"its provider {provider.name} selects a {selects[0]} of a kubeconfig whose servers do not "
                    "say where they are"
                )
            return named
        deps = provider.property_dependencies.get("kubeconfig", [])
        self._virtual_text(provider, deps, unknown, text)
        traced = self._trace(deps, provider.name)
        if traced or named:
            return traced | named
        if not deps:
            if r.provider.name.startswith("default"):
                raise Unplaced(
                    "it is deployed through the default Kubernetes provider, whose cluster is whatever "
                    "kubeconfig the deploying machine holds"
                )
            raise Unplaced(f"the kubeconfig of its provider {provider.name} is not built from a cluster of this stack")
        raise Unplaced(
            f"the kubeconfig of its provider {provider.name} is built from "
            f"{', '.join(sorted(f'{d.resource_type} {d.name}' for d in deps))}, none of which is a cluster or a "
            "machine of this stack"
        )

    def _trace(self, start: Iterable[PolicyResource], via: str) -> Places:
        """The places of the clusters and machines a kubeconfig is built from (breadth first, each
        resource once)."""
        out: set[Location] = set()
        for d in self._sources(start, via):
            if d.resource_type == HELM_RELEASE:  # a virtual cluster: it runs on its host's nodes
                out |= self.cluster_placement(d)
                continue
            try:
                found = self.placement(d)
            except (Unplaced, p.Malformed) as err:
                raise Unplaced(f"its cluster ({d.resource_type} {d.name}) cannot be placed: {err}") from None
            if not found:
                raise Unplaced(f"its cluster ({d.resource_type} {d.name}) has no place")
            out |= found
        return frozenset(out)

    def _sources(self, start: Iterable[PolicyResource], via: str) -> Iterator[PolicyResource]:
        """The clusters and machines (and SSH commands on them) a kubeconfig is built from, breadth
        first, each resource once; raises :class:`Unplaced` where it is read from something that
        could hold any cluster's (a local command, another cluster's objects)."""
        seen: set[str] = set()
        start = list(start)
        virtual = [d for d in start if self.virtual_cluster(d)]
        queue = deque(start)
        while queue:
            d = queue.popleft()
            if d.urn in seen:
                continue
            seen.add(d.urn)
            role = _role(d)
            if role in MACHINE_ROLES or d.resource_type == REMOTE_COMMAND or d in virtual:
                yield d
            elif any(_vouches(v, d) for v in virtual):
                continue  # the virtual cluster's own kubeconfig secret, read from its host
            elif d.resource_type == LOCAL_COMMAND:
                raise Unplaced(
                    f"the kubeconfig of {via} is printed by the local command {d.name}, which could print any "
                    "cluster's: build it from the cluster resource's outputs instead"
                )
            elif d.resource_type.startswith("kubernetes:"):
                raise Unplaced(
                    f"the kubeconfig of {via} is read from {d.resource_type} {d.name} on another cluster, which "
                    "may name any cluster (a Cluster API workload cluster, ...)"
                )
            elif wrapped := [c for c in self._descendants(d) if _role(c) in MACHINE_ROLES]:
                queue.extend(wrapped)  # a component wrapping a cluster (pulumi-eks's eks:index:Cluster, ...)
            elif (facts := type_facts(d.resource_type)) is not None and facts.located:
                continue  # a bucket, a key, a secret: data the kubeconfig used, not a cluster
            else:
                queue.extend(x for deps in d.property_dependencies.values() for x in deps)

    def virtual_hosts(self, r: PolicyResource) -> frozenset[frozenset[str]]:
        """For a Kubernetes object deployed into a virtual cluster: the identities of the clusters
        the virtual clusters its provider's kubeconfig is built from run on (an empty identity for
        one that cannot be established). Empty for an object on a real cluster."""
        provider = self.by_urn.get(r.provider.urn) if r.provider is not None else None
        if provider is None:
            return frozenset()
        out: set[frozenset[str]] = set()
        for d in provider.property_dependencies.get("kubeconfig", []):
            if self.virtual_cluster(d):
                try:
                    out.add(self.cluster_identity(d))
                except Unplaced:
                    out.add(frozenset())
        return frozenset(out)

    def _virtual_text(self, provider: PolicyResource, deps: Sequence[PolicyResource], unknown: bool, text: Any) -> None:
        """A kubeconfig built from a virtual cluster names only that virtual cluster's own service
        once its text is known (at ``up``): one that names another server is not the virtual
        cluster's, whatever it was built from. Raises :class:`Unplaced`."""
        exported = {
            str(p.peek(d.props, "values.exportKubeConfig.server")[1]).rstrip("/")
            for d in deps
            if self.virtual_cluster(d)
        }
        if not exported or unknown or not isinstance(text, str):
            return
        servers = {u.rstrip("/") for u in _SERVER.findall(text)}
        if not servers or servers - exported:
            raise Unplaced(
                f"the kubeconfig of its provider {provider.name} is built from a virtual cluster but names "
                f"{', '.join(sorted(servers)) or 'no server'}, not its service {', '.join(sorted(exported))}"
            )

    def virtual_cluster(self, d: PolicyResource) -> bool:
        """Whether ``d`` is a virtual cluster a kubeconfig may be built from: a Helm release of the
        vCluster chart (loft's repository, or a ``…/charts/vcluster`` OCI mirror of it) running
        vCluster's own images (any registry: mirrors and caches keep loft's repository names),
        whose exported kubeconfig names the release's own service in its own namespace
        (``https://<release>.<namespace>``), so the API server it leads to is that release's pods,
        on the release's cluster. Anything else read from a cluster is not: another chart, or
        vCluster running another image, could forward to any cluster."""
        if d.urn not in self._virtual:
            self._virtual[d.urn] = self._is_virtual_cluster(d)
        return self._virtual[d.urn]

    def _is_virtual_cluster(self, d: PolicyResource) -> bool:
        if d.resource_type != HELM_RELEASE:
            return False
        chart = p.peek(d.props, "chart")[1]
        name, namespace = p.peek(d.props, "name")[1], p.peek(d.props, "namespace")[1]
        server = p.peek(d.props, "values.exportKubeConfig.server")[1]
        if not all(isinstance(x, str) and x for x in (chart, name, namespace, server)):
            return False
        if not (_DNS_LABEL.fullmatch(name) and _DNS_LABEL.fullmatch(namespace)):
            return False  # a Service is named after the release: a dotted name is not one
        if any(p.peek(d.props, k)[0] or p.peek(d.props, k)[1] for k in ("valueYamlFiles", "postrender")):
            return False  # values the pack cannot read, or manifests rewritten after rendering
        if chart.startswith("oci://"):
            if not chart.endswith(f"/charts/{VCLUSTER_CHART}"):
                return False
        elif chart != VCLUSTER_CHART or p.peek(d.props, "repositoryOpts.repo")[1] != VCLUSTER_REPOSITORY:
            return False
        values = p.unproxied(p.peek(d.props, "values")[1])
        if not _only_vcluster_images(values) or not _only_allowed_values(values):
            return False
        host = urlparse(server)
        return host.scheme == "https" and host.hostname == f"{name}.{namespace}" and host.path in ("", "/")

    # ------------------------------------------------------------------ which cluster

    def cluster_identity(self, r: PolicyResource) -> frozenset[str]:
        """Which cluster Kubernetes object ``r`` is deployed to: the URNs of the clusters and
        machines of this stack its provider's kubeconfig is built from, merged with every other
        provider's that shares one of them (a node pool is its cluster's; two providers built from
        one EKS cluster, or naming one API server in their kubeconfig's text, are one cluster). Two
        objects are on the same cluster when their identities are equal. Raises :class:`Unplaced`
        when the kubeconfig is not built from a cluster of this stack (the default provider, text,
        a local command, another cluster's objects)."""
        if r.provider is None:
            raise Unplaced("it names no Kubernetes provider")
        if self._identities is None:
            self._identities = self._cluster_identities()
        found = self._identities.get(r.provider.urn)
        if found is None:
            raise Unplaced(f"its provider {r.provider.name} is not among the stack's resources")
        if isinstance(found, Unplaced):
            raise found
        return found

    def _cluster_identities(self) -> dict[str, frozenset[str] | Unplaced]:
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        def union(a: str, b: str) -> None:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)  # deterministic, whatever the order resources arrive in

        for r in self.resources:  # a node pool or node group is part of the cluster it names
            if _role(r) in MACHINE_ROLES:
                find(r.urn)
                for d in (x for deps in r.property_dependencies.values() for x in deps):
                    if _role(d) in MACHINE_ROLES:
                        union(r.urn, d.urn)
        tokens: dict[str, set[str]] = {}
        failed: dict[str, Unplaced] = {}
        for provider in self.resources:
            if provider.resource_type != KUBERNETES_PROVIDER:
                continue
            found: set[str] = set()
            unknown, text = p.peek(provider.props, "kubeconfig")
            servers = {f"server {u}" for u in _SERVER.findall(text)} if isinstance(text, str) and not unknown else set()
            deps = provider.property_dependencies.get("kubeconfig", [])
            try:
                self._virtual_text(provider, deps, unknown, text)
                for d in self._sources(deps, provider.name):
                    found |= self._machine_tokens(d)
                if not found:
                    raise Unplaced(
                        "it is deployed through the default Kubernetes provider, whose cluster is whatever kubeconfig "
                        "the deploying machine holds"
                        if provider.name.startswith("default") and not deps
                        else f"the kubeconfig of its provider {provider.name} is not built from a cluster of this stack"
                    )
            except Unplaced as err:
                failed[provider.urn] = err
            every = sorted(found | servers)
            for t in every:
                find(t)
            for a, b in pairwise(every):
                union(a, b)
            tokens[provider.urn] = found | servers
        members: dict[str, set[str]] = defaultdict(set)
        for x in list(parent):
            members[find(x)].add(x)
        out: dict[str, frozenset[str] | Unplaced] = {}
        for urn, mine in tokens.items():
            if urn in failed:
                out[urn] = failed[urn]
            else:
                out[urn] = frozenset(y for t in mine for y in members[find(t)])
        return out

    def _machine_tokens(self, d: PolicyResource) -> set[str]:
        """What names a machine a kubeconfig comes from: the resource itself; for an SSH command,
        the machine of this stack it connects to, else the host its connection names."""
        if d.resource_type != REMOTE_COMMAND:
            return {d.urn}
        reached = {x.urn for x in d.property_dependencies.get("connection", []) if _role(x) in HOST_ROLES}
        if reached:
            return reached
        unknown, host = p.peek(d.props, "connection.host")
        if isinstance(host, str) and host and not unknown:
            return {f"ssh {host}"}
        return {d.urn}

    def _descendants(self, r: PolicyResource) -> list[PolicyResource]:
        out: list[PolicyResource] = []
        todo = list(self.children.get(r.urn, []))
        seen: set[str] = set()
        while todo:
            c = todo.pop()
            if c.urn in seen:
                continue
            seen.add(c.urn)
            out.append(c)
            todo.extend(self.children.get(c.urn, []))
        return out
