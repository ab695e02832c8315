"""The stack file's JSON Schema and reference: generated from the models, shipped, and in agreement.

The schema may never reject a file Strata accepts (an editor would flag a good file), and it must
reject what the models reject key by key: an unknown key, a missing required key, a wrong type, a
name or value outside what is allowed.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, ValidationError
from typer.testing import CliRunner

from strata.cli import app
from strata.declarations.models import EnvironmentArgs
from strata.declarations.schema import (
    REFERENCE_PATH,
    SCHEMA_PATH,
    reference_markdown,
    schema_json,
    stack_file_schema,
)
from strata.declarations.yamlfile import read_yaml
from tests.conftest import stack_environment
from tests.test_docs import EXAMPLE_LIST, environment_of

ROOT = Path(__file__).resolve().parent.parent
STACK_FILES = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))
HEADER = "# yaml-language-server: $schema="

SCHEMA = stack_file_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _schema_errors(environment: Any) -> list[str]:
    doc = {"config": {"platform:environment": environment}}
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(doc)]


def _model_rejects(environment: Any) -> bool:
    try:
        EnvironmentArgs.model_validate(environment, by_alias=True, by_name=False)
    except ValidationError:
        return True
    return False


def test_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_shipped_schema_and_reference_are_generated_from_the_models() -> None:
    assert (ROOT / SCHEMA_PATH).read_text(encoding="utf-8") == schema_json(), (
        f"{SCHEMA_PATH} is stale: run `strata schema --output {SCHEMA_PATH}`"
    )
    assert (ROOT / REFERENCE_PATH).read_text(encoding="utf-8") == reference_markdown(), (
        f"{REFERENCE_PATH} is stale: run `strata schema --format markdown --output {REFERENCE_PATH}`"
    )


def _models(root: type[BaseModel]) -> Iterator[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    todo = [root]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        yield model
        for field in model.model_fields.values():
            todo += [t for t in _types_in(field.annotation) if isinstance(t, type) and issubclass(t, BaseModel)]


def _types_in(annotation: Any) -> Iterator[Any]:
    yield annotation
    for arg in getattr(annotation, "__args__", ()):
        yield from _types_in(arg)
    for meta in getattr(annotation, "__metadata__", ()):
        yield from _types_in(meta)
    origin = getattr(annotation, "__origin__", None)
    if origin is not None:
        yield from _types_in(origin)


def test_reference_documents_every_key_of_every_model() -> None:
    reference = (ROOT / REFERENCE_PATH).read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## (\w+)\n(.*?)(?=^## |\Z)", reference, flags=re.M | re.S))
    models = list(_models(EnvironmentArgs))
    assert {m.__name__ for m in models} <= set(sections), "a model has no section in the reference"
    for model in models:
        rows = re.findall(r"^\| `([A-Za-z]+)` \|", sections[model.__name__], flags=re.M)
        keys = [f.alias or name for name, f in model.model_fields.items()]
        assert rows == keys, f"{model.__name__}: reference rows {rows} vs model keys {keys}"
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description (write its docstring)"


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_example_stacks_name_the_shipped_schema_and_pass_it(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(HEADER), f"{path.name} does not name the schema for editors"
    assert (path.parent / first.removeprefix(HEADER)).resolve() == (ROOT / SCHEMA_PATH).resolve()
    assert list(VALIDATOR.iter_errors(read_yaml(path))) == []


def test_environment_names_are_unique_across_stacks() -> None:
    """Two stacks calling themselves one name print two identical headings in a pull request's
    summary, and stamp one ``environment`` label on two environments' resources."""
    names: dict[str, str] = {}
    for path in STACK_FILES:
        name = stack_environment(path.name[len("Pulumi.") : -len(".yaml")])["name"]
        assert name not in names, f"{path.name} and {names[name]} both call their environment {name!r}"
        names[name] = path.name
    assert len(names) == len(STACK_FILES) >= 3


def test_schema_accepts_the_other_spellings_strata_accepts() -> None:
    env = stack_environment("fra-onprem")
    variants = [
        {**env, "jurisdiction": ["eu", "ch"]},
        json.dumps(env),  # the environment as JSON text, as `pulumi config set` may store it
    ]
    cluster = copy.deepcopy(env)
    cluster["pools"][0]["clusters"][0]["tenants"][0]["quota"] = None
    cluster["pools"][0]["clusters"][0]["controlPlane"] = {"ha": None}
    cluster["pools"][0]["substrate"]["bareMetal"]["airgap"] = None
    variants.append(cluster)
    for variant in variants:
        if isinstance(variant, dict):
            assert not _model_rejects(variant)
        assert _schema_errors(variant) == []


# ---------------------------------------------------------------- mutations both must reject


def _mappings(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from _mappings(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _mappings(v, (*path, i))


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _mutations(env: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, mapping in _mappings(env):
        where = ".".join(map(str, path)) or "(root)"
        extra = copy.deepcopy(env)
        _at(extra, path)["bogusKey"] = 1
        yield f"unknown key at {where}", extra
        for key, value in mapping.items():
            wrong = copy.deepcopy(env)
            _at(wrong, path)[key] = {"nested": True} if not isinstance(value, dict) else "text"
            yield f"wrong type at {where}.{key}", wrong
            if isinstance(value, str):
                bad = copy.deepcopy(env)
                _at(bad, path)[key] = "Not A_Value!"
                yield f"bad value at {where}.{key}", bad
            if isinstance(value, int) and not isinstance(value, bool):
                for number in (-1, 2**31):
                    out = copy.deepcopy(env)
                    _at(out, path)[key] = number
                    if _model_rejects(out):
                        yield f"{number} at {where}.{key}", out
                as_text = copy.deepcopy(env)
                _at(as_text, path)[key] = str(value)
                yield f"number as text at {where}.{key}", as_text


@pytest.mark.parametrize("stack", ["eu-prod", "eu-prod-gcp", "fra-onprem"])
def test_schema_rejects_what_the_models_reject_key_by_key(stack: str) -> None:
    env = stack_environment(stack)
    count = 0
    for label, mutated in _mutations(env):
        assert _model_rejects(mutated), f"the models accept {label}; the mutation is not a mistake"
        assert _schema_errors(mutated), f"the schema accepts {label}, which Strata rejects"
        count += 1
    assert count > 100  # the walk reached the whole tree


def test_schema_rejects_a_missing_required_key_wherever_the_models_do() -> None:
    env = stack_environment("eu-prod")
    checked = 0
    for path, mapping in _mappings(env):
        for key in list(mapping):
            removed = copy.deepcopy(env)
            del _at(removed, path)[key]
            if _model_rejects(removed):
                assert _schema_errors(removed), f"the schema accepts {path}.{key} missing"
                checked += 1
            else:
                assert _schema_errors(removed) == [], f"the schema requires {path}.{key}; Strata does not"
    assert checked > 20


def test_substrates_and_frameworks_hold_exactly_one_key() -> None:
    env = stack_environment("eu-prod")
    both = copy.deepcopy(env)
    both["pools"][0]["substrate"]["gcp"] = {"project": "strata-eu-prod", "region": "europe-west3"}
    empty = copy.deepcopy(env)
    empty["pools"][0]["substrate"] = {"aws": None}
    none = copy.deepcopy(env)
    none["pools"][0]["clusters"][1]["frameworks"][0] = {}
    for doc in (both, empty, none):
        assert _model_rejects(doc)
        assert _schema_errors(doc)


def test_strata_schema_prints_and_writes_what_is_shipped(tmp_path: Path) -> None:
    run = CliRunner()
    printed = run.invoke(app, ["schema"])
    assert printed.exit_code == 0 and printed.stdout == (ROOT / SCHEMA_PATH).read_text(encoding="utf-8")
    out = tmp_path / "reference.md"
    written = run.invoke(app, ["schema", "--format", "markdown", "--output", str(out)])
    assert written.exit_code == 0 and written.stdout == ""
    assert out.read_text(encoding="utf-8") == (ROOT / REFERENCE_PATH).read_text(encoding="utf-8")
    unwritable = run.invoke(app, ["schema", "--output", str(tmp_path / "missing" / "schema.json")])
    assert unwritable.exit_code == 74 and "cannot write" in unwritable.stderr


def test_the_schema_accepts_every_valid_example_in_the_docs() -> None:
    """The design's contract example and the how-to's examples: an editor flags none of them."""
    valid = [e for e in EXAMPLE_LIST if e.invalid is None]
    assert len(valid) >= 3
    for example in valid:
        assert _schema_errors(environment_of(example.block.text)) == [], str(example)
