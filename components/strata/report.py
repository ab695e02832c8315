"""Documents ``strata plan`` prints: the plan as JSON/text/markdown, and a preview document.

Pure functions of an :class:`~strata.planner.EnvironmentPlan` and an
:class:`~strata.offline.OfflineRun`; the command line only chooses one and prints it.
"""

from __future__ import annotations

from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc

from strata.offline import UNKNOWN, OfflineRun
from strata.planner import COST_BASIS, ClusterPlan, EnvironmentPlan, PoolPlan

SECRET = "[secret]"
NOT_BUILT = "declared and validated; not built yet (tenants and frameworks arrive in later releases)"


def _cluster_doc(c: ClusterPlan) -> dict[str, Any]:
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
                "usdPerHour": np.machine_type.usd_per_hour,
                "cost": np.cost.as_dict(),
                **({"hosts": list(np.hosts)} if np.hosts else {}),
            }
            for np in c.node_pools
        ],
        **({"controlPlane": {"ha": len(c.servers) > 1, "servers": list(c.servers)}} if c.servers else {}),
        "draw": c.draw.as_dict(),
        "cost": c.cost.as_dict(),
        "tenants": [
            {
                "name": t.name,
                "isolation": t.isolation,
                "runtime": t.runtime,
                "dataClasses": list(t.data_classes),
                "built": False,
            }
            for t in c.spec.tenants
        ],
        "frameworks": [
            {
                "kind": f.kind,
                "name": f.spec.name,
                "tenant": f.spec.tenant,
                "dataClass": f.spec.data_class,
                "built": False,
            }
            for f in c.spec.frameworks
        ],
    }


def _pool_doc(p: PoolPlan) -> dict[str, Any]:
    return {
        "name": p.name,
        "substrate": p.substrate,
        "region": p.region,
        **({"site": p.spec.substrate.bare_metal.site} if p.spec.substrate.bare_metal else {}),
        "country": p.country,
        "capacity": p.budget.as_dict() if p.budget else None,
        "drawn": p.drawn.as_dict(),
        "cost": p.cost.as_dict(),
        "clusters": [_cluster_doc(c) for c in p.clusters],
    }


def plan_document(plan: EnvironmentPlan, run: OfflineRun) -> dict[str, Any]:
    """The machine-readable plan (DESIGN.md's ``strata plan --format json`` contract)."""
    return {
        "environment": plan.name,
        "owner": plan.owner,
        "jurisdictions": list(plan.jurisdictions),
        "asOf": plan.today.isoformat(),
        "pools": [_pool_doc(p) for p in plan.pools],
        "cost": {**plan.cost.as_dict(), "basis": COST_BASIS},
        "resources": len(run.registrations) + 1,  # + the stack, as `pulumi preview` counts
        "resourcesByType": run.counts_by_type(),
        "notBuilt": {
            "tenants": sum(len(c.spec.tenants) for p in plan.pools for c in p.clusters),
            "frameworks": sum(len(c.spec.frameworks) for p in plan.pools for c in p.clusters),
            "note": NOT_BUILT,
        },
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
    """The document ``pulumi preview --json`` prints for a first ``pulumi up`` of this stack."""
    steps: list[dict[str, Any]] = [
        {
            "op": "create",
            "urn": run.stack_urn,
            "newState": {"urn": run.stack_urn, "custom": False, "type": "pulumi:pulumi:Stack", "inputs": {}},
        }
    ]
    for r in run.registrations:
        state: dict[str, Any] = {
            "urn": r.urn,
            "custom": r.custom,
            "type": r.type,
            "inputs": display_value(r.inputs),
            "parent": "" if r.default_provider else (r.parent or run.stack_urn),
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


def plan_markdown(doc: dict[str, Any]) -> str:
    """A markdown summary for pull requests and job summaries."""
    lines = [
        f"## Strata plan: `{doc['environment']}`",
        "",
        f"Owner `{doc['owner']}` · jurisdiction {', '.join(doc['jurisdictions'])} · "
        f"{doc['resources']} resources · {_money(doc['cost']['atMin'])}–{_money(doc['cost']['atMax'])}/month "
        f"({doc['cost']['basis']})",
        "",
        "| pool | substrate | cluster | version | node pools | draw (vCPU / GiB / GPU) | cost/month |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in doc["pools"]:
        where = f"{p['substrate']} {p['region'] or ''} ({p['country']})".strip()
        for c in p["clusters"]:
            nps = ", ".join(f"{n['name']}: {n['min']}–{n['max']} × {n['machineType']}" for n in c["nodePools"])
            d = c["draw"]
            lines.append(
                f"| {p['name']} | {where} | {c['name']} | {c['version']} ({c['versionStage']}) | {nps} | "
                f"{d['vcpus']} / {d['memoryGib']} / {d['gpus']} | "
                f"{_money(c['cost']['atMin'])}–{_money(c['cost']['atMax'])} |"
            )
        cap = p["capacity"]
        if cap:
            dr = p["drawn"]
            lines.append(
                f"| **{p['name']}** | | **pool total** | | | **{dr['vcpus']}/{cap['vcpus']} · "
                f"{dr['memoryGib']}/{cap['memoryGib']} · {dr['gpus']}/{cap['gpus']}** | |"
            )
    nb = doc["notBuilt"]
    if nb["tenants"] or nb["frameworks"]:
        lines += ["", f"{nb['tenants']} tenant(s) and {nb['frameworks']} framework(s) {nb['note']}."]
    return "\n".join(lines) + "\n"
