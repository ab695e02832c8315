"""The GCP substrate driver: a VPC pool with Cloud NAT, KMS and a node service account; GKE clusters."""

from strata.drivers.gcp.driver import GcpDriver

__all__ = ["GcpDriver"]
