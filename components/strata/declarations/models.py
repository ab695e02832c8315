"""The provider-neutral declarations: what a platform team asks for.

These pydantic models are the stack-config contract of docs/design.md (camelCase in the file, snake_case
in Python) and the typed Python API team repos use. They are frozen; they import nothing of Pulumi.
Checks that need only one field (a name's syntax, a region the catalog knows) live here; checks
across the tree (duplicate names, references, capacity) live in :mod:`strata.declarations.checks`.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainValidator,
    SerializerFunctionWrapHandler,
    Strict,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue

from strata.catalog import Catalog, load_catalog

_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
NAME_MAX = 30


class JsonSchema:
    """Annotation marker: what a field's JSON Schema says beyond its Python type (a pattern an
    ``AfterValidator`` checks, a list of values the catalog allows), for editors and the reference.

    ``extra`` is a mapping, or a function returning one so that catalog look-ups happen only
    when a schema is generated. The validators stay the authority; the schema may only repeat them.
    """

    def __init__(self, extra: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
        self.extra = extra

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        for key, value in (self.extra() if callable(self.extra) else self.extra).items():
            # An upper bound only tightens one a field states itself (``zones: Field(le=6)``).
            schema[key] = min(value, schema[key]) if key in ("maximum", "maxLength") and key in schema else value
        return schema


def _catalog_values(pick: Callable[[Catalog], Iterable[str]]) -> JsonSchema:
    return JsonSchema(lambda: {"enum": sorted(pick(load_catalog()))})


def _dns_label(value: str) -> str:
    if not _DNS_LABEL.fullmatch(value) or len(value) > NAME_MAX:
        raise ValueError(
            f"must be a DNS label: lowercase letters, digits and '-', starting with a letter, "
            f"not ending with '-', at most {NAME_MAX} characters"
        )
    return value


def did_you_mean(value: str, known: list[str]) -> str:
    """``"; did you mean a, b?"`` naming the values of ``known`` close to ``value``, or nothing."""
    close = difflib.get_close_matches(value, known, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""


def _known_data_class(value: str) -> str:
    known = sorted(load_catalog().data_classes)
    if value not in known:
        raise ValueError(f"not a data class in the catalog; allowed: {', '.join(known)}")
    return value


def _known_jurisdiction(value: str) -> str:
    known = sorted(load_catalog().jurisdictions)
    if value not in known:
        raise ValueError(f"not a jurisdiction in the catalog; allowed: {', '.join(known)}{did_you_mean(value, known)}")
    return value


def _version_string(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f'must be a quoted string such as "1.35" (YAML reads an unquoted {value} as a number)')
    return value


def _version_format(value: str) -> str:
    if not re.fullmatch(r"1\.[0-9]{1,3}", value):
        raise ValueError('must be a Kubernetes minor version such as "1.35"')
    return value


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _at_least_one(value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        raise ValueError("must name at least one jurisdiction")
    return value


def _cidr(value: str) -> str:
    # The prefix length is required: a bare address would reach the provider as is, and EKS and
    # GKE take only CIDR blocks (203.0.113.5/32 for one address).
    try:
        if "/" not in value:
            raise ValueError("no prefix length")
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(
            f"must be a CIDR block with its prefix length, such as 203.0.113.0/24 or 203.0.113.5/32 ({exc})"
        ) from None
    return value


def _unique(value: tuple[Any, ...]) -> tuple[Any, ...]:
    twice = sorted({v for v in value if value.count(v) > 1}, key=str)
    if twice:
        raise ValueError(f"lists {', '.join(map(str, twice))} more than once")
    return value


#: The largest count a declaration may hold: what a provider's 32-bit integer fields take.
INT32_MAX = 2**31 - 1


# Numbers and flags are strict: YAML's ``true`` is not 1, ``"3"`` is not 3, ``2.0`` is not a count.
# A float field takes an integer; NaN and infinities are refused for every field (``Spec``).
def _int32(value: float) -> float:
    if value > INT32_MAX:
        raise ValueError(f"must be at most {INT32_MAX:,}")
    return value


# (A validator, not ``Field(le=...)``: a field's own ``le`` must not be overridden by this one.)
Count = Annotated[int, Strict(), AfterValidator(_int32), JsonSchema({"maximum": INT32_MAX})]
Amount = Annotated[float, Strict(), AfterValidator(_int32), JsonSchema({"maximum": INT32_MAX})]
Flag = Annotated[bool, Strict()]

Name = Annotated[
    str,
    AfterValidator(_dns_label),
    JsonSchema({"pattern": _DNS_LABEL.pattern, "maxLength": NAME_MAX}),
]
DataClassName = Annotated[str, AfterValidator(_known_data_class), _catalog_values(lambda c: c.data_classes)]
JurisdictionName = Annotated[str, AfterValidator(_known_jurisdiction), _catalog_values(lambda c: c.jurisdictions)]
#: A container runtime: the default one, or a sandbox.
Runtime = Literal["default", "gvisor", "kata"]

KubernetesVersion = Annotated[
    str,
    BeforeValidator(_version_string),
    AfterValidator(_version_format),
    JsonSchema({"pattern": r"^1\.[0-9]{1,3}$", "examples": ["1.35"]}),
]
#: A group name as an identity provider gives it: not empty, no surrounding spaces or line breaks.
GroupName = Annotated[str, Strict(), Field(min_length=1, max_length=256, pattern=r"^\S(?:[^\n\r\t]*\S)?$")]
Cidr = Annotated[
    str, AfterValidator(_cidr), JsonSchema({"pattern": r"^[0-9A-Fa-f.:]+/[0-9]{1,3}$", "examples": ["203.0.113.0/24"]})
]


class Spec(BaseModel):
    """Base of every declaration: frozen, camelCase aliases, unknown keys rejected."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
    )


def _one_key_schema(schema: dict[str, Any]) -> None:
    """A one-of mapping's schema: exactly one key, and a key's value is never null."""
    schema.update(minProperties=1, maxProperties=1)
    for prop in schema.get("properties", {}).values():
        branches = [b for b in prop.pop("anyOf", []) if b != {"type": "null"}]
        prop.pop("default", None)
        if branches:
            prop.update(branches[0])


class OneOf(Spec):
    """A mapping that holds exactly one of its keys (``{aws: ...}``, ``{kafka: ...}``)."""

    model_config = ConfigDict(json_schema_extra=_one_key_schema)

    #: Python field name → the key as spelled in the stack file.
    _choices: ClassVar[dict[str, str]] = {}

    @model_validator(mode="after")
    def _exactly_one(self) -> OneOf:
        # A key written with no value (``aws:`` or ``aws: null``) counts as given: it is a mistake
        # to report, not a key to ignore.
        given = [alias for field, alias in self._choices.items() if field in self.model_fields_set]
        empty = [
            alias
            for field, alias in self._choices.items()
            if field in self.model_fields_set and getattr(self, field) is None
        ]
        if len(given) != 1:
            got = ", ".join(given) if given else "none"
            raise ValueError(f"must hold exactly one of {', '.join(self._choices.values())}; got {got}")
        if empty:
            raise ValueError(f"{empty[0]} is empty: give its settings")
        return self

    @model_serializer(mode="wrap")
    def _only_the_one(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Dumped as written: ``{aws: {...}}``, not ``{aws: {...}, gcp: null, ...}`` (which reads back
        # as three keys given).
        data = handler(self)
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data

    @property
    def kind(self) -> str:
        """The key that is set, as spelled in the stack file."""
        return next(alias for field, alias in self._choices.items() if getattr(self, field) is not None)

    @property
    def chosen(self) -> Any:
        return next(v for field in self._choices if (v := getattr(self, field)) is not None)


# ---------------------------------------------------------------- substrates


class AwsSubstrate(Spec):
    """An AWS region and how many of its availability zones the pool spans."""

    region: Annotated[
        str, AfterValidator(lambda v: _check_region("aws", v)), _catalog_values(lambda c: c.regions["aws"])
    ]
    """An AWS region in the catalog; its country is the catalog's, and decides residency."""
    zones: Count = Field(3, ge=1, le=6)
    """How many of the region's availability zones the pool spans (at most as many as it has)."""


class GcpSubstrate(Spec):
    """A GCP project, region, and how many of the region's zones the pool spans."""

    project: Annotated[str, Field(pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")]
    """The GCP project ID the pool is built in (it must exist, with billing and the APIs enabled)."""
    region: Annotated[
        str, AfterValidator(lambda v: _check_region("gcp", v)), _catalog_values(lambda c: c.regions["gcp"])
    ]
    """A GCP region in the catalog; its country is the catalog's, and decides residency."""
    zones: Count = Field(3, ge=1, le=4)
    """How many of the region's zones the pool's regional clusters and node pools span."""


def _check_region(kind: str, region: str) -> str:
    known = sorted(load_catalog().regions[kind])
    if region not in known:
        article = "an" if kind == "aws" else "a"
        raise ValueError(f"not {article} {kind.upper()} region in the catalog{did_you_mean(region, known)}")
    return region


_HOSTNAME_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _host_address(value: str) -> str:
    """An IPv4 or IPv6 address or a DNS name, in one canonical spelling so that two spellings of
    one host compare equal (``2001:DB8::0001`` is ``2001:db8::1``; ``Node1.Example.`` is
    ``node1.example``). Leading zeros in an IPv4 address are refused: tools disagree on them
    (``010`` is ten to some, eight to others)."""
    text = value.strip().lower().removesuffix(".")
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
            raise ValueError(
                "an IPv6 address with a zone (%...) is reachable only from its own link; use a routable one"
            )
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
        if (
            ip.is_unspecified
            or ip.is_multicast
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_reserved
            or ip in ipaddress.ip_network("0.0.0.0/8")
            or str(ip) == "255.255.255.255"
        ):
            raise ValueError(
                "not the address of a host on the site's network (unspecified, loopback, link-local, "
                "multicast, broadcast or reserved)"
            )
        return str(ip)
    labels = text.split(".")
    try:  # what resolvers read as IPv4 in another spelling: 0x0a000001, 10.1, 012.0.0.1
        socket.inet_aton(text)
        numeric = True
    except OSError:
        numeric = all(p.isdigit() for p in labels)
    if numeric:
        raise ValueError("not a valid IPv4 address (four numbers 0-255 without leading zeros, such as 10.20.0.11)")
    if ":" in text or len(text) > 253 or not all(_HOSTNAME_LABEL.fullmatch(p) for p in labels) or labels[-1].isdigit():
        raise ValueError("must be an IPv4 address, an IPv6 address or a DNS name such as node1.fra-dc1.example")
    if labels[-1] == "localhost":
        raise ValueError("localhost names the machine running pulumi, not a host of the site")
    return text


HostAddress = Annotated[
    str,
    Strict(),
    AfterValidator(_host_address),
    JsonSchema(
        {"pattern": r"^\s*[0-9A-Za-z.:-]+\s*$", "examples": ["10.20.0.11", "2001:db8::11", "node1.dc1.example"]}
    ),
]


def url_host(address: str) -> str:
    """A host address as it stands in a URL: an IPv6 address in brackets."""
    return f"[{address}]" if ":" in address else address


class Host(Spec):
    """One bare-metal host of a site's inventory."""

    name: Name
    """The host's name; also its node's name in Kubernetes. Unique within the site."""
    address: HostAddress
    """An IPv4 or IPv6 address or a DNS name Strata reaches over SSH, kept in canonical form;
    unique within the site. Loopback, link-local, multicast and ambiguous IPv4 spellings are refused."""
    vcpus: Count = Field(gt=0)
    """The host's vCPUs (hardware threads)."""
    memory_gib: Amount = Field(gt=0)
    """The host's memory in GiB."""
    gpus: Count = Field(0, ge=0)
    """The host's GPUs. GPU shapes are placed only on GPU hosts, CPU shapes never on them."""


class SshAccess(Spec):
    """How Strata reaches the hosts. The private key is never in the file: it is read from the
    stack's secret config key ``privateKeySecret`` (``pulumi config set --secret sshPrivateKey``)."""

    user: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_-]{0,31}$")]
    """A POSIX user name (what ``useradd`` takes) with passwordless sudo on every host."""
    port: Count = Field(22, ge=1, le=65535)
    """The hosts' SSH port."""
    private_key_secret: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")] = "sshPrivateKey"
    """The stack's secret config key holding the SSH private key
    (``pulumi config set --secret sshPrivateKey``); the key itself is never in the file."""


def _endpoint(host: str, port: str | None) -> str:
    """``host[:port]`` where host is an address or DNS name (as :func:`_host_address` takes it) and
    port is 1-65535; raises ValueError otherwise."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if bare != host and ":" not in bare:
        raise ValueError("brackets are for IPv6 addresses")
    if ":" in bare and bare == host:
        raise ValueError("an IPv6 address in a URL goes in brackets")
    canonical = _host_address(bare)
    if port is not None and not 1 <= int(port) <= 65535:
        raise ValueError("a port is 1-65535")
    return url_host(canonical) + (f":{int(port)}" if port is not None else "")


_URL = re.compile(r"https?://(\[[^\]/\s]*\]|[^:/\[\]\s]*)(?::([0-9]{1,5}))?(/[A-Za-z0-9._~%/@+-]*)?")
_REGISTRY = re.compile(r"(\[[^\]/\s]*\]|[^:/\[\]\s]*)(?::([0-9]{1,5}))?((?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)")


def _site_address(value: str, shape: re.Pattern[str], allowed: str) -> str:
    """``value`` if it has ``shape`` (host in group 1, port in group 2) with a valid host and port
    and no spaces, line breaks or control characters; otherwise ValueError saying ``allowed``."""
    match = shape.fullmatch(value)
    try:
        if not match or any(c.isspace() or not c.isprintable() for c in value):
            raise ValueError
        _endpoint(match.group(1), match.group(2))
    except ValueError:
        raise ValueError(allowed) from None
    return value


def _url(value: str) -> str:
    # Letters, digits and ``-._~%/@+`` in the path only: nothing a shell, YAML or sed reads as syntax.
    allowed = (
        "must be an http(s) URL on the site such as https://artifacts.fra-dc1.example/rke2 "
        "(a host address or name, an optional port 1-65535, a path of letters, digits and -._~%/@+; "
        "no query, no spaces, no quotes)"
    )
    return _site_address(value, _URL, allowed).rstrip("/")


def _registry(value: str) -> str:
    allowed = (
        "must be a registry such as registry.fra-dc1.example:5000 or registry.example/mirror "
        "(a host address or name, an optional port 1-65535, then optional lowercase path segments)"
    )
    return _site_address(value, _REGISTRY, allowed)


class AirGap(Spec):
    """An install that fetches nothing from the internet: images from the site's registry mirror,
    the distribution's artifacts from a URL on the site."""

    registry: Annotated[str, Strict(), AfterValidator(_registry), JsonSchema({"pattern": f"^(?:{_REGISTRY.pattern})$"})]
    """The site's registry mirror every image is pulled from, such as ``registry.fra-dc1.example:5000``."""
    artifacts: Annotated[str, AfterValidator(_url), JsonSchema({"pattern": f"^(?:{_URL.pattern})$"})]
    """An http(s) URL on the site serving the distribution's artifacts (checksummed)."""


class BareMetalSubstrate(Spec):
    """A company's own site: a country and an inventory of hosts reachable over SSH.

    The order of ``hosts`` is the assignment's memory: hosts are handed to clusters in this order,
    so add new hosts at the end and no host already assigned moves."""

    site: Name
    """The site's name (a data centre). Pools of one site never share a host."""
    country: str = Field(pattern=r"^[A-Z]{2}$")
    """The site's country, ISO 3166-1 alpha-2 (``DE``): what residency is judged by."""
    hosts: tuple[Host, ...] = Field(min_length=1)
    """The site's inventory, in assignment order: append new hosts at the end."""
    ssh: SshAccess
    """How Strata reaches the hosts."""
    airgap: AirGap | None = None
    """Install without the internet: images and artifacts from the site."""


class Substrate(OneOf):
    """Where machines come from: exactly one of ``aws``, ``gcp``, ``bareMetal``."""

    _choices: ClassVar[dict[str, str]] = {"aws": "aws", "gcp": "gcp", "bare_metal": "bareMetal"}
    aws: AwsSubstrate | None = None
    """Amazon Web Services: EKS clusters in a region."""
    gcp: GcpSubstrate | None = None
    """Google Cloud: GKE clusters in a project and region."""
    bare_metal: BareMetalSubstrate | None = None
    """A company's own site: RKE2 installed over SSH on an inventory of hosts."""

    @property
    def region(self) -> str | None:
        chosen = self.aws or self.gcp
        return chosen.region if chosen else None

    @property
    def zones(self) -> int:
        chosen = self.aws or self.gcp
        return chosen.zones if chosen else 1


def _wrap_substrate(value: Any) -> Any:
    if isinstance(value, AwsSubstrate):
        return Substrate(aws=value)
    if isinstance(value, GcpSubstrate):
        return Substrate(gcp=value)
    if isinstance(value, BareMetalSubstrate):
        return Substrate(bare_metal=value)
    return value


# ---------------------------------------------------------------- capacity and machines


class Capacity(Spec):
    """A pool's budget: what all its clusters together may draw."""

    vcpus: Count = Field(ge=0)
    """vCPUs the pool's clusters may draw at most, node pools at max plus control planes."""
    memory_gib: Amount = Field(ge=0)
    """Memory in GiB the pool's clusters may draw at most."""
    gpus: Count = Field(0, ge=0)
    """GPUs the pool's clusters may draw at most."""


class Machine(Spec):
    """A machine shape; the planner picks the cheapest catalog type that satisfies it."""

    vcpus: Count = Field(gt=0)
    """At least this many vCPUs per node."""
    memory_gib: Amount = Field(gt=0)
    """At least this much memory per node, in GiB."""
    gpus: Count = Field(0, ge=0)
    """GPUs per node; a GPU shape gets a GPU machine type (or host) and the ``nvidia.com/gpu`` taint."""


class NodePool(Spec):
    """A group of identical nodes that autoscales between ``min`` and ``max``."""

    name: Name
    """The node pool's name, unique within the cluster."""
    machine: Machine
    """The shape of every node."""
    # ``max`` is declared before ``min`` so that the bound check can name ``min`` in its path.
    max: Count = Field(gt=0)
    """The most nodes the pool autoscales to: what the cluster draws from the pool's capacity
    (on bare metal, the hosts it is given)."""
    min: Count = Field(ge=0)
    """The fewest nodes the pool autoscales to; at most ``max``."""
    runtime: Runtime = "default"
    """The sandbox its nodes provide: ``gvisor`` (a GKE Sandbox node pool) or ``kata`` (Kata
    Containers on bare-metal hosts, or on an AWS metal instance type). Only pods of tenants that
    ask for that runtime are scheduled on a sandbox node pool."""

    @field_validator("min")
    @classmethod
    def _bounds(cls, value: int, info: ValidationInfo) -> int:
        upper = info.data.get("max")
        if upper is not None and value > upper:
            raise ValueError(f"must not exceed max ({upper})")
        return value


# ---------------------------------------------------------------- tenants and frameworks


class Quota(Spec):
    """What a tenant's workloads may request in total on its cluster."""

    cpu: Amount = Field(gt=0)
    """CPU cores the tenant's pods may request in total."""
    memory_gib: Amount = Field(gt=0)
    """Memory in GiB the tenant's pods may request in total."""
    storage_gib: (
        Annotated[float, Strict(), Field(gt=0), AfterValidator(_int32), JsonSchema({"maximum": INT32_MAX})] | None
    ) = None
    """Persistent volume storage in GiB the tenant's claims may request in total (unset: not
    limited). The tenant's frameworks' volumes are drawn from it."""


class Tenant(Spec):
    """A team's slice of a cluster, at one of three isolation levels."""

    name: Name
    """The tenant's name, unique within the cluster (its namespace's name)."""
    isolation: Literal["namespace", "virtual", "dedicated"] = "namespace"
    """``namespace``: a namespace with quota, default-deny network policy, RBAC and restricted pod
    security (soft); ``virtual``: its own API server in the shared cluster; ``dedicated``: the
    cluster is the tenant's alone (hard)."""
    runtime: Runtime = "default"
    """The container runtime for the tenant's pods: a sandbox (``gvisor``, ``kata``) on top of
    the isolation level, provided by a node pool of the cluster with the same ``runtime`` and
    enforced by an admission policy."""
    version: KubernetesVersion | None = None
    """A ``virtual`` tenant's own Kubernetes minor version (quoted); unset, the host cluster's.
    It must be one the catalog's pinned vCluster release runs, on that host's version."""
    groups: Annotated[tuple[GroupName, ...], AfterValidator(_unique), JsonSchema({"uniqueItems": True})] = ()
    """Identity-provider groups given the tenant's role (never a cluster-wide one)."""
    data_classes: Annotated[tuple[DataClassName, ...], AfterValidator(_unique), JsonSchema({"uniqueItems": True})] = ()
    """The data classes the tenant handles, labelled on its objects. The catalog says what each
    needs and the policy pack judges it: ``pci`` a ``dedicated`` tenant (``data-class-isolation``),
    ``personal-eu`` a cluster in the ``eu`` jurisdiction (``data-class-residency``)."""
    quota: Quota | None = None
    """The tenant's share of the cluster, required of a ``namespace`` or ``virtual`` tenant (a
    ``dedicated`` one has the whole cluster); all quotas together fit what the node pools give at
    max."""


class MemberSize(Spec):
    """What one member of a framework (a broker, a node, an executor) requests and is limited to."""

    cpu: Amount = Field(gt=0)
    """CPU cores per member."""
    memory_gib: Amount = Field(gt=0)
    """Memory in GiB per member."""


class FrameworkSpec(Spec):
    """What every framework shares: a name, the tenant it runs for, the data class it holds."""

    name: Name
    """The framework's name, unique within the cluster."""
    tenant: Name
    """The tenant of the same cluster whose space the framework runs in."""
    data_class: DataClassName | None = None
    """The data class the framework holds; the tenant must declare it."""
    size: MemberSize = MemberSize(cpu=2, memory_gib=8)
    """What each member requests (and is limited to): drawn from the tenant's quota."""

    #: The field counting the framework's members (``brokers``, ``executors``, ...).
    _members: ClassVar[str]

    @property
    def member_count(self) -> int:
        """How many members the framework runs (brokers, nodes, executors, task managers)."""
        count: int = getattr(self, self._members)
        return count

    @property
    def storage_per_member(self) -> float:
        """Persistent storage per member in GiB (0: none: the kind keeps no volumes)."""
        storage: float = getattr(self, "storage_gib", 0)
        return storage


class KafkaSpec(FrameworkSpec):
    """Apache Kafka (through Strimzi) in a tenant's space: KRaft brokers, TLS listener, one
    persistent volume per broker from the cluster's default StorageClass."""

    brokers: Count = Field(3, ge=1)
    """Kafka brokers (each also a KRaft controller); at most the cluster's nodes at max."""
    storage_gib: Count = Field(100, gt=0)
    """Storage per broker, in GiB."""

    _members: ClassVar[str] = "brokers"


class SparkSpec(FrameworkSpec):
    """Apache Spark (through the Kubeflow Spark operator) in a tenant's space: the tenant's
    namespace becomes a job namespace with a Spark service account of its own."""

    size: MemberSize = MemberSize(cpu=1, memory_gib=4)
    """What each executor requests."""
    executors: Count = Field(2, ge=1)
    """Executors the tenant's Spark applications run at once, reserved in its quota (with a driver)."""

    _members: ClassVar[str] = "executors"


class FlinkSpec(FrameworkSpec):
    """Apache Flink (through the Flink Kubernetes operator) in a tenant's space: a session cluster
    teams submit jobs to."""

    size: MemberSize = MemberSize(cpu=1, memory_gib=4)
    """What each task manager requests."""
    task_managers: Count = Field(2, ge=1)
    """Task managers of the session cluster (with one job manager)."""
    slots: Count = Field(2, ge=1)
    """Task slots per task manager."""

    _members: ClassVar[str] = "task_managers"


class ElasticsearchSpec(FrameworkSpec):
    """Elasticsearch (through ECK) in a tenant's space."""

    nodes: Count = Field(3, ge=1)
    """Elasticsearch nodes; at most the cluster's nodes at max."""
    storage_gib: Count = Field(100, gt=0)
    """Storage per node, in GiB."""

    _members: ClassVar[str] = "nodes"


FRAMEWORK_KINDS = ("kafka", "spark", "flink", "elasticsearch")


class Framework(OneOf):
    """Exactly one of ``kafka``, ``spark``, ``flink``, ``elasticsearch``."""

    _choices: ClassVar[dict[str, str]] = {k: k for k in FRAMEWORK_KINDS}
    kafka: KafkaSpec | None = None
    """Apache Kafka."""
    spark: SparkSpec | None = None
    """Apache Spark."""
    flink: FlinkSpec | None = None
    """Apache Flink."""
    elasticsearch: ElasticsearchSpec | None = None
    """Elasticsearch."""

    @property
    def spec(self) -> FrameworkSpec:
        value: FrameworkSpec = self.chosen
        return value


def _wrap_framework(value: Any) -> Any:
    for kind, cls in (("kafka", KafkaSpec), ("spark", SparkSpec), ("flink", FlinkSpec)):
        if type(value) is cls:
            return Framework(**{kind: value})
    if isinstance(value, ElasticsearchSpec):
        return Framework(elasticsearch=value)
    return value


# ---------------------------------------------------------------- clusters, pools, environment


class ApiEndpoint(Spec):
    """Who may reach a cluster's API server.

    Private by default. ``publicAccessCidrs`` opens a public endpoint limited to those networks
    (deploy runners outside the network): an explicit, visible choice, never a default.
    """

    public_access_cidrs: tuple[Cidr, ...] = ()
    """Networks (CIDR blocks) allowed to reach a public API endpoint; empty: no public endpoint."""

    @property
    def public(self) -> bool:
        return bool(self.public_access_cidrs)


class ControlPlane(Spec):
    """The control plane where the pool pays for it (bare metal). ``ha`` runs three servers with
    embedded etcd; unset, a cluster is HA when its node pools take more than three hosts."""

    ha: Flag | None = None
    """Three servers with embedded etcd (``true``) or one (``false``); unset, HA when the node
    pools take more than three hosts. Cloud control planes are always highly available."""


def _address_range(value: str) -> str:
    """A CIDR block (``10.20.9.0/28``) or a range of two addresses (``10.20.9.10-10.20.9.30``)."""
    text = value.strip()
    try:
        if "-" in text:
            first, last = (ipaddress.ip_address(p.strip()) for p in text.split("-", 1))
            if first.version != last.version or int(last) < int(first):
                raise ValueError
            return f"{first}-{last}"
        return str(ipaddress.ip_network(text, strict=True))
    except ValueError:
        raise ValueError(
            "must be a CIDR block such as 10.20.9.0/28 (no host bits set) or a range such as "
            "10.20.9.10-10.20.9.30 (first address not after the last, one IP version)"
        ) from None


AddressRange = Annotated[
    str,
    Strict(),
    AfterValidator(_address_range),
    JsonSchema({"pattern": r"^[0-9A-Fa-f.:/ -]+$", "examples": ["10.20.9.0/28", "10.20.9.10-10.20.9.30"]}),
]


def _addon_choice(value: Any) -> str | Literal[False] | None:
    if value is None or value is False:
        return value
    if value is True:
        raise ValueError(
            "`true` is not a choice: leave the need unset for the substrate's default, name an "
            "implementation, or write `false` to go without"
        )
    if not isinstance(value, str) or not re.fullmatch(r"[a-z][a-z0-9-]*", value):
        raise ValueError("must be an implementation's name from the catalog (such as cilium) or false")
    return value


#: An add-on's choice: an implementation's name from the catalog, or ``false`` for none. Which
#: names the cluster's substrate offers is checked with the rest of the cluster.
AddonChoice = Annotated[str | Literal[False] | None, PlainValidator(_addon_choice)]


def _choices_of(need: str) -> Callable[[dict[str, Any]], None]:
    """The JSON Schema of a need's choice: ``false`` or a name the catalog has for that need."""

    def extra(schema: dict[str, Any]) -> None:
        road = load_catalog().paved_road
        names = sorted(a.name for a in road.addons.values() if a.need == need)
        schema["enum"] = names if road.needs[need].required else [False, *names]

    return extra


class Addons(Spec):
    """The paved road: the add-ons a cluster is born with, chosen per substrate.

    Each need left unset gets its substrate's default (``strata plan`` lists them, with versions).
    Name another implementation the catalog offers on the substrate to swap it, or ``false`` to go
    without. Network policy enforcement cannot be turned off: tenants' isolation rests on it."""

    network_policy: AddonChoice = Field(None, json_schema_extra=_choices_of("networkPolicy"))
    """Who enforces NetworkPolicy: ``vpc-cni`` (AWS), ``dataplane-v2`` (GCP), ``canal`` or ``cilium`` (bare metal)."""
    storage: AddonChoice = Field(None, json_schema_extra=_choices_of("storage"))
    """The default StorageClass, encrypted with the pool's key where the substrate can."""
    load_balancers: AddonChoice = Field(None, json_schema_extra=_choices_of("loadBalancers"))
    """What gives Services of type LoadBalancer an address."""
    ingress: AddonChoice = Field(None, json_schema_extra=_choices_of("ingress"))
    """A Gateway API implementation for traffic into the cluster."""
    certificates: AddonChoice = Field(None, json_schema_extra=_choices_of("certificates"))
    """Certificates for workloads (cert-manager)."""
    metrics: AddonChoice = Field(None, json_schema_extra=_choices_of("metrics"))
    """The resource metrics API (``kubectl top``, autoscaling on CPU)."""
    autoscaling: AddonChoice = Field(None, json_schema_extra=_choices_of("autoscaling"))
    """What grows node pools toward ``max`` and back toward ``min``."""
    images: AddonChoice = Field(None, json_schema_extra=_choices_of("images"))
    """Where nodes pull images through: a pull-through cache or registry per pool, or the site's mirror."""
    load_balancer_addresses: Annotated[
        tuple[AddressRange, ...], AfterValidator(_unique), JsonSchema({"uniqueItems": True})
    ] = ()
    """Addresses on the site's network MetalLB hands to LoadBalancer Services (bare metal)."""

    def choice(self, need: str) -> str | Literal[False] | None:
        """The choice for a need by its stack-file name (``loadBalancers``)."""
        field = next(f for f, info in type(self).model_fields.items() if info.alias == need)
        value: str | Literal[False] | None = getattr(self, field)
        return value


class KubernetesClusterArgs(Spec):
    """A Kubernetes cluster nested on a resource pool."""

    name: Name
    """The cluster's name, unique in the environment; it names the cluster's cloud resources."""
    version: KubernetesVersion
    """The Kubernetes minor version, quoted (``"1.35"``); one the substrate offers in the catalog."""
    node_pools: tuple[NodePool, ...] = Field(min_length=1)
    """The cluster's node pools; together they draw ``max × machine`` from the pool's capacity."""
    control_plane: ControlPlane = ControlPlane()
    """The control plane where the pool pays for it (bare metal)."""
    api_endpoint: ApiEndpoint = ApiEndpoint()
    """Who may reach the API server; private by default."""
    tenants: tuple[Tenant, ...] = ()
    """The teams sharing the cluster."""
    frameworks: tuple[Annotated[Framework, BeforeValidator(_wrap_framework)], ...] = ()
    """Data frameworks run in a tenant's space, each ``{<kind>: {...}}``."""
    addons: Addons = Addons()
    """The paved road: each need's substrate default unless swapped or turned off here."""


class ResourcePoolArgs(Spec):
    """One site: network, identity, key and a capacity budget on one substrate."""

    name: Name
    """The pool's name, unique in the environment."""
    substrate: Annotated[Substrate, BeforeValidator(_wrap_substrate)]
    """Where the pool's machines come from; swap it and nothing else in the file changes."""
    capacity: Capacity | None = None
    """The pool's budget; required for a cloud pool. On bare metal it is the hosts' sum (may be omitted)."""
    clusters: tuple[KubernetesClusterArgs, ...] = ()
    """The Kubernetes clusters nested on the pool, drawing from its capacity."""


class EnvironmentArgs(Spec):
    """One environment: the whole content of a stack's ``environment`` key."""

    name: Name
    """The environment's name, unique across the platform's stacks (``eu-prod``)."""
    jurisdiction: Annotated[
        tuple[JurisdictionName, ...],
        BeforeValidator(
            _one_or_many,
            json_schema_input_type=JurisdictionName
            | Annotated[list[JurisdictionName], Field(min_length=1), JsonSchema({"uniqueItems": True})],
        ),
        AfterValidator(_at_least_one),
        AfterValidator(_unique),
    ]
    """Where the environment's resources may be: one catalog jurisdiction (``eu`` is the EU and
    EEA) or a list of them."""
    owner: Name
    """The team that owns the environment; stamped on every resource as a label."""
    pools: tuple[ResourcePoolArgs, ...] = Field(min_length=1)
    """The environment's resource pools (sites)."""
