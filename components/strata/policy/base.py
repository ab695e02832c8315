"""What every Strata rule shares: metadata, config defaults, and verdicts on unknown values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from strata.policy.props import Malformed

PACK_NAME = "strata"

#: One compliance framework per rule (the SDK takes one); the controls are listed in ``reference``.
CIS_KUBERNETES = "CIS Amazon EKS Benchmark v1.5.0 / CIS Google Kubernetes Engine Benchmark v1.5.0"


@dataclass(frozen=True)
class RuleMeta:
    name: str
    description: str
    level: EnforcementLevel
    severity: Severity
    controls: str  # human-readable control ids, for the README table and the SDK's framework
    framework: str = CIS_KUBERNETES
    config: dict[str, dict[str, Any]] = field(default_factory=dict)  # JSON schema properties

    def framework_meta(self) -> PolicyComplianceFramework:
        return PolicyComplianceFramework(name=self.framework, reference=self.controls)

    def schema(self) -> PolicyConfigSchema | None:
        return PolicyConfigSchema(properties=self.config) if self.config else None


def config_value(config: Mapping[str, Any] | None, meta: RuleMeta, key: str) -> Any:
    """A config value, falling back to the schema default (the SDK applies none itself)."""
    if config and key in config:
        return config[key]
    return meta.config[key].get("default")


def as_of(config: Mapping[str, Any] | None) -> dt.date:
    """The day rules judge dates on: ``asOf`` from config (ISO date) or today."""
    value = (config or {}).get("asOf")
    return dt.date.fromisoformat(str(value)) if value else dt.date.today()


class PendingUnknowns:
    """Collects resources a rule could not judge because a value is unknown until apply.

    After the definite verdicts are reported, :meth:`raise_if_any` turns them into the SDK's
    advisory "can't run policy ... during preview" — never a silent pass."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, urn: str, err: UnknownValueError) -> None:
        self.items.append(f"{urn}: {err.message}")

    def raise_if_any(self) -> None:
        if self.items:
            shown = "; ".join(self.items[:5]) + (f"; and {len(self.items) - 5} more" if len(self.items) > 5 else "")
            err = UnknownValueError(UNKNOWN_STRING_VALUE, [])
            err.message = f"cannot verify until apply: {shown}"
            raise err


ResourceCheck = Callable[[ResourceValidationArgs, ReportViolation], None]
StackCheck = Callable[[StackValidationArgs, ReportViolation], None]


def _cannot_judge(err: Exception) -> str:
    if isinstance(err, Malformed):
        return str(err)
    # A rule must never crash on what a program sends (an exception voids every other verdict of
    # the call): the resource fails, loudly, and the message says it is a Strata bug.
    return (
        f"cannot be judged ({type(err).__name__}: {err}); this is a bug in Strata's pack, "
        "and the resource is not passed"
    )


class Judged(Protocol):
    """Anything a verdict can name: a resource, or one Kubernetes object of a resource."""

    @property
    def urn(self) -> str: ...


J = TypeVar("J", bound=Judged)


def judge_each(items: Iterable[J], report: ReportViolation, judge: Callable[[J], None]) -> None:
    """Run ``judge`` on every resource (or object): a value unknown until apply is collected for "cannot
    verify until apply" (after the definite verdicts); a malformed property, or anything else that
    goes wrong, is a violation on that resource and never stops the others."""
    pending = PendingUnknowns()
    for r in items:
        try:
            judge(r)
        except UnknownValueError as err:
            pending.add(r.urn, err)
        except Exception as err:
            report(_cannot_judge(err), r.urn)
    pending.raise_if_any()


def guarded(check: ResourceCheck) -> ResourceCheck:
    """A resource check whose malformed inputs (or bugs) are violations, never crashes; unknown
    values still reach the SDK, which reports them as "can't run policy during preview"."""

    def run(args: ResourceValidationArgs, report: ReportViolation) -> None:
        try:
            check(args, report)
        except UnknownValueError:
            raise
        except Exception as err:
            report(_cannot_judge(err), None)

    return run


def _policy_options(meta: RuleMeta) -> dict[str, Any]:
    return {
        "name": meta.name,
        "description": meta.description,
        "enforcement_level": meta.level,
        "severity": meta.severity,
        "framework": meta.framework_meta(),
        "config_schema": meta.schema(),
    }


def resource_policy(meta: RuleMeta, check: ResourceCheck) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(validate=guarded(check), **_policy_options(meta))


def stack_policy(meta: RuleMeta, check: StackCheck) -> StackValidationPolicy:
    return StackValidationPolicy(validate=check, **_policy_options(meta))
