"""The Kubernetes objects a program renders, as manifests, with the version of their cluster."""

from __future__ import annotations

from typing import Any

from strata.offline import OfflineRun, Registration

#: Registrations that are not Kubernetes objects of their own (a chart's values are the chart's).
NOT_OBJECTS = ("kubernetes:helm.sh/", "pulumi:providers:kubernetes")


def provider_of(run: OfflineRun, r: Registration) -> Registration:
    provider = run.registration(r.provider.rsplit("::", 1)[0])
    assert provider is not None, f"{r.name}: provider {r.provider} not registered"
    return provider


def manifests(run: OfflineRun) -> list[tuple[Registration, dict[str, Any], str]]:
    """Every rendered Kubernetes object as ``(registration, manifest, cluster identifier)``: the
    manifest is its inputs as the engine receives them; the identifier names its cluster
    (``strata/<environment>/<cluster>``)."""
    out = []
    for r in run.registrations:
        if not r.custom or not r.type.startswith("kubernetes:") or r.type.startswith(NOT_OBJECTS):
            continue
        identifier = provider_of(run, r).inputs["clusterIdentifier"]
        out.append((r, dict(r.inputs), identifier))
    return out
