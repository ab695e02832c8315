"""The provider-neutral declarations: what a platform team asks for.

These pydantic models are the stack-config contract of DESIGN.md (camelCase in the file, snake_case
in Python) and the typed Python API team repos use. They are frozen; they import nothing of Pulumi.
Checks that need only one field (a name's syntax, a region the catalog knows) live here; checks
across the tree (duplicate names, references, capacity) live in :mod:`strata.declarations.checks`.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import socket
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from strata.catalog import load_catalog

_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
NAME_MAX = 30


def _dns_label(value: str) -> str:
    if not _DNS_LABEL.fullmatch(value) or len(value) > NAME_MAX:
        raise ValueError(
            f"must be a DNS label: lowercase letters, digits and '-', starting with a letter, "
            f"not ending with '-', at most {NAME_MAX} characters"
        )
    return value


def _suggest(value: str, known: list[str]) -> str:
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
        raise ValueError(f"not a jurisdiction in the catalog; allowed: {', '.join(known)}{_suggest(value, known)}")
    return value


def _version_string(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f'must be a quoted string such as "1.35" (YAML reads an unquoted {value} as a number)')
    return value


def _version_format(value: str) -> str:
    if not re.fullmatch(r"1\.\d{1,3}", value):
        raise ValueError('must be a Kubernetes minor version such as "1.35"')
    return value


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"must be a CIDR block such as 203.0.113.0/24 ({exc})") from None
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
Count = Annotated[int, Strict(), AfterValidator(_int32)]
Amount = Annotated[float, Strict(), AfterValidator(_int32)]
Flag = Annotated[bool, Strict()]

Name = Annotated[str, AfterValidator(_dns_label)]
DataClassName = Annotated[str, AfterValidator(_known_data_class)]
JurisdictionName = Annotated[str, AfterValidator(_known_jurisdiction)]
KubernetesVersion = Annotated[str, BeforeValidator(_version_string), AfterValidator(_version_format)]
Cidr = Annotated[str, AfterValidator(_cidr)]


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
    )


class OneOf(Spec):
    """A mapping that holds exactly one of its keys (``{aws: ...}``, ``{kafka: ...}``)."""

    #: Python field name → the key as spelled in the stack file.
    _choices: ClassVar[dict[str, str]] = {}

    @model_validator(mode="after")
    def _exactly_one(self) -> OneOf:
        given = [alias for field, alias in self._choices.items() if getattr(self, field) is not None]
        if len(given) != 1:
            got = ", ".join(given) if given else "none"
            raise ValueError(f"must hold exactly one of {', '.join(self._choices.values())}; got {got}")
        return self

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

    region: Annotated[str, AfterValidator(lambda v: _check_region("aws", v))]
    zones: Count = Field(3, ge=1, le=6)


class GcpSubstrate(Spec):
    """A GCP project, region, and how many of the region's zones the pool spans."""

    project: Annotated[str, Field(pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")]
    region: Annotated[str, AfterValidator(lambda v: _check_region("gcp", v))]
    zones: Count = Field(3, ge=1, le=4)


def _check_region(kind: str, region: str) -> str:
    known = sorted(load_catalog().regions[kind])
    if region not in known:
        article = "an" if kind == "aws" else "a"
        raise ValueError(f"not {article} {kind.upper()} region in the catalog{_suggest(region, known)}")
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


HostAddress = Annotated[str, Strict(), AfterValidator(_host_address)]


def url_host(address: str) -> str:
    """A host address as it stands in a URL: an IPv6 address in brackets."""
    return f"[{address}]" if ":" in address else address


class Host(Spec):
    """One bare-metal host of a site's inventory."""

    name: Name
    #: An IP address or DNS name, stored in canonical form (see :func:`_host_address`).
    address: HostAddress
    vcpus: Count = Field(gt=0)
    memory_gib: Amount = Field(gt=0)
    gpus: Count = Field(0, ge=0)


class SshAccess(Spec):
    """How Strata reaches the hosts. The private key is never in the file: it is read from the
    stack's secret config key ``privateKeySecret`` (``pulumi config set --secret sshPrivateKey``)."""

    #: A POSIX user name (what ``useradd`` takes): it reaches the host's SSH server as is.
    user: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_-]{0,31}$")]
    port: Count = Field(22, ge=1, le=65535)
    private_key_secret: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")] = "sshPrivateKey"


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


_URL = re.compile(r"https?://(\[[^\]/]*\]|[^:/\[\]]*)(?::([0-9]{1,5}))?(/[A-Za-z0-9._~%/@+-]*)?")
_REGISTRY = re.compile(r"(\[[^\]/]*\]|[^:/\[\]]*)(?::([0-9]{1,5}))?((?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)")


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

    registry: Annotated[str, Strict(), AfterValidator(_registry)]
    artifacts: Annotated[str, AfterValidator(_url)]


class BareMetalSubstrate(Spec):
    """A company's own site: a country and an inventory of hosts reachable over SSH.

    The order of ``hosts`` is the assignment's memory: hosts are handed to clusters in this order,
    so add new hosts at the end and no host already assigned moves."""

    site: Name
    country: str = Field(pattern=r"^[A-Z]{2}$")
    hosts: tuple[Host, ...] = Field(min_length=1)
    ssh: SshAccess
    airgap: AirGap | None = None


class Substrate(OneOf):
    """Where machines come from: exactly one of ``aws``, ``gcp``, ``bareMetal``."""

    _choices: ClassVar[dict[str, str]] = {"aws": "aws", "gcp": "gcp", "bare_metal": "bareMetal"}
    aws: AwsSubstrate | None = None
    gcp: GcpSubstrate | None = None
    bare_metal: BareMetalSubstrate | None = None

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
    memory_gib: Amount = Field(ge=0)
    gpus: Count = Field(0, ge=0)


class Machine(Spec):
    """A machine shape; the planner picks the cheapest catalog type that satisfies it."""

    vcpus: Count = Field(gt=0)
    memory_gib: Amount = Field(gt=0)
    gpus: Count = Field(0, ge=0)


class NodePool(Spec):
    """A group of identical nodes that autoscales between ``min`` and ``max``."""

    name: Name
    machine: Machine
    # ``max`` is declared before ``min`` so that the bound check can name ``min`` in its path.
    max: Count = Field(gt=0)
    min: Count = Field(ge=0)

    @field_validator("min")
    @classmethod
    def _bounds(cls, value: int, info: ValidationInfo) -> int:
        upper = info.data.get("max")
        if upper is not None and value > upper:
            raise ValueError(f"must not exceed max ({upper})")
        return value


# ---------------------------------------------------------------- tenants and frameworks


class Quota(Spec):
    cpu: Amount = Field(gt=0)
    memory_gib: Amount = Field(gt=0)


class Tenant(Spec):
    """A team's slice of a cluster, at one of three isolation levels."""

    name: Name
    isolation: Literal["namespace", "virtual", "dedicated"] = "namespace"
    runtime: Literal["default", "gvisor", "kata"] = "default"
    groups: tuple[str, ...] = ()
    data_classes: tuple[DataClassName, ...] = ()
    quota: Quota | None = None


class FrameworkSpec(Spec):
    """What every framework shares: a name, the tenant it runs for, the data class it holds."""

    name: Name
    tenant: Name
    data_class: DataClassName | None = None


class KafkaSpec(FrameworkSpec):
    brokers: Count = Field(3, ge=1)
    storage_gib: Count = Field(100, gt=0)


class SparkSpec(FrameworkSpec):
    pass


class FlinkSpec(FrameworkSpec):
    pass


class ElasticsearchSpec(FrameworkSpec):
    nodes: Count = Field(3, ge=1)
    storage_gib: Count = Field(100, gt=0)


FRAMEWORK_KINDS = ("kafka", "spark", "flink", "elasticsearch")


class Framework(OneOf):
    """Exactly one of ``kafka``, ``spark``, ``flink``, ``elasticsearch``."""

    _choices: ClassVar[dict[str, str]] = {k: k for k in FRAMEWORK_KINDS}
    kafka: KafkaSpec | None = None
    spark: SparkSpec | None = None
    flink: FlinkSpec | None = None
    elasticsearch: ElasticsearchSpec | None = None

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

    @property
    def public(self) -> bool:
        return bool(self.public_access_cidrs)


class ControlPlane(Spec):
    """The control plane where the pool pays for it (bare metal). ``ha`` runs three servers with
    embedded etcd; unset, a cluster is HA when its node pools take more than three hosts."""

    ha: Flag | None = None


class KubernetesClusterArgs(Spec):
    """A Kubernetes cluster nested on a resource pool."""

    name: Name
    version: KubernetesVersion
    node_pools: tuple[NodePool, ...] = Field(min_length=1)
    control_plane: ControlPlane = ControlPlane()
    api_endpoint: ApiEndpoint = ApiEndpoint()
    tenants: tuple[Tenant, ...] = ()
    frameworks: tuple[Annotated[Framework, BeforeValidator(_wrap_framework)], ...] = ()


class ResourcePoolArgs(Spec):
    """One site: network, identity, key and a capacity budget on one substrate."""

    name: Name
    substrate: Annotated[Substrate, BeforeValidator(_wrap_substrate)]
    capacity: Capacity | None = None
    clusters: tuple[KubernetesClusterArgs, ...] = ()


class EnvironmentArgs(Spec):
    """One environment: the whole content of a stack's ``environment`` key."""

    name: Name
    jurisdiction: Annotated[tuple[JurisdictionName, ...], BeforeValidator(_one_or_many), Field(min_length=1)]
    owner: Name
    pools: tuple[ResourcePoolArgs, ...] = Field(min_length=1)
