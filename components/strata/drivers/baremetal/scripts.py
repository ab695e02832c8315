"""The bare-metal scripts (files in ``scripts/``) and the program a remote command runs.

A remote command's command line is a constant, ``sudo -n bash -s -- <operation>``; everything
else reaches bash on its standard input (the command's ``stdin``, which the provider sends on
create, update and delete alike): the settings as ``export`` lines, ``common.sh``, and one
function per operation holding the scripts it runs (``update`` runs ``upgrade.sh`` then
``install.sh``). Nothing from a stack file is ever part of a command line, a heredoc or an
unquoted word: each value is one ``shlex``-quoted word, so no content can end the program early,
run a command, or show a secret such as the join token in a process list.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Mapping

import pulumi

SCRIPTS = ("install", "upgrade", "drain", "uninstall", "kubeconfig")
OPERATIONS = ("create", "update", "delete")
_SETTING = re.compile(r"^STRATA_[A-Z0-9_]+$")


@functools.cache
def script_text(name: str) -> str:
    """The text of ``scripts/<name>.sh``."""
    from importlib import resources

    if name not in (*SCRIPTS, "common"):
        raise ValueError(f"no such script: {name}")
    return resources.files("strata.drivers.baremetal").joinpath("scripts", f"{name}.sh").read_text(encoding="utf-8")


def _exports(settings: Mapping[str, str]) -> str:
    for key in settings:
        if not _SETTING.fullmatch(key):
            raise ValueError(f"not a setting name: {key!r}")
    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in sorted(settings.items()))


def script_body(names: tuple[str, ...], settings: Mapping[str, str]) -> str:
    """The settings as exports, ``common.sh``, then the scripts ``names``: one run of them."""
    return _exports(settings) + script_text("common") + "".join(script_text(n) for n in names)


def program(operations: Mapping[str, tuple[str, ...]], settings: Mapping[str, str]) -> str:
    """What bash reads on stdin: the settings, ``common.sh``, a function per operation, and the
    dispatch on the operation the command line names (an operation not listed does nothing)."""
    out = _exports(settings) + script_text("common")
    for op, names in operations.items():
        if op not in OPERATIONS:
            raise ValueError(f"not an operation: {op}")
        out += f"strata_{op}() {{\n" + "".join(script_text(n) for n in names) + "}\n"
    cases = "".join(f"  {op}) strata_{op} ;;\n" for op in operations)
    return out + f'case "${{1:-}}" in\n{cases}  *) log "nothing to do for ${{1:-no operation}}" ;;\nesac\n'


def command_line(operation: str) -> str:
    """The constant command line that runs ``operation`` of the program on stdin as root."""
    if operation not in OPERATIONS:
        raise ValueError(f"not an operation: {operation}")
    return f"sudo -n bash -s -- {operation}"


def stdin(operations: Mapping[str, tuple[str, ...]], settings: Mapping[str, pulumi.Input[str]]) -> pulumi.Output[str]:
    """``program`` over inputs that may be outputs or secrets (the result is secret if any is)."""
    keys = sorted(settings)
    return pulumi.Output.all(*(settings[k] for k in keys)).apply(
        lambda values: program(operations, dict(zip(keys, [str(v) for v in values], strict=True)))
    )
