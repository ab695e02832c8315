"""Checks across the declaration tree, and translation of pydantic's errors into Problems."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from strata.catalog import Catalog
from strata.declarations.errors import PathPart, Problem, format_path
from strata.declarations.models import EnvironmentArgs, KubernetesClusterArgs, ResourcePoolArgs
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


def problems_from_validation_error(err: ValidationError, root: type[BaseModel] = EnvironmentArgs) -> list[Problem]:
    """Translate pydantic's errors into Problems with the stack file's camelCase paths."""
    problems = []
    errors = err.errors(include_url=False)
    locs = [tuple(e["loc"]) for e in errors]
    for e in errors:
        loc = [p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        if e["type"] == "too_short" and any(o[: len(e["loc"])] == e["loc"] and o != e["loc"] for o in locs):
            continue  # a list whose items failed is also reported as empty; the items say why
        path = format_path(loc)
        kind = e["type"]
        msg = e["msg"].removeprefix("Value error, ")
        if kind == "extra_forbidden":
            parent = _model_at(root, loc[:-1])
            allowed = sorted((f.alias or n) for n, f in parent.model_fields.items()) if parent else []
            msg = "unknown key" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
        if kind == "missing":
            problems.append(Problem(path, "required but missing"))
            continue
        problems.append(Problem(path, msg, e.get("input")))
    return problems


def _duplicates(names: list[str], path: str, what: str) -> list[Problem]:
    seen: dict[str, int] = {}
    out = []
    for i, n in enumerate(names):
        if n in seen:
            out.append(Problem(f"{path}[{i}].name", f"duplicate {what} name (first at {path}[{seen[n]}])", n))
        else:
            seen[n] = i
    return out


def check_cluster(catalog: Catalog, kind: str, cluster: KubernetesClusterArgs, path: str) -> list[Problem]:
    problems: list[Problem] = []
    if kind in catalog.versions and catalog.version(kind, cluster.version) is None:
        known = ", ".join(sorted(catalog.versions[kind], key=lambda v: tuple(map(int, v.split(".")))))
        problems.append(
            Problem(
                f"{path}.version",
                f"not a Kubernetes version {_SUBSTRATE_LABEL[kind]} offers; the catalog knows {known}",
                cluster.version,
            )
        )
    problems += _duplicates([n.name for n in cluster.node_pools], f"{path}.nodePools", "node pool")
    if kind == "aws":  # Strata's EKS clusters are IPv4 clusters
        for k, cidr in enumerate(cluster.api_endpoint.public_access_cidrs):
            if ipaddress.ip_network(cidr).version == 6:
                problems.append(
                    Problem(
                        f"{path}.apiEndpoint.publicAccessCidrs[{k}]",
                        "EKS takes IPv4 blocks only for an IPv4 cluster's public endpoint "
                        "(https://docs.aws.amazon.com/eks/latest/APIReference/API_VpcConfigRequest.html)",
                        cidr,
                    )
                )
    problems += _duplicates([t.name for t in cluster.tenants], f"{path}.tenants", "tenant")
    problems += _duplicates([f.spec.name for f in cluster.frameworks], f"{path}.frameworks", "framework")
    tenants = {t.name: t for t in cluster.tenants}
    for k, fw in enumerate(cluster.frameworks):
        spec = fw.spec
        fpath = f"{path}.frameworks[{k}].{fw.kind}"
        tenant = tenants.get(spec.tenant)
        if tenant is None:
            allowed = ", ".join(sorted(tenants)) or "none declared in this cluster"
            problems.append(
                Problem(f"{fpath}.tenant", f"no such tenant in this cluster; tenants: {allowed}", spec.tenant)
            )
        elif spec.data_class is not None and spec.data_class not in tenant.data_classes:
            problems.append(
                Problem(
                    f"{fpath}.dataClass",
                    f"tenant {tenant.name!r} does not declare this data class; it declares "
                    f"{', '.join(tenant.data_classes) or 'none'}",
                    spec.data_class,
                )
            )
    return problems


def check_pool(catalog: Catalog, pool: ResourcePoolArgs, path: str) -> list[Problem]:
    problems: list[Problem] = []
    kind = pool.substrate.kind
    chosen = pool.substrate.aws or pool.substrate.gcp
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
        if pool.capacity is None:
            problems.append(Problem(f"{path}.capacity", "required for a cloud pool: the budget its clusters draw from"))
    if kind == "gcp" and len(pool.clusters) > MAX_GKE_CLUSTERS_PER_POOL:
        problems.append(
            Problem(
                f"{path}.clusters",
                f"{len(pool.clusters)} clusters; a GCP pool holds at most {MAX_GKE_CLUSTERS_PER_POOL} "
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
    for j, cluster in enumerate(pool.clusters):
        problems += check_cluster(catalog, kind, cluster, f"{path}.clusters[{j}]")
    return problems


def check_sites(env: EnvironmentArgs) -> list[Problem]:
    """A host belongs to one pool: two pools of one site never list the same host (by address,
    compared in canonical form, or by name, which is the node's name in Kubernetes)."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str, str], str] = {}
    for i, pool in enumerate(env.pools):
        site = pool.substrate.bare_metal
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


def check_environment(env: EnvironmentArgs, catalog: Catalog) -> list[Problem]:
    """Relations across the tree. Cluster names are unique in the environment: they name the
    clusters' cloud resources and are how tenants, policies and people refer to a cluster."""
    problems = _duplicates([p.name for p in env.pools], "pools", "pool") + check_sites(env)
    cluster_paths: dict[str, str] = {}
    for i, pool in enumerate(env.pools):
        problems += check_pool(catalog, pool, f"pools[{i}]")
        for j, c in enumerate(pool.clusters):
            here = f"pools[{i}].clusters[{j}]"
            if c.name in cluster_paths:
                problems.append(
                    Problem(f"{here}.name", f"duplicate cluster name (first at {cluster_paths[c.name]})", c.name)
                )
            else:
                cluster_paths[c.name] = here
    return problems
