"""Where a cluster's charts and images come from: upstream, a pool's pull-through cache, or an
air-gapped site's mirror. One rule for every chart Strata installs."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from strata.catalog.model import Chart
from strata.paved_road import split_image


def chart_source(chart: Chart, mirror: str | None) -> tuple[str, str | None]:
    """Where to install ``chart`` from: ``(chart, repository)`` for a Helm release. On a site with a
    registry mirror the chart is read from the mirror's ``charts/`` path, never from the internet."""
    if mirror:
        return f"oci://{mirror}/charts/{chart.name}", None
    if chart.repository.startswith("oci://"):
        return f"{chart.repository}/{chart.name}", None
    return chart.name, chart.repository


def mirrored(image: str, mirrors: Mapping[str, pulumi.Input[str]], *, repository: bool = False) -> pulumi.Input[str]:
    """``image`` as the cluster pulls it: through the mirror of its registry (``mirrors[host]``, or
    ``mirrors["*"]`` for every host) with the same path, or as is. ``repository`` drops the tag (for
    chart values that take the repository and keep the chart's pinned tag)."""
    ref = image.rsplit(":", 1)[0] if repository and ":" in image.rsplit("/", 1)[-1] else image
    host, path = split_image(ref)
    mirror = mirrors.get(host, mirrors.get("*"))
    if mirror is None:
        return ref
    return pulumi.Output.concat(mirror, "/", path) if isinstance(mirror, pulumi.Output) else f"{mirror}/{path}"
