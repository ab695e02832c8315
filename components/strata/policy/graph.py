"""Where a resource runs, from what is physical about it — never from what it is called.

* A located type (every AWS and GCP type with a region, location or zone input; see
  :mod:`strata.policy.types`) is where its own inputs put it, in the order its provider resolves
  them, then where its provider's settings put it (``region``, ``zone``), then the provider's fixed
  default. If none of that says, its place *cannot be established* — it is never borrowed from a
  neighbour, a parent or the first cluster in the stack.
* A resource placed by reference (a KMS key in its key ring, a log sink at its destination) is
  where the text of the reference says, or where the referenced resource of this stack is.
* A host reached over SSH (``command:remote:Command``) is where the machine it connects to is, if
  that machine is a resource of this stack; otherwise at the bare-metal site its nearest enclosing
  component claims. A claim is believed only where nothing physical says otherwise, and a site the
  policy config pins (``sites``) has the pinned country whatever the claim says.
* A Kubernetes object runs on the cluster its ``kubernetes`` provider's kubeconfig comes from: the
  resources the provider's ``kubeconfig`` input depends on, followed through intermediates (a
  command that writes the kubeconfig, a component that wraps the cluster) to something placed.

Every answer is a set of places (a table's replicas, a kubeconfig built from two clusters), so a
verdict requires *all* of them to be allowed, and nothing depends on the order resources arrive in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NoReturn

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from strata.policy import props as p
from strata.policy.location import Location, from_reference, parse
from strata.policy.ownership import component_claims
from strata.policy.types import TypeFacts, type_facts

Places = frozenset[Location]

#: How far a kubeconfig or a reference is followed through resources that have no place of their own.
MAX_HOPS = 8
REMOTE_COMMAND = "command:remote:Command"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"


class Unplaced(Exception):
    """The resource's place cannot be established; the message says why."""


def values_at(props: Mapping[str, Any] | None, path: str) -> list[str]:
    """The strings at ``path``; ``a.b[].c`` collects ``c`` of every element of ``a.b``."""
    head, sep, rest = path.partition("[]")
    if not sep:
        value = p.text(props, path)
        return [value] if value else []
    out: list[str] = []
    for i, entry in enumerate(p.items(props, head) or []):
        if not rest:
            if not isinstance(entry, str):
                raise p.Malformed(f"{head}[{i}]", entry, "a string")
            out.append(entry)
        elif not isinstance(entry, Mapping):
            raise p.Malformed(f"{head}[{i}]", entry, "an object")
        else:
            out.extend(values_at(entry, rest.lstrip(".")))
    return out


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
        self._cache: dict[str, Places | None] = {}

    # ------------------------------------------------------------------ any resource

    def placement(self, r: PolicyResource) -> Places | None:
        """Where ``r`` is, or None if it has no place of its own to judge (a global type, a
        Kubernetes object, a component). Raises :class:`Unplaced`, ``UnknownValueError`` or
        :class:`~strata.policy.props.Malformed`."""
        return self._placement(r, frozenset())

    def _placement(self, r: PolicyResource, visiting: frozenset[str]) -> Places | None:
        if r.urn in self._cache:
            return self._cache[r.urn]
        if r.urn in visiting or len(visiting) > MAX_HOPS:
            return None
        visiting = visiting | {r.urn}
        facts = type_facts(r.resource_type)
        if facts is not None and facts.located:
            found: Places | None = self._own(r, facts, visiting)
        elif r.resource_type == REMOTE_COMMAND:
            found = self._host(r, visiting)
        else:
            found = None
        self._cache[r.urn] = found
        return found

    def _own(self, r: PolicyResource, facts: TypeFacts, visiting: frozenset[str]) -> Places:
        provider = facts.provider
        also = frozenset(loc for path in facts.also for v in values_at(r.props, path) if (loc := parse(provider, v)))
        for path in facts.at:
            if path.startswith("@"):
                found = self._referenced(r, path[1:], provider, visiting)
                if found:
                    return found | also
                continue
            values = values_at(r.props, path)
            if values:
                return frozenset(loc for v in values if (loc := parse(provider, v))) | also
        if facts.default:
            return frozenset({loc for loc in [parse(provider, facts.default)] if loc}) | also
        settings = r.provider.props if r.provider is not None else None
        for key in facts.fallback:
            value = p.text(settings, key)
            if value:
                return frozenset({loc for loc in [parse(provider, value)] if loc}) | also
        if facts.otherwise == "anywhere":
            return frozenset({Location(f"anywhere ({provider} chooses)", frozenset())}) | also
        inputs = " or ".join(f"`{a.lstrip('@')}`" for a in facts.at) or "no location input"
        if facts.fallback:
            who = f"its provider {r.provider.name}" if r.provider is not None else "it has no provider and"
            settings_named = " or ".join(f"`{k}`" for k in facts.fallback)
            raise Unplaced(f"{inputs} is not set and {who} sets no {settings_named}")
        raise Unplaced(f"{inputs} is not set")

    def _referenced(self, r: PolicyResource, prop: str, provider: str, visiting: frozenset[str]) -> Places | None:
        unknown, value = p.peek(r.props, prop)
        if isinstance(value, str) and (loc := from_reference(provider, value)) is not None:
            return frozenset({loc})
        deps = r.property_dependencies.get(prop.split(".")[0], [])
        found = self._union(deps, visiting)
        if found:
            return found
        if unknown and not deps:
            raise UnknownValueError(UNKNOWN_STRING_VALUE, [prop])
        return None

    def _union(self, resources: Iterable[PolicyResource], visiting: frozenset[str]) -> Places:
        out: set[Location] = set()
        for d in resources:
            found = self._placement(d, visiting)
            if found:
                out |= found
        return frozenset(out)

    # ------------------------------------------------------------------ hosts and sites

    def _host(self, r: PolicyResource, visiting: frozenset[str]) -> Places | None:
        physical = self._union(r.property_dependencies.get("connection", []), visiting)
        if physical:
            return physical
        return self.site_of(r)

    def site_of(self, r: PolicyResource) -> Places | None:
        """The bare-metal site the nearest enclosing component claims for ``r`` (pinned by the
        policy config when it names sites), or None when no enclosing component claims one."""
        ancestor = r.parent
        hops = 0
        while ancestor is not None and hops < 64:
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
            hops += 1
        return None

    # ------------------------------------------------------------------ Kubernetes objects

    def cluster_placement(self, r: PolicyResource) -> Places:
        """Where the cluster that Kubernetes object ``r`` is deployed to runs. Raises
        :class:`Unplaced` when that cannot be established from the stack."""
        if r.provider is None:
            raise Unplaced("it names no Kubernetes provider")
        provider = self.by_urn.get(r.provider.urn)
        if provider is None:
            raise Unplaced(f"its provider {r.provider.name} is not among the stack's resources")
        deps = provider.property_dependencies.get("kubeconfig", [])
        if not deps:
            if r.provider.name.startswith("default"):
                raise Unplaced(
                    "it is deployed through the default Kubernetes provider, whose cluster is whatever "
                    "kubeconfig the deploying machine holds"
                )
            raise Unplaced(f"the kubeconfig of its provider {provider.name} is not built from a resource of this stack")
        out: set[Location] = set()
        for d in deps:
            try:
                out |= self._cluster_source(d, frozenset({provider.urn}), provider.name)
            except (Unplaced, p.Malformed) as err:
                raise Unplaced(f"its cluster ({d.resource_type} {d.name}) cannot be placed: {err}") from None
        return frozenset(out)

    def _cluster_source(self, d: PolicyResource, visiting: frozenset[str], via: str) -> Places:
        own = self._placement(d, visiting)
        if own:
            return own
        if d.urn in visiting or len(visiting) > MAX_HOPS:
            raise Unplaced(f"the kubeconfig of {via} cannot be traced to a placed resource")
        visiting = visiting | {d.urn}
        wrapped = [c for c in self._descendants(d) if (f := type_facts(c.resource_type)) and f.role == "cluster"]
        if wrapped:  # a component wrapping a cluster (pulumi-eks's eks:index:Cluster and the like)
            return self._union(wrapped, visiting) or self._not_placed(d, via)
        sources = [x for deps in d.property_dependencies.values() for x in deps]
        if not sources:
            self._not_placed(d, via)
        out: set[Location] = set()
        for x in sources:
            try:
                out |= self._cluster_source(x, visiting, via)
            except Unplaced:
                continue  # an input with no place (a name, a token); others may carry one
        return frozenset(out) or self._not_placed(d, via)

    def _descendants(self, r: PolicyResource) -> list[PolicyResource]:
        out: list[PolicyResource] = []
        todo = list(self.children.get(r.urn, []))
        while todo and len(out) < 10_000:
            c = todo.pop()
            out.append(c)
            todo.extend(self.children.get(c.urn, []))
        return out

    @staticmethod
    def _not_placed(d: PolicyResource, via: str) -> NoReturn:
        raise Unplaced(
            f"the kubeconfig of {via} comes from {d.resource_type} {d.name}, whose place cannot be established"
        )
