"""The names Strata gives what the drivers build, derived from the declaration alone.

Every resource a driver registers is named here: its Pulumi resource name (the last part of its
URN, and the stem Pulumi auto-names the physical resource from) and, where Strata sets it, its
physical name. Validation reads the same functions to reject, before anything is registered, a
declaration whose names a provider would refuse (too long with Pulumi's random suffix, bad
characters) or that two resources would share; the drivers read them to name what they build, and
a test holds the two to each other on every example stack.

Pure: no Pulumi, no SDK. Provider limits are catalog data (``catalog/data/limits.yaml``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from strata.catalog import Catalog, load_catalog
from strata.declarations.errors import Problem
from strata.paved_road import cluster_addons
from strata.planner import ClusterPlan, EnvironmentPlan, PoolPlan

#: The AWS managed policies every node role holds.
AWS_NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")
#: The project roles a GKE node service account holds.
GCP_NODE_ROLES = ("roles/container.defaultNodeServiceAccount", "roles/artifactregistry.reader")


@dataclass(frozen=True)
class DerivedName:
    """One resource's name and where in the declaration it comes from."""

    type: str
    #: The Pulumi resource name; Pulumi auto-names the physical resource from it unless ``physical``.
    logical: str
    #: The physical name Strata sets itself, if it sets one.
    physical: str | None
    #: The declaration path of the name this one is built from (``pools[0].clusters[1].name``).
    field: str
    #: The value at ``field``.
    value: str


def node_pool(cluster: str, pool: str) -> str:
    """A node pool's resource name: its cluster's and its own."""
    return f"{cluster}-{pool}"


def kms_alias(environment: str, pool: str) -> str:
    """The AWS KMS alias of a pool's key: readable, and unique per environment and pool."""
    return f"alias/strata/{environment}/{pool}"


def stable_cluster_id(environment: str, cluster: str) -> str:
    """A cluster's id that is known before it exists and unique in an account: what Strata gives
    controllers as the cluster's name where the provider's generated name would be unknown until
    apply (the load balancer controller's ``clusterName``, the autoscaler's discovery tag)."""
    return f"{environment}-{cluster}"


def cache_prefix(environment: str, pool: str) -> str:
    """The repository prefix of a pool's image caches (AWS ECR pull-through rules, GCP Artifact
    Registry remote repositories): readable, unique per environment and pool in an account or
    project, and short enough for ECR's 30-character prefixes with ``/<registry>`` after it."""
    digest = hashlib.sha256(f"{environment}/{pool}".encode()).hexdigest()[:6]
    return f"{pool[:12].rstrip('-')}-{digest}"


def gcp_node_account_id(environment: str, pool: str) -> str:
    """The service account id of a GCP pool's nodes (6-30 characters, ``[a-z][-a-z0-9]*[a-z0-9]``).

    The pool's name (cut to 16 characters) keeps it readable; a digest of environment and pool
    keeps it unique in the project, also between two environments that share one GCP project."""
    digest = hashlib.sha256(f"{environment}/{pool}".encode()).hexdigest()[:6]
    return f"{pool[:16].rstrip('-')}-nodes-{digest}"


def pool_names(plan: PoolPlan, environment: str, path: str) -> list[DerivedName]:
    """What a pool's driver builds for the pool itself."""
    name, field = plan.name, f"{path}.name"
    catalog = load_catalog()
    chosen = {a.name for c in plan.clusters for a in cluster_addons(catalog, plan, c)}
    caches = catalog.paved_road.caches.get(plan.substrate, {}).values()

    def named(type_: str, *logical: str, physical: str | None = None) -> Iterator[DerivedName]:
        for n in logical:
            yield DerivedName(type_, n, physical, field, name)

    out: list[DerivedName] = []
    if plan.substrate == "aws":
        zones = range(plan.spec.substrate.zones)
        out += named("aws:ec2/vpc:Vpc", f"{name}-vpc")
        out += named("aws:ec2/internetGateway:InternetGateway", f"{name}-igw")
        out += named("aws:ec2/routeTable:RouteTable", f"{name}-public", *(f"{name}-private-{i}" for i in zones))
        out += named("aws:ec2/subnet:Subnet", *(f"{name}-{side}-{i}" for side in ("public", "private") for i in zones))
        out += named(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            *(f"{name}-{side}-{i}" for side in ("public", "private") for i in zones),
        )
        out += named("aws:ec2/eip:Eip", *(f"{name}-nat-{i}" for i in zones))
        out += named("aws:ec2/natGateway:NatGateway", *(f"{name}-nat-{i}" for i in zones))
        out += named("aws:kms/key:Key", f"{name}-key")
        out += named("aws:kms/alias:Alias", f"{name}-key", physical=kms_alias(environment, name))
        out += named("aws:iam/role:Role", f"{name}-eks-cluster", f"{name}-eks-node", f"{name}-eks-admin")
        out += named(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            f"{name}-eks-cluster",
            *(f"{name}-eks-node-{p}" for p in AWS_NODE_POLICIES),
        )
        if "ecr-pull-through-cache" in chosen:
            out += named("aws:ecr/pullThroughCacheRule:PullThroughCacheRule", *(f"{name}-cache-{c}" for c in caches))
            out += named("aws:iam/rolePolicy:RolePolicy", f"{name}-eks-node-pull-through")
    elif plan.substrate == "gcp":
        out += named("gcp:compute/network:Network", f"{name}-vpc")
        out += named("gcp:compute/subnetwork:Subnetwork", f"{name}-nodes")
        out += named("gcp:compute/router:Router", f"{name}-router")
        out += named("gcp:compute/routerNat:RouterNat", f"{name}-nat")
        out += named("gcp:kms/keyRing:KeyRing", f"{name}-keys")
        out += named("gcp:kms/cryptoKey:CryptoKey", f"{name}-key")
        out += named("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", f"{name}-key-gke")
        out += named(
            "gcp:serviceaccount/account:Account", f"{name}-nodes", physical=gcp_node_account_id(environment, name)
        )
        out += named("gcp:projects/iAMMember:IAMMember", *(f"{name}-nodes-{r.split('/')[-1]}" for r in GCP_NODE_ROLES))
        if "pd-csi" in chosen:
            out += named("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", f"{name}-key-disks")
        if "artifact-registry-remote" in chosen:
            prefix = cache_prefix(environment, name)
            for c in caches:
                out += named(
                    "gcp:artifactregistry/repository:Repository", f"{name}-cache-{c}", physical=f"{prefix}-{c}"
                )
    return out


def cluster_names(plan: ClusterPlan, pool: PoolPlan, path: str) -> list[DerivedName]:
    """What a cluster's driver (and the cluster component) builds for one cluster."""
    c, field = plan.name, f"{path}.name"
    substrate = pool.substrate
    addons = cluster_addons(load_catalog(), pool, plan)

    def named(type_: str, *logical: str) -> list[DerivedName]:
        return [DerivedName(type_, n, None, field, c) for n in logical]

    out = named("pulumi:providers:kubernetes", f"{c}-k8s")

    def per_node_pool(*types: str) -> None:
        for k, np in enumerate(plan.node_pools):
            for t in types:
                out.append(DerivedName(t, node_pool(c, np.name), None, f"{path}.nodePools[{k}].name", np.name))

    if substrate == "aws":
        out += named("aws:eks/cluster:Cluster", f"{c}-eks")
        out += named("aws:eks/accessEntry:AccessEntry", f"{c}-admin")
        out += named("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", f"{c}-admin")
        out += named("aws:iam/openIdConnectProvider:OpenIdConnectProvider", f"{c}-oidc")
        out += named("aws:eks/addon:Addon", f"{c}-vpc-cni")
        per_node_pool("aws:ec2/launchTemplate:LaunchTemplate", "aws:eks/nodeGroup:NodeGroup")
        if any(a.name == "cluster-autoscaler" for a in addons):
            for k, np in enumerate(plan.node_pools):
                out.append(
                    DerivedName(
                        "aws:autoscaling/tag:Tag",
                        f"{node_pool(c, np.name)}-autoscaler",
                        None,
                        f"{path}.nodePools[{k}].name",
                        np.name,
                    )
                )
        identities = [a for a in addons if a.addon.identity]
        if identities:
            out += named("aws:eks/addon:Addon", f"{c}-pod-identity-agent")
        policies = load_catalog().paved_road.aws_policies
        for a in identities:
            short = f"{c}-{policies[a.name]['name']}"
            out += named("aws:iam/role:Role", short)
            out += named("aws:iam/rolePolicy:RolePolicy", short)
            out += named(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                *(f"{short}-{m.rsplit('/', 1)[-1]}" for m in policies[a.name].get("managed", ())),
            )
            if a.install == "driver":
                out += named("aws:eks/addon:Addon", short)
            else:
                out += named("aws:eks/podIdentityAssociation:PodIdentityAssociation", short)
    elif substrate == "gcp":
        out += named("gcp:container/cluster:Cluster", f"{c}-gke")
        per_node_pool("gcp:container/nodePool:NodePool")
    elif substrate == "bareMetal":
        agents = [h for np in plan.node_pools for h in np.hosts]
        out += named("random:index/randomPassword:RandomPassword", f"{c}-join-token")
        out += named(
            "command:remote:Command",
            f"{c}-kubeconfig",
            *(f"{c}-server-{h}" for h in plan.servers),
            *(f"{c}-agent-{h}" for h in agents),
            *(f"{c}-drain-{h}" for h in agents),
        )
    return out


def environment_names(plan: EnvironmentPlan) -> list[DerivedName]:
    """Every name the environment's drivers derive, in declaration order (of the pools and
    clusters that could be planned)."""
    out: list[DerivedName] = []
    for path, pool in plan.pool_paths():
        out += pool_names(pool, plan.name, path)
        for cpath, cluster in pool.cluster_paths(path):
            out += cluster_names(cluster, pool, cpath)
    return out


def name_problems(plan: EnvironmentPlan, catalog: Catalog) -> list[Problem]:
    """Names a provider would refuse, and names two resources would share (one URN for two
    resources is an error in the engine; one physical name, a conflict in the cloud)."""
    problems: list[Problem] = []
    suffix = catalog.autoname_suffix
    first: dict[tuple[str, str], DerivedName] = {}
    for n in environment_names(plan):
        keys = [(n.type, n.logical)] + ([(f"{n.type} (physical)", n.physical)] if n.physical else [])
        for key in keys:
            seen = first.setdefault(key, n)
            if seen is not n and seen.field != n.field:
                problems.append(
                    Problem(
                        n.field,
                        f"derives the {n.type} name {key[1]!r}, which {seen.field} ({seen.value!r}) derives too; "
                        "rename one of them",
                        n.value,
                    )
                )
                break
        rule = catalog.name_rules.get(n.type)
        if rule is None:
            continue
        if n.physical is not None:
            name, length, sample = n.physical, len(n.physical), n.physical
            what = f"the {n.type} name {name!r} Strata derives from it"
        else:
            name, length, sample = n.logical, len(n.logical) + suffix, n.logical + "-0123abc"[:suffix]
            what = f"the {n.type} name Strata derives from it, {name!r} plus Pulumi's {suffix}-character random suffix,"
        if not rule.min <= length <= rule.max:
            problems.append(
                Problem(
                    n.field,
                    f"{what} is {length} characters; the provider takes {rule.min} to {rule.max}: "
                    "shorten this name (or the name it is joined to)",
                    n.value,
                )
            )
        elif not re.fullmatch(rule.pattern, sample):
            problems.append(Problem(n.field, f"{what} does not match {rule.pattern} as the provider requires", n.value))
    return _unique(problems)


def _unique(problems: list[Problem]) -> list[Problem]:
    """One problem per field and message: a name used by several resources of a pool is one problem."""
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            out.append(p)
    return out
