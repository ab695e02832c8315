"""pool-in-jurisdiction: every resource that has a place sits inside its stack's jurisdiction(s).

"Has a place" is every AWS and GCP type with a region, location or zone (networks, clusters,
node pools, disks, keys, databases, buckets, queues, caches, registries, secrets, log sinks, VMs,
...), placed as its provider places it (:mod:`strata.policy.graph`), and every bare-metal host at
its site. What is allowed comes from the policy config, keyed by the stack a resource belongs to
(its URN, never a label): ``environments["project/stack"]``, else ``allowedJurisdictions``. A
resource's own jurisdiction label (or its component's claim) may narrow that, never widen it;
with no central config at all, the label is the only promise there is to hold it to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, PolicyResource, ReportViolation, Severity, StackValidationArgs

from strata.catalog import load_catalog
from strata.policy.base import RuleMeta, config_value, judge_each, stack_policy
from strata.policy.graph import StackGraph, Unplaced
from strata.policy.location import outside
from strata.policy.ownership import component_claims, jurisdictions_in, labels_of, stack_key
from strata.policy.types import type_facts

SITES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "default": {},
    "additionalProperties": {"type": "string"},
    "description": "Bare-metal sites and their countries (ISO 3166-1 alpha-2), pinned centrally: "
    "a program's own claim about a pinned site's country is ignored, and once any site is pinned "
    "a host on an unpinned site cannot be placed.",
}

META = RuleMeta(
    name="pool-in-jurisdiction",
    description="Every resource with a location sits in a country of its stack's jurisdiction(s).",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    controls="Data residency (GDPR Art. 44 et seq. for eu); Strata residency baseline",
    framework="Strata data residency",
    config={
        "allowedJurisdictions": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Jurisdictions for every stack the `environments` map does not name.",
        },
        "environments": {
            "type": "object",
            "default": {},
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Per stack, as project/stack (platform/eu-prod), the jurisdictions it may use. "
            "Set centrally, this is authoritative: a program's labels can narrow it, never widen it.",
        },
        "sites": SITES_SCHEMA,
    },
)


def _governed(config: Mapping[str, Any] | None, report: ReportViolation) -> dict[str, tuple[str, ...]]:
    governed: dict[str, tuple[str, ...]] = {}
    for key, value in dict(config_value(config, META, "environments") or {}).items():
        if "/" not in str(key):
            report(
                f"policy config environments key {key!r} is not project/stack (for example "
                f"platform/{key}); it governs nothing",
                None,
            )
            continue
        governed[str(key)] = tuple(str(j) for j in value)
    return governed


def check(args: StackValidationArgs, report: ReportViolation) -> None:
    catalog = load_catalog()
    config = args.get_config()
    fallback = tuple(str(j) for j in config_value(config, META, "allowedJurisdictions") or ())
    governed = _governed(config, report)
    graph = StackGraph(list(args.resources), dict(config_value(config, META, "sites") or {}))

    def promise(r: PolicyResource) -> tuple[str, ...]:
        """The jurisdictions the resource itself (or its nearest claiming component) promises."""
        labels = labels_of(r.resource_type, r.props, r.provider) or {}
        if labels.get("jurisdiction"):
            return jurisdictions_in(labels["jurisdiction"])
        ancestor = r.parent
        while ancestor is not None:
            if claimed := component_claims(ancestor.props).get("jurisdiction"):
                return jurisdictions_in(claimed)
            ancestor = ancestor.parent
        return ()

    def judge(r: PolicyResource) -> None:
        try:
            places = graph.placement(r)
        except Unplaced as err:
            report(f"the location of this {_what(r)} cannot be established: {err}", r.urn)
            return
        if places is None:
            return
        stack = stack_key(r.urn)
        base, source = (governed[stack], f"policy config for {stack}") if stack in governed else (fallback, "")
        source = source or ("policy config allowedJurisdictions" if base else "")
        own = promise(r)
        named = [j for j in (*base, *own) if j not in catalog.jurisdictions]
        if named:
            report(f"{_what(r)} names jurisdictions the catalog does not know: {', '.join(sorted(set(named)))}", r.urn)
            return
        if base:
            allowed = catalog.countries_of(base)
            if own and set(own) != set(base):
                allowed &= catalog.countries_of(own)
                source += f", narrowed by its own label to {'/'.join(own)}"
            keys = base
        elif own:
            allowed, keys, source = (
                catalog.countries_of(own),
                own,
                "its own labels (no policy config governs this stack)",
            )
        else:
            report(
                f"{_what(r)} has no jurisdiction to be checked against: stack {stack} is not in the policy "
                "config's environments, allowedJurisdictions is empty and it carries no jurisdiction label",
                r.urn,
            )
            return
        if where := outside(places, allowed):
            report(
                f"{_what(r)} in {where} is outside the jurisdiction {'/'.join(keys)} of stack {stack} (from {source})",
                r.urn,
            )

    judge_each(args.resources, report, judge)


def _what(r: PolicyResource) -> str:
    facts = type_facts(r.resource_type)
    role = facts.role if facts and facts.role else None
    return f"{role} ({r.resource_type})" if role else r.resource_type


POLICY = stack_policy(META, check)
