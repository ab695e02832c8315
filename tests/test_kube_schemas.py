"""Every Kubernetes object Strata renders validates against the OpenAPI schema of its cluster's
Kubernetes version (``kubernetes-validate``, strict: no unknown fields), for every example stack
and for the tenancy variants below (bare metal with a Kata node pool, a virtual tenant on its own
version). The first invalid object fails the test, named with its field path.

Custom resources (MetalLB's address pool, the Gateway API class) are validated against their
CRD's schema at the version the paved road pins (``tests/crd_schemas/``, copied from the upstream
repositories with source and licence), made strict the same way: an object field the schema does
not list is an error."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from strata.catalog import load_catalog
from strata.offline import OfflineRun

from .conftest import plan_offline, stack_environment
from .kube_manifests import manifests


def kata_on_bare_metal() -> dict[str, Any]:
    env = stack_environment("fra-onprem")
    ml = env["pools"][0]["clusters"][1]
    ml["nodePools"][0]["runtime"] = "kata"
    ml["tenants"] = [
        {
            "name": "research",
            "isolation": "namespace",
            "runtime": "kata",
            "quota": {"cpu": 96, "memoryGib": 768},
            "dataClasses": ["internal"],
        },
        {"name": "labs", "isolation": "virtual", "version": "1.35", "quota": {"cpu": 8, "memoryGib": 32}},
    ]
    # The example's frameworks: research's stay, search's Elasticsearch moves into labs's virtual cluster.
    for f in ml["frameworks"]:
        for spec in f.values():
            if spec["tenant"] == "search":
                spec["tenant"] = "labs"
                spec.pop("dataClass", None)
    return env


VARIANTS = {name: (lambda n=name: stack_environment(n)) for name in ("eu-prod", "eu-prod-gcp", "fra-onprem")}
VARIANTS["fra-onprem-kata"] = kata_on_bare_metal


#: The example stacks' runs other tests share (conftest's session fixtures).
SHARED = {"eu-prod": "eu_prod_run", "eu-prod-gcp": "eu_prod_gcp_run", "fra-onprem": "fra_run"}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def rendered(request: pytest.FixtureRequest) -> tuple[dict[str, Any], OfflineRun]:
    env = VARIANTS[request.param]()
    if request.param in SHARED:
        return env, request.getfixturevalue(SHARED[request.param])
    return env, plan_offline(copy.deepcopy(env))


def versions(env: dict[str, Any]) -> dict[str, str]:
    """Each cluster's version by its provider's identifier, virtual clusters' included."""
    out = {}
    for p in env["pools"]:
        for c in p["clusters"]:
            out[f"strata/{env['name']}/{c['name']}"] = c["version"]
            for t in c.get("tenants", []):
                if t.get("isolation") == "virtual":
                    out[f"strata/{env['name']}/{c['name']}/{t['name']}"] = t.get("version") or c["version"]
    return out


CRD_SCHEMAS = Path(__file__).parent / "crd_schemas"
INVALID = (kubernetes_validate.ValidationError, jsonschema.ValidationError)


def strict(schema: Any) -> Any:
    """``schema`` with ``additionalProperties: false`` wherever it lists properties and says nothing
    of others (what ``kubernetes-validate``'s strict mode does for built-in kinds)."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


@cache
def custom_resource_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """``(apiVersion, kind)`` → the strict schema of the pinned CRD."""
    out = {}
    for path in sorted(CRD_SCHEMAS.glob("*.json")):
        doc = json.loads(path.read_text())
        schema = strict(doc["schema"])
        schema["properties"].update(
            {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}
        )
        out[(f"{doc['group']}/{doc['version']}", doc["kind"])] = schema
    return out


def validate(manifest: dict[str, Any], version: str) -> None:
    """Validate one object: a built-in kind with kubernetes-validate for ``version``, a custom
    resource with its pinned CRD's schema."""
    crd = custom_resource_schemas().get((manifest["apiVersion"], manifest["kind"]))
    if crd is None:
        kubernetes_validate.validate(manifest, version, strict=True)
        return
    error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(crd).iter_errors(manifest))
    if error is not None:
        raise error


def test_custom_resource_schemas_are_the_pinned_upstream_ones() -> None:
    """Each CRD schema names its source at the version the catalog pins, and the check can fail."""
    docs = {p.name: json.loads(p.read_text()) for p in CRD_SCHEMAS.glob("*.json")}
    metallb = load_catalog().paved_road.addons["metallb"].chart
    assert metallb is not None
    frameworks = load_catalog().frameworks
    assert {d["source"].split(",")[0] for d in docs.values()} == {
        f"metallb/metallb tag v{metallb.version}",
        "kubernetes-sigs/gateway-api tag v1.6.1",  # what Envoy Gateway v1.9.0's chart installs
        f"strimzi/strimzi-kafka-operator tag {frameworks['kafka'].chart.version}",
        f"apache/flink-kubernetes-operator tag release-{frameworks['flink'].chart.version}",
        f"elastic/cloud-on-k8s tag v{frameworks['elasticsearch'].chart.version}",
    }
    # Each framework's custom resource has its schema, under the licence the catalog records.
    by_kind = {(d["group"] + "/" + d["version"], d["kind"]): d["licence"] for d in docs.values()}
    for kind, f in frameworks.items():
        if kind != "spark":  # Strata renders no SparkApplication: teams submit their own
            assert by_kind[(f.api_version, f.resource_kind)] == f.chart.licence
    pool = {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool", "metadata": {"name": "p"}}
    validate({**pool, "spec": {"addresses": ["10.0.0.0/28"]}}, "1.36")
    for bad in ({"spec": {}}, {"spec": {"addresses": ["10.0.0.0/28"], "adresses": []}}, {"spec": {"addresses": "x"}}):
        with pytest.raises(INVALID):
            validate({**pool, **bad}, "1.36")


def test_every_rendered_object_validates_against_its_clusters_version(
    rendered: tuple[dict[str, Any], OfflineRun],
) -> None:
    env, run = rendered
    by_cluster = versions(env)
    objects = manifests(run)
    assert objects, "the stack renders no Kubernetes object"
    for r, manifest, identifier in objects:
        version = by_cluster[identifier]
        try:
            validate(manifest, version)
        except INVALID as err:
            path = ".".join(str(p) for p in err.path)
            pytest.fail(f"{r.type} {r.name} on Kubernetes {version}: {path}: {err.message}")


def test_the_validator_refuses_what_the_cluster_would() -> None:
    """The check can fail: a field the schema does not know, and a required field missing."""
    quota = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"}, "spec": {"hard": {"cpu": "1"}}}
    kubernetes_validate.validate(quota, "1.36", strict=True)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate({**quota, "spec": {"hard": {"cpu": "1"}, "hardd": {}}}, "1.36", strict=True)
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": "b"},
        "spec": {"validationActions": ["Deny"]},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(binding, "1.36", strict=True)
