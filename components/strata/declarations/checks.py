"""Checks across the declaration tree, and translation of pydantic's errors into Problems.

Each check judges one concept (a version for its substrate, names unique in a list, a framework's
tenant, ...) on plain values. The checks of a valid tree (:func:`check_environment`,
:func:`check_pool`, :func:`check_cluster`) and of a tree whose structure failed
(:func:`check_salvageable`) call the same functions: the latter with only the parts that are
sound on their own, so that every problem it reports is one the fixed file would still have.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from strata.catalog import Catalog
from strata.declarations.errors import PathPart, Problem, format_path, show_value
from strata.declarations.models import (
    FRAMEWORK_KINDS,
    ApiEndpoint,
    EnvironmentArgs,
    FrameworkSpec,
    KubernetesClusterArgs,
    ResourcePoolArgs,
    Substrate,
    Tenant,
    did_you_mean,
)
from strata.network import MAX_GKE_CLUSTERS_PER_POOL

_SUBSTRATE_LABEL = {"aws": "AWS", "gcp": "GCP", "bareMetal": "bare metal"}


def _model_at(root: type[BaseModel], loc: Iterable[PathPart]) -> type[BaseModel] | None:
    """The model class that sits at ``loc`` below ``root`` (following aliases), if any."""
    current: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        fld = next(
            (f for n, f in current.model_fields.items() if part in (n, f.alias)),
            None,
        )
        if fld is None:
            return None
        current = _unwrap(fld.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is not None:
        inner = [a for a in get_args(annotation) if a is not type(None) and a is not Ellipsis]
        models = [a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)]
        annotation = models[0] if models else (inner[0] if inner else None)
        if isinstance(annotation, type):
            break
    return annotation


def _field_at(root: type[BaseModel], loc: Iterable[PathPart]) -> FieldInfo | None:
    """The field that ``loc`` (below ``root``) names, or the list field whose item it names."""
    current: Any = root
    found = None
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        found = next((f for n, f in current.model_fields.items() if part in (n, f.alias)), None)
        if found is None:
            return None
        current = _unwrap(found.annotation)
    return found


def _literal_values(annotation: Any) -> tuple[Any, ...] | None:
    """The values of the ``Literal`` inside ``annotation`` (``tuple[Literal[...], ...]`` too)."""
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    for arg in get_args(annotation):
        found = _literal_values(arg)
        if found:
            return found
    return None


def _expected(ctx: Mapping[str, Any]) -> list[str]:
    """The values pydantic's ``expected`` lists (``'a', 'b' or 'c'``), without their quotes."""
    text = str(ctx.get("expected", ""))
    quoted = re.findall(r"'((?:[^'\\]|\\.)*)'", text)
    return quoted or [v for v in re.split(r", | or ", text) if v]


def _number(x: Any) -> str:
    """A bound as a person writes it: ``0``, not ``0.0``; ``0.5``."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return show_value(x) if isinstance(x, int | float) and not isinstance(x, bool) else str(x)


def _quoted_number(value: Any) -> bool:
    """Text that reads as a number (``"4"``, ``" 2.5"``): a quoted number in YAML."""
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


def _sentence(description: str | None) -> str:
    """A field's description as a clause: its first sentence, without markup or the full stop,
    beginning in lower case (unless with an acronym: ``GCP``)."""
    if not description:
        return ""
    text = " ".join(description.replace("``", "").split())
    text = re.split(r"(?<=\.)\s+(?=[A-Z])", text, maxsplit=1)[0].removesuffix(".")
    return text[:1].lower() + text[1:] if text[1:2].islower() or text[1:2] == " " else text


def _count(n: Any, what: str) -> str:
    return f"one {what}" if n == 1 else f"{_number(n)} {what}s"


#: pydantic's bound errors: what the value must be, and the key of the bound in the error's context.
_BOUNDS = {
    "greater_than": ("greater than", "gt"),
    "greater_than_equal": ("at least", "ge"),
    "less_than": ("less than", "lt"),
    "less_than_equal": ("at most", "le"),
    "multiple_of": ("a multiple of", "multiple_of"),
}


def _message(e: Mapping[str, Any], root: type[BaseModel], loc: Sequence[PathPart]) -> str:
    """pydantic's error ``e`` in the house style: what the value must be. An error of a kind not
    translated here keeps pydantic's own message (its "Input should ..." said "must ...")."""
    kind = e["type"]
    ctx: Mapping[str, Any] = e.get("ctx") or {}
    value = e.get("input")
    is_bool = isinstance(value, bool)
    if kind in ("value_error", "assertion_error"):
        return str(e["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "extra_forbidden":
        parent = _model_at(root, loc[:-1])
        allowed = sorted((f.alias or n) for n, f in parent.model_fields.items()) if parent else []
        return "unknown key" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
    if kind == "missing":
        return "required but missing"
    if kind in ("literal_error", "enum"):
        fld = _field_at(root, loc)
        literal = _literal_values(fld.annotation) if fld is not None and kind == "literal_error" else None
        allowed = [str(v) for v in literal] if literal else _expected(ctx)
        hint = did_you_mean(value, allowed) if isinstance(value, str) else ""
        return f"must be one of {', '.join(allowed)}{hint}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        if isinstance(value, float):
            return f"must be an integer (a whole number, not {show_value(value)})"
        if is_bool:
            return "must be an integer, not true or false"
        return "must be an integer" + (", written without quotes" if _quoted_number(value) else "")
    if kind == "int_parsing_size":
        return "must be an integer small enough to read"
    if kind in ("float_type", "float_parsing"):
        if is_bool:
            return "must be a number, not true or false"
        return "must be a number" + (", written without quotes" if _quoted_number(value) else "")
    if kind == "finite_number":
        return "must be a finite number (not infinity or NaN)"
    if kind in ("bool_type", "bool_parsing"):
        spelled = isinstance(value, str) and value.strip().lower() in ("true", "false")
        return "must be true or false" + (", written without quotes" if spelled else "")
    if kind in ("string_type", "string_sub_type", "string_unicode"):
        return "must be text"
    if kind == "string_not_ascii":
        return "must be ASCII text"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a mapping"
    if kind in ("list_type", "tuple_type", "set_type", "frozen_set_type", "iterable_type", "deque_type"):
        return "must be a list"
    if kind == "none_required":
        return "must be null"
    if kind in _BOUNDS:
        words, key = _BOUNDS[kind]
        return f"must be {words} {_number(ctx.get(key))}"
    if kind == "too_short":
        return f"must hold at least {_count(ctx.get('min_length'), 'item')}"
    if kind == "too_long":
        return f"must hold at most {_count(ctx.get('max_length'), 'item')}"
    if kind == "string_too_short":
        n = ctx.get("min_length")
        return "must not be empty" if n == 1 else f"must be at least {_count(n, 'character')} long"
    if kind == "string_too_long":
        return f"must be at most {_count(ctx.get('max_length'), 'character')} long"
    if kind == "string_pattern_mismatch":
        fld = _field_at(root, loc)
        meaning = _sentence(fld.description if fld is not None else None)
        return f"must match '{ctx.get('pattern')}'" + (f": {meaning}" if meaning else "")
    if kind == "invalid_key":
        return "keys must be text"
    # Any other: pydantic's own message, its "Input should be ..." said as "must be ...".
    return _SHOULD.sub("must ", str(e["msg"]))


#: How pydantic's messages about the value itself begin (``Input should be``, ``URL input should``).
_SHOULD = re.compile(r"^(?:\w+ )?(?:[Ii]nput|String|Value|Data) should ")


def problems_from_validation_error(err: ValidationError, root: type[BaseModel] = EnvironmentArgs) -> list[Problem]:
    """Translate pydantic's errors into Problems with the stack file's camelCase paths, each saying
    what the value must be (:func:`_message`)."""
    problems = []
    errors = err.errors(include_url=False)
    locs = [tuple(e["loc"]) for e in errors]
    for e in errors:
        loc = [p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        if e["type"] == "too_short" and any(o[: len(e["loc"])] == e["loc"] and o != e["loc"] for o in locs):
            continue  # a list whose items failed is also reported as empty; the items say why
        path = format_path(loc)
        msg = _message(e, root, loc)
        if e["type"] == "missing":
            problems.append(Problem(path, msg))
        else:
            problems.append(Problem(path, msg, e.get("input")))
    return problems


# ---------------------------------------------------------------- raw values, judged part by part

#: A key the raw mapping does not hold (``None`` is a value: ``capacity: null``).
_ABSENT: Any = object()


def _field(raw: Any, key: str) -> Any:
    """The value of ``key`` (as spelled in the stack file) in a raw mapping, or in a model given in
    Python; :data:`_ABSENT` for any other shape."""
    if isinstance(raw, Mapping):
        return raw.get(key, _ABSENT)
    if isinstance(raw, BaseModel):
        for name, info in type(raw).model_fields.items():
            if key == (info.alias or name):
                return getattr(raw, name)
    return _ABSENT


def _items(raw: Any) -> Sequence[Any]:
    """The items of a raw list (a tuple in a model); none for any other shape."""
    return raw if isinstance(raw, list | tuple) else ()


def _field_adapter(model: type[BaseModel], name: str, *, item: bool = False) -> TypeAdapter[Any]:
    """Validates one field of ``model`` (or one item of a tuple field) as the model does."""
    info = model.model_fields[name]
    annotation: Any = info.annotation
    if item:
        annotation = get_args(annotation)[0]
    elif info.metadata:
        annotation = Annotated[(annotation, *info.metadata)]
    return TypeAdapter(annotation)


_POOL = TypeAdapter(ResourcePoolArgs)
_CLUSTER = TypeAdapter(KubernetesClusterArgs)
_SUBSTRATE = _field_adapter(ResourcePoolArgs, "substrate")
_VERSION = _field_adapter(KubernetesClusterArgs, "version")
_ENDPOINT = _field_adapter(KubernetesClusterArgs, "api_endpoint")
_FRAMEWORK = _field_adapter(KubernetesClusterArgs, "frameworks", item=True)
_TENANT_NAME = _field_adapter(Tenant, "name")
_DATA_CLASSES = _field_adapter(Tenant, "data_classes")
_FRAMEWORK_TENANT = _field_adapter(FrameworkSpec, "tenant")
_FRAMEWORK_DATA_CLASS = _field_adapter(FrameworkSpec, "data_class")
#: The substrate kinds as the stack file spells them (``aws``, ``gcp``, ``bareMetal``).
_SUBSTRATE_KINDS = tuple(Substrate._choices.values())

#: A tenant as references are judged against it: its name and the data classes it declares, each
#: None where it is not sound.
TenantRef = tuple[str | None, tuple[str, ...] | None]
#: A framework as its references are judged: its kind, the tenant it names and its data class,
#: each None where it is not sound (a data class also where none is given).
FrameworkRef = tuple[str, str | None, str | None]


def _valid(adapter: TypeAdapter[Any], raw: Any) -> Any:
    """``raw`` validated as the stack file is (camelCase keys only), or None if it is not sound."""
    if raw is _ABSENT:
        return None
    try:
        return adapter.validate_python(raw, by_alias=True, by_name=False)
    except ValidationError:
        return None


def _substrate_kind(raw: Any, substrate: Substrate | None) -> str | None:
    """A pool's substrate kind: the sound substrate's, else the one kind a raw substrate mapping
    names (``{aws: {region: eu-centrl-1}}`` is an AWS pool whatever its fields hold)."""
    if substrate is not None:
        return substrate.kind
    if isinstance(raw, Mapping):
        kinds = [k for k in _SUBSTRATE_KINDS if k in raw]
        return kinds[0] if len(kinds) == 1 else None
    return None


def _tenant_ref(raw: Any) -> TenantRef:
    """A raw tenant's name and data classes, each judged on its own (a tenant that does not
    declare ``dataClasses`` declares none)."""
    classes = _field(raw, "dataClasses")
    return _valid(_TENANT_NAME, _field(raw, "name")), () if classes is _ABSENT else _valid(_DATA_CLASSES, classes)


def _framework_ref(raw: Any) -> FrameworkRef | None:
    """A raw framework's kind, tenant and data class, if it names one kind only; the tenant and
    the data class are judged on their own, whatever the framework's other fields hold."""
    if isinstance(raw, Mapping):
        kinds = [k for k in FRAMEWORK_KINDS if k in raw]
        if len(kinds) != 1:
            return None
        spec = raw[kinds[0]]
        return (
            kinds[0],
            _valid(_FRAMEWORK_TENANT, _field(spec, "tenant")),
            _valid(_FRAMEWORK_DATA_CLASS, _field(spec, "dataClass")),
        )
    framework = _valid(_FRAMEWORK, raw)  # a model given in Python
    return None if framework is None else (framework.kind, framework.spec.tenant, framework.spec.data_class)


def _framework_name(raw: Any) -> Any:
    """The name of a raw framework (``{kafka: {name: ...}}``) if it names one kind only."""
    if isinstance(raw, Mapping):
        kinds = [k for k in FRAMEWORK_KINDS if k in raw]
        return _field(raw[kinds[0]], "name") if len(kinds) == 1 else None
    framework = _valid(_FRAMEWORK, raw)  # a model given in Python
    return framework.spec.name if framework is not None else None


# ---------------------------------------------------------------- one concept each


def _duplicates(names: Sequence[object], path: str, what: str) -> list[Problem]:
    """Names listed twice in the list at ``path``. An entry that is not a text (a name missing or
    of the wrong type, which the structure check reports) names nothing."""
    seen: dict[str, int] = {}
    out = []
    for i, n in enumerate(names):
        if not isinstance(n, str):
            continue
        if n in seen:
            out.append(Problem(f"{path}[{i}].name", f"duplicate {what} name (first at {path}[{seen[n]}])", n))
        else:
            seen[n] = i
    return out


def _version_problems(catalog: Catalog, kind: str | None, version: str | None, path: str) -> list[Problem]:
    """A well-formed version the substrate's catalog does not offer."""
    if kind is None or version is None or kind not in catalog.versions or catalog.version(kind, version) is not None:
        return []
    known = ", ".join(sorted(catalog.versions[kind], key=lambda v: tuple(map(int, v.split(".")))))
    return [
        Problem(
            f"{path}.version",
            f"not a Kubernetes version {_SUBSTRATE_LABEL[kind]} offers; the catalog knows {known}",
            version,
        )
    ]


def _endpoint_problems(kind: str | None, endpoint: ApiEndpoint | None, path: str) -> list[Problem]:
    """Strata's EKS clusters are IPv4 clusters: their public endpoint takes IPv4 blocks only."""
    if kind != "aws" or endpoint is None:
        return []
    return [
        Problem(
            f"{path}.apiEndpoint.publicAccessCidrs[{k}]",
            "EKS takes IPv4 blocks only for an IPv4 cluster's public endpoint "
            "(https://docs.aws.amazon.com/eks/latest/APIReference/API_VpcConfigRequest.html)",
            cidr,
        )
        for k, cidr in enumerate(endpoint.public_access_cidrs)
        if ipaddress.ip_network(cidr).version == 6
    ]


def _reference_problems(
    tenants: Sequence[TenantRef] | None, frameworks: Sequence[FrameworkRef | None], path: str
) -> list[Problem]:
    """Each framework runs for a tenant of its cluster, holding a data class the tenant declares.
    Judged against the tenants whose names are sound (None: the list itself is not): a tenant
    that names none is none the framework can be said to miss, and a data class is judged only
    where the tenant's (every tenant's of that name) data classes are sound. A framework's tenant
    or data class that is not sound is not judged."""
    if tenants is None:
        return []
    problems: list[Problem] = []
    every_name_sound = all(name is not None for name, _ in tenants)
    by_name: dict[str, list[tuple[str, ...] | None]] = {}
    for name, classes in tenants:
        if name is not None:
            by_name.setdefault(name, []).append(classes)
    for k, fw in enumerate(frameworks):
        if fw is None:
            continue
        kind, tenant, data_class = fw
        if tenant is None:
            continue
        fpath = f"{path}.frameworks[{k}].{kind}"
        declared = by_name.get(tenant)
        if declared is None:
            if every_name_sound:
                allowed = ", ".join(sorted(by_name)) or "none declared in this cluster"
                problems.append(
                    Problem(f"{fpath}.tenant", f"no such tenant in this cluster; tenants: {allowed}", tenant)
                )
            continue
        if data_class is None or any(classes is None or data_class in classes for classes in declared):
            continue
        known = list(dict.fromkeys(c for classes in declared for c in classes or ()))
        problems.append(
            Problem(
                f"{fpath}.dataClass",
                f"tenant {tenant!r} does not declare this data class; it declares {', '.join(known) or 'none'}",
                data_class,
            )
        )
    return problems


def _cluster_problems(
    catalog: Catalog,
    kind: str | None,
    path: str,
    *,
    version: str | None,
    endpoint: ApiEndpoint | None,
    tenants: Sequence[TenantRef] | None,
    frameworks: Sequence[FrameworkRef | None],
    node_pool_names: Sequence[object],
    tenant_names: Sequence[object],
    framework_names: Sequence[object],
) -> list[Problem]:
    """A cluster's checks, on whichever of its parts are sound (None: not sound, not judged).
    ``kind`` is its pool's substrate, None if that is not sound."""
    return (
        _version_problems(catalog, kind, version, path)
        + _duplicates(node_pool_names, f"{path}.nodePools", "node pool")
        + _endpoint_problems(kind, endpoint, path)
        + _duplicates(tenant_names, f"{path}.tenants", "tenant")
        + _duplicates(framework_names, f"{path}.frameworks", "framework")
        + _reference_problems(tenants, frameworks, path)
    )


def check_cluster(catalog: Catalog, kind: str | None, cluster: KubernetesClusterArgs, path: str) -> list[Problem]:
    """A valid cluster's relations; ``kind`` is its pool's substrate (None: not judged)."""
    return _cluster_problems(
        catalog,
        kind,
        path,
        version=cluster.version,
        endpoint=cluster.api_endpoint,
        tenants=[(t.name, t.data_classes) for t in cluster.tenants],
        frameworks=[(f.kind, f.spec.tenant, f.spec.data_class) for f in cluster.frameworks],
        node_pool_names=[n.name for n in cluster.node_pools],
        tenant_names=[t.name for t in cluster.tenants],
        framework_names=[f.spec.name for f in cluster.frameworks],
    )


def _substrate_problems(
    catalog: Catalog,
    kind: str,
    substrate: Substrate | None,
    path: str,
    *,
    capacity_missing: bool,
    cluster_count: int,
) -> list[Problem]:
    """What a pool's substrate asks of the pool: zones its region has (judged only on a sound
    ``substrate``), and what its ``kind`` alone asks: a capacity for a cloud pool, a bounded number
    of GKE clusters, a substrate Strata can build."""
    problems: list[Problem] = []
    chosen = (substrate.aws or substrate.gcp) if substrate is not None else None
    if chosen is not None:
        region = catalog.region(kind, chosen.region)
        if region is not None and chosen.zones > region.zones:
            problems.append(
                Problem(
                    f"{path}.substrate.{kind}.zones",
                    f"{chosen.region} has {region.zones} zones",
                    chosen.zones,
                )
            )
    if kind in ("aws", "gcp") and capacity_missing:
        problems.append(Problem(f"{path}.capacity", "required for a cloud pool: the budget its clusters draw from"))
    if kind == "gcp" and cluster_count > MAX_GKE_CLUSTERS_PER_POOL:
        problems.append(
            Problem(
                f"{path}.clusters",
                f"{cluster_count} clusters; a GCP pool holds at most {MAX_GKE_CLUSTERS_PER_POOL} "
                "(their control planes' address blocks share one /20): split the pool",
            )
        )
    if kind not in catalog.versions:
        problems.append(
            Problem(
                f"{path}.substrate",
                f"{_SUBSTRATE_LABEL[kind]} pools are parsed and validated, but Strata cannot plan or build them yet",
                kind,
            )
        )
    return problems


def check_pool(catalog: Catalog, pool: ResourcePoolArgs, path: str) -> list[Problem]:
    """A valid pool's relations, its clusters' included."""
    kind = pool.substrate.kind
    problems = _substrate_problems(
        catalog, kind, pool.substrate, path, capacity_missing=pool.capacity is None, cluster_count=len(pool.clusters)
    )
    for j, cluster in enumerate(pool.clusters):
        problems += check_cluster(catalog, kind, cluster, f"{path}.clusters[{j}]")
    return problems


def check_sites(substrates: Sequence[Substrate | None]) -> list[Problem]:
    """A host belongs to one pool: two pools of one site never list the same host (by address,
    compared in canonical form, or by name, which is the node's name in Kubernetes). ``substrates``
    are the pools' in order, None for one that is not sound."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str, str], str] = {}
    for i, substrate in enumerate(substrates):
        site = substrate.bare_metal if substrate is not None else None
        if site is None:
            continue
        for k, host in enumerate(site.hosts):
            here = f"pools[{i}].substrate.bareMetal.hosts[{k}]"
            for field, value in (("address", host.address), ("name", host.name)):
                first = seen.setdefault((site.site, field, value), here)
                if not first.startswith(f"pools[{i}]."):  # within one pool the planner reports it
                    problems.append(
                        Problem(
                            f"{here}.{field}",
                            f"the same host as {first} of site {site.site}: a host belongs to one pool",
                            value,
                        )
                    )
    return problems


def _cluster_name_problems(names: Sequence[tuple[str, object]]) -> list[Problem]:
    """Cluster names are unique in the environment: they name the clusters' cloud resources and
    are how tenants, policies and people refer to a cluster. ``names``: (path, raw name) pairs."""
    problems: list[Problem] = []
    first: dict[str, str] = {}
    for here, name in names:
        if not isinstance(name, str):
            continue
        if name in first:
            problems.append(Problem(f"{here}.name", f"duplicate cluster name (first at {first[name]})", name))
        else:
            first[name] = here
    return problems


def check_environment(env: EnvironmentArgs, catalog: Catalog) -> list[Problem]:
    """Relations across a valid tree."""
    problems = (
        _duplicates([p.name for p in env.pools], "pools", "pool")
        + check_sites([p.substrate for p in env.pools])
        + _cluster_name_problems(
            [(f"pools[{i}].clusters[{j}]", c.name) for i, p in enumerate(env.pools) for j, c in enumerate(p.clusters)]
        )
    )
    for i, pool in enumerate(env.pools):
        problems += check_pool(catalog, pool, f"pools[{i}]")
    return problems


def _tenant_refs(raw: Any) -> list[TenantRef] | None:
    """A raw list of tenants, each judged on its own; None if it is not a list."""
    return [_tenant_ref(t) for t in raw] if isinstance(raw, list | tuple) else None


def _salvage_cluster(catalog: Catalog, kind: str | None, raw: Any, path: str) -> list[Problem]:
    cluster = _valid(_CLUSTER, raw)
    if cluster is not None:
        return check_cluster(catalog, kind, cluster, path)
    raw_tenants = _field(raw, "tenants")
    raw_frameworks = _items(_field(raw, "frameworks"))
    return _cluster_problems(
        catalog,
        kind,
        path,
        version=_valid(_VERSION, _field(raw, "version")),
        endpoint=_valid(_ENDPOINT, _field(raw, "apiEndpoint")),
        tenants=() if raw_tenants is _ABSENT else _tenant_refs(raw_tenants),
        frameworks=[_framework_ref(f) for f in raw_frameworks],
        node_pool_names=[_field(n, "name") for n in _items(_field(raw, "nodePools"))],
        tenant_names=[_field(t, "name") for t in _items(raw_tenants)],
        framework_names=[_framework_name(f) for f in raw_frameworks],
    )


def _salvage_pool(
    catalog: Catalog, raw: Any, pool: ResourcePoolArgs | None, substrate: Substrate | None, path: str
) -> list[Problem]:
    if pool is not None:
        return check_pool(catalog, pool, path)
    clusters = _items(_field(raw, "clusters"))
    problems: list[Problem] = []
    # What needs only the kind (versions, a cloud pool's capacity, ...) is judged even when the
    # substrate's own fields are not sound; its zones only when they are.
    kind = _substrate_kind(_field(raw, "substrate"), substrate)
    if kind is not None:
        capacity = _field(raw, "capacity")
        problems += _substrate_problems(
            catalog,
            kind,
            substrate,
            path,
            capacity_missing=capacity is None or capacity is _ABSENT,
            cluster_count=len(clusters),
        )
    for j, cluster in enumerate(clusters):
        problems += _salvage_cluster(catalog, kind, cluster, f"{path}.clusters[{j}]")
    return problems


def check_salvageable(data: Any, catalog: Catalog) -> list[Problem]:
    """The relations :func:`check_environment` judges, for a declaration whose structure failed:
    each judged on the parts it depends on that are sound on their own (a pool, else its substrate,
    or the one kind its substrate names, and each cluster, else a cluster's version, lists of
    names, and each tenant's name and data classes and each framework's tenant and data class),
    skipping the rest, so that no problem reported is an echo of a structural one. ``data`` may
    have any shape."""
    raw_pools = _items(_field(data, "pools"))
    pools: list[ResourcePoolArgs | None] = [_valid(_POOL, p) for p in raw_pools]
    substrates: list[Substrate | None] = [
        pool.substrate if pool is not None else _valid(_SUBSTRATE, _field(raw, "substrate"))
        for raw, pool in zip(raw_pools, pools, strict=True)
    ]
    problems = (
        _duplicates([_field(p, "name") for p in raw_pools], "pools", "pool")
        + check_sites(substrates)
        + _cluster_name_problems(
            [
                (f"pools[{i}].clusters[{j}]", _field(c, "name"))
                for i, p in enumerate(raw_pools)
                for j, c in enumerate(_items(_field(p, "clusters")))
            ]
        )
    )
    for i, raw in enumerate(raw_pools):
        problems += _salvage_pool(catalog, raw, pools[i], substrates[i], f"pools[{i}]")
    return problems
