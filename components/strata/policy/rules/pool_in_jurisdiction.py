"""pool-in-jurisdiction: every resource that has a place sits inside its stack's jurisdiction(s).

"Has a place" is every AWS and GCP type with a region, location or zone (networks, clusters,
node pools, disks, keys, databases, buckets, queues, caches, registries, secrets, log sinks, VMs,
...), placed as its provider places it (:mod:`strata.policy.graph`), and every bare-metal host at
its site. What is allowed comes from the policy config, keyed by the stack a resource belongs to
(its URN, never a label): ``environments["project/stack"]``, else ``allowedJurisdictions``; once
either is set, a stack neither covers fails — a renamed stack does not escape. A resource's own
jurisdiction label (or its component's claim) may narrow what is allowed, never widen it; with no
central config at all, the label is the only promise there is to hold it to (self-declared, not a
gate). A location outside what the config allows is a verdict even while a label is still unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, PolicyResource, ReportViolation, Severity, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

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

    central = bool(governed or fallback)

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
        source = source or "policy config allowedJurisdictions"
        if central and not base:
            report(
                f"{_what(r)} is in stack {stack}, which the policy config governs nowhere: it is not in "
                "`environments` and `allowedJurisdictions` is empty (a stack's own labels cannot stand in "
                "for the platform's config)",
                r.urn,
            )
            return
        try:
            own: tuple[str, ...] | None = promise(r)
        except UnknownValueError:
            own = None  # known at apply; what the central config allows is already known
        named = [j for j in (*base, *(own or ())) if j not in catalog.jurisdictions]
        if named:
            report(f"{_what(r)} names jurisdictions the catalog does not know: {', '.join(sorted(set(named)))}", r.urn)
            return
        if base:
            allowed, keys = catalog.countries_of(base), base
            if where := outside(places, allowed):  # outside what the platform allows, whatever the label says
                report(_breach(r, where, keys, stack, source), r.urn)
                return
            if own is None:
                raise UnknownValueError(UNKNOWN_STRING_VALUE, ["tags (jurisdiction)"])
            if own and set(own) != set(base):
                allowed &= catalog.countries_of(own)
                source += f", narrowed by its own label to {'/'.join(own)}"
        elif own:
            # No central config at all: the program's own labels are the only promise there is
            # (self-declared, not a gate; set `environments` to make it one).
            allowed, keys, source = catalog.countries_of(own), own, "its own labels (no policy config at all)"
        elif own is None:
            raise UnknownValueError(UNKNOWN_STRING_VALUE, ["tags (jurisdiction)"])
        else:
            report(
                f"{_what(r)} has no jurisdiction to be checked against: no policy config governs stacks and it "
                "carries no jurisdiction label",
                r.urn,
            )
            return
        if where := outside(places, allowed):
            report(_breach(r, where, keys, stack, source), r.urn)

    judge_each(args.resources, report, judge)


def _breach(r: PolicyResource, where: str, keys: tuple[str, ...], stack: str, source: str) -> str:
    return f"{_what(r)} in {where} is outside the jurisdiction {'/'.join(keys)} of stack {stack} (from {source})"


def _what(r: PolicyResource) -> str:
    facts = type_facts(r.resource_type)
    role = facts.role if facts and facts.role else None
    return f"{role} ({r.resource_type})" if role else r.resource_type


POLICY = stack_policy(META, check)
