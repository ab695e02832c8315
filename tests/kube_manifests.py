"""The Kubernetes objects a program renders, as manifests, with the version of their cluster."""

from __future__ import annotations

from typing import Any

from pulumi.output import Unknown

from strata.offline import OfflineRun, Registration

#: Registrations that are not Kubernetes objects of their own (a chart's values are the chart's).
NOT_OBJECTS = ("kubernetes:helm.sh/", "pulumi:providers:kubernetes")
#: What stands for a value known only once its cloud resource exists (the pool key's ARN in a
#: StorageClass): a string, as the value will be.
UNKNOWN_TEXT = "unknown-until-apply"


def known(value: Any) -> Any:
    """``value`` with every value unknown until apply replaced by :data:`UNKNOWN_TEXT`."""
    if isinstance(value, Unknown):
        return UNKNOWN_TEXT
    if isinstance(value, dict):
        return {k: known(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [known(v) for v in value]
    return value


def provider_of(run: OfflineRun, r: Registration) -> Registration:
    provider = run.registration(r.provider.rsplit("::", 1)[0])
    assert provider is not None, f"{r.name}: provider {r.provider} not registered"
    return provider


def manifests(run: OfflineRun) -> list[tuple[Registration, dict[str, Any], str]]:
    """Every rendered Kubernetes object as ``(registration, manifest, cluster identifier)``: the
    manifest is its inputs as the engine receives them (a value unknown until apply as
    :data:`UNKNOWN_TEXT`); the identifier names its cluster (``strata/<environment>/<cluster>``)."""
    out = []
    for r in run.registrations:
        if not r.custom or not r.type.startswith("kubernetes:") or r.type.startswith(NOT_OBJECTS):
            continue
        identifier = provider_of(run, r).inputs["clusterIdentifier"]
        out.append((r, known(dict(r.inputs)), identifier))
    return out
