"""Which EKS add-ons a program installs on which of its EKS clusters, for the rules that need one.

An ``aws:eks/addon:Addon`` names its cluster by ``clusterName``: an output of the cluster (then its
property dependency is that cluster) or a name given as text (then it is the cluster given that
``name``). What the add-on claims about itself is read by the rule; which cluster it is on is
established here, the same way for every rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pulumi_policy import PolicyResource

from strata.policy.props import peek

EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_ADDON = "aws:eks/addon:Addon"


def addons_by_cluster(resources: Iterable[PolicyResource], addon_name: str) -> dict[str, list[PolicyResource]]:
    """EKS cluster URN → the add-ons named ``addon_name`` (``vpc-cni``) the program installs on it.
    An add-on whose name is unknown until apply is on no cluster (it cannot be taken for one)."""
    resources = list(resources)
    clusters = [r for r in resources if r.resource_type == EKS_CLUSTER]
    out: dict[str, list[PolicyResource]] = defaultdict(list)
    for r in resources:
        if r.resource_type != EKS_ADDON:
            continue
        unknown, name = peek(r.props, "addonName")
        if unknown or name != addon_name:
            continue
        unknown, target = peek(r.props, "clusterName")
        if isinstance(target, str) and not unknown:  # named by text: the cluster given that name
            for c in clusters:
                if peek(c.props, "name") == (False, target):
                    out[c.urn].append(r)
            continue
        for d in r.property_dependencies.get("clusterName", []):
            if d.resource_type == EKS_CLUSTER:
                out[d.urn].append(r)
    return dict(out)
