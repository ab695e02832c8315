"""Bare-metal clusters under mocks: the inputs of the remote commands — connection, which host
runs what, secrets kept secret, and the order the engine must run them in."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from strata.cli import offline_config
from strata.offline import OfflineRun, PreviewMocks, Registration, run_offline
from strata.program import main

from .conftest import TODAY, stack_environment


class ApplyLikeMocks(PreviewMocks):
    """As in an apply, the random token is known (and secret), so the command text can be read."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        id_, state = super().new_resource(args)
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = f"token-of-{args.name}"
        return id_, state


def _apply_like_run(env: dict[str, Any], stack: str) -> OfflineRun:
    config, secret_keys = offline_config("platform:environment", env)
    recorded, _ = run_offline(
        lambda: main(today=TODAY),
        project="platform",
        stack=stack,
        config=config,
        secret_keys=secret_keys,
        mocks=ApplyLikeMocks(),
    )
    return recorded


@pytest.fixture(scope="module")
def run() -> OfflineRun:
    return _apply_like_run(stack_environment("fra-onprem"), "fra-onprem")


def _cmd(run: OfflineRun, name: str) -> Registration:
    return next(r for r in run.by_type("command:remote:Command") if r.name == name)


def _text(value: Any) -> str:
    assert rpc.is_rpc_secret(value), "a command carrying the join token must be secret"
    return str(rpc.unwrap_rpc_secret(value))


def test_each_assigned_host_runs_its_role(run: OfflineRun) -> None:
    names = {r.name for r in run.by_type("command:remote:Command")}
    assert {f"core-server-fra-g0{i}" for i in (1, 2, 3)} <= names
    assert {f"core-agent-fra-g0{i}" for i in (4, 5, 6, 7)} <= names
    assert {"ml-server-fra-g08", "ml-agent-fra-m01", "ml-agent-fra-x02"} <= names
    assert not any(n.endswith(("fra-m04",)) for n in names)  # the spare host runs nothing


def _plain(value: Any) -> Any:
    return rpc.unwrap_rpc_secret(value) if rpc.is_rpc_secret(value) else value


def test_connection_uses_the_host_address_and_the_secret_key(run: OfflineRun) -> None:
    raw = _cmd(run, "core-agent-fra-g05").inputs["connection"]
    assert rpc.is_rpc_secret(raw)  # it carries the SSH private key from secret config
    conn = _plain(raw)
    assert conn["host"] == "10.20.0.15" and conn["user"] == "strata" and conn["port"] == 22
    assert conn["privateKey"].startswith("offline placeholder")


def test_servers_get_the_paved_roads_cni_no_packaged_ingress_and_keep_its_metrics_server(run: OfflineRun) -> None:
    settings = _text(_cmd(run, "core-server-fra-g01").inputs["stdin"])
    assert "export STRATA_CNI=canal" in settings
    assert "export STRATA_INGRESS_CONTROLLER=none" in settings
    assert "export STRATA_DISABLE" not in settings  # RKE2's packaged metrics-server stays
    agent = _text(_cmd(run, "core-agent-fra-g04").inputs["stdin"])
    assert "export STRATA_CNI" not in agent  # a server setting


def test_first_server_initialises_others_join(run: OfflineRun) -> None:
    first = _text(_cmd(run, "core-server-fra-g01").inputs["stdin"])
    assert "export STRATA_ROLE=server" in first and "export STRATA_SERVER_URL" not in first
    assert "export STRATA_TOKEN=token-of-core-join-token" in first
    assert "export STRATA_VERSION=v1.35.7+rke2r1" in first
    assert "export STRATA_REGISTRY=registry.fra-dc1.corp:5000" in first
    assert "export STRATA_ARTIFACTS_URL=https://artifacts.fra-dc1.corp/rke2" in first
    assert "strata_create() {" in first and "render_config()" in first
    joiner = _text(_cmd(run, "core-server-fra-g02").inputs["stdin"])
    assert "export STRATA_SERVER_URL=https://10.20.0.11:9345" in joiner


def test_gpu_agents_get_the_taint_and_labels(run: OfflineRun) -> None:
    gpu = _text(_cmd(run, "ml-agent-fra-x01").inputs["stdin"])
    assert "export STRATA_ROLE=agent" in gpu
    assert "export STRATA_NODE_TAINTS=nvidia.com/gpu=present:NoSchedule" in gpu
    assert "strata.io/node-pool=gpu" in gpu and "export STRATA_VERSION=v1.36.3+rke2r1" in gpu
    cpu = _text(_cmd(run, "ml-agent-fra-m01").inputs["stdin"])
    assert "export STRATA_NODE_TAINTS" not in cpu


def test_servers_before_agents_and_drain_before_uninstall(run: OfflineRun) -> None:
    servers = {_cmd(run, f"core-server-fra-g0{i}").urn for i in (1, 2, 3)}
    agent = _cmd(run, "core-agent-fra-g04")
    assert servers <= set(agent.dependencies)
    assert _cmd(run, "core-server-fra-g01").urn in _cmd(run, "core-server-fra-g02").dependencies
    drain = _cmd(run, "core-drain-fra-g04")
    assert agent.urn in drain.dependencies  # so the engine deletes the drain (runs it) before the agent
    assert drain.inputs["delete"] == "sudo -n bash -s -- delete"
    assert "kubectl" in str(drain.inputs["stdin"]) and "export STRATA_NODE_NAME=fra-g04" in str(drain.inputs["stdin"])
    assert _plain(drain.inputs["connection"])["host"] == "10.20.0.11"  # drained from the first server
    program = _text(agent.inputs["stdin"])
    delete = program[program.index("strata_delete() {") :]
    assert "rke2-uninstall.sh" in delete
    update = program[program.index("strata_update() {") : program.index("strata_delete() {")]
    assert update.index("refusing to skip minor versions") < update.index("render_config()")


def test_kubeconfig_is_a_secret_output_with_a_kubernetes_provider(run: OfflineRun) -> None:
    fetch = _cmd(run, "core-kubeconfig")
    assert "stdout" in fetch.additional_secret_outputs
    provider = next(r for r in run.by_type("pulumi:providers:kubernetes") if r.name == "core-k8s")
    assert rpc.is_rpc_secret(provider.inputs["kubeconfig"])
    assert provider.inputs["clusterIdentifier"] == "strata/fra-onprem/core"


def test_join_token_is_generated_and_secret(run: OfflineRun) -> None:
    tokens = run.by_type("random:index/randomPassword:RandomPassword")
    assert {t.name for t in tokens} == {"core-join-token", "ml-join-token"}
    assert all(t.inputs["length"] == 64 and t.inputs["special"] is False for t in tokens)


def test_no_stack_value_is_ever_in_a_command_line(run: OfflineRun) -> None:
    """Values reach the host on stdin only: every command line is one of four constants."""
    allowed = {"true", "sudo -n bash -s -- create", "sudo -n bash -s -- update", "sudo -n bash -s -- delete"}
    for cmd in run.by_type("command:remote:Command"):
        for op in ("create", "update", "delete"):
            assert cmd.inputs.get(op, "true") in allowed, (cmd.name, op)
        assert rpc.is_rpc_secret(cmd.inputs["stdin"]) or "STRATA_TOKEN" not in str(cmd.inputs["stdin"])


def test_an_ipv6_server_is_bracketed_in_every_url() -> None:
    env = stack_environment("fra-onprem")
    env["pools"][0]["substrate"]["bareMetal"]["hosts"][0]["address"] = "2001:DB8::0011"  # stored canonical
    recorded = _apply_like_run(env, "v6")
    assert _plain(_cmd(recorded, "core-server-fra-g01").inputs["connection"])["host"] == "2001:db8::11"
    joiner = _text(_cmd(recorded, "core-server-fra-g02").inputs["stdin"])
    assert "export STRATA_SERVER_URL='https://[2001:db8::11]:9345'" in joiner
    assert "export STRATA_TLS_SAN=2001:db8::11,10.20.0.12,10.20.0.13" in joiner
    kubeconfig = str(_cmd(recorded, "core-kubeconfig").inputs["stdin"])
    assert "export STRATA_SERVER_HOST='[2001:db8::11]'" in kubeconfig


def test_kata_hosts_are_labelled_and_tainted_for_the_sandbox() -> None:
    from .test_kube_schemas import kata_on_bare_metal

    kata = _apply_like_run(kata_on_bare_metal(), "fra-onprem")
    sandbox = _text(_cmd(kata, "ml-agent-fra-m01").inputs["stdin"])
    assert "strata.io/runtime=kata" in sandbox
    assert "export STRATA_NODE_TAINTS=strata.io/runtime=kata:NoSchedule" in sandbox
    both = _text(_cmd(kata, "ml-agent-fra-x01").inputs["stdin"])  # the GPU pool has no sandbox
    assert "export STRATA_NODE_TAINTS=nvidia.com/gpu=present:NoSchedule" in both and "kata" not in both
