"""The bare-metal substrate driver: RKE2 installed over SSH on a site's own hosts."""

from strata.drivers.baremetal.driver import BareMetalDriver

__all__ = ["BareMetalDriver"]
