"""One mechanism for labels: a resource transformation that fills a provider's tag slots.

It runs client-side in the Pulumi SDK for every resource registered below the component it is
attached to (``ResourceOptions.transformations`` are inherited by children), so the engine and the
offline plan see exactly the same inputs. Labels already present win, so the innermost component
(the cluster) decides its ``cluster`` label and a caller's own tags are never overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None) if obj is not None else None


def _merged(existing: Any, labels: Mapping[str, str]) -> Any:
    if existing is None:
        return dict(labels)
    if isinstance(existing, Mapping):
        return {**labels, **existing}
    # an Output of a mapping: merge once known
    return pulumi.Output.from_input(existing).apply(lambda e: {**labels, **(e or {})})


def tag_transformation(slots: Mapping[str, Sequence[str]], labels: Mapping[str, str]) -> pulumi.ResourceTransformation:
    """Build a transformation that merges ``labels`` into each present slot.

    ``slots`` maps ``"*"`` (every type) or a resource type token to property paths such as
    ``"tags"`` or ``"node_config.resource_labels"`` (snake_case, as the SDK's Args hold them).
    A path is filled only when the resource has that property (the SDK lists every input a type
    accepts, set or not) and, for nested paths, when the parent object is present.
    """

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        props = args.props
        if not isinstance(props, dict):
            return None
        paths = [*slots.get("*", ()), *slots.get(args.type_, ())]
        changed = False
        for path in paths:
            head, _, rest = path.partition(".")
            if head not in props:
                continue
            if not rest:
                props[head] = _merged(props[head], labels)
                changed = True
                continue
            parent = props[head]
            if parent is None:
                continue
            if isinstance(parent, dict):
                parent[rest] = _merged(parent.get(rest), labels)
            else:
                pulumi.set(parent, rest, _merged(_get(parent, rest), labels))
            changed = True
        return pulumi.ResourceTransformationResult(props, args.opts) if changed else None

    return transform
