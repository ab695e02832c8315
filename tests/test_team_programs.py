"""The pack on programs Strata did not write (tests/team_programs.py), through the analyzer protocol,
two ways:

* as ``strata check`` feeds it: the program under Pulumi's mocks with the stack's config, default
  providers made from that config (``strata.default_providers``);
* as the engine hands it: default providers built here, independently, from the engine's rules
  (``default_<version>``, every config value a string, ``version`` added, pulumi-aws's CheckConfig
  defaults), and each AWS resource's inputs after the provider's Check (``region`` filled from the
  provider, ``tagsAll`` merged from ``defaultTags``), which Pulumi's mocks never show.

Both must give exactly the verdicts each program expects, and the same ones whatever order the
resources arrive in.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import random
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2

from strata.analyzer import Verdict, analyze, pack_policies, reconcile_config, running_pack
from strata.cli import offline_config
from strata.default_providers import with_default_providers
from strata.offline import UNKNOWN, OfflineRun, Registration, run_offline

from .team_programs import PROGRAMS, PROJECT, Program

PACK = Path(__file__).resolve().parents[1] / "policies"
AS_OF = {
    "supported-kubernetes-version": {"asOf": "2026-11-23"},
    "kubernetes-version-end-of-support-soon": {"asOf": "2026-11-23"},
}
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


@pytest.fixture(scope="module")
def pack() -> Iterator[Any]:
    with running_pack(PACK) as stub:
        yield stub


def offline_run(prog: Program) -> OfflineRun:
    config, secrets = offline_config(f"{PROJECT}:", None, prog.config)
    run, _ = run_offline(prog.run, project=PROJECT, stack=prog.stack, config=config, secret_keys=secrets)
    return run


def strata_view(prog: Program) -> OfflineRun:
    return with_default_providers(offline_run(prog), prog.config, environ={})


# ---------------------------------------------------------------- the engine's view, built here


def _engine_string(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))


#: What pulumi-aws's CheckConfig adds to a provider's inputs when they are unset.
AWS_CHECK_CONFIG = {
    "skipCredentialsValidation": "false",
    "skipMetadataApiCheck": "true",
    "skipRegionValidation": "true",
}


@cache
def _aws_class_facts(type_: str) -> tuple[bool, bool]:
    """(has a region input, has tagsAll) for an AWS type, read from the SDK class itself."""
    module, name = type_.split(":")[1].split("/")[0], type_.split(":")[2]
    cls = getattr(importlib.import_module(f"pulumi_aws.{module}"), name)
    params = inspect.signature(cls._internal_init).parameters
    return "region" in params, "tags_all" in inspect.getsource(cls._internal_init)


def _struct(doc: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(doc)
    return s


def engine_view(prog: Program) -> OfflineRun:
    """The run as the engine hands it to the pack. Deliberately written apart from
    ``strata.default_providers`` (from the engine's rules, not from that code), so that the two
    views agreeing on every verdict means something."""
    run = offline_run(prog)
    providers: dict[str, dict[str, Any]] = {}
    out: list[Registration] = []
    for reg in run.registrations:
        if reg.type.startswith("pulumi:providers:"):
            inputs = json_format.MessageToDict(reg.raw_inputs)
            if reg.type == "pulumi:providers:aws":
                inputs = {**AWS_CHECK_CONFIG, **inputs}
            reg = replace(reg, raw_inputs=_struct(inputs))
            providers[reg.urn] = inputs
        pkg = reg.type.split(":")[0]
        if (reg.custom or reg.remote) and not reg.provider and pkg != "pulumi":
            name = "default_" + reg.version.replace(".", "_").replace("-", "_").replace("+", "_")
            urn = f"urn:pulumi:{run.stack}::{run.project}::pulumi:providers:{pkg}::{name}"
            if urn not in providers:
                inputs = {
                    k.split(":", 1)[1]: _engine_string(v) for k, v in prog.config.items() if k.startswith(f"{pkg}:")
                }
                inputs["version"] = reg.version
                if pkg == "aws":
                    inputs = {**AWS_CHECK_CONFIG, **inputs}
                providers[urn] = inputs
                out.append(
                    Registration(
                        urn=urn,
                        type=f"pulumi:providers:{pkg}",
                        name=name,
                        custom=True,
                        parent="",
                        provider="",
                        inputs=inputs,
                        dependencies=(),
                        property_dependencies={},
                        additional_secret_outputs=(),
                        raw_inputs=_struct(inputs),
                        version=reg.version,
                        default_provider=True,
                    )
                )
            reg = replace(reg, provider=f"{urn}::{UNKNOWN}")
        if pkg == "aws" and reg.custom and reg.type.count(":") == 2:
            reg = _aws_check(reg, providers.get(reg.provider.rsplit("::", 1)[0], {}))
        out.append(reg)
    return OfflineRun(project=run.project, stack=run.stack, registrations=out)


def _aws_check(reg: Registration, provider: dict[str, Any]) -> Registration:
    """What pulumi-aws's Check does to a resource's inputs before the engine analyzes them."""
    has_region, has_tags_all = _aws_class_facts(reg.type)
    inputs = json_format.MessageToDict(reg.raw_inputs)
    if has_region and "region" not in inputs and provider.get("region"):
        inputs["region"] = provider["region"]
    if has_tags_all:
        defaults = provider.get("defaultTags") or "{}"
        merged = dict((json.loads(defaults) if isinstance(defaults, str) else defaults).get("tags") or {})
        tags = inputs.get("tags")
        if tags == UNKNOWN:
            inputs["tagsAll"] = UNKNOWN
        else:
            merged.update(tags or {})
            inputs["tagsAll"] = merged
    return replace(reg, raw_inputs=_struct(inputs), inputs=copy.deepcopy(inputs))


# ---------------------------------------------------------------- verdicts


def judge(pack: Any, run: OfflineRun, prog: Program) -> list[Verdict]:
    cfg = reconcile_config(pack_policies(pack), {**AS_OF, **prog.policy})
    return analyze(pack, run, cfg)


def summary(found: list[Verdict]) -> set[tuple[str, str]]:
    """Every verdict as (policy, resource); an advisory is marked as such so it cannot pass for none."""
    return {(v.policy if v.level == "mandatory" else f"{v.policy} ({v.level})", v.urn.split("::")[-1]) for v in found}


def test_there_are_at_least_forty_programs_both_violating_and_compliant() -> None:
    assert len(PROGRAMS) >= 40
    assert len({p.name for p in PROGRAMS}) == len(PROGRAMS)
    assert sum(1 for p in PROGRAMS if p.expect) >= 15
    assert sum(1 for p in PROGRAMS if not p.expect) >= 8


@pytest.mark.parametrize("prog", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_as_strata_check_feeds_it(pack: Any, prog: Program) -> None:
    found = judge(pack, strata_view(prog), prog)
    assert summary(found) == set(prog.expect), [v.message for v in found]


@pytest.mark.parametrize("prog", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_as_the_engine_hands_it(pack: Any, prog: Program) -> None:
    found = judge(pack, engine_view(prog), prog)
    assert summary(found) == set(prog.expect), [v.message for v in found]


#: Programs whose verdicts depend on following links between resources (kubeconfigs, references,
#: hosts, claims): a rule that took "the first cluster" or "the first label" would fail here.
ORDER_SENSITIVE = [p for p in PROGRAMS if p.expect and (p.name.startswith(("k8s-", "gcp-keys", "gcp-log")))]


@pytest.mark.parametrize("prog", ORDER_SENSITIVE, ids=[p.name for p in ORDER_SENSITIVE])
def test_verdicts_do_not_depend_on_registration_order(pack: Any, prog: Program) -> None:
    run = strata_view(prog)
    first = sorted((v.policy, v.level, v.urn, v.message) for v in judge(pack, run, prog))
    assert first, "an order test needs verdicts to compare"
    rng = random.Random(prog.name)
    for _ in range(12):
        shuffled = list(run.registrations)
        rng.shuffle(shuffled)
        again = judge(pack, OfflineRun(project=run.project, stack=run.stack, registrations=shuffled), prog)
        assert sorted((v.policy, v.level, v.urn, v.message) for v in again) == first
