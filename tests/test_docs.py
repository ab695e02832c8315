"""The documentation stays true to the repository: links resolve, the README's layout names every
module, the YAML examples validate (or fail exactly as they say), and the driver contract page
names every member of the contract. Pure and fast: no subprocess, no Pulumi program run."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "components" / "strata"
DOCS = ROOT / "docs"
#: Pages generated from the models by the lead's `strata schema`: their content is not ours to hold.
GENERATED = {DOCS / "stack-file.md"}

#: Markdown whose relative links must resolve.
LINKED = [
    ROOT / "README.md",
    *sorted(DOCS.glob("*.md")),
    ROOT / "bench" / "RESULTS.md",
    ROOT / "policies" / "README.md",
]
#: Markdown whose YAML examples must validate.
EXAMPLES = [DOCS / "tenants-and-frameworks.md", DOCS / "design.md"]


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# ---------------------------------------------------------------- markdown reading

_FENCE = re.compile(r"^(```+|~~~+)(.*)$")


@dataclass(frozen=True)
class Block:
    """A fenced code block: its info string, text, first line, and the comment just before it."""

    lang: str
    text: str
    line: int
    marker: str | None


def _blocks(text: str) -> list[Block]:
    lines = text.splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i].strip())
        if not m:
            i += 1
            continue
        fence, lang = m.group(1), m.group(2).strip()
        before = next((lines[k].strip() for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        marker = before if before.startswith("<!--") and before.endswith("-->") else None
        end = next((k for k in range(i + 1, len(lines)) if lines[k].strip().startswith(fence)), len(lines))
        out.append(Block(lang, "\n".join(lines[i + 1 : end]) + "\n", i + 1, marker))
        i = end + 1
    return out


def _prose(text: str) -> str:
    """The text outside fenced code blocks, inline code spans and HTML comments (none hold links)."""
    out, fence = [], None
    for line in text.splitlines():
        m = _FENCE.match(line.strip())
        if fence is None and m:
            fence = m.group(1)
            out.append("")
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            out.append("")
            continue
        out.append(line)
    prose = re.sub(r"<!--.*?-->", lambda m: "\n" * m.group(0).count("\n"), "\n".join(out), flags=re.S)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", prose)


def _headings(text: str) -> list[str]:
    prose_lines = _prose(text).splitlines()
    raw_lines = text.splitlines()
    out = []
    for prose, raw in zip(prose_lines, raw_lines, strict=True):
        if re.match(r"^#{1,6}\s", prose):
            out.append(re.sub(r"^#{1,6}\s+", "", raw).rstrip().rstrip("#").rstrip())
    return out


def slug(heading: str) -> str:
    """GitHub's anchor for a heading (github-slugger): the rendered text lowercased, punctuation
    other than ``-`` and ``_`` dropped, each space a ``-``."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for heading in _headings(path.read_text(encoding="utf-8")):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)


def links(path: Path) -> Iterator[str]:
    prose = _prose(path.read_text(encoding="utf-8"))
    yield from _LINK.findall(prose)
    yield from _REFERENCE.findall(prose)


def link_problem(source: Path, target: str) -> str | None:
    """Why a relative link from ``source`` does not resolve, or None (external links are not judged)."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
        return None
    file_part, _, anchor = target.partition("#")
    dest = (source.parent / file_part).resolve() if file_part else source
    if not dest.is_relative_to(ROOT):
        return f"{target}: outside the repository"
    if not dest.exists():
        return f"{target}: no such file"
    if anchor and dest.suffix == ".md" and anchor not in anchors(dest):
        return f"{target}: no heading #{anchor} in {_rel(dest)}"
    return None


@pytest.mark.parametrize("page", LINKED, ids=_rel)
def test_every_relative_link_resolves(page: Path) -> None:
    assert page.is_file(), f"{_rel(page)} is missing"
    problems = [p for t in links(page) if (p := link_problem(page, t))]
    assert not problems, f"{_rel(page)}: " + "; ".join(problems)


#: An inline-code span that names a file or directory of the repository (no spaces, no `<env>`).
_PATH = re.compile(r"^[\w.-]+(/[\w.-]+)+/?$")
_PATH_EXTENSIONS = (".py", ".md", ".yaml", ".yml", ".json", ".sh", ".txt", ".toml", "/")


def named_paths(path: Path) -> Iterator[str]:
    text = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.S)
    for span in re.findall(r"(?<!`)`([^`\n]+)`(?!`)", text):
        if _PATH.match(span) and span.endswith(_PATH_EXTENSIONS) and not span.startswith(("http", "www.")):
            yield span


def path_exists(source: Path, named: str) -> bool:
    """A path named in prose exists from the repository root, the page's folder or the package."""
    return any((base / named).exists() for base in (ROOT, source.parent, PACKAGE, PACKAGE.parent))


@pytest.mark.parametrize("page", [p for p in LINKED if p not in GENERATED], ids=_rel)
def test_every_file_a_page_names_exists(page: Path) -> None:
    missing = sorted({n for n in named_paths(page) if not path_exists(page, n)})
    assert not missing, f"{_rel(page)} names files that do not exist: {missing}"


def test_link_checking_sees_a_broken_link_and_a_broken_anchor(tmp_path: Path) -> None:
    assert link_problem(ROOT / "README.md", "docs/README.md") is None
    assert link_problem(ROOT / "README.md", "docs/design.md#the-command-line--a-contract") is None
    assert link_problem(ROOT / "README.md", "docs/no-such-page.md") is not None
    assert link_problem(ROOT / "README.md", "docs/design.md#no-such-heading") is not None
    assert link_problem(ROOT / "README.md", "https://example.com/x.md") is None
    page = tmp_path / "page.md"
    page.write_text("# A `b` — c\n## Twice\n## Twice\n```\n# not a heading\n```\n[x](#twice-1) `[y](nowhere.md)`\n")
    assert anchors(page) == {"a-b--c", "twice", "twice-1"}
    assert list(links(page)) == ["#twice-1"]


# ---------------------------------------------------------------- the README's layout


def layout_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    blocks = _blocks(section)
    assert blocks, "README's Layout section has no code block"
    return blocks[0].text


def _named(layout: str, path: str) -> bool:
    return re.search(rf"(?<![\w/.-]){re.escape(path)}(?![\w/])", layout) is not None


def _covered_by_package(layout: str, module: str) -> bool:
    """``policy/rules/x.py`` is covered by a layout line naming ``policy/rules/`` that says
    "one module each" (a package of many like modules, described once)."""
    package = module.rsplit("/", 1)[0] + "/"
    return any(_named(line, package) and "one module each" in line for line in layout.splitlines())


def package_entries() -> tuple[list[str], list[str], list[str]]:
    """The package's modules, its subpackages, and its folders of data files, relative to it."""
    modules, packages, data = [], [], []
    for path in sorted(PACKAGE.rglob("*")):
        if "__pycache__" in path.parts:
            continue
        rel = path.relative_to(PACKAGE).as_posix()
        if path.is_file() and path.suffix == ".py" and path.name not in ("__init__.py", "__main__.py"):
            modules.append(rel)
        elif path.is_dir() and (path / "__init__.py").is_file():
            packages.append(rel + "/")
        elif path.is_dir() and any(f.is_file() and f.suffix != ".py" for f in path.iterdir()):
            data.append(rel + "/")
    return modules, packages, data


def test_the_layout_names_every_module_package_and_data_folder() -> None:
    """The rule: each module by its path relative to components/strata (``drivers/tagging.py``),
    or by its package's line when that line says "one module each"; each subpackage and each
    folder of data files (``catalog/data/``, ``policy/bundle/``, the driver scripts) by its path
    with a trailing ``/``; and ``docs/``."""
    layout = layout_block()
    modules, packages, data = package_entries()
    assert modules and packages and data
    missing = [m for m in modules if not (_named(layout, m) or _covered_by_package(layout, m))]
    missing += [p for p in [*packages, *data] if not _named(layout, p)]
    missing += [] if _named(layout, "docs/") else ["docs/"]
    assert not missing, f"README's Layout does not name: {missing}"


def test_the_layout_rule_tells_a_module_from_its_namesake() -> None:
    layout = "  planner.py   x\n  policy/rules/   the rules, one module each\n  tools/provider_types.py\n"
    assert _named(layout, "planner.py")
    assert not _named(layout, "types.py")  # only tools/provider_types.py is there
    assert not _named(layout, "policy/types.py")
    assert _covered_by_package(layout, "policy/rules/required_labels.py")
    assert not _covered_by_package(layout, "policy/graph.py")


# ---------------------------------------------------------------- YAML examples


@dataclass(frozen=True)
class Example:
    page: Path
    block: Block
    #: The problem paths an invalid example must produce (None: it must validate).
    invalid: tuple[str, ...] | None
    #: The problems as printed, from the ```text block right after an invalid example.
    printed: tuple[str, ...] | None

    def __str__(self) -> str:
        return f"{self.page.name}:{self.block.line}"


def examples() -> list[Example]:
    out = []
    for page in EXAMPLES:
        blocks = _blocks(page.read_text(encoding="utf-8"))
        for k, b in enumerate(blocks):
            if b.lang != "yaml":
                continue
            invalid = None
            if b.marker and (m := re.fullmatch(r"<!--\s*invalid:\s*(.*?)\s*-->", b.marker)):
                invalid = tuple(p.strip() for p in m.group(1).split(",") if p.strip())
            after = blocks[k + 1] if k + 1 < len(blocks) else None
            printed = tuple(after.text.strip().splitlines()) if invalid and after and after.lang == "text" else None
            out.append(Example(page, b, invalid, printed))
    return out


EXAMPLE_LIST = examples()


def environment_of(text: str) -> Any:
    """A stack file's environment (the value of its one ``:environment`` key), or an environment
    given alone — read by the same strict reader every stack file goes through."""
    from strata.declarations.stackfile import environment_value, find_environment_key
    from strata.declarations.yamlfile import load_yaml

    data = load_yaml(text.encode("utf-8"), "example")
    if isinstance(data, dict) and "config" in data:
        return environment_value(data["config"], find_environment_key(data["config"]))
    return data


@pytest.mark.parametrize("example", EXAMPLE_LIST, ids=str)
def test_yaml_examples_validate_or_fail_as_marked(example: Example) -> None:
    from strata.declarations.errors import SpecError
    from strata.validation import validate_environment

    env = environment_of(example.block.text)
    if example.invalid is None:
        validate_environment(env)
        return
    with pytest.raises(SpecError) as caught:
        validate_environment(env)
    assert [p.path for p in caught.value.problems] == list(example.invalid)
    if example.printed is not None:
        assert [str(p) for p in caught.value.problems] == list(example.printed)


def test_the_tenant_examples_cover_every_kind_and_level() -> None:
    """At least one refused example, and valid examples using every isolation level, runtime and
    framework kind the models take."""
    from strata.declarations.models import FRAMEWORK_KINDS, Tenant

    page = [e for e in EXAMPLE_LIST if e.page.name == "tenants-and-frameworks.md"]
    assert any(e.invalid for e in page) and any(e.invalid is None for e in page)
    tenants, kinds = [], set()
    for e in page:
        if e.invalid is None:
            for pool in environment_of(e.block.text)["pools"]:
                for cluster in pool["clusters"]:
                    tenants += [Tenant.model_validate(t) for t in cluster.get("tenants", [])]
                    kinds |= {k for f in cluster.get("frameworks", []) for k in f}
    assert {t.isolation for t in tenants} == set(get_args(Tenant.model_fields["isolation"].annotation))
    assert {t.runtime for t in tenants} == set(get_args(Tenant.model_fields["runtime"].annotation))
    assert kinds == set(FRAMEWORK_KINDS)


# ---------------------------------------------------------------- the driver contract


def contract_terms() -> list[str]:
    """What docs/drivers.md must name: the protocol, each of its attributes, each method and public
    function with its parameters (``build_pool(plan, ownership, parent)``), each dataclass of the
    contract and its fields, each driver package, and each driver class with its kind."""
    from strata import drivers

    def signature(func: Any) -> str:
        params = [p for p in inspect.signature(func).parameters if p != "self"]
        return f"{func.__name__}({', '.join(params)})"

    protocol = drivers.SubstrateDriver
    terms = [protocol.__name__]
    terms += [name for name in protocol.__annotations__ if not name.startswith("_")]
    terms += [signature(v) for n, v in vars(protocol).items() if inspect.isfunction(v) and not n.startswith("_")]
    for name, value in vars(drivers).items():
        if name.startswith("_") or getattr(value, "__module__", None) != drivers.__name__:
            continue
        if dataclasses.is_dataclass(value):
            terms += [name, *(f.name for f in dataclasses.fields(value))]
        elif inspect.isfunction(value):
            terms.append(signature(value))
    for package in sorted(p for p in (PACKAGE / "drivers").iterdir() if (p / "__init__.py").is_file()):
        terms.append(f"drivers/{package.name}/")
        for module in package.glob("*.py"):
            for node in ast.parse(module.read_text(encoding="utf-8")).body:
                if not isinstance(node, ast.ClassDef):
                    continue
                for stmt in node.body:
                    if (
                        isinstance(stmt, ast.Assign)
                        and [getattr(t, "id", None) for t in stmt.targets] == ["kind"]
                        and isinstance(stmt.value, ast.Constant)
                    ):
                        terms += [node.name, str(stmt.value.value)]
    return terms


def test_the_driver_page_names_every_member_of_the_contract() -> None:
    page = (DOCS / "drivers.md").read_text(encoding="utf-8")
    terms = contract_terms()
    assert {"SubstrateDriver", "kind", "PoolInfra", "ClusterInfra", "kubeconfig", "AwsDriver"} <= set(terms)
    missing = [t for t in terms if f"`{t}`" not in page]
    assert not missing, f"docs/drivers.md does not name (in backticks): {missing}"


# ---------------------------------------------------------------- references into the code

#: A backticked dotted name that may point into the package: ``strata.labels.LABEL_KEYS``,
#: ``naming.pool_names(plan, environment, path)``.
_DOTTED = re.compile(r"^((?:strata\.)?[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(?:\(.*\))?$")
_FILE_SUFFIXES = ("py", "md", "yaml", "yml", "json", "sh", "txt", "toml", "io", "com")


def _module_file(parts: list[str]) -> Path | None:
    base = PACKAGE.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _defined(tree: ast.Module | ast.ClassDef) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
                # a package's lazily imported exports (strata/__init__.py; test_python_api checks each resolves)
                names |= {e.value for e in getattr(node.value, "elts", []) if isinstance(e, ast.Constant)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def code_reference_problem(dotted: str) -> str | None:
    """Why ``strata.x.y`` (or ``x.y`` where ``x`` is a module of the package) names nothing in the
    package, or None. Names that do not start with a module of the package are not judged."""
    parts = dotted.split(".")
    if parts[0] == "strata":
        parts = parts[1:]
        if not parts:
            return None
    elif _module_file(parts[:1]) is None or parts[-1] in _FILE_SUFFIXES:
        return None
    for split in range(len(parts), -1, -1):  # the longest module prefix; split 0: the package itself
        module = _module_file(parts[:split])
        if module is None:
            continue
        rest = parts[split:]
        if not rest:
            return None
        tree = ast.parse(module.read_text(encoding="utf-8"))
        if rest[0] not in _defined(tree):
            return f"{dotted}: {module.relative_to(PACKAGE)} defines no {rest[0]}"
        cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == rest[0]), None)
        if len(rest) > 1 and cls is not None and rest[1] not in _defined(cls):
            return f"{dotted}: class {rest[0]} has no {rest[1]}"
        return None
    return f"{dotted}: no such module in components/strata"


def code_references(page: Path) -> Iterator[str]:
    for span in re.findall(r"(?<!`)`([^`\n]+)`(?!`)", page.read_text(encoding="utf-8")):
        if m := _DOTTED.match(span.strip()):
            yield m.group(1)


@pytest.mark.parametrize("page", [p for p in LINKED if p not in GENERATED], ids=_rel)
def test_every_name_a_page_gives_in_the_code_exists(page: Path) -> None:
    problems = sorted({p for ref in code_references(page) if (p := code_reference_problem(ref))})
    assert not problems, f"{_rel(page)}: " + "; ".join(problems)


def test_code_references_are_judged_only_when_they_point_into_the_package() -> None:
    assert code_reference_problem("strata.labels.LABEL_KEYS") is None
    assert code_reference_problem("naming.pool_names") is None
    assert code_reference_problem("naming.DerivedName.logical") is None
    assert code_reference_problem("strata.catalog.load_catalog") is None
    assert code_reference_problem("naming.no_such_function") is not None
    assert code_reference_problem("strata.no_such_module.x") is not None
    assert code_reference_problem("naming.DerivedName.no_such_field") is not None
    assert code_reference_problem("pulumi.Output.secret") is None
    assert code_reference_problem("labels.py") is None


# ---------------------------------------------------------------- the command-line reference

CLI_PAGE = ROOT / "docs" / "cli.md"


def json_keys(node: Any) -> set[str]:
    """Every key of a JSON document, at any depth (keys of free-form maps included)."""
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in json_keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in json_keys(v)}
    return set()


def undocumented_keys(doc: Any, free_form: tuple[str, ...] = ()) -> set[str]:
    """The keys of a command's JSON output that docs/cli.md does not name (``"key"`` or `` `key` ``), skipping
    the contents of ``free_form`` maps (resource types, policy settings)."""
    page = CLI_PAGE.read_text(encoding="utf-8")

    def walk(node: Any) -> set[str]:
        if isinstance(node, dict):
            return set(node) | {k for key, v in node.items() if key not in free_form for k in walk(v)}
        if isinstance(node, list):
            return {k for v in node for k in walk(v)}
        return set()

    return {k for k in walk(doc) if f'"{k}"' not in page and f"`{k}`" not in page}


def test_the_cli_page_names_every_command_option_and_choice() -> None:
    import typer

    from strata.cli import app

    page = CLI_PAGE.read_text(encoding="utf-8")
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert set(commands) >= {"plan", "check", "schema"}
    for name, command in commands.items():
        assert f"strata {name}" in page, f"docs/cli.md does not describe `strata {name}`"
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("-") and opt != "--help":
                    assert f"`{opt}`" in page or f"{opt} " in page, f"docs/cli.md misses {name} {opt}"
            for choice in getattr(getattr(param, "type", None), "choices", ()):
                assert f"`{choice}`" in page or f"|{choice}" in page, f"docs/cli.md misses {name} {choice}"


def test_undocumented_keys_are_found() -> None:
    assert undocumented_keys({"environment": 1, "pools": [{"name": 1, "surpriseKey": 2}]}) == {"surpriseKey"}


# ---------------------------------------------------------------- the policy pack's description

#: The pack's project files: the repository's and the copy shipped in the package for team repos.
PACK_FILES = [ROOT / "policies" / "PulumiPolicy.yaml", PACKAGE / "policy" / "bundle" / "PulumiPolicy.yaml"]


def described_policies(description: str) -> list[str]:
    """The policy names a pack description lists: ``... baseline (a, b, c)``."""
    listed = re.search(r"\(([^()]*)\)\s*$", description)
    return [name.strip() for name in listed.group(1).split(",")] if listed else []


@pytest.mark.parametrize("pack_file", PACK_FILES, ids=_rel)
def test_the_pack_description_names_every_policy_the_pack_has(pack_file: Path) -> None:
    import yaml

    from strata.policy.pack import RULES

    description = yaml.safe_load(pack_file.read_text(encoding="utf-8"))["description"]
    assert described_policies(description) == [meta.name for meta, _ in RULES], (
        f"{_rel(pack_file)}: the description lists other policies than the pack runs"
    )


def test_the_description_reading_sees_a_missing_policy() -> None:
    assert described_policies("Baseline (a-b, c)") == ["a-b", "c"]
    assert described_policies("Baseline") == []
