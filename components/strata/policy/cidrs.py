"""How much of the public internet a list of CIDR blocks admits.

An endpoint "restricted" to ``0.0.0.0/1`` and ``128.0.0.0/1`` is open to everyone; so is one
restricted to any superset of the public-routable space, or to so much of it that it may as well
be. The measure is meaning, not spelling: the blocks are merged, the special-purpose ranges that
no one on the internet can come from (RFC 1918, loopback, documentation, ...) are taken out, and
what remains is counted.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cache
from typing import Any

#: Special-purpose ranges (IANA registries) from which no internet client can connect.
_NOT_PUBLIC_V4 = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/3",  # multicast and reserved (224/4 + 240/4)
)
#: IPv6 clients on the internet come from global unicast space, minus documentation ranges.
_PUBLIC_V6 = ("2000::/3",)
_NOT_PUBLIC_V6 = ("2001:db8::/32", "3fff::/20")


class BadCidr(ValueError):
    """A block that is not a CIDR."""


@cache
def _public_space(version: int) -> tuple[Any, ...]:
    """The public-routable space of one IP version, as disjoint networks."""
    # Networks of one version only, which the ipaddress functions need; typed Any for that reason.
    whole: list[Any] = [ipaddress.ip_network(n) for n in (["0.0.0.0/0"] if version == 4 else _PUBLIC_V6)]
    for hole in (ipaddress.ip_network(n) for n in (_NOT_PUBLIC_V4 if version == 4 else _NOT_PUBLIC_V6)):
        nxt: list[Any] = []
        for net in whole:
            if hole.subnet_of(net):
                nxt.extend(net.address_exclude(hole))
            elif not net.subnet_of(hole):
                nxt.append(net)
        whole = nxt
    return tuple(ipaddress.collapse_addresses(whole))


def _overlap(a: Any, b: Any) -> int:
    if a.version != b.version or not a.overlaps(b):
        return 0
    return min(a.num_addresses, b.num_addresses)  # one contains the other


@dataclass(frozen=True)
class Exposure:
    """Public addresses admitted, per IP version, and whether that is the whole public space."""

    public_v4: int
    public_v6: int
    everything: bool

    def wider_than(self, v4_prefix: int, v6_prefix: int) -> bool:
        """True if more public addresses are admitted than one /v4_prefix (IPv4) or /v6_prefix (IPv6)."""
        return self.public_v4 > 2 ** (32 - v4_prefix) or self.public_v6 > 2 ** (128 - v6_prefix)


def exposure(blocks: list[str]) -> Exposure:
    """What ``blocks`` admit. Raises :class:`BadCidr` naming the first block that is not a CIDR."""
    nets: dict[int, list[Any]] = {4: [], 6: []}
    for block in blocks:
        try:
            net = ipaddress.ip_network(block.strip(), strict=False)
        except ValueError:
            raise BadCidr(block) from None
        nets[net.version].append(net)
    counts: dict[int, int] = {}
    whole: dict[int, bool] = {}
    for version in (4, 6):
        merged = list(ipaddress.collapse_addresses(nets[version]))
        public = _public_space(version)
        counts[version] = sum(_overlap(m, p) for m in merged for p in public)
        whole[version] = counts[version] == sum(p.num_addresses for p in public)
    return Exposure(counts[4], counts[6], whole[4] or whole[6])
