"""Bare-metal driver: a pool is a site (its capacity is its host inventory); a cluster is RKE2 —
a certified, CIS-hardened distribution with embedded etcd — installed over SSH with
``pulumi_command`` remote commands on the hosts the planner assigned to it.

Ordering the engine enforces through dependencies:
- the first server initialises the cluster; the other servers join it; agents join after every
  server, so a version change upgrades servers before agents;
- each agent has a drain command on the first server that depends on the agent's install, so on
  removal the node is drained and deleted before RKE2 is uninstalled from the host.
"""

from __future__ import annotations

import pulumi
import pulumi_command as command
import pulumi_random as random

from strata.catalog import load_catalog
from strata.declarations.models import BareMetalSubstrate, Host, url_host
from strata.drivers import ClusterInfra, PoolInfra
from strata.drivers.baremetal.scripts import command_line, stdin
from strata.kube.handle import Substrate
from strata.labels import RUNTIME_LABEL, Ownership
from strata.paved_road import cluster_addons
from strata.planner import ClusterPlan, PoolPlan

#: Where RKE2 publishes release artifacts when the site is not air-gapped.
PUBLIC_ARTIFACTS = "https://github.com/rancher/rke2/releases/download/{release}"
GPU_TAINT = "nvidia.com/gpu=present:NoSchedule"


class BareMetalDriver:
    """Implements :class:`strata.drivers.SubstrateDriver` for a company's own hosts."""

    kind = "bareMetal"

    def tagging(self, ownership: Ownership) -> pulumi.ResourceTransformation:
        # Remote commands and random values carry no tags; ownership travels in the components'
        # inputs and in the nodes' Kubernetes labels.
        def keep(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
            return None

        return keep

    def build_pool(self, plan: PoolPlan, ownership: Ownership, parent: pulumi.Resource) -> PoolInfra:
        site = plan.spec.substrate.bare_metal
        assert site is not None
        key = pulumi.Config().require_secret(site.ssh.private_key_secret)
        return PoolInfra(
            network_id=pulumi.Output.from_input(site.site),
            key_id=pulumi.Output.from_input(""),
            handles={"site": site, "ssh_key": key, "hosts": {h.name: h for h in site.hosts}},
        )

    def build_cluster(
        self, plan: ClusterPlan, pool_plan: PoolPlan, pool: PoolInfra, index: int, parent: pulumi.Resource
    ) -> ClusterInfra:
        site: BareMetalSubstrate = pool.handles["site"]
        hosts: dict[str, Host] = pool.handles["hosts"]
        lifecycle = load_catalog().version("bareMetal", plan.version)
        assert lifecycle is not None and lifecycle.release is not None
        release = lifecycle.release
        name = plan.name
        opts = pulumi.ResourceOptions(parent=parent)
        token = random.RandomPassword(f"{name}-join-token", length=64, special=False, opts=opts)
        first = hosts[plan.servers[0]]
        base = {
            "STRATA_VERSION": release,
            "STRATA_TOKEN": token.result,
            "STRATA_ARTIFACTS_URL": site.airgap.artifacts if site.airgap else PUBLIC_ARTIFACTS.format(release=release),
        }
        if site.airgap:
            base["STRATA_REGISTRY"] = site.airgap.registry
        # The paved road's parts RKE2 provides: the CNI (network policy), its packaged
        # metrics-server, and no packaged ingress controller (Strata's Gateway API one, or none).
        addons = {a.need: a.name for a in cluster_addons(load_catalog(), pool_plan, plan)}
        server_settings = {"STRATA_CNI": addons["networkPolicy"], "STRATA_INGRESS_CONTROLLER": "none"}
        if "metrics" not in addons:
            server_settings["STRATA_DISABLE"] = "rke2-metrics-server"

        def connection(host: Host) -> command.remote.ConnectionArgs:
            return command.remote.ConnectionArgs(
                host=host.address, user=site.ssh.user, port=site.ssh.port, private_key=pool.handles["ssh_key"]
            )

        def node(host: Host, role: str, extra: dict[str, str], after: list[pulumi.Resource]) -> command.remote.Command:
            settings = {**base, **extra, "STRATA_ROLE": role, "STRATA_NODE_NAME": host.name}
            return command.remote.Command(
                f"{name}-{role}-{host.name}",
                connection=connection(host),
                create=command_line("create"),
                update=command_line("update"),
                delete=command_line("delete"),
                stdin=stdin(
                    {"create": ("install",), "update": ("upgrade", "install"), "delete": ("uninstall",)}, settings
                ),
                opts=pulumi.ResourceOptions(parent=parent, depends_on=after),
            )

        server_url = f"https://{url_host(first.address)}:9345"
        tls_san = ",".join(hosts[s].address for s in plan.servers)
        servers = [node(first, "server", {"STRATA_TLS_SAN": tls_san, **server_settings}, [])]
        for s in plan.servers[1:]:
            servers.append(
                node(
                    hosts[s],
                    "server",
                    {"STRATA_TLS_SAN": tls_san, "STRATA_SERVER_URL": server_url, **server_settings},
                    [servers[0]],
                )
            )
        agents: list[pulumi.Resource] = []
        for np in plan.node_pools:
            labels = f"strata.io/node-pool={np.name},strata.io/cluster={name},strata.io/site={site.site}"
            taints = [GPU_TAINT] if np.machine.gpus else []
            if np.runtime != "default":  # a sandbox node pool: only pods of its RuntimeClass land there
                labels += f",{RUNTIME_LABEL}={np.runtime}"
                taints.append(f"{RUNTIME_LABEL}={np.runtime}:NoSchedule")
            extra = {"STRATA_SERVER_URL": server_url, "STRATA_NODE_LABELS": labels}
            if taints:
                extra["STRATA_NODE_TAINTS"] = ",".join(taints)
            for h in np.hosts:
                agent = node(hosts[h], "agent", extra, list(servers))
                agents.append(agent)
                command.remote.Command(
                    f"{name}-drain-{h}",
                    connection=connection(first),
                    create="true",
                    delete=command_line("delete"),
                    stdin=stdin({"delete": ("drain",)}, {"STRATA_NODE_NAME": h}),
                    opts=pulumi.ResourceOptions(parent=parent, depends_on=[agent]),
                )
        fetched = command.remote.Command(
            f"{name}-kubeconfig",
            connection=connection(first),
            create=command_line("create"),
            stdin=stdin({"create": ("kubeconfig",)}, {"STRATA_SERVER_HOST": url_host(first.address)}),
            opts=pulumi.ResourceOptions(parent=parent, depends_on=servers, additional_secret_outputs=["stdout"]),
        )
        endpoint = f"https://{url_host(first.address)}:6443"
        return ClusterInfra(
            cluster_name=pulumi.Output.from_input(name),
            endpoint=pulumi.Output.from_input(endpoint),
            kubeconfig=pulumi.Output.secret(fetched.stdout),
            substrate=Substrate(nodes=agents, mirrors={"*": site.airgap.registry} if site.airgap else {}),
        )
