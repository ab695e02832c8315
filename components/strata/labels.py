"""The ownership labels Strata stamps on every taggable resource, provider-neutral.

Policies read these to tell who owns a resource, which environment, pool and cluster it belongs to,
and which jurisdiction(s) its environment promised to stay in. Drivers render them in their
provider's syntax (AWS tag keys ``strata:<key>``, GCP label keys ``strata-<key>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

#: Keys in the order they are rendered. A contract for policies and for people's cost reports.
LABEL_KEYS = ("owner", "environment", "pool", "cluster", "jurisdiction")

#: Separator between several jurisdictions in one label value (valid in AWS and GCP syntax).
JURISDICTION_SEPARATOR = "_"

#: The input property of Strata's components that carries their ownership labels and placement
#: (``{"strata": {"owner": ..., "jurisdiction": ..., "country": "DE", "site": ...}}``).
STRATA_PROPERTY = "strata"

#: Kubernetes labels on tenant and framework objects: the tenant, and one label per data class
#: (``dataclass.strata.io/personal-eu: "true"``), which the residency rule reads.
TENANT_LABEL = "strata.io/tenant"
DATA_CLASS_LABEL_PREFIX = "dataclass.strata.io/"
#: On a tenant's namespace (a virtual tenant's host namespace included): its isolation level
#: (``namespace``, ``virtual``, ``dedicated``) and, for a sandboxed tenant, its runtime (``gvisor``,
#: ``kata``). Claims the policy pack checks against the objects around them, never takes on trust.
ISOLATION_LABEL = "strata.io/isolation"
RUNTIME_LABEL = "strata.io/runtime"
#: Pod Security Admission's enforcement label; a namespace or virtual tenant's namespace is ``restricted``.
POD_SECURITY_ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
#: Kubernetes' recommended label on what Strata itself runs in a cluster (the paved road).
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"


def data_class_label(data_class: str) -> str:
    """The label that says an object handles ``data_class`` (its value is ``"true"``)."""
    return f"{DATA_CLASS_LABEL_PREFIX}{data_class}"


@dataclass(frozen=True)
class Ownership:
    """Who and what a resource belongs to."""

    owner: str
    environment: str
    jurisdictions: tuple[str, ...]
    pool: str | None = None
    cluster: str | None = None

    def in_pool(self, pool: str) -> Ownership:
        return replace(self, pool=pool)

    def in_cluster(self, cluster: str) -> Ownership:
        return replace(self, cluster=cluster)

    def as_labels(self) -> dict[str, str]:
        """Provider-neutral key → value, only keys that are set."""
        values = {
            "owner": self.owner,
            "environment": self.environment,
            "pool": self.pool,
            "cluster": self.cluster,
            "jurisdiction": JURISDICTION_SEPARATOR.join(self.jurisdictions),
        }
        return {k: v for k in LABEL_KEYS if (v := values[k])}


_GCP_VALUE = re.compile(r"[^a-z0-9_-]")


def gcp_label_value(value: str) -> str:
    """GCP label values: lowercase letters, digits, ``_`` and ``-``, at most 63 characters."""
    return _GCP_VALUE.sub("-", value.lower())[:63]
