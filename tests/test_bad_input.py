"""Bad input at the level of the file and the process: bytes that are not a stack file, YAML that
means something other than it seems, documents built to blow up, values that look like console
markup, and errors inside Strata itself. Every case ends with the exit code the contract gives
(2 for input, 3 for a bug, never 1), a message naming where, and no traceback."""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from strata import cli
from strata.cli import app
from strata.declarations.yamlfile import MAX_BYTES, MAX_DEPTH, MAX_NODES

from .conftest import minimal_environment

RUN = CliRunner()
ENV = "config.platform:environment"


def _stack(env_yaml: str) -> bytes:
    """A stack file whose environment is the given YAML text (indented under the key)."""
    body = "\n".join("    " + line for line in env_yaml.splitlines())
    return f"config:\n  platform:environment:\n{body}\n".encode()


def _minimal_yaml(**replace: str) -> str:
    text = yaml.safe_dump(minimal_environment(), sort_keys=False)
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


# The document is level 0, ``config`` 1, the environment 2, ``x`` 3: the first ``a`` past the limit.
_NESTED = "x: " + "{a: " * (MAX_DEPTH + 5) + "1" + "}" * (MAX_DEPTH + 5)

# (id, file bytes, the path the message must name, a phrase the message must hold)
FILES: list[tuple[str, bytes, str, str]] = [
    ("latin-1", "config:\n  platform:environment:\n    name: café\n".encode("latin-1"), "(file)", "not UTF-8"),
    ("utf-16", "config:\n  platform:environment: {}\n".encode("utf-16"), "(file)", "UTF-16"),
    ("random-bytes", random.Random(9).randbytes(4096), "(file)", "UTF-8"),
    ("nul-bytes", b"config:\n  a: \x00\x01\n", "(file)", "not valid YAML"),
    ("not-yaml", b"config: [unclosed\n", "(file)", "not valid YAML"),
    ("empty-file", b"", "config", "top-level 'config' mapping"),
    ("top-level-list", b"- config\n", "config", "top-level 'config' mapping"),
    ("config-not-mapping", b"config: 3\n", "config", "top-level 'config' mapping"),
    ("environment-a-number", b"config:\n  platform:environment: 3\n", ENV, "must be a mapping"),
    ("environment-null", b"config:\n  platform:environment:\n", ENV, "must be a mapping"),
    ("environment-a-list", b"config:\n  platform:environment: [a]\n", ENV, "must be a mapping"),
    (
        "environment-json-text-deep",
        b"config:\n  platform:environment: '" + b"[" * 1800 + b"]" * 1800 + b"'\n",
        ENV,
        "nested",
    ),
    (
        "environment-json-text-many",
        b"config:\n  platform:environment: '[" + b",".join([b"1"] * 200_000) + b"]'\n",
        ENV,
        "more than",
    ),
    ("environment-json-duplicate-key", b'config:\n  platform:environment: \'{"a": 1, "a": 2}\'\n', ENV, "duplicate"),
    ("no-environment-key", b"config:\n  aws:region: eu-west-1\n", "config", "ending in ':environment'"),
    (
        "duplicate-key",
        _stack(_minimal_yaml(**{"name: dev\n": "name: dev\nname: prod\n"})),
        f"{ENV}.name",
        "duplicate key 'name'",
    ),
    (
        "duplicate-config-key",
        b"config:\n  aws:region: eu-west-1\n  aws:region: us-east-1\n",
        "config.aws:region",
        "duplicate key",
    ),
    (
        "binary-tag",
        _stack(_minimal_yaml(**{"owner: platform-team": "owner: !!binary aGVsbG8="})),
        f"{ENV}.owner",
        "!!binary",
    ),
    ("set-tag", _stack(_minimal_yaml(**{"owner: platform-team": "owner: !!set {a, b}"})), f"{ENV}.owner", "!!set"),
    ("custom-tag", _stack(_minimal_yaml(**{"owner: platform-team": "owner: !vault x"})), f"{ENV}.owner", "!vault"),
    (
        "python-tag",
        _stack(_minimal_yaml(**{"owner: platform-team": "owner: !!python/object/apply:os.system [id]"})),
        f"{ENV}.owner",
        "!!python/object/apply:os.system",
    ),
    (
        "merge-key",
        _stack(_minimal_yaml(**{"owner: platform-team": "owner: {<<: {a: 1}}"})),
        f"{ENV}.owner",
        "merge keys",
    ),
    # An unquoted date is the text written, and then fails as a version, naming the field.
    (
        "date-as-version",
        _stack(_minimal_yaml(**{"version: '1.35'": "version: 2025-01-01"})),
        "pools[0].clusters[0].version",
        "Kubernetes minor version",
    ),
    ("nan", _stack(_minimal_yaml(**{"zones: 2": "zones: .nan"})), f"{ENV}.pools[0].substrate.aws.zones", "finite"),
    (
        "infinity",
        _stack(_minimal_yaml(**{"memoryGib: 16": "memoryGib: .inf"})),
        f"{ENV}.pools[0].clusters[0].nodePools[0].machine.memoryGib",
        "finite",
    ),
    (
        "overflowing-float",
        _stack(_minimal_yaml(**{"memoryGib: 16": "memoryGib: 1.0e+999"})),
        f"{ENV}.pools[0].clusters[0].nodePools[0].machine.memoryGib",
        "finite",
    ),
    (  # YAML 1.2 (and JSON) exponent form
        "exponent-without-dot",
        _stack(_minimal_yaml(**{"memoryGib: 16": "memoryGib: 1e999"})),
        f"{ENV}.pools[0].clusters[0].nodePools[0].machine.memoryGib",
        "finite",
    ),
    (
        "leading-zero-integer",
        _stack(_minimal_yaml(**{"max: 4": "max: 017"})),
        f"{ENV}.pools[0].clusters[0].nodePools[0].max",
        "leading zero",
    ),
    (  # YAML 1.1's base 60 is text to Pulumi's reader, and text is not a count
        "sexagesimal",
        _stack(_minimal_yaml(**{"max: 4": "max: 1:30"})),
        "pools[0].clusters[0].nodePools[0].max",
        "integer",
    ),
    ("zones-true", _stack(_minimal_yaml(**{"zones: 2": "zones: true"})), "pools[0].substrate.aws.zones", "integer"),
    ("zones-yes", _stack(_minimal_yaml(**{"zones: 2": "zones: yes"})), "pools[0].substrate.aws.zones", "integer"),
    ("zones-float", _stack(_minimal_yaml(**{"zones: 2": "zones: 2.0"})), "pools[0].substrate.aws.zones", "integer"),
    ("zones-quoted", _stack(_minimal_yaml(**{"zones: 2": "zones: '2'"})), "pools[0].substrate.aws.zones", "integer"),
    (
        "huge-integer",
        _stack(_minimal_yaml(**{"max: 4": "max: 99999999999999999999999"})),
        "pools[0].clusters[0].nodePools[0].max",
        "at most 2,147,483,647",
    ),
    (
        "json-environment-with-nan",
        b'config:\n  platform:environment: \'{"name": "dev", "x": NaN}\'\n',
        ENV,
        "NaN",
    ),
    ("nested-too-deep", _stack(_minimal_yaml() + _NESTED), f"{ENV}.x" + ".a" * (MAX_DEPTH - 2), "nested more than"),
    ("nested-past-the-parser", b"config: " + b"[" * 5000 + b"]" * 5000, "(file)", "nesting depth"),
]


def _substrate(value: object) -> bytes:
    env = minimal_environment()
    env["pools"][0]["substrate"] = value
    return yaml.safe_dump({"config": {"platform:environment": env}}).encode()


FILES += [
    ("substrate-a-string", _substrate("aws"), "pools[0].substrate", "must be a mapping"),
    ("substrate-a-list", _substrate(["aws"]), "pools[0].substrate", "must be a mapping"),
    ("substrate-a-number", _substrate(3), "pools[0].substrate", "must be a mapping"),
    ("substrate-aws-a-string", _substrate({"aws": "eu-west-1"}), "pools[0].substrate.aws", "must be a mapping"),
    ("substrate-bare-metal-a-list", _substrate({"bareMetal": []}), "pools[0].substrate.bareMetal", "must be a mapping"),
]


def test_corpus_covers_every_class_once() -> None:
    assert len({c[0] for c in FILES}) == len(FILES) >= 30


@pytest.mark.parametrize(("case", "data", "path", "phrase"), FILES, ids=[c[0] for c in FILES])
def test_bad_file_exits_2_naming_where(case: str, data: bytes, path: str, phrase: str, tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_bytes(data)
    result = RUN.invoke(app, ["plan", str(stack), "--format", "json"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    problems = json.loads(result.stdout)["problems"]
    matching = [p for p in problems if p["path"] == path]
    assert matching, [p["path"] for p in problems]
    assert any(phrase in p["message"] for p in matching), matching


@pytest.mark.parametrize("case", ["latin-1", "duplicate-key", "zones-true", "substrate-a-string", "binary-tag"])
def test_check_gives_the_same_exit_2_as_plan(case: str, tmp_path: Path) -> None:
    _, data, path, _ = next(c for c in FILES if c[0] == case)
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_bytes(data)
    result = RUN.invoke(app, ["check", str(stack), "--format", "json"])
    assert result.exit_code == 2, result.output
    assert path in [p["path"] for p in json.loads(result.stdout)["problems"]]


def test_a_bad_pulumi_yaml_is_exit_2_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_bytes(b"name: x\nname: y\n")
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_bytes(b"config:\n  x:y: 1\n")
    result = RUN.invoke(app, ["check", str(stack), "--format", "json"])
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["problems"][0]["path"] == "name"


def test_a_directory_is_named_as_a_directory(tmp_path: Path) -> None:
    for command in ("plan", "check"):
        result = RUN.invoke(app, [command, str(tmp_path)])
        assert result.exit_code == 2
        assert "is a directory" in result.stderr and "Traceback" not in result.output


# ---------------------------------------------------------------- markup


@pytest.mark.parametrize(
    "owner", ["[/x]", "[link=https://evil.example]click[/link]", "[bold red]loud[/]", "trailing\\"]
)
def test_user_values_are_printed_as_written_never_as_markup(owner: str, tmp_path: Path) -> None:
    env = minimal_environment()
    env["owner"] = owner
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_text(yaml.safe_dump({"config": {"platform:environment": env}}), encoding="utf-8")
    result = RUN.invoke(app, ["plan", str(stack)])
    assert result.exit_code == 2, result.output
    assert f'owner: "{owner}" — must be a DNS label' in result.stderr


def test_printed_patterns_are_the_real_ones(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_bytes(_substrate({"gcp": {"project": "Acme!", "region": "europe-west3"}}))
    result = RUN.invoke(app, ["plan", str(stack)])
    assert result.exit_code == 2
    assert "'^[a-z][-a-z0-9]{4,28}[a-z0-9]$'" in result.stderr


# ---------------------------------------------------------------- bounds


def _limited(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a child held to 3 GiB of address space (the interpreter and its gRPC threads included) and 30 s of
    CPU: an input that is not bounded gets the child killed, and the test fails."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
        resource.setrlimit(resource.RLIMIT_CPU, (30, 30))

    return subprocess.run(
        [sys.executable, "-m", "strata.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        preexec_fn=limits,
        timeout=120,
        check=False,
    )


def _bomb(levels: int) -> bytes:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return ("config:\n  platform:environment:\n" + "\n".join("    " + x for x in lines) + "\n").encode()


def test_an_alias_bomb_stops_within_its_budget(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.bomb.yaml"
    stack.write_bytes(_bomb(12))  # 10**12 values if expanded
    result = _limited(["plan", str(stack)], tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"expands to more than {MAX_NODES:,} values through its aliases" in result.stderr


def test_a_50_mb_file_is_refused_unread(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.big.yaml"
    with stack.open("wb") as f:
        f.write(_stack(_minimal_yaml()))
        f.write(b"    padding: '" + b"x" * (50 << 20) + b"'\n")
    result = _limited(["plan", str(stack)], tmp_path)
    assert result.returncode == 2
    assert f"a declaration file may be at most {MAX_BYTES:,} bytes" in result.stderr


def test_a_file_just_under_the_size_limit_with_many_values_is_bounded(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.many.yaml"
    items = b",".join(b"{a: 1, b: [1, 2]}" for _ in range(MAX_BYTES // 20))
    stack.write_bytes(b"config:\n  x: [" + items + b"]\n")
    assert stack.stat().st_size <= MAX_BYTES
    result = _limited(["plan", str(stack)], tmp_path)
    assert result.returncode == 2
    assert f"holds more than {MAX_NODES:,} values" in result.stderr


# ---------------------------------------------------------------- internal errors


@pytest.mark.parametrize("command", ["plan", "check"])
@pytest.mark.parametrize(
    "error", [ZeroDivisionError("a bug"), OSError(9, "Bad file descriptor")], ids=["bug", "oserror"]
)
def test_a_bug_is_exit_3_and_says_so(command: str, error: Exception, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(cli, "plan_stack", broken)
    result = RUN.invoke(app, [command, "eu-prod"])
    assert result.exit_code == 3
    assert "internal error" in result.stderr and "bug in Strata" in result.stderr
    assert f"{type(error).__name__}: " in result.stderr


@pytest.mark.parametrize("command", ["plan", "check"])
def test_an_interrupt_is_exit_130_never_a_verdict(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "plan_stack", interrupted)
    result = RUN.invoke(app, [command, "eu-prod"])
    assert result.exit_code == 130


def test_the_module_runs_as_the_console_script_does() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "strata.cli", "plan", "no-such-stack"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ},
    )
    assert result.returncode == 2 and "no stack file" in result.stderr


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (b'{"cluster-api-private": NaN}', "NaN is not JSON"),
        (b"\xff\xfe{}", "cannot be read as JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b"{" + b" " * (MAX_BYTES + 1) + b"}", "larger than"),
    ],
    ids=["nan", "not-utf8", "a-list", "too-large"],
)
def test_a_bad_policy_config_is_exit_2(content: bytes, phrase: str, tmp_path: Path) -> None:
    cfg = tmp_path / "policy.json"
    cfg.write_bytes(content)
    result = RUN.invoke(app, ["check", "eu-prod", "--policy-config", str(cfg)])
    assert result.exit_code == 2, result.output
    assert "--policy-config" in result.stderr and phrase in result.stderr


# ---------------------------------------------------------------- paths, options and programs


def test_a_stack_name_too_long_for_the_file_system_is_exit_2() -> None:
    result = RUN.invoke(app, ["plan", "a" * 300])
    assert result.exit_code == 2 and "STACK" in result.stderr and "Traceback" not in result.output


def test_a_pipe_or_device_as_the_stack_is_named_as_such(tmp_path: Path) -> None:
    fifo = tmp_path / "Pulumi.fifo.yaml"
    os.mkfifo(fifo)
    for path in (str(fifo), "/dev/zero"):
        result = RUN.invoke(app, ["plan", path])
        assert result.exit_code == 2 and "not a regular file" in result.stderr, result.output


@pytest.mark.parametrize("as_of", ["", "2026-W48-1", "20261201", "2026-13-01"])
def test_as_of_takes_a_calendar_date_only(as_of: str) -> None:
    result = RUN.invoke(app, ["plan", "eu-prod", "--as-of", as_of])
    assert result.exit_code == 2 and "--as-of" in result.stderr


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (b'{"supported-kubernetes-version": 5}', "must be an enforcement level or an object"),
        (b'{"supported-kubernetes-version": ["mandatory"]}', "must be an enforcement level or an object"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
    ],
    ids=["a-number", "a-list", "deep"],
)
def test_a_policy_config_of_the_wrong_shape_is_exit_2_naming_its_file(
    content: bytes, phrase: str, tmp_path: Path
) -> None:
    cfg = tmp_path / "policy.json"
    cfg.write_bytes(content)
    for extra in ([], ["--as-of", "2026-11-23"]):
        result = RUN.invoke(app, ["check", "eu-prod", "--policy-config", str(cfg), *extra])
        assert result.exit_code == 2, result.output
        assert phrase in result.stderr and str(cfg) in result.stderr


def test_a_policy_config_that_is_not_a_file_is_exit_2_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "policy.fifo"
    os.mkfifo(fifo)
    for path in (str(fifo), "/dev/zero"):
        result = _limited(["check", "eu-prod", "--policy-config", path], tmp_path)
        assert result.returncode == 2 and "not a regular file" in result.stderr, result.stderr[-1000:]


def test_a_reader_that_goes_away_ends_the_writer_quietly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "strata.cli", "plan", "eu-prod"],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "ending",
    [
        "import sys; sys.exit(1)",
        "import sys; sys.exit(0)",
        "raise GeneratorExit",
        "raise KeyboardInterrupt",
        "import os; os._exit(0)",
        "import posix; posix._exit(0)",
        "import os; os.fork()",
        "class Odd(BaseException): pass\nraise Odd()",
        "class Mute(Exception):\n    def __str__(self): raise ValueError\nraise Mute()",
    ],
)
def test_a_team_program_that_ends_early_fails_the_check_never_passes_it(ending: str, tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: team\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(f"import pulumi_random as random\nrandom.RandomPet('a')\n{ending}\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    result = _limited(["check", str(tmp_path / "Pulumi.dev.yaml"), "--format", "json"], tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr[-2000:])
    assert json.loads(result.stdout)["problems"][0]["path"] == "program"


@pytest.mark.parametrize("name", ["[a]", "a:b/c::d", ""])
def test_a_team_project_name_pulumi_would_refuse_is_exit_2(name: str, tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump({"name": name, "runtime": "python"}))
    (tmp_path / "__main__.py").write_text("")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    result = RUN.invoke(app, ["check", str(tmp_path / "Pulumi.dev.yaml"), "--format", "json"])
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["problems"][0]["path"] == "name"


def _team_project(tmp_path: Path, program: str, *, project_file: str = "Pulumi.yaml", extra: str = "") -> Path:
    (tmp_path / project_file).write_text(f"name: team\nruntime: python\n{extra}")
    (tmp_path / "__main__.py").write_text(program)
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text("config:\n  aws:region: eu-central-1\n")
    return stack


# A bucket without Strata's ownership tags: a mandatory violation under the default pack config.
VIOLATING = "from pulumi_aws import s3\ns3.Bucket('ledger')\n"


def test_a_violating_program_cannot_turn_its_verdict_into_a_pass(tmp_path: Path) -> None:
    """An exit handler or a thread the program leaves behind runs after nothing: the process ends
    with the verdict's code (`strata` ends with os._exit once the command is done)."""
    program = VIOLATING + (
        "import atexit, posix, threading, time\n"
        "atexit.register(posix._exit, 0)\n"
        "threading.Thread(target=time.sleep, args=(600,)).start()\n"
        "print('noise from the program')\n"
    )
    stack = _team_project(tmp_path, program)
    result = _limited(["check", str(stack), "--format", "json"], tmp_path)
    doc = json.loads(result.stdout)  # the program's print went to stderr, not into the JSON
    assert doc["mandatory"] >= 1 and result.returncode == 1, result.stderr[-2000:]
    assert "noise from the program" in result.stderr


def test_a_team_project_is_read_as_pulumi_reads_it(tmp_path: Path) -> None:
    yml = tmp_path / "yml"
    yml.mkdir()
    result = _limited(["check", str(_team_project(yml, VIOLATING, project_file="Pulumi.yml")), "--format", "json"], yml)
    assert result.returncode == 1 and json.loads(result.stdout)["mandatory"] >= 1, result.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    stack = _team_project(elsewhere, VIOLATING, extra="stackConfigDir: stacks\n")
    result = RUN.invoke(app, ["check", str(stack), "--format", "json"])
    assert result.exit_code == 2 and "stackConfigDir" in json.loads(result.stdout)["problems"][0]["message"]
    far = tmp_path / "far"
    far.mkdir()
    stack = _team_project(far, VIOLATING, extra=f"main: {'x' * 5000}\n")
    result = RUN.invoke(app, ["check", str(stack), "--format", "json"])
    assert result.exit_code == 2 and "cannot be followed" in result.stdout


def test_output_to_an_ascii_terminal_or_a_full_disk(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    ascii_run = subprocess.run(
        [sys.executable, "-m", "strata.cli", "plan", "eu-prod"],
        cwd=root,
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
        check=False,
    )
    assert ascii_run.returncode == 0, ascii_run.stderr[-2000:]
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [sys.executable, "-m", "strata.cli", "plan", "eu-prod", "--format", "json"],
            cwd=root,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert result.returncode == 74 and "cannot write the output" in result.stderr, result.stderr[-2000:]
