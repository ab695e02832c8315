"""Residency follows the graph: where a resource is, when it does not say so itself.

A framework or tenant (a Kubernetes object) is where its cluster is: its provider's parent is the
``KubernetesCluster`` component, whose cluster resource has a region. A resource without a region
of its own (a GCP CryptoKey) is where the resources its properties depend on are (its KeyRing).
A component is where its located children are; failing all of that, a resource is where its
nearest placed ancestor is (a bare-metal node is where its pool's site is).
"""

from __future__ import annotations

from collections import defaultdict

from pulumi_policy import PolicyResource

from strata.policy.facts import Location, location_of, type_facts

#: Roles whose location stands for a component's (a cluster is where its control plane is).
_ANCHOR_ROLES = ("cluster", "network", "key")


class StackGraph:
    """Parent, child and provider links of one stack's resources."""

    def __init__(self, resources: list[PolicyResource]) -> None:
        self.resources = resources
        self.by_urn = {r.urn: r for r in resources}
        self.children: dict[str, list[PolicyResource]] = defaultdict(list)
        for r in resources:
            if r.parent is not None:
                self.children[r.parent.urn].append(r)

    def location(self, resource: PolicyResource) -> Location | None:
        """Where ``resource`` is, or None if it cannot be established. Raises UnknownValueError
        when the answer depends on a value not known until apply."""
        return self._location(resource, set())

    def _location(self, r: PolicyResource, seen: set[str]) -> Location | None:
        if r.urn in seen:
            return None
        seen.add(r.urn)
        own = location_of(r.resource_type, r.props, r.provider.props if r.provider else None)
        if own is not None:
            return own
        for deps in r.property_dependencies.values():
            for dep in deps:
                if (found := self._location(dep, seen)) is not None:
                    return found
        if r.provider is not None and r.provider.urn in self.by_urn:
            provider = self.by_urn[r.provider.urn]
            if provider.parent is not None and (found := self._location(provider.parent, seen)) is not None:
                return found
        if type_facts(r.resource_type) is None:  # a component: where its anchoring children are
            for role in _ANCHOR_ROLES:
                for child in self.children.get(r.urn, []):
                    facts = type_facts(child.resource_type)
                    if facts and facts.role == role and (found := self._location(child, seen)) is not None:
                        return found
        if r.parent is not None:  # where its pool is (a bare-metal site, a cloud pool's region)
            return self._location(r.parent, seen)
        return None
