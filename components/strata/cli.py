"""The ``strata`` command line (docs/design.md, "The command line" — a contract; docs/cli.md).

``strata plan STACK|PATH [--format text|json|markdown|preview-json]`` runs the stack's Pulumi
program offline under Pulumi's mocks and prints what would be built. ``strata check`` adds the
policy pack's verdicts. ``strata schema`` prints the stack file's JSON Schema (or its reference).

Exit codes, the same in both commands (CI reads them):

- 0: planned (``check``: no mandatory policy violated);
- 1: ``check`` only, a mandatory policy is violated — never anything else;
- 2: the input is invalid (every problem is printed with its path; nothing is planned);
- 3: an internal error — a bug in Strata or in the policy pack, never a verdict on the stack;
- 74: the output could not be written (a full disk); 130: interrupted; 141: the output's
  reader went away (``strata plan x | head``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import enum
import errno
import functools
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from strata.declarations.errors import Problem, SpecError
from strata.declarations.models import EnvironmentArgs
from strata.declarations.stackfile import (
    ENVIRONMENT_SUFFIX,
    environment_value,
    find_environment_key,
    read_stack_config,
)
from strata.declarations.yamlfile import MAX_BYTES, read_yaml
from strata.default_providers import OFFLINE_SECRET, with_default_providers
from strata.offline import OfflineRun, config_for, program_file, run_offline
from strata.report import (
    addon_list,
    asked,
    cost_sentence,
    free_hosts,
    isolation,
    members,
    plan_document,
    plan_markdown,
    preview_document,
    quota,
    where,
)

if TYPE_CHECKING:  # the analyzer (gRPC) is imported by `check` only, when it runs
    from strata.analyzer import PolicyInfo

EXIT_OK = 0
EXIT_VIOLATION = 1
EXIT_INVALID = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader left
EXIT_OUTPUT = 74  # sysexits' EX_IOERR: the output could not be written (a full disk)

_Command = TypeVar("_Command", bound=Callable[..., None])


def _internal_error() -> typer.Exit:
    """Report the exception being handled as a bug, and the exit that says so."""
    with contextlib.suppress(OSError, ValueError):
        typer.echo(
            "strata: internal error (exit 3). This is a bug in Strata, not a verdict on the stack; "
            "please report it with this trace:\n" + traceback.format_exc(),
            err=True,
        )
    return typer.Exit(EXIT_INTERNAL)


def _exit_codes(command: _Command) -> _Command:
    """Give a command the contract's exit codes: an exception nobody handled is a bug (3), with
    its trace on stderr, and an interrupt is 130 — neither may ever read as a verdict (1)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            try:
                command(*args, **kwargs)
            finally:
                sys.stdout.flush()  # here, so that a reader gone away is seen here
        except typer.Exit:
            raise
        except BrokenPipeError:  # the reader went away (`| head`): end quietly, as a pipeline expects
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(EXIT_BROKEN_PIPE) from None
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EDQUOT):
                raise _internal_error() from None
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            typer.echo(f"strata: cannot write the output: {exc.strerror}", err=True)
            raise typer.Exit(EXIT_OUTPUT) from None
        except KeyboardInterrupt:
            typer.echo("strata: interrupted", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception:
            raise _internal_error() from None

    return cast("_Command", run)


app = typer.Typer(
    name="strata",
    help="Strata: a software cloud provider as code. Plan environments offline, no cloud account needed.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class PlanFormat(enum.StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    preview_json = "preview-json"


StackArg = Annotated[
    str, typer.Argument(metavar="STACK|PATH", help="A stack name under stacks/ (eu-prod) or a stack file path.")
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Judge version lifecycles as of this date (YYYY-MM-DD).")
]


def parse_as_of(as_of: str | None) -> dt.date | None:
    """``--as-of``, or exit 2 naming the bad value."""
    if as_of is None:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of):
            raise ValueError(as_of)
        return dt.date.fromisoformat(as_of)
    except ValueError:
        typer.echo(f"--as-of: {as_of!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(EXIT_INVALID) from None


@dataclass(frozen=True)
class StackRef:
    path: Path
    stack: str


PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")


def _project_root(start: Path) -> Path | None:
    for d in [start, *start.parents]:
        if any((d / name).is_file() for name in PROJECT_FILES):
            return d
    return None


def resolve_stack(ref: str, cwd: Path | None = None) -> StackRef:
    """A stack file path, or a stack name looked up in the project's ``stackConfigDir``."""
    try:
        return _resolve_stack(ref, cwd or Path.cwd())
    except OSError as exc:  # a name too long, a directory that cannot be entered, a symlink loop
        raise SpecError([Problem("STACK", f"cannot be read: {exc.strerror or exc}", ref)], ref) from None


def _resolve_stack(ref: str, cwd: Path) -> StackRef:
    candidate = Path(ref)
    if candidate.is_file():
        name = candidate.name
        stack = (
            name[len("Pulumi.") : -len(".yaml")]
            if name.startswith("Pulumi.") and name.endswith(".yaml")
            else candidate.stem
        )
        return StackRef(candidate, stack)
    root = _project_root(cwd)
    stacks_dir = cwd / "stacks"
    if root is not None:
        project = _project_file(root)
        stacks_dir = root / str(project.get("stackConfigDir") or ".")
    path = stacks_dir / f"Pulumi.{ref}.yaml"
    if path.is_file():
        return StackRef(path, ref)
    if candidate.is_dir():
        raise SpecError(
            [
                Problem(
                    "STACK",
                    "is a directory; give a stack file (a Pulumi.<stack>.yaml) or a stack name under stacks/",
                    ref,
                )
            ],
            ref,
        )
    if os.path.lexists(ref):
        candidate.stat()  # a symlink loop or a dangling link raises here, with its reason
        raise SpecError([Problem("STACK", "is not a regular file (a device, a pipe or a socket)", ref)], ref)
    known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in stacks_dir.glob("Pulumi.*.yaml"))
    listed = (
        f"stacks in {stacks_dir}: {', '.join(known) or 'none'}"
        if stacks_dir.is_dir()
        else f"there is no {stacks_dir} directory"
    )
    if os.sep in ref or "/" in ref or ref.endswith((".yaml", ".yml")):  # meant as a path, not a name
        close = difflib.get_close_matches(candidate.name, [p.name for p in candidate.parent.glob("Pulumi.*.y*ml")])
        hint = f"did you mean {candidate.parent / close[0]}?" if close else listed
        raise SpecError([Problem("STACK", f"no such file; {hint}", ref)], ref)
    close = difflib.get_close_matches(ref, known, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    raise SpecError([Problem("STACK", f"no stack file {path}; {listed}{hint}", ref)], ref)


def _project_file(root: Path) -> dict[str, Any]:
    """The project's ``Pulumi.yaml``, read under the same rules as a stack file."""
    path = next(root / name for name in PROJECT_FILES if (root / name).is_file())
    project = read_yaml(path)
    if not isinstance(project, dict):
        raise SpecError([Problem("(file)", "a Pulumi.yaml must be a mapping")], str(path))
    return project


def offline_config(
    key: str, environment: Any, stack_config: Mapping[str, Any] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Stack config for an offline run, as the engine hands it to a program: every key of the
    stack file (objects as JSON text; a secure value, which only the engine can decrypt, as a
    marked placeholder), the environment, and a secret placeholder for every SSH key a bare-metal
    pool reads."""
    project = key.split(":", 1)[0]
    config: dict[str, str] = {}
    secrets: list[str] = []
    for name, value in (stack_config or {}).items():
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            config[name] = OFFLINE_SECRET
            secrets.append(name)
        elif name != key:
            config[name] = value if isinstance(value, str) else json.dumps(value)
    if environment is None:
        return config, secrets
    config.update(config_for(key, environment))
    for pool in _environment_args(environment).pools:
        site = pool.substrate.bare_metal
        if site is not None:
            name = f"{project}:{site.ssh.private_key_secret}"
            config.setdefault(name, OFFLINE_SECRET)
            if name not in secrets:
                secrets.append(name)
    return config, secrets


def _environment_args(environment: Any) -> EnvironmentArgs:
    from pydantic import ValidationError

    from strata.declarations.checks import problems_from_validation_error

    try:
        return EnvironmentArgs.model_validate(environment, by_alias=True, by_name=False)
    except ValidationError as err:
        raise SpecError(problems_from_validation_error(err)) from None


@dataclass
class Planned:
    """One stack run offline: a Strata environment (``plan`` set) or any other project's program."""

    name: str
    key: str
    environment: Any
    run: OfflineRun
    plan: Any
    #: The stack file's whole config (``aws:region``, ...): what default providers are made from.
    stack_config: dict[str, Any]

    def engine_run(self) -> OfflineRun:
        """The run as the engine sees it: with the default providers it makes from the config."""
        return with_default_providers(self.run, self.stack_config)


def plan_stack(ref: StackRef, today: dt.date | None = None, *, any_program: bool = False) -> Planned:
    """Run the stack's program offline. Raises SpecError on an invalid spec, before any
    resource is registered.

    A stack file with a key ending in ``:environment`` is a Strata environment, built by Strata's
    program. With ``any_program``, any other stack file is run with its own project's Python
    program (a team repo, or a plain Pulumi program), as ``pulumi preview`` would run it."""
    from strata.program import main
    from strata.validation import validate_environment

    stack_config = read_stack_config(ref.path)
    if any_program and not any(k.endswith(ENVIRONMENT_SUFFIX) for k in stack_config):
        return _plan_project_program(ref, stack_config)
    key = find_environment_key(stack_config, str(ref.path))
    environment = environment_value(stack_config, key, str(ref.path))
    # The whole declaration is valid before any other use of it (the program validates it again,
    # as it must under the real engine; both give the same problems).
    validate_environment(environment, today=today, source=str(ref.path))
    project = key.split(":", 1)[0]
    config, secret_keys = offline_config(key, environment, stack_config)
    try:
        run, env = run_offline(
            lambda: main(today=today), project=project, stack=ref.stack, config=config, secret_keys=secret_keys
        )
    except SpecError as err:
        raise SpecError(err.problems, str(ref.path), err.note) from None
    return Planned(env.plan.name, key, environment, run, env.plan, stack_config)


def _plan_project_program(ref: StackRef, stack_config: dict[str, Any]) -> Planned:
    try:
        return _run_project_program(ref, stack_config)
    except OSError as exc:  # a `main` too long for the file system, unreadable, ...
        raise SpecError([Problem("Pulumi.yaml", f"cannot be followed: {exc.strerror or exc}")], str(ref.path)) from None


def _run_project_program(ref: StackRef, stack_config: dict[str, Any]) -> Planned:
    root = _project_root(ref.path.resolve().parent)
    project_file = _project_file(root) if root else None
    if root is None or project_file is None:
        raise SpecError(
            [
                Problem(
                    "STACK",
                    "is neither a Strata environment (no config key ending in ':environment') nor a stack "
                    "of a Pulumi project (no Pulumi.yaml above it)",
                    str(ref.path),
                )
            ]
        )
    stacks_dir = (root / str(project_file.get("stackConfigDir") or ".")).resolve()
    if ref.path.resolve().parent != stacks_dir:
        raise SpecError(
            [
                Problem(
                    "STACK",
                    f"is not one of the project's stacks: Pulumi reads them from {stacks_dir} (stackConfigDir)",
                    str(ref.path),
                )
            ],
            str(ref.path),
        )
    runtime = project_file.get("runtime")
    runtime = runtime.get("name") if isinstance(runtime, dict) else runtime
    entry = root / str(project_file.get("main") or "")
    entry = entry / "__main__.py" if entry.is_dir() else entry
    if runtime != "python" or not entry.is_file():
        raise SpecError(
            [Problem("Pulumi.yaml", f"strata check runs Python programs; found runtime {runtime!r}, main {entry}")]
        )
    project = project_file.get("name")
    if not isinstance(project, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", project):
        raise SpecError(
            [
                Problem(
                    "name",
                    "a Pulumi project name: 1 to 100 letters, digits, '-', '_' or '.'",
                    project,
                )
            ],
            str(root / "Pulumi.yaml"),
        )
    config, secret_keys = offline_config(f"{project}:", None, stack_config)
    try:
        run, _ = run_offline(
            program_file(entry), project=project, stack=ref.stack, config=config, secret_keys=secret_keys
        )
    except SpecError as err:
        raise SpecError(err.problems, str(entry), err.note) from None
    except SystemExit as err:  # a program that exits early cannot be vouched for, whatever its code
        message = f"exited early (sys.exit({err.code!r})); a program is judged on all it registers"
        raise SpecError([Problem("program", message, str(entry))], str(entry)) from None
    except KeyboardInterrupt:  # Ctrl-C (a program's own KeyboardInterrupt arrives as ProgramExit)
        raise
    except BaseException as err:  # the program itself failed, as `pulumi preview` would report it
        raise SpecError([Problem("program", _describe(err), str(entry))], str(entry)) from None
    return Planned(ref.stack, "", None, run, None, stack_config)


def _describe(err: BaseException) -> str:
    """``Type: message`` of an exception, even one whose ``__str__`` fails."""
    try:
        text = str(err)
    except Exception:
        text = "(its message cannot be printed)"
    return f"{type(err).__name__}: {text}"


def _print_problems(err: SpecError, fmt: str) -> None:
    if fmt in ("json", "preview-json"):
        doc: dict[str, Any] = {
            "error": "invalid spec",
            "source": err.source,
            "problems": [p.as_dict() for p in err.problems],
        }
        if err.note:
            doc["notChecked"] = err.note
        typer.echo(json.dumps(doc, indent=2, allow_nan=False))
        return
    console = _Console(stderr=True, highlight=False, soft_wrap=True)
    console.print(f"[bold red]invalid spec[/] {escape(err.source or '')}: {len(err.problems)} problem(s)")
    for p in err.problems:
        console.print(f"  [bold]{escape(p.path)}[/]: {escape(str(p)[len(p.path) + 2 :])}")
    if err.note:
        console.print(f"Not checked yet: {escape(err.note)}.")
    console.print("Nothing was planned.")


def _money(x: float) -> str:
    return f"${x:,.0f}"


class _Console(Console):
    """Rich's console, except that a reader gone away is a BrokenPipeError for the exit codes to
    handle (rich's own answer is exit 1, which reads as a verdict)."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def _map_leaves(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """``value`` (JSON-like: dicts, lists, leaves) with ``leaf`` applied to every leaf."""
    if isinstance(value, dict):
        return {k: _map_leaves(v, leaf) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_leaves(v, leaf) for v in value]
    return leaf(value)


def _escaped(value: Any) -> Any:
    """``value`` with every text in it escaped, so no name or owner is read as console markup."""
    return _map_leaves(value, lambda v: escape(v) if isinstance(v, str) else v)


def _print_text(doc: dict[str, Any], console: Console) -> None:
    doc = _escaped(doc)
    tree = Tree(
        f"[bold]{doc['environment']}[/]  owner {doc['owner']} · jurisdiction {', '.join(doc['jurisdictions'])}"
        f" · as of {doc['asOf']}"
    )
    for p in doc["pools"]:
        dr, cap = p["drawn"], p["capacity"]
        ledger = (
            f"drawn {dr['vcpus']}/{cap['vcpus']} vCPU, {dr['memoryGib']}/{cap['memoryGib']} GiB, "
            f"{dr['gpus']}/{cap['gpus']} GPU"
            if cap
            else f"drawn {dr['vcpus']} vCPU, {dr['memoryGib']} GiB, {dr['gpus']} GPU"
        )
        owned = not p["cost"]["estimated"]
        cost = (
            "owned hardware, cost not estimated"
            if owned
            else f"{_money(p['cost']['atMin'])}–{_money(p['cost']['atMax'])}/month"
        )
        pool = tree.add(f"pool [bold]{p['name']}[/] — {where(p)} · {ledger} · {cost}")
        for c in p["clusters"]:
            ccost = "" if owned else f" · {_money(c['cost']['atMin'])}–{_money(c['cost']['atMax'])}/month"
            cl = pool.add(
                f"cluster [bold]{c['name']}[/] — Kubernetes {c['version']} ({c['versionStage']}) · "
                f"{c['apiEndpoint']} API{ccost}"
            )
            if "controlPlane" in c:
                cp = c["controlPlane"]
                kind = "HA, 3 servers with embedded etcd" if cp["ha"] else "1 server"
                cl.add(f"control plane ({kind}): {', '.join(cp['servers'])}")
            for n in c["nodePools"]:
                if "hosts" in n:
                    cl.add(
                        f"node pool {n['name']}: {len(n['hosts'])} host(s) {', '.join(n['hosts'])} "
                        f"for {asked(n['machine'])}"
                    )
                    continue
                s = n["machineTypeShape"]
                gpus = f", {s['gpus']} GPU" if s["gpus"] else ""
                sandbox = f", {n['runtime']} sandbox" if n["runtime"] != "default" else ""
                cl.add(
                    f"node pool {n['name']}: {n['min']}–{n['max']} × {n['machineType']} "
                    f"({s['vcpus']} vCPU, {s['memoryGib']:g} GiB{gpus}{sandbox}) for {asked(n['machine'])} asked"
                )
            for t in c["tenants"]:
                runtime = f" · {t['runtime']} runtime" if t["runtime"] != "default" else ""
                classes = ", ".join(t["dataClasses"]) or "no data classes"
                groups = f" · groups {', '.join(t['groups'])}" if t["groups"] else ""
                cl.add(f"tenant {t['name']}: {isolation(t)}{runtime} · quota {quota(t)} · {classes}{groups}")
            for f in c["frameworks"]:
                d = f["draws"]
                storage = f", {d['storageGib']:g} GiB storage" if d["storageGib"] else ""
                fcost = f" · {_money(f['cost']['atMax'])}/month at max" if f["cost"]["estimated"] else ""
                cl.add(
                    f"{f['kind']} {f['name']} for tenant {f['tenant']} ({f['runsIn']}): {members(f)} · draws "
                    f"{d['cpu']:g} vCPU, {d['memoryGib']:g} GiB{storage} of its quota{fcost} · "
                    f"{f['operator']['chart']} {f['operator']['version']}"
                )
            if c["addons"]:
                off = "".join(f" · no {o['need']}" for o in c["addonsOff"])
                cl.add(f"add-ons: {addon_list(c)}{off}")
                internet = sum(1 for i in c["images"] if i["source"] == "upstream")
                cl.add(f"images: {len(c['images'])} pulled, {internet} from the internet")
        if "freeHosts" in p:
            pool.add(free_hosts(p))
    console.print(tree)
    table = Table(title=f"{doc['resources']} resources to create", show_edge=False)
    table.add_column("type")
    table.add_column("count", justify="right")
    table.add_row("pulumi:pulumi:Stack", "1")
    for t, n in doc["resourcesByType"].items():
        table.add_row(t, str(n))
    console.print(table)
    console.print(cost_sentence(doc["cost"]), soft_wrap=True)  # one line, for whoever greps it


@app.command()
@_exit_codes
def plan(
    stack: StackArg,
    format: Annotated[PlanFormat, typer.Option("--format", "-f", help="Output format.")] = PlanFormat.text,
    as_of: AsOfOption = None,
) -> None:
    """The offline plan of one environment: what would be created, capacity drawn, versions, cost."""
    today = parse_as_of(as_of)
    try:
        planned = plan_stack(resolve_stack(stack), today)
    except SpecError as err:
        _print_problems(err, format.value)
        raise typer.Exit(EXIT_INVALID) from None
    if format is PlanFormat.preview_json:
        config = offline_config(planned.key, planned.environment, planned.stack_config)[0]
        typer.echo(json.dumps(preview_document(planned.engine_run(), config), indent=2, allow_nan=False))
        return
    doc = plan_document(planned.plan, planned.run)
    if format is PlanFormat.json:
        typer.echo(json.dumps(doc, indent=2, allow_nan=False))
    elif format is PlanFormat.markdown:
        typer.echo(plan_markdown(doc), nl=False)
    else:
        _print_text(doc, _Console(highlight=False, width=None if sys.stdout.isatty() else 200))


class CheckFormat(enum.StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


VERSION_POLICIES = ("supported-kubernetes-version", "kubernetes-version-end-of-support-soon")


def default_pack_dir(cwd: Path | None = None) -> Path:
    """The project's ``policies/`` pack, or the copy shipped inside the package (team repos)."""
    root = _project_root(cwd or Path.cwd())
    if root is not None and (root / "policies" / "PulumiPolicy.yaml").is_file():
        return root / "policies"
    return bundled_pack()


def bundled_pack() -> Path:
    """The policy pack shipped inside the installed package (what ``strata pack-path`` prints)."""
    return Path(__file__).resolve().parent / "policy" / "bundle"


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_policy_config(path: Path | None, as_of: dt.date | None) -> dict[str, Any]:
    """``--policy-config`` (the JSON ``pulumi preview --policy-pack-config`` takes), plus ``--as-of``."""
    config: dict[str, Any] = {}
    if path is not None:
        source = str(path)
        try:
            if not path.is_file():
                raise ValueError("not a regular file")
            if path.stat().st_size > MAX_BYTES:
                raise ValueError(f"larger than {MAX_BYTES:,} bytes")
            config = json.loads(path.read_text(encoding="utf-8"), parse_constant=_not_json)
        except (OSError, ValueError, RecursionError) as exc:  # JSON and UTF-8 errors are ValueErrors
            reason = "nested too deep" if isinstance(exc, RecursionError) else exc
            raise SpecError([Problem("--policy-config", f"cannot be read as JSON: {reason}", source)], source) from None
        if not isinstance(config, dict):
            raise SpecError(
                [Problem("--policy-config", "must be a JSON object of policy name → config", source)], source
            )
        wrong = [
            Problem(f"--policy-config.{name}", "must be an enforcement level or an object of settings", value)
            for name, value in config.items()
            if not isinstance(value, str | dict)
        ]
        if wrong:
            raise SpecError(wrong, source)
    if as_of is not None:
        for name in VERSION_POLICIES:
            entry = config.get(name, {})
            entry = {"enforcementLevel": entry} if isinstance(entry, str) else dict(entry)
            entry.setdefault("asOf", as_of.isoformat())
            config[name] = entry
    return config


def _plain(value: Any) -> Any:
    """A config value as a person wrote it: the protocol carries every number as a double, so a
    whole number (a schema default such as ``warningDays: 90``) is shown as one."""
    return _map_leaves(value, lambda v: int(v) if isinstance(v, float) and v.is_integer() else v)


def _shown_path(path: Path) -> str:
    """A path relative to the working directory when it lies below it, else absolute."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(resolved)


def policies_run(
    policies: list[PolicyInfo],
    config: dict[str, dict[str, Any]],
    *,
    pack: Path,
    config_file: Path | None,
    as_of: dt.date | None,
) -> dict[str, Any]:
    """The policies the pack ran, in its order, each with its enforcement level and the settings
    it was configured with (the pack's schema defaults with ``--policy-config`` on top: exactly
    what Configure was sent), and where that config came from."""
    return {
        "policies": [
            {
                "name": p.name,
                "level": config[p.name]["enforcementLevel"],
                "config": _plain({k: v for k, v in config[p.name].items() if k != "enforcementLevel"}),
            }
            for p in policies
        ],
        "policyConfig": {
            "source": "--policy-config" if config_file is not None else "defaults",
            "file": str(config_file) if config_file is not None else None,
            "asOf": as_of.isoformat() if as_of is not None else None,
            "pack": _shown_path(pack),
        },
    }


def check_document(planned: Planned, verdicts: list[Any], ran: dict[str, Any] | None = None) -> dict[str, Any]:
    ordered = sorted(verdicts, key=lambda v: (v.level != "mandatory", v.policy, v.urn, v.message))
    return {
        "environment": planned.name,
        "violations": [v.as_dict() for v in ordered],
        "resources": len(planned.run.registrations) + 1,
        "mandatory": sum(v.level == "mandatory" for v in verdicts),
        "advisory": sum(v.level == "advisory" for v in verdicts),
        **(ran or {}),
    }


def config_origin(doc: dict[str, Any]) -> str:
    """Where the policies' config came from, in words: ``--policy-config FILE`` or the defaults."""
    pc = doc["policyConfig"]
    origin = (
        f"{pc['file']} (--policy-config) over the pack's defaults"
        if pc["source"] == "--policy-config"
        else "the pack's default config (no --policy-config)"
    )
    if pc["asOf"]:
        origin += f"; versions judged as of {pc['asOf']} (--as-of)"
    return origin


def _settings(config: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in config.items()) or "(no settings)"


def check_markdown(doc: dict[str, Any]) -> str:
    status = "❌ mandatory policy violated" if doc["mandatory"] else "✅ no mandatory policy violated"
    lines = [
        f"## Strata check: `{doc['environment']}` — {status}",
        "",
        f"{doc['resources']} resources · {doc['mandatory']} mandatory · {doc['advisory']} advisory",
    ]
    if doc["violations"]:
        lines += ["", "| level | policy | resource | message |", "|---|---|---|---|"]
        for v in doc["violations"]:
            name = v["urn"].split("::")[-1] if v["urn"] else "(stack)"
            lines.append(f"| {v['level']} | `{v['policy']}` | `{name}` | {v['message'].replace('|', '/')} |")
    if "policies" in doc:
        lines += [
            "",
            f"<details><summary>Ran {len(doc['policies'])} policies (pack <code>{doc['policyConfig']['pack']}</code>)"
            f" with {config_origin(doc)}</summary>",
            "",
            "| policy | level | config |",
            "|---|---|---|",
        ]
        for p in doc["policies"]:
            settings = _settings(p["config"]).replace("|", "\\|").replace("`", "'")
            lines.append(f"| `{p['name']}` | {p['level']} | `{settings}` |")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


@app.command()
@_exit_codes
def check(
    stack: StackArg,
    format: Annotated[CheckFormat, typer.Option("--format", "-f", help="Output format.")] = CheckFormat.text,
    as_of: AsOfOption = None,
    policy_config: Annotated[
        Path | None, typer.Option("--policy-config", help="Policy pack config JSON, as --policy-pack-config takes.")
    ] = None,
    policy_pack: Annotated[Path | None, typer.Option("--policy-pack", help="Policy pack directory.")] = None,
) -> None:
    """The offline plan plus the policy pack, with the verdicts the engine would give.

    Exit 0 when no mandatory policy is violated, 1 when one is, 2 when the spec is invalid,
    3 on an internal error (a bug: never a verdict)."""
    from strata.analyzer import PackError, analyze, pack_policies, reconcile_config, running_pack

    today = parse_as_of(as_of)
    try:
        user_config = load_policy_config(policy_config, today)
        ref = resolve_stack(stack)
        # The pack boots (a second interpreter) while the program is planned.
        pack = policy_pack or default_pack_dir()
        with running_pack(pack) as stub:
            planned = plan_stack(ref, today, any_program=True)
            policies = pack_policies(stub)
            config = reconcile_config(policies, user_config)
            verdicts = analyze(stub, planned.engine_run(), config)
    except SpecError as err:
        _print_problems(err, format.value)
        raise typer.Exit(EXIT_INVALID) from None
    except PackError as err:  # a crashing rule fails the check loudly; it never passes, nor reads as a verdict
        typer.echo(f"strata: internal error (exit 3): the policy pack failed, no verdict: {err}", err=True)
        raise typer.Exit(EXIT_INTERNAL) from None
    ran = policies_run(policies, config, pack=pack, config_file=policy_config, as_of=today)
    doc = check_document(planned, verdicts, ran)
    if format is CheckFormat.json:
        typer.echo(json.dumps(doc, indent=2, allow_nan=False))
    elif format is CheckFormat.markdown:
        typer.echo(check_markdown(doc), nl=False)
    else:
        console = _Console(highlight=False, width=None if sys.stdout.isatty() else 200)
        console.print(
            f"Ran {len(doc['policies'])} policies (pack {escape(doc['policyConfig']['pack'])}) with "
            f"{escape(config_origin(doc))}:"
        )
        width = max((len(p["name"]) for p in doc["policies"]), default=0)
        for p in doc["policies"]:
            console.print(f"  {p['level']:<11}{escape(p['name']):<{width}}  {escape(_settings(p['config']))}")
        for v in doc["violations"]:
            colour = "red" if v["level"] == "mandatory" else "yellow"
            v = _escaped(v)
            console.print(f"[{colour}]{v['level']:<9}[/] [bold]{v['policy']}[/] {v['urn'] or '(stack)'}")
            console.print(f"          {v['message']}")
        console.print(
            f"{escape(doc['environment'])}: {doc['resources']} resources, {doc['mandatory']} mandatory and "
            f"{doc['advisory']} advisory violation(s)."
        )
    raise typer.Exit(EXIT_VIOLATION if doc["mandatory"] else EXIT_OK)


class SchemaFormat(enum.StrEnum):
    json = "json"
    markdown = "markdown"


@app.command()
@_exit_codes
def schema(
    format: Annotated[
        SchemaFormat,
        typer.Option("--format", "-f", help="json: the JSON Schema; markdown: the stack-file reference page."),
    ] = SchemaFormat.json,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.", dir_okay=False)
    ] = None,
) -> None:
    """The stack file's JSON Schema, generated from Strata's declaration models (for editors and CI)."""
    from strata.declarations.schema import reference_markdown, schema_json

    text = schema_json() if format is SchemaFormat.json else reference_markdown()
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        typer.echo(f"strata: cannot write {escape(str(output))}: {exc.strerror or exc}", err=True)
        raise typer.Exit(EXIT_OUTPUT) from None


@app.command("pack-path")
def pack_path() -> None:
    """The directory of the policy pack shipped inside the installed package, for
    ``pulumi preview --policy-pack "$(strata pack-path)"`` in a repository without ``policies/``."""
    typer.echo(str(bundled_pack()))


@app.callback()
def _root() -> None:
    """Strata command line."""


_hard_exit = os._exit  # taken before any program runs: a checked program may replace os._exit


def main() -> None:
    """The console entry point. The process ends with the command's exit code and nothing else
    runs after it: not an ``atexit`` handler nor a thread a checked team program left behind, which
    could otherwise change the code CI reads or keep the check from ending."""
    for stream in (sys.stdout, sys.stderr):  # an ASCII terminal gets escapes, not a crash
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        app()
        code = EXIT_OK
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_INTERNAL)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    _hard_exit(code)


if __name__ == "__main__":
    main()
