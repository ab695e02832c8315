"""Which EKS add-ons a program installs on which of its EKS clusters, for the rules that need one.

An ``aws:eks/addon:Addon`` names its cluster by ``clusterName``, and EKS looks that name up in the
add-on's own account and region. So an add-on is on a cluster when both are made through the same
provider in the same place, and its ``clusterName`` is that cluster's name: the same known text, or,
while both are unknown until apply, an output the add-on takes from that cluster. A claim that
cannot be settled yet (the name of the add-on, or of a cluster it depends on while that cluster's
name is known) is *pending*: the rule says "cannot verify until apply", never "compliant".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from strata.policy import props as p
from strata.policy.graph import StackGraph, Unplaced

EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_ADDON = "aws:eks/addon:Addon"


@dataclass
class ClusterAddons:
    """Per EKS cluster URN: the add-ons of one name on it, and those that may be (pending)."""

    on: dict[str, list[PolicyResource]] = field(default_factory=lambda: defaultdict(list))
    pending: dict[str, list[PolicyResource]] = field(default_factory=lambda: defaultdict(list))


def _provider(r: PolicyResource) -> str | None:
    return r.provider.urn if r.provider is not None else None


def _same_place(graph: StackGraph, addon: PolicyResource, cluster: PolicyResource) -> bool | None:
    """Whether the add-on is made where the cluster is (same provider, a region of the cluster's);
    None while that cannot be known yet."""
    if _provider(addon) != _provider(cluster):
        return False
    try:
        here, there = graph.placement(addon), graph.placement(cluster)
    except (Unplaced, UnknownValueError, p.Malformed):
        return None
    # The cluster may be placed wider than its region (hybrid nodes run anywhere): the add-on's
    # region must be one of the cluster's places.
    return bool(here) and here is not None and there is not None and here <= there


def addons_by_cluster(
    resources: Iterable[PolicyResource], addon_name: str, graph: StackGraph | None = None
) -> ClusterAddons:
    """The add-ons named ``addon_name`` (``vpc-cni``) the program installs on each EKS cluster."""
    resources = list(resources)
    graph = graph or StackGraph(resources)
    clusters = [r for r in resources if r.resource_type == EKS_CLUSTER]
    out = ClusterAddons()
    for r in resources:
        if r.resource_type != EKS_ADDON:
            continue
        wired = {d.urn for d in r.property_dependencies.get("clusterName", [])}
        unknown_name, name = p.peek(r.props, "addonName")
        unknown_target, target = p.peek(r.props, "clusterName")
        for c in clusters:
            c_unknown, c_name = p.peek(c.props, "name")
            if not unknown_target:
                named = isinstance(target, str) and not c_unknown and c_name == target
                maybe = False
            else:
                # Unknown until apply: taken from this cluster, whose own name is unknown too, it is
                # that name; if this cluster's name is known, something else was made of it.
                named = c.urn in wired and (c_unknown or c_name is None)
                maybe = c.urn in wired and not named
            if not (named or maybe):
                continue
            place = _same_place(graph, r, c)
            if place is False:
                continue
            if unknown_name:
                out.pending[c.urn].append(r)
            elif name != addon_name:
                continue
            elif named and place:
                out.on[c.urn].append(r)
            else:
                out.pending[c.urn].append(r)
    return out
