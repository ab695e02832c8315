"""Where a cluster's charts and images come from: upstream, a pool's pull-through cache, or an
air-gapped site's mirror. One rule for every chart Strata installs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


def registry_of(image: str, mirrors: Mapping[str, pulumi.Input[str]]) -> pulumi.Input[str]:
    """The registry ``image`` is pulled through: its mirror (with the mirror's path, an ECR cache's
    prefix) or its upstream host. For charts that build every image from one registry value."""
    host, _ = split_image(image)
    return mirrors.get(host, mirrors.get("*", host))


def nest(path: str, value: Any) -> dict[str, Any]:
    """``a.b.c``, v → ``{a: {b: {c: v}}}``: a chart value at a dotted path."""
    out: Any = value
    for key in reversed(path.split(".")):
        out = {key: out}
    return dict(out)


def merge(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Chart values, later layers winning key by key (nested mappings merged, not replaced)."""
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
                out[key] = merge(out[key], value)
            else:
                out[key] = value
    return out


def image_layers(image_values: Mapping[str, str], mirrors: Mapping[str, pulumi.Input[str]]) -> list[dict[str, Any]]:
    """Chart values that point each image value path at where the cluster pulls it from: a path
    ending in ``.repository`` gets the repository (the chart keeps its tag), one ending in
    ``egistry`` the registry alone, any other the whole reference."""
    out = []
    for path, image in image_values.items():
        if path.endswith("egistry"):
            out.append(nest(path, registry_of(image, mirrors)))
        else:
            out.append(nest(path, mirrored(image, mirrors, repository=path.endswith(".repository"))))
    return out


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
