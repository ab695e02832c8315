"""Provider facts as data: regions, jurisdictions, machine types, Kubernetes versions, data classes.

The catalog is read from the YAML files in ``data/`` (each names its source and the date it was
read). Nothing here imports Pulumi; "today" is always passed in, never read from the clock, so a
lifecycle stage is reproducible in tests.
"""

from strata.catalog.model import (
    Catalog,
    DataClass,
    Jurisdiction,
    MachineType,
    Region,
    Stage,
    VersionLifecycle,
    load_catalog,
)

__all__ = [
    "Catalog",
    "DataClass",
    "Jurisdiction",
    "MachineType",
    "Region",
    "Stage",
    "VersionLifecycle",
    "load_catalog",
]
