"""Documents ``strata plan`` prints: the plan as JSON/text/markdown, and a preview document.

Pure functions of an :class:`~strata.planner.EnvironmentPlan` and an
:class:`~strata.offline.OfflineRun`; the command line only chooses one and prints it.
"""

from __future__ import annotations

from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc

from strata.catalog import load_catalog
from strata.frameworks import framework_cost, framework_draw
from strata.offline import UNKNOWN, OfflineRun
from strata.paved_road import ImagePull, cluster_addons, image_pull, site_registry
from strata.planner import ClusterPlan, Cost, EnvironmentPlan, PoolPlan, Resources
from strata.tenancy import tenancy_images

SECRET = "[secret]"
#: What a bare-metal pool's, cluster's and node pool's ``cost`` says instead of a price.
OWNED_NOTE = "owned hardware: not estimated"


def _cost_doc(cost: Cost, owned: bool) -> dict[str, Any]:
    """A cost as JSON: on a cloud the list-price estimate; on owned hardware no number at all
    (``null``, never a $0 that would read as free), and a note saying why."""
    if owned:
        return {"atMin": None, "atMax": None, "estimated": False, "note": OWNED_NOTE}
    return {**cost.as_dict(), "estimated": True}


def asked(machine: dict[str, Any]) -> str:
    """The machine a node pool asks for, as text and markdown print it: ``16 vCPU/64 GiB, 1 GPU``."""
    gpus = machine.get("gpus") or 0
    return f"{machine['vcpus']} vCPU/{machine['memoryGib']:g} GiB" + (f", {gpus} GPU" if gpus else "")


def _addons_doc(p: PoolPlan, c: ClusterPlan) -> dict[str, Any]:
    """The cluster's paved road: each need's add-on with its version, the needs it goes without
    and why, and every image its add-ons pull and where from."""
    catalog = load_catalog()
    addons = cluster_addons(catalog, p, c)
    mirror = site_registry(p)
    chosen = {a.need for a in addons}
    spec = c.spec.addons

    def why(need: str) -> str:
        if spec.choice(need) is False:
            return "turned off in the stack file"
        if need == "images":
            return "no registry mirror on this site: images come from their upstream registries"
        if need == "loadBalancers" and p.substrate == "bareMetal":
            return "no addons.loadBalancerAddresses reserved for MetalLB"
        return f"nothing to do on {p.substrate}"

    return {
        "addons": [
            {
                "need": a.need,
                "name": a.name,
                "label": a.addon.label,
                "install": a.install,
                "version": a.version,
                "choice": a.choice,
                **({"namespace": a.addon.namespace} if a.install == "helm" else {}),
            }
            for a in addons
        ],
        "addonsOff": [{"need": n, "reason": why(n)} for n in catalog.paved_road.needs if n not in chosen],
        "images": [
            *(_image_doc(i, a.name) for a in addons for i in a.images),
            # what the tenants install comes from the site's mirror where there is one, else upstream
            *(
                _image_doc(image_pull(catalog, p.substrate, mirror and "site-mirror", mirror, image), who)
                for image, who in tenancy_images(catalog, p.substrate, c)
            ),
        ],
        **({"registryMirror": site_registry(p)} if site_registry(p) else {}),
    }


def _frameworks_doc(p: PoolPlan, c: ClusterPlan, images: str | None) -> dict[str, Any]:
    """The cluster's frameworks, each with its tenant, where it runs, its operator, what it draws
    from the tenant's quota and its share of the cluster's cost; and the images they pull."""
    catalog = load_catalog()
    tenants = {t.name: t for t in c.spec.tenants}
    mirror = site_registry(p)
    out: list[dict[str, Any]] = []
    pulls: dict[str, dict[str, Any]] = {}
    for f in c.spec.frameworks:
        facts = catalog.frameworks[f.kind]
        tenant = tenants[f.spec.tenant]
        draw = framework_draw(facts, f)
        cost = framework_cost(c, draw, p.owned_hardware)
        virtual = tenant.isolation == "virtual"
        out.append(
            {
                "kind": f.kind,
                "name": f.spec.name,
                "tenant": tenant.name,
                "dataClass": f.spec.data_class,
                "runsIn": f"virtual cluster {c.name}/{tenant.name}" if virtual else f"cluster {c.name}",
                "namespace": tenant.name,
                "operator": {"chart": facts.chart.name, "version": facts.chart.version, "licence": facts.chart.licence},
                "members": {facts.members: f.spec.member_count},
                "size": {"cpu": f.spec.size.cpu, "memoryGib": f.spec.size.memory_gib},
                "draws": draw.as_dict(),
                "cost": _cost_doc(cost, p.owned_hardware) if cost else {"estimated": False},
                "built": True,
            }
        )
        operator = f"{f.kind} operator" + (f" in {tenant.name}'s virtual cluster" if virtual else "")
        for image in facts.images:
            pull = image_pull(catalog, p.substrate, images, mirror, image)
            pulls.setdefault(f"{image} {operator}", _image_doc(pull, operator))
    return {"frameworks": out, "frameworkImages": list(pulls.values())}


def _image_doc(pull: ImagePull, who: str) -> dict[str, Any]:
    return {
        "image": pull.image,
        "source": pull.source,
        "pulledFrom": pull.pulled_from,
        "pulled": pull.pulled,
        "pulledBy": who,
    }


def _cluster_doc(c: ClusterPlan, p: PoolPlan) -> dict[str, Any]:
    owned = p.owned_hardware
    return {
        "name": c.name,
        "version": c.version,
        "versionStage": c.stage.value if c.stage else None,
        "apiEndpoint": "public (restricted)" if c.spec.api_endpoint.public else "private",
        "publicAccessCidrs": list(c.spec.api_endpoint.public_access_cidrs),
        "nodePools": [
            {
                "name": np.name,
                "machine": np.machine.model_dump(by_alias=True),
                "machineType": np.machine_type.name,
                "machineTypeShape": {
                    "vcpus": np.machine_type.vcpus,
                    "memoryGib": np.machine_type.memory_gib,
                    "gpus": np.machine_type.gpus,
                },
                "min": np.min,
                "max": np.max,
                "runtime": np.runtime,
                "usdPerHour": None if owned else np.machine_type.usd_per_hour,
                "cost": _cost_doc(np.cost, owned),
                **({"hosts": list(np.hosts)} if np.hosts else {}),
            }
            for np in c.node_pools
        ],
        **({"controlPlane": {"ha": len(c.servers) > 1, "servers": list(c.servers)}} if c.servers else {}),
        "draw": c.draw.as_dict(),
        "cost": _cost_doc(c.cost, owned),
        "tenants": [
            {
                "name": t.name,
                "frameworks": [f.spec.name for f in c.spec.frameworks if f.spec.tenant == t.name],
                "isolation": t.isolation,
                "runtime": t.runtime,
                **({"version": t.version or c.version} if t.isolation == "virtual" else {}),
                "quota": (
                    {
                        "cpu": t.quota.cpu,
                        "memoryGib": t.quota.memory_gib,
                        **({"storageGib": t.quota.storage_gib} if t.quota.storage_gib is not None else {}),
                    }
                    if t.quota
                    else None
                ),
                "groups": list(t.groups),
                "dataClasses": list(t.data_classes),
                "built": True,
            }
            for t in c.spec.tenants
        ],
        **_with_frameworks(p, c),
    }


def _with_frameworks(p: PoolPlan, c: ClusterPlan) -> dict[str, Any]:
    """The paved road and the frameworks; the frameworks' images join the add-ons' in ``images``."""
    doc = _addons_doc(p, c)
    images = next((a["name"] for a in doc["addons"] if a["need"] == "images"), None)
    fw = _frameworks_doc(p, c, images)
    doc["images"] = [*doc["images"], *fw["frameworkImages"]]
    return {**doc, "frameworks": fw["frameworks"]}


def _pool_doc(p: PoolPlan) -> dict[str, Any]:
    return {
        "name": p.name,
        "substrate": p.substrate,
        "region": p.region,
        **({"site": p.spec.substrate.bare_metal.site} if p.spec.substrate.bare_metal else {}),
        "country": p.country,
        "capacity": p.budget.as_dict() if p.budget else None,
        "drawn": p.drawn.as_dict(),
        **(
            {
                "freeHosts": [
                    {"name": h.name, "address": h.address, **Resources.of_hosts([h]).as_dict()} for h in p.free_hosts
                ],
                "free": p.free.as_dict(),
            }
            if p.owned_hardware
            else {}
        ),
        "cost": _cost_doc(p.cost, p.owned_hardware),
        "clusters": [_cluster_doc(c, p) for c in p.clusters],
    }


def _environment_cost(plan: EnvironmentPlan) -> dict[str, Any]:
    """The environment's monthly cost: the sum over the cloud pools only. ``covers`` names them,
    ``notEstimated`` the pools of owned hardware left out (and then ``note`` says so)."""
    covered = plan.estimated_pools
    left_out = [p.name for p in plan.pools if p.owned_hardware]
    total = Cost()
    for p in covered:
        total = total + p.cost
    doc: dict[str, Any] = {
        **(total.as_dict() if covered else {"atMin": None, "atMax": None}),
        "basis": plan.cost_basis,
        "estimated": bool(covered),
        "covers": [p.name for p in covered],
        "notEstimated": left_out,
    }
    if left_out and covered:
        doc["note"] = (
            f"covers only the cloud pools ({', '.join(doc['covers'])}); "
            f"owned hardware ({', '.join(left_out)}) is not estimated"
        )
    elif left_out:
        doc["note"] = f"not estimated: every pool is owned hardware ({', '.join(left_out)})"
    return doc


def plan_document(plan: EnvironmentPlan, run: OfflineRun) -> dict[str, Any]:
    """The machine-readable plan (docs/design.md's ``strata plan --format json`` contract)."""
    return {
        "environment": plan.name,
        "owner": plan.owner,
        "jurisdictions": list(plan.jurisdictions),
        "asOf": plan.today.isoformat(),
        "pools": [_pool_doc(p) for p in plan.pools],
        "cost": _environment_cost(plan),
        "resources": len(run.registrations) + 1,  # + the stack, as `pulumi preview` counts
        "resourcesByType": run.counts_by_type(),
    }


# ---------------------------------------------------------------- preview document


def display_value(value: Any) -> Any:
    """A value as ``pulumi preview --json`` shows it: secrets as ``[secret]``, unknowns as the
    engine's unknown sentinel, numbers as the engine holds them."""
    if rpc.is_rpc_secret(value):
        return SECRET
    if isinstance(value, Unknown) or value == UNKNOWN:
        return UNKNOWN
    if isinstance(value, dict):
        return {k: display_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [display_value(v) for v in value]
    return value


def preview_document(run: OfflineRun, config: dict[str, Any]) -> dict[str, Any]:
    """The document ``pulumi preview --json`` prints for a first ``pulumi up`` of this stack.

    Like the engine, it reports no step for a default provider (the engine's ``isInternalStep``:
    they are neither shown nor counted in ``changeSummary``); the resources that use one still
    name it in ``provider``."""
    steps: list[dict[str, Any]] = [
        {
            "op": "create",
            "urn": run.stack_urn,
            "newState": {"urn": run.stack_urn, "custom": False, "type": "pulumi:pulumi:Stack", "inputs": {}},
        }
    ]
    for r in run.registrations:
        if r.default_provider:
            continue
        state: dict[str, Any] = {
            "urn": r.urn,
            "custom": r.custom,
            "type": r.type,
            "inputs": display_value(r.inputs),
            "parent": r.parent or run.stack_urn,
            "dependencies": list(r.dependencies),
            "propertyDependencies": {k: list(v) for k, v in r.property_dependencies.items()},
        }
        if r.provider:
            state["provider"] = r.provider
        if r.additional_secret_outputs:
            state["additionalSecretOutputs"] = list(r.additional_secret_outputs)
        step: dict[str, Any] = {"op": "create", "urn": r.urn, "newState": state}
        if r.provider:
            step["provider"] = r.provider
        steps.append(step)
    return {
        "config": {k: display_value(v) for k, v in config.items()},
        "steps": steps,
        "changeSummary": {"create": len(steps)},
    }


# ---------------------------------------------------------------- markdown


def _money(x: float) -> str:
    return f"${x:,.0f}"


def _range(cost: dict[str, Any]) -> str:
    return f"{_money(cost['atMin'])}–{_money(cost['atMax'])}"


def cost_sentence(cost: dict[str, Any]) -> str:
    """The environment's monthly cost as the text plan's last line says it (``cost`` as in the JSON)."""
    if not cost["estimated"]:
        return (
            f"Monthly cost: not estimated — every pool is owned hardware ({', '.join(cost['notEstimated'])}); "
            "Strata estimates cloud pools only, at list price."
        )
    line = (
        f"Monthly cost {_money(cost['atMin'])} (every node pool at min) to {_money(cost['atMax'])} (at max): "
        f"{cost['basis']}"
    )
    return f"{line} — {cost['note']}." if cost["notEstimated"] else f"{line}."


def where(pool: dict[str, Any]) -> str:
    """``aws eu-central-1 (DE)``, ``bareMetal site fra-dc1 (DE)``."""
    place = f"site {pool['site']}" if "site" in pool else pool["region"]
    return " ".join(part for part in (pool["substrate"], place, f"({pool['country']})") if part)


def free_hosts(pool: dict[str, Any]) -> str:
    """A bare-metal pool's free hosts and what they offer together, as text and markdown say it."""
    hosts = pool["freeHosts"]
    if not hosts:
        return "free hosts: none (every host is assigned)"
    f = pool["free"]
    return (
        f"free hosts ({len(hosts)}): {', '.join(h['name'] for h in hosts)} — "
        f"{f['vcpus']} vCPU, {f['memoryGib']} GiB, {f['gpus']} GPU in total"
    )


def isolation(tenant: dict[str, Any]) -> str:
    """A tenant's isolation level as people read it (a virtual tenant's own version included)."""
    if tenant["isolation"] == "virtual":
        return f"virtual cluster (Kubernetes {tenant['version']})"
    return str(tenant["isolation"])


def quota(tenant: dict[str, Any]) -> str:
    """A tenant's quota, or what stands in for it (a dedicated tenant has the whole cluster)."""
    q = tenant["quota"]
    return f"{q['cpu']:g} CPU / {q['memoryGib']:g} GiB" if q else "the whole cluster"


def members(framework: dict[str, Any]) -> str:
    """``3 brokers × 2 vCPU, 8 GiB``."""
    (field, count), size = next(iter(framework["members"].items())), framework["size"]
    return f"{count} {field} × {size['cpu']:g} vCPU, {size['memoryGib']:g} GiB"


def addon_list(cluster: dict[str, Any]) -> str:
    """``canal · local-path 0.0.37 · cert-manager v1.21.1``: a cluster's add-ons, in need order."""
    return " · ".join(f"{a['name']} {a['version']}" if a["version"] else a["name"] for a in cluster["addons"])


def plan_markdown(doc: dict[str, Any]) -> str:
    """A markdown summary for pull requests and job summaries."""
    cost = doc["cost"]
    if not cost["estimated"]:
        summary = "cost not estimated (owned hardware)"
    else:
        summary = f"{_range(cost)}/month ({cost['basis']})" + (f" — {cost['note']}" if cost["notEstimated"] else "")
    lines = [
        f"## Strata plan: `{doc['environment']}`",
        "",
        f"Owner `{doc['owner']}` · jurisdiction {', '.join(doc['jurisdictions'])} · "
        f"{doc['resources']} resources · {summary}",
        "",
        "| pool | substrate | cluster | version | node pools | draw (vCPU / GiB / GPU) | cost/month |",
        "|---|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    for p in doc["pools"]:
        for c in p["clusters"]:
            nps = "; ".join(
                f"{n['name']}: {n['min']}–{n['max']} × {n['machineType']} ({asked(n['machine'])} asked)"
                for n in c["nodePools"]
            )
            d = c["draw"]
            ccost = _range(c["cost"]) if c["cost"]["estimated"] else "not estimated (owned hardware)"
            lines.append(
                f"| {p['name']} | {where(p)} | {c['name']} | {c['version']} ({c['versionStage']}) | {nps} | "
                f"{d['vcpus']} / {d['memoryGib']} / {d['gpus']} | {ccost} |"
            )
        cap = p["capacity"]
        if cap:
            dr = p["drawn"]
            lines.append(
                f"| **{p['name']}** | | **pool total** | | | **{dr['vcpus']}/{cap['vcpus']} · "
                f"{dr['memoryGib']}/{cap['memoryGib']} · {dr['gpus']}/{cap['gpus']}** | |"
            )
        if "freeHosts" in p:
            notes.append(f"Pool **{p['name']}** {free_hosts(p)}.")
    if notes:
        lines += ["", *notes]
    tenants = [(c["name"], t) for p in doc["pools"] for c in p["clusters"] for t in c["tenants"]]
    if tenants:
        lines += ["", "| cluster | tenant | isolation | runtime | quota | data classes | groups |"]
        lines.append("|---|---|---|---|---|---|---|")
        for cluster, t in tenants:
            lines.append(
                f"| {cluster} | {t['name']} | {isolation(t)} | {t['runtime']} | {quota(t)} | "
                f"{', '.join(t['dataClasses']) or '—'} | {', '.join(t['groups']) or '—'} |"
            )
    clusters = [c for p in doc["pools"] for c in p["clusters"]]
    if any(c["addons"] for c in clusters):
        lines += ["", "| cluster | add-ons (version) | off | images from the internet |", "|---|---|---|---|"]
        for c in clusters:
            internet = [i["image"] for i in c["images"] if i["source"] == "upstream"]
            lines.append(
                f"| {c['name']} | {addon_list(c)} | {', '.join(o['need'] for o in c['addonsOff']) or '—'} | "
                f"{len(internet)} of {len(c['images'])} |"
            )
    frameworks = [(c["name"], f) for c in clusters for f in c["frameworks"]]
    if frameworks:
        lines += [
            "",
            "| cluster | framework | tenant | runs in | operator | members | draws (vCPU / GiB / storage GiB) "
            "| cost/month |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for cluster, f in frameworks:
            d = f["draws"]
            fcost = _range(f["cost"]) if f["cost"]["estimated"] else "not estimated"
            lines.append(
                f"| {cluster} | {f['kind']} {f['name']} | {f['tenant']} | {f['runsIn']} | "
                f"{f['operator']['chart']} {f['operator']['version']} | {members(f)} | "
                f"{d['cpu']:g} / {d['memoryGib']:g} / {d['storageGib']:g} | {fcost} |"
            )
    return "\n".join(lines) + "\n"
