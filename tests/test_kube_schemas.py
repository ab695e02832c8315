"""Every Kubernetes object Strata renders validates against the OpenAPI schema of its cluster's
Kubernetes version (``kubernetes-validate``, strict: no unknown fields), for every example stack
and for the tenancy variants below (bare metal with a Kata node pool, a virtual tenant on its own
version). The first invalid object fails the test, named with its field path."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import pytest

from strata.offline import OfflineRun

from .conftest import plan_offline, stack_environment
from .kube_manifests import manifests


def kata_on_bare_metal() -> dict[str, Any]:
    env = stack_environment("fra-onprem")
    ml = env["pools"][0]["clusters"][1]
    ml["nodePools"][0]["runtime"] = "kata"
    ml["tenants"] = [
        {"name": "research", "isolation": "namespace", "runtime": "kata", "quota": {"cpu": 96, "memoryGib": 768}},
        {"name": "labs", "isolation": "virtual", "version": "1.35", "quota": {"cpu": 8, "memoryGib": 32}},
    ]
    return env


VARIANTS = {name: (lambda n=name: stack_environment(n)) for name in ("eu-prod", "eu-prod-gcp", "fra-onprem")}
VARIANTS["fra-onprem-kata"] = kata_on_bare_metal


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def rendered(request: pytest.FixtureRequest) -> tuple[dict[str, Any], OfflineRun]:
    env = VARIANTS[request.param]()
    return env, plan_offline(copy.deepcopy(env))


def versions(env: dict[str, Any]) -> dict[str, str]:
    return {f"strata/{env['name']}/{c['name']}": c["version"] for p in env["pools"] for c in p["clusters"]}


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
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as err:
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
