"""Tenants as the Kubernetes objects of a stack show them: what the tenancy rules share.

A tenant is the label ``strata.io/tenant`` on a ``Namespace`` object (its isolation level and
sandbox runtime are that Namespace's ``strata.io/isolation`` and ``strata.io/runtime`` labels) and
on anything else a program labels with it. Every object is read from what the engine hands the pack:

* its kind from its type token (``kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding``; a
  ``...Patch`` counts as the object it patches), and the objects inside a ConfigGroup's YAML or
  ``objs`` one by one, reported on the ConfigGroup;
* its namespace from ``metadata.namespace``, else the provider's ``namespace`` setting, else
  ``default`` (a Helm release: its ``namespace`` input); a namespace unknown until apply but wired
  to a Namespace of the stack is that Namespace;
* its cluster from :meth:`StackGraph.cluster_identity` — never from a label or a name. Two objects
  are *certainly* on one cluster when they go through one provider or their clusters' identities
  are equal; *certainly not* when both identities are established and differ; otherwise *maybe*.
  Rules that need a guard rail to be there count only what is certainly on the tenant's cluster;
  rules that must not miss a neighbour count what may be there too. An object is *in* a Namespace
  of the stack when it names it and may be on its cluster.

Isolation is taken on trust only where the rules check it: a tenant Namespace without an isolation
label is a ``namespace`` tenant, a value other than ``dedicated`` is below ``dedicated``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from strata.labels import DATA_CLASS_LABEL_PREFIX, ISOLATION_LABEL, TENANT_LABEL
from strata.policy.data_classes import SELECTOR_KEYS, NoAliases
from strata.policy.graph import StackGraph, Unplaced
from strata.policy.props import Malformed, describe, is_unknown, unproxied

DEDICATED = "dedicated"
CONFIG_GROUPS = frozenset({"kubernetes:yaml/v2:ConfigGroup", "kubernetes:yaml/v2:ConfigFile"})
HELM = frozenset({"kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"})
#: Kinds that live in no namespace (the rest default to one).
CLUSTER_SCOPED = frozenset(
    {"Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass", "RuntimeClass"}
    | {"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy"}
    | {"MutatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"}
    | {"CustomResourceDefinition", "PriorityClass", "APIService", "CSIDriver", "IngressClass", "ConfigGroup"}
    | {"ConfigFile", "Directory", "ClusterIssuer", "CertificateSigningRequest", "VolumeAttachment"}
)


def unknown(path: str) -> UnknownValueError:
    return UnknownValueError(UNKNOWN_STRING_VALUE, [path])


def dig(body: Any, path: str) -> Any:
    """The raw value at ``a.b.c`` (None when absent); raises ``UnknownValueError`` if it or a step
    on the way is unknown until apply, :class:`Malformed` if a step is not an object."""
    node = body
    walked: list[str] = []
    for part in path.split("."):
        if node is None:
            return None
        if is_unknown(node):
            raise unknown(".".join(walked) or path)
        if not isinstance(node, Mapping):
            raise Malformed(".".join(walked), node, "an object")
        walked.append(part)
        node = node.get(part)
    if is_unknown(node):
        raise unknown(path)
    return node


def dig_list(body: Any, path: str) -> list[Any]:
    value = dig(body, path)
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise Malformed(path, value, "a list")
    return list(value)


def dig_text(body: Any, path: str) -> str | None:
    value = dig(body, path)
    if value is None or isinstance(value, str):
        return value
    raise Malformed(path, value, "a string")


@dataclass(frozen=True)
class Cluster:
    """The cluster an object is deployed to, as far as the stack shows it."""

    provider: str  # the provider's URN ("" when the object names none)
    ids: frozenset[str]  # its identity; empty when it cannot be established
    why: str = ""  # why it cannot be established
    #: For a virtual cluster: the identities of the clusters whose nodes run its pods (empty: one
    #: that cannot be established).
    hosts: frozenset[frozenset[str]] = frozenset()

    @property
    def identified(self) -> bool:
        return bool(self.ids)

    def same(self, other: Cluster) -> bool | None:
        """True: certainly the same cluster; False: certainly not; None: it cannot be told."""
        if self.provider == other.provider:
            return True
        if self.identified and other.identified:
            return self.ids == other.ids
        return None

    def shares_nodes(self, other: Cluster) -> bool | None:
        """Whether pods of the two can run on the same nodes: the same cluster, or a virtual
        cluster and its host, or two virtual clusters on one host. None: it cannot be told."""
        same = self.same(other)
        if same:
            return True
        mine = {self.ids, *self.hosts} if self.identified else set(self.hosts)
        theirs = {other.ids, *other.hosts} if other.identified else set(other.hosts)
        if (mine - {frozenset()}) & (theirs - {frozenset()}):
            return True
        if same is None or frozenset() in mine | theirs:
            return None
        return False


@dataclass
class KubeObject:
    """One Kubernetes object of the stack (or one document of a ConfigGroup)."""

    resource: PolicyResource
    group: str  # "core", "apps", "rbac.authorization.k8s.io", "helm.sh", ...
    kind: str
    body: Any  # raw inputs: unknown values are the engine's sentinels
    cluster: Cluster
    document: str = ""  # "document 2 of `yaml`" for a ConfigGroup's document
    _namespace_default: str | None = field(default=None, repr=False)

    @property
    def urn(self) -> str:
        return self.resource.urn

    def __str__(self) -> str:
        shown = f"{self.kind} {self.resource.name}"
        return f"{shown} ({self.document})" if self.document else shown

    def is_a(self, group: str, *kinds: str) -> bool:
        return self.group == group and self.kind in kinds

    def name(self) -> str | None:
        return dig_text(self.body, "metadata.name")

    def labels(self) -> dict[str, Any]:
        """Its labels; a value unknown until apply is kept as the engine's sentinel."""
        value = dig(self.body, "metadata.labels")
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise Malformed("metadata.labels", value, "an object of strings")
        return {str(k): v for k, v in value.items()}

    def label(self, key: str) -> str | None:
        value = self.labels().get(key)
        if is_unknown(value):
            raise unknown(f"metadata.labels.{key}")
        if value is None or isinstance(value, str):
            return value
        raise Malformed(f"metadata.labels.{key}", value, "a string")

    def namespaced(self) -> bool:
        return self.kind not in CLUSTER_SCOPED

    def namespace(self) -> str | None:
        """The namespace it is created in (None: cluster-scoped). Raises ``UnknownValueError``."""
        if not self.namespaced():
            return None
        path = "namespace" if self.group == "helm.sh" else "metadata.namespace"
        value = dig_text(self.body, path)
        return value or self._namespace_default or "default"

    def own_tenants(self) -> set[str]:
        """The tenants its own labels name (a Helm release's: its values' ``strata.io/tenant``)."""
        found = set()
        if (tenant := self.label(TENANT_LABEL)) is not None:
            found.add(tenant)
        if self.group == "helm.sh":
            found |= _tenants_in(dig(self.body, "values"))
        return found

    def data_classes(self) -> set[str]:
        """The classes labelled on its own metadata (a Namespace's, which its objects inherit)."""
        out = set()
        for key, value in self.labels().items():
            if key.startswith(DATA_CLASS_LABEL_PREFIX):
                if is_unknown(value):
                    raise unknown(f"metadata.labels.{key}")
                if isinstance(value, str) and value.strip().lower() == "true":
                    out.add(key[len(DATA_CLASS_LABEL_PREFIX) :])
        return out

    def isolation(self) -> str:
        """A tenant Namespace's isolation level; unlabelled, it is a ``namespace`` tenant."""
        return self.label(ISOLATION_LABEL) or "namespace"


def _tenants_in(values: Any) -> set[str]:
    out: set[str] = set()
    todo = [values]
    while todo:
        node = todo.pop()
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key in SELECTOR_KEYS:
                    continue
                if key == TENANT_LABEL and isinstance(value, str) and not is_unknown(value):
                    out.add(value)
                else:
                    todo.append(value)
        elif isinstance(node, list | tuple):
            todo.extend(node)
    return out


def _kind_of(token: str) -> tuple[str, str] | None:
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "kubernetes":
        return None
    group = parts[1].split("/")[0] if "/" in parts[1] else "core"
    kind = parts[2]
    if kind.endswith("Patch") and len(kind) > len("Patch"):
        kind = kind[: -len("Patch")]
    return group, kind


def _group_of(api_version: str) -> str:
    return api_version.split("/")[0] if "/" in api_version else "core"


class Tenancy:
    """Every Kubernetes object of a stack, with the Namespaces they are in and the clusters they are on."""

    def __init__(self, graph: StackGraph) -> None:
        self.graph = graph
        self.objects: list[KubeObject] = []
        #: ConfigGroups whose objects cannot be read: (resource, why).
        self.opaque: list[tuple[PolicyResource, str]] = []
        self._clusters: dict[str, Cluster] = {}
        for r in graph.resources:
            kind = _kind_of(r.resource_type)
            if kind is None:
                continue
            cluster = self.cluster_of(r)
            default_ns = self._provider_namespace(r)
            if r.resource_type in CONFIG_GROUPS:
                self.objects.extend(self._documents(r, cluster, default_ns))
                continue
            self.objects.append(KubeObject(r, kind[0], kind[1], unproxied(r.props), cluster, "", default_ns))
        self.namespaces = [o for o in self.objects if o.is_a("core", "Namespace")]
        self.by_resource: dict[str, list[KubeObject]] = defaultdict(list)
        for o in self.objects:
            self.by_resource[o.urn].append(o)
        self._by_name: dict[str, list[KubeObject]] = defaultdict(list)
        self._unnamed: list[KubeObject] = []
        for ns in self.namespaces:
            try:
                name = ns.name()
            except (UnknownValueError, Malformed):
                name = None
            if name:
                self._by_name[name].append(ns)
            else:
                self._unnamed.append(ns)

    # ------------------------------------------------------------------ clusters

    def cluster_of(self, r: PolicyResource) -> Cluster:
        key = r.provider.urn if r.provider is not None else ""
        if key not in self._clusters:
            try:
                self._clusters[key] = Cluster(key, self.graph.cluster_identity(r), hosts=self.graph.virtual_hosts(r))
            except Unplaced as err:
                self._clusters[key] = Cluster(key, frozenset(), str(err))
        return self._clusters[key]

    def _provider_namespace(self, r: PolicyResource) -> str | None:
        if r.provider is None:
            return None
        provider = self.graph.by_urn.get(r.provider.urn)
        raw = unproxied(provider.props) if provider is not None else None
        value = raw.get("namespace") if isinstance(raw, Mapping) else None
        return value if isinstance(value, str) and value and not is_unknown(value) else None

    def _documents(self, r: PolicyResource, cluster: Cluster, default_ns: str | None) -> Iterator[KubeObject]:
        raw = unproxied(r.props)
        docs: list[tuple[str, Any]] = []
        for key in ("yaml", "objs", "files", "file"):
            value = raw.get(key) if isinstance(raw, Mapping) else None
            if value is None:
                continue
            if is_unknown(value):
                self.opaque.append((r, f"its `{key}` is not known until apply"))
            elif key in ("files", "file"):
                self.opaque.append((r, f"its `{key}` names files the pack cannot read"))
            elif key == "objs":
                docs.extend((f"`objs`[{i}]", d) for i, d in enumerate(value if isinstance(value, list) else [value]))
            else:
                texts = value if isinstance(value, list) else [value]
                for text in texts:
                    try:
                        loaded = list(yaml.load_all(str(text), Loader=NoAliases))
                    except yaml.YAMLError as err:
                        self.opaque.append((r, f"its `yaml` cannot be read: {err}"))
                        continue
                    docs.extend((f"document {i} of `yaml`", d) for i, d in enumerate(loaded))
        for where, doc in docs:
            if isinstance(doc, Mapping) and doc.get("kind") == "List" and isinstance(doc.get("items"), list):
                items = [(f"{where}, item {i}", d) for i, d in enumerate(doc["items"])]
            else:
                items = [(where, doc)]
            for at, d in items:
                if d is None:
                    continue
                if not isinstance(d, Mapping) or not isinstance(d.get("kind"), str):
                    self.opaque.append((r, f"{at} is {describe(d)}, not a Kubernetes object"))
                    continue
                group = _group_of(str(d.get("apiVersion") or ""))
                yield KubeObject(r, group, d["kind"], d, cluster, at, default_ns)

    # ------------------------------------------------------------------ namespaces

    def namespaces_of(
        self, o: KubeObject, *, certain: bool, where: Callable[[KubeObject], bool] = lambda ns: True
    ) -> list[KubeObject]:
        """The Namespace objects of the stack ``o`` is in (with ``certain``, only those certainly on
        its cluster; otherwise those that may be), among those ``where`` accepts. Raises
        ``UnknownValueError`` when its namespace is unknown and one of them could be it."""

        def on_cluster(ns: KubeObject) -> bool:
            same = o.cluster.same(ns.cluster)
            return same is True or (same is None and not certain)

        try:
            name = o.namespace()
        except UnknownValueError:
            wired = {d.urn for deps in o.resource.property_dependencies.values() for d in deps}
            found = [ns for ns in self.namespaces if ns.urn in wired and on_cluster(ns) and where(ns)]
            if found:
                return sorted(found, key=lambda ns: ns.urn)
            if any(on_cluster(ns) and where(ns) for ns in self.namespaces):
                raise
            return []
        if name is None:
            return []
        found = [ns for ns in self._by_name.get(name, []) if ns is not o and on_cluster(ns) and where(ns)]
        return sorted(found, key=lambda ns: ns.urn)

    def tenants_of(self, o: KubeObject, *, certain: bool) -> set[str]:
        """The tenants ``o`` belongs to: its own labels' and its Namespace's."""
        found = o.own_tenants()
        for ns in self.namespaces_of(o, certain=certain):
            if (tenant := ns.label(TENANT_LABEL)) is not None:
                found.add(tenant)
        return found

    def tenant_namespaces(self) -> Iterator[KubeObject]:
        """Namespaces labelled with a tenant (an unknown label raises when read)."""
        for ns in self.namespaces:
            labels = ns.labels()
            if TENANT_LABEL in labels:
                yield ns

    def dedicated_on(self, tenant: str, cluster: Cluster) -> bool:
        """Whether ``tenant`` has a Namespace labelled ``dedicated`` certainly on ``cluster``."""
        for ns in self.namespaces:
            if ns.cluster.same(cluster) is not True:
                continue
            try:
                named = ns.label(TENANT_LABEL)
            except (UnknownValueError, Malformed):
                continue  # not shown to be this tenant's: it proves nothing
            if named == tenant and ns.isolation() == DEDICATED:
                return True
        return False
