"""Pure address planning for pools (no Pulumi): which CIDR each subnet gets.

Like pulumi-awsx's subnet layout: computed here, tested for "ranges never overlap", and only
turned into resources by the drivers.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

#: The pool network. Pools are separate VPCs, so every pool may use the same range.
POOL_CIDR = "10.0.0.0/16"


@dataclass(frozen=True)
class ZoneSubnets:
    zone_index: int
    private: str  # nodes and pods (AWS VPC CNI) — /19
    public: str  # NAT gateways and internet-facing load balancers — /24


def zone_subnets(zones: int, base: str = POOL_CIDR) -> list[ZoneSubnets]:
    """Per-zone subnets: private /19s from the bottom of the range, public /24s from the top."""
    net = ipaddress.ip_network(base)
    private = list(net.subnets(new_prefix=19))
    public = list(net.subnets(new_prefix=24))[::-1]
    if zones > min(len(private) - 1, 16):
        raise ValueError(f"{zones} zones do not fit {base}")
    return [ZoneSubnets(i, str(private[i]), str(public[i])) for i in range(zones)]


@dataclass(frozen=True)
class GkeRanges:
    nodes: str
    pods: str
    services: str


def gke_ranges() -> GkeRanges:
    """Primary range for nodes and the secondary ranges GKE's VPC-native mode needs."""
    return GkeRanges(nodes="10.0.0.0/20", pods="10.64.0.0/14", services="10.68.0.0/20")


#: Clusters one GCP pool can hold: its control planes' /28 blocks come from one /20.
MAX_GKE_CLUSTERS_PER_POOL = 256


def control_plane_cidr(index: int) -> str:
    """A /28 per cluster for GKE's private control plane peering, from 172.16.0.0/20 (validation
    refuses a pool with more clusters than that holds)."""
    if not 0 <= index < MAX_GKE_CLUSTERS_PER_POOL:
        raise ValueError(f"at most {MAX_GKE_CLUSTERS_PER_POOL} clusters per pool")
    block = ipaddress.ip_network("172.16.0.0/20")
    return str(list(block.subnets(new_prefix=28))[index])
