"""The bare-metal scripts (files in ``scripts/``) and how a command line is made of them.

A remote command is ``sudo -n bash -s`` fed a heredoc: the settings as ``export`` lines (so a
secret such as the join token never shows in a process list), then ``common.sh``, then the
scripts asked for, in order (``upgrade.sh`` then ``install.sh`` guards and then installs).
"""

from __future__ import annotations

import functools
import shlex
from collections.abc import Mapping
from importlib import resources

import pulumi

SCRIPTS = ("install", "upgrade", "drain", "uninstall", "kubeconfig")
_END = "STRATA_SCRIPT_END"


@functools.cache
def script_text(name: str) -> str:
    """The text of ``scripts/<name>.sh``."""
    if name not in (*SCRIPTS, "common"):
        raise ValueError(f"no such script: {name}")
    return resources.files("strata.drivers.baremetal").joinpath("scripts", f"{name}.sh").read_text(encoding="utf-8")


def script_body(names: tuple[str, ...], settings: Mapping[str, str]) -> str:
    """What bash reads: the settings as exports, ``common.sh``, then the scripts ``names``."""
    exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in sorted(settings.items()))
    return exports + script_text("common") + "".join(script_text(n) for n in names)


def assemble(names: tuple[str, ...], settings: Mapping[str, str]) -> str:
    """The command line running ``names`` as root with ``settings`` exported (values known)."""
    body = script_body(names, settings)
    if _END in body:
        raise ValueError("a setting contains the heredoc terminator")
    return f"sudo -n bash -s <<'{_END}'\n{body}{_END}\n"


def command(names: tuple[str, ...], settings: Mapping[str, pulumi.Input[str]]) -> pulumi.Output[str]:
    """``assemble`` over inputs that may be outputs or secrets (the result is secret if any is)."""
    keys = sorted(settings)
    return pulumi.Output.all(*(settings[k] for k in keys)).apply(
        lambda values: assemble(names, dict(zip(keys, [str(v) for v in values], strict=True)))
    )
