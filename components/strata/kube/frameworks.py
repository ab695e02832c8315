"""Data frameworks in a tenant's space: the upstream operators and the custom resources they act on.

Built on a :class:`~strata.kube.handle.ClusterHandle` alone, so a framework is the same on every
substrate, and the same on a cluster a team repo reaches through a stack reference.

* Each framework's operator (:class:`FrameworkOperator`) is the catalog's pinned chart, installed once
  per cluster that runs the framework — a virtual tenant's frameworks get theirs inside its virtual
  cluster — and acts only in the namespaces of the tenants that run it (never every namespace).
* An instance is a custom resource in the tenant's namespace (inside its virtual cluster for a
  ``virtual`` tenant), labelled with the tenant and the data class it holds, which the policy pack
  reads. Its members request and are limited to the declared ``size``, so the tenant's quota holds
  them; its volumes come from the cluster's default StorageClass (the paved road's).
* Order is explicit: an operator waits for the cluster's nodes, the paved road's first release and
  the namespaces it acts in; an instance waits for its operator's release (which installs the
  CRDs) and for its tenant's space (a virtual tenant's virtual cluster).
* Each instance registers what a team needs to use it: addresses and the names of the secrets the
  operator writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
from pulumi_kubernetes.apiextensions import CustomResource
from pulumi_kubernetes.core import v1 as core
from pulumi_kubernetes.helm.v3 import Release
from pulumi_kubernetes.meta.v1 import LabelSelectorArgs, ObjectMetaArgs
from pulumi_kubernetes.networking import v1 as net
from pulumi_kubernetes.rbac import v1 as rbac

from strata.catalog import load_catalog
from strata.catalog.model import FrameworkFacts
from strata.declarations.models import (
    ElasticsearchSpec,
    FlinkSpec,
    Framework,
    FrameworkSpec,
    KafkaSpec,
    MemberSize,
    SparkSpec,
    Tenant,
)
from strata.kube.charts import install
from strata.kube.handle import ClusterHandle
from strata.kube.images import image_layers, merge, mirrored, nest
from strata.kube.tenant import (
    RBAC_GROUP,
    WRITE,
    TenantSpace,
    api_egress,
    cpu_quantity,
    memory_quantity,
    namespace_labels,
)
from strata.labels import ISOLATION_LABEL, RUNTIME_LABEL, STRATA_PROPERTY, TENANT_LABEL, data_class_label

#: The label naming which framework an object belongs to (``kafka``, ``spark``, ...).
FRAMEWORK_LABEL = "strata.io/framework"


def framework_labels(tenant: Tenant, spec: FrameworkSpec, kind: str) -> dict[str, str]:
    """An instance's labels: its tenant, its kind and the data class it holds."""
    labels = {TENANT_LABEL: tenant.name, FRAMEWORK_LABEL: kind}
    if spec.data_class:
        labels[data_class_label(spec.data_class)] = "true"
    return labels


def resources(size: MemberSize) -> dict[str, dict[str, str]]:
    """Requests equal to limits: what the quota draws is what the member gets."""
    amounts = {"cpu": cpu_quantity(size.cpu), "memory": memory_quantity(size.memory_gib)}
    return {"requests": amounts, "limits": dict(amounts)}


def _fixed(facts: FrameworkFacts, parts: int = 1) -> MemberSize:
    return MemberSize(cpu=facts.fixed[0] / parts, memory_gib=facts.fixed[1] / parts)


#: Pod Security ``restricted`` for pods Strata describes itself (Flink's).
RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
RESTRICTED_CONTAINER = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


class FrameworkOperator(pulumi.ComponentResource):
    """One framework's operator on one cluster, acting in the given namespaces only.

    Guarantees: the catalog's pinned chart, from the site's mirror on an air-gapped site, its images
    and its operands' through the cluster's mirrors; the chart's value that lists the namespaces it
    acts in holds exactly ``namespaces``; a chart whose webhook needs cert-manager gets it where the
    cluster has it (and waits for it), and leaves the webhook out where it has not.
    """

    release: Release

    def __init__(
        self,
        name: str,
        facts: FrameworkFacts,
        cluster: ClusterHandle,
        namespaces: Sequence[str],
        *,
        cert_manager: pulumi.Resource | None,
        depends_on: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        chart = facts.chart
        super().__init__(
            "strata:frameworks:Operator",
            name,
            {STRATA_PROPERTY: {"framework": facts.kind, "chart": chart.name, "version": chart.version}},
            opts,
        )
        mirrors = cluster.substrate.mirrors if cluster.substrate else {}
        layers: list[Mapping[str, Any]] = [facts.values, *image_layers(facts.image_values, mirrors)]
        layers.append(nest(facts.watch, sorted(namespaces)))
        waits = list(depends_on)
        if facts.without_certificates is not None:
            if cert_manager is None:
                layers.append(facts.without_certificates)
            else:
                waits.append(cert_manager)
        self.release = install(
            f"{name}-release",
            chart,
            cluster,
            release=chart.name,
            namespace=facts.namespace,
            values=merge(*layers),
            level="baseline",
            depends_on=waits,
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider),
        )
        self.register_outputs({"chart": chart.name, "version": chart.version, "namespaces": sorted(namespaces)})


class FrameworkInstance(pulumi.ComponentResource):
    """What every framework instance shares: where it runs, its labels, and its network paths."""

    outputs: dict[str, Any]

    def __init__(
        self,
        kind: str,
        name: str,
        spec: FrameworkSpec,
        tenant: Tenant,
        cluster: ClusterHandle,
        *,
        namespace: str,
        operator: FrameworkOperator,
        depends_on: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            f"strata:frameworks:{type(self).__name__}",
            name,
            {
                STRATA_PROPERTY: {
                    "framework": kind,
                    "name": spec.name,
                    "tenant": tenant.name,
                    "dataClass": spec.data_class,
                    "cluster": cluster.facts.cluster,
                }
            },
            opts,
        )
        self.base = name
        self.facts = load_catalog().frameworks[kind]
        self.spec = spec
        self.tenant = tenant
        self.cluster = cluster
        self.namespace = namespace
        self.labels = framework_labels(tenant, spec, kind)
        self.on_cluster = pulumi.ResourceOptions(
            parent=self, provider=cluster.provider, depends_on=[operator.release, *depends_on]
        )
        #: Inside a virtual cluster every pod is in the tenant's one host namespace, whose policies
        #: already let them reach each other and the virtual API server: no policy of ours is needed
        #: (and the virtual cluster would not enforce one).
        self.virtual = cluster.facts.host is not None

    def metadata(self, name: str, **labels: str) -> ObjectMetaArgs:
        return ObjectMetaArgs(name=name, namespace=self.namespace, labels={**self.labels, **labels})

    def custom(self, suffix: str, kind: str, name: str, spec: Mapping[str, Any], **labels: str) -> CustomResource:
        return CustomResource(
            f"{self.base}-{suffix}",
            api_version=self.facts.api_version,
            kind=kind,
            metadata=self.metadata(name, **labels),
            spec=dict(spec),
            opts=self.on_cluster,
        )

    def api_egress(self, pods: Mapping[str, str]) -> None:
        """Let the instance's pods that call the Kubernetes API (to start pods, read their node's
        zone) through the tenant's default-deny."""
        if self.virtual:
            return
        api_egress(f"{self.base}-allow-api", self.metadata(f"{self.spec.name}-allow-api"), dict(pods), self.on_cluster)

    def operator_ingress(self, pods: Mapping[str, str]) -> None:
        """Let the operator (from its own namespace only) reach the port of the instance's pods it
        calls, through the tenant's default-deny."""
        if self.virtual or self.facts.reaches is None:
            return
        port, _ = self.facts.reaches
        net.NetworkPolicy(
            f"{self.base}-allow-operator",
            metadata=self.metadata(f"{self.spec.name}-allow-operator"),
            spec=net.NetworkPolicySpecArgs(
                pod_selector=LabelSelectorArgs(match_labels=dict(pods)),
                policy_types=["Ingress"],
                ingress=[
                    net.NetworkPolicyIngressRuleArgs(
                        from_=[
                            net.NetworkPolicyPeerArgs(
                                namespace_selector=LabelSelectorArgs(
                                    match_labels={"kubernetes.io/metadata.name": self.facts.namespace}
                                )
                            )
                        ],
                        ports=[net.NetworkPolicyPortArgs(protocol="TCP", port=port)],
                    )
                ],
            ),
            opts=self.on_cluster,
        )

    def finish(self, outputs: dict[str, Any]) -> None:
        self.outputs = {"namespace": self.namespace, "dataClass": self.spec.data_class, **outputs}
        self.register_outputs(self.outputs)


class Kafka(FrameworkInstance):
    """A Kafka cluster (Strimzi ``Kafka`` and one ``KafkaNodePool``): KRaft, every broker also a
    controller; one TLS listener with client certificates (``KafkaUser``) and ACLs; brokers spread
    over the cluster's zones (rack awareness) where it has more than one; a persistent volume per
    broker from the cluster's default StorageClass, kept when the cluster is deleted.

    Outputs: ``bootstrapServers`` (``<name>-kafka-bootstrap.<namespace>.svc:9093``) and
    ``clusterCaSecret``, the secret holding the CA certificate clients trust."""

    LISTENER_PORT = 9093

    def __init__(self, name: str, spec: KafkaSpec, tenant: Tenant, cluster: ClusterHandle, **kw: Any) -> None:
        super().__init__("kafka", name, spec, tenant, cluster, **kw)
        volume: dict[str, Any] = {
            "id": 0,
            "type": "persistent-claim",
            "size": f"{spec.storage_gib}Gi",
            "deleteClaim": False,
            "kraftMetadata": "shared",
        }
        if cluster.facts.storage_class:
            volume["class"] = cluster.facts.storage_class
        cluster_label = {"strimzi.io/cluster": spec.name}
        self.pool = self.custom(
            "pool",
            "KafkaNodePool",
            f"{spec.name}-dual",
            {
                "replicas": spec.brokers,
                "roles": ["controller", "broker"],
                "storage": {"type": "jbod", "volumes": [volume]},
                "resources": resources(spec.size),
            },
            **cluster_label,
        )
        replicas = min(3, spec.brokers)
        kafka: dict[str, Any] = {
            "version": self.facts.operand_version,
            "listeners": [
                {
                    "name": "tls",
                    "port": self.LISTENER_PORT,
                    "type": "internal",
                    "tls": True,
                    "authentication": {"type": "tls"},
                }
            ],
            "authorization": {"type": "simple"},
            "config": {
                "default.replication.factor": replicas,
                "min.insync.replicas": max(1, replicas - 1),
                "offsets.topic.replication.factor": replicas,
                "transaction.state.log.replication.factor": replicas,
                "transaction.state.log.min.isr": max(1, replicas - 1),
            },
        }
        if cluster.facts.zones > 1:
            kafka["rack"] = {"type": "topology-label", "topologyKey": "topology.kubernetes.io/zone"}
        each = {"resources": resources(_fixed(self.facts, 2))}
        self.kafka = self.custom(
            "kafka",
            "Kafka",
            spec.name,
            {"kafka": kafka, "entityOperator": {"topicOperator": each, "userOperator": each}},
        )
        # The entity operator watches KafkaTopics and KafkaUsers; brokers read their node's zone.
        self.api_egress(cluster_label)
        ns = self.namespace
        self.finish(
            {
                "bootstrapServers": f"{spec.name}-kafka-bootstrap.{ns}.svc:{self.LISTENER_PORT}",
                "clusterCaSecret": f"{spec.name}-cluster-ca-cert",
                "authentication": "tls: a KafkaUser per client, its secret named after it",
            }
        )


class Spark(FrameworkInstance):
    """Spark for a tenant: its namespace is one of the operator's job namespaces, with a Spark
    service account of its own bound to a namespaced Role (the pods, services, config maps and
    claims a driver makes): no cluster-wide rights. The tenant submits ``SparkApplication``s naming
    that service account; the operator's webhook refuses one its namespace's quota cannot hold.

    Outputs: ``serviceAccount`` for ``spec.driver.serviceAccount``, and ``image``, the Spark image
    as the cluster pulls it (its mirror on an air-gapped site)."""

    def __init__(self, name: str, spec: SparkSpec, tenant: Tenant, cluster: ClusterHandle, **kw: Any) -> None:
        super().__init__("spark", name, spec, tenant, cluster, **kw)
        account = f"{spec.name}-spark"
        sa = core.ServiceAccount(f"{name}-sa", metadata=self.metadata(account), opts=self.on_cluster)
        role = rbac.Role(
            f"{name}-role",
            metadata=self.metadata(account),
            rules=[
                rbac.PolicyRuleArgs(
                    api_groups=[""],
                    resources=["pods", "services", "configmaps", "persistentvolumeclaims"],
                    verbs=list(WRITE),
                ),
                rbac.PolicyRuleArgs(api_groups=[""], resources=["pods/log"], verbs=["get", "list", "watch"]),
            ],
            opts=self.on_cluster,
        )
        rbac.RoleBinding(
            f"{name}-binding",
            metadata=self.metadata(account),
            role_ref=rbac.RoleRefArgs(api_group=RBAC_GROUP, kind="Role", name=account),
            subjects=[rbac.SubjectArgs(kind="ServiceAccount", name=account, namespace=self.namespace)],
            opts=pulumi.ResourceOptions.merge(self.on_cluster, pulumi.ResourceOptions(depends_on=[sa, role])),
        )
        # Drivers start and watch their executors through the API.
        self.api_egress({"spark-role": "driver"})
        mirrors = cluster.substrate.mirrors if cluster.substrate else {}
        self.finish(
            {
                "serviceAccount": account,
                "image": mirrored(self.facts.operands[0], mirrors),
                "sparkVersion": self.facts.operand_version,
                "executors": spec.executors,
            }
        )


class Flink(FrameworkInstance):
    """A Flink session cluster (``FlinkDeployment`` in standalone mode, no job): one job manager and
    ``taskManagers`` task managers of the declared size, pods that pass Pod Security ``restricted``;
    the tenant submits ``FlinkSessionJob``s to it. Standalone mode: Flink itself never calls the
    Kubernetes API; the operator reaches the job manager's REST port from its own namespace only.

    Outputs: ``restUrl`` and ``deployment`` (the name ``FlinkSessionJob.spec.deploymentName`` takes)."""

    REST_PORT = 8081

    def __init__(self, name: str, spec: FlinkSpec, tenant: Tenant, cluster: ClusterHandle, **kw: Any) -> None:
        super().__init__("flink", name, spec, tenant, cluster, **kw)
        mirrors = cluster.substrate.mirrors if cluster.substrate else {}
        fixed = _fixed(self.facts)

        def flink_resource(size: MemberSize) -> dict[str, Any]:
            return {"cpu": size.cpu, "memory": f"{round(size.memory_gib * 1024)}m"}

        self.deployment = self.custom(
            "deployment",
            "FlinkDeployment",
            spec.name,
            {
                "image": mirrored(self.facts.operands[0], mirrors),
                "flinkVersion": self.facts.operand_version,
                "mode": "standalone",
                "serviceAccount": "flink",
                "flinkConfiguration": {"taskmanager.numberOfTaskSlots": str(spec.slots)},
                "podTemplate": {
                    "metadata": {"labels": dict(self.labels)},
                    "spec": {
                        "securityContext": {**RESTRICTED_POD, "runAsUser": 9999, "fsGroup": 9999},
                        "containers": [{"name": "flink-main-container", "securityContext": RESTRICTED_CONTAINER}],
                    },
                },
                "jobManager": {"replicas": 1, "resource": flink_resource(fixed)},
                "taskManager": {"replicas": spec.task_managers, "resource": flink_resource(spec.size)},
            },
        )
        self.operator_ingress({"app": spec.name, **(self.facts.reaches[1] if self.facts.reaches else {})})
        self.finish(
            {
                "restUrl": f"http://{spec.name}-rest.{self.namespace}.svc:{self.REST_PORT}",
                "deployment": spec.name,
                "taskSlots": spec.task_managers * spec.slots,
            }
        )


class Elasticsearch(FrameworkInstance):
    """An Elasticsearch cluster (ECK ``Elasticsearch``): one node set of ``nodes`` members of the
    declared size, spread over the cluster's zones where it has more than one, a volume per node
    from the cluster's default StorageClass, no memory-mapped store (so no privileged init
    container sets ``vm.max_map_count``: the pods pass Pod Security ``restricted``).

    Outputs: ``url`` (HTTPS, the operator's self-signed CA), ``elasticUserSecret`` (the ``elastic``
    user's password) and ``caSecret``."""

    HTTP_PORT = 9200

    def __init__(self, name: str, spec: ElasticsearchSpec, tenant: Tenant, cluster: ClusterHandle, **kw: Any) -> None:
        super().__init__("elasticsearch", name, spec, tenant, cluster, **kw)
        claim: dict[str, Any] = {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": f"{spec.storage_gib}Gi"}},
        }
        if cluster.facts.storage_class:
            claim["storageClassName"] = cluster.facts.storage_class
        node_set: dict[str, Any] = {
            "name": "default",
            "count": spec.nodes,
            "config": {"node.store.allow_mmap": False},
            "resources": resources(spec.size),
            "podTemplate": {"metadata": {"labels": dict(self.labels)}},
            "volumeClaimTemplates": [{"metadata": {"name": "elasticsearch-data"}, "spec": claim}],
        }
        if cluster.facts.zones > 1:
            node_set["zoneAwareness"] = {"topologyKey": "topology.kubernetes.io/zone"}
        self.elasticsearch = self.custom(
            "elasticsearch", "Elasticsearch", spec.name, {"version": self.facts.operand_version, "nodeSets": [node_set]}
        )
        self.operator_ingress(
            {
                "elasticsearch.k8s.elastic.co/cluster-name": spec.name,
                **(self.facts.reaches[1] if self.facts.reaches else {}),
            }
        )
        self.finish(
            {
                "url": f"https://{spec.name}-es-http.{self.namespace}.svc:{self.HTTP_PORT}",
                "elasticUserSecret": f"{spec.name}-es-elastic-user",
                "caSecret": f"{spec.name}-es-http-certs-public",
            }
        )


_INSTANCES: dict[str, Callable[..., FrameworkInstance]] = {
    "kafka": Kafka,
    "spark": Spark,
    "flink": Flink,
    "elasticsearch": Elasticsearch,
}


def build_frameworks(
    cluster: ClusterHandle,
    frameworks: Sequence[Framework],
    spaces: Mapping[str, TenantSpace],
    *,
    parent: pulumi.Resource | None = None,
    after: Sequence[pulumi.Resource] = (),
    cert_manager: pulumi.Resource | None = None,
) -> dict[str, FrameworkInstance]:
    """Build a cluster's frameworks: each in its tenant's space (``spaces``), each kind's operator
    once per cluster that runs it (the cluster, or a virtual tenant's virtual cluster), acting in
    those tenants' namespaces. Operators wait for ``after`` (the cluster's nodes and the paved
    road's first release) and the spaces they act in; ``cert_manager`` is the paved road's release
    of it, if the cluster has one."""
    catalog = load_catalog()
    opts = pulumi.ResourceOptions(parent=parent)
    # Which cluster each framework runs on, and the namespace inside it.
    targets: dict[str, tuple[ClusterHandle, list[tuple[Framework, TenantSpace, str, list[pulumi.Resource]]]]] = {}
    inner: dict[str, core.Namespace] = {}
    for fw in frameworks:
        space = spaces[fw.spec.tenant]
        target = space.cluster
        waits: list[pulumi.Resource] = [space]
        if space.virtual is not None:
            if space.tenant.name not in inner:
                # Inside its virtual cluster the tenant is alone: the namespace its frameworks run
                # in carries its data classes and Pod Security restricted, not the tenant's label
                # (that marks a tenant's namespace on a shared cluster, guarded on the host).
                inner[space.tenant.name] = core.Namespace(
                    f"{target.name}-namespace",
                    metadata=ObjectMetaArgs(
                        name=space.tenant.name,
                        labels={
                            k: v
                            for k, v in namespace_labels(space.tenant, target.facts.version).items()
                            if k not in (TENANT_LABEL, ISOLATION_LABEL, RUNTIME_LABEL)
                        },
                    ),
                    opts=pulumi.ResourceOptions(parent=space, provider=target.provider, depends_on=[space.virtual]),
                )
            waits.append(inner[space.tenant.name])
        targets.setdefault(target.name, (target, []))[1].append((fw, space, space.tenant.name, waits))
    built: dict[str, FrameworkInstance] = {}
    for target, members in targets.values():
        operators: dict[str, FrameworkOperator] = {}
        for kind in dict.fromkeys(fw.kind for fw, *_ in members):
            of_kind = [(space, ns, waits) for fw, space, ns, waits in members if fw.kind == kind]
            namespaces = sorted({ns for _, ns, _ in of_kind})
            space_waits = list(dict.fromkeys(w for *_, waits in of_kind for w in waits))
            virtual = target.facts.host is not None
            operators[kind] = FrameworkOperator(
                f"{target.name}-{kind}-operator",
                catalog.frameworks[kind],
                target,
                namespaces,
                cert_manager=None if virtual else cert_manager,
                depends_on=[*after, *space_waits],
                opts=opts,
            )
        for fw, space, ns, waits in members:
            built[fw.spec.name] = _INSTANCES[fw.kind](
                f"{cluster.name}-{fw.spec.name}",
                fw.spec,
                space.tenant,
                target,
                namespace=ns,
                operator=operators[fw.kind],
                depends_on=waits,
                opts=opts,
            )
    return built
