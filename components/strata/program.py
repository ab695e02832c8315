"""The Pulumi program: read the stack's ``environment`` key and build it.

``pulumi up -s eu-prod`` runs this through the repository's ``__main__.py``; ``strata plan`` runs
the very same function under Pulumi's mocks. There is no code path for offline use only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from strata.declarations.stackfile import environment_value, find_environment_key
from strata.environment import Environment


def environment_config() -> tuple[str, Any]:
    """The stack's environment config key and its decoded value."""
    config: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    key = find_environment_key(config, "stack config")
    return key, environment_value(config, key, "stack config")


def main(today: dt.date | None = None) -> Environment:
    """Build the environment of the current stack and export what operators need."""
    _, data = environment_config()
    name = data.get("name") if isinstance(data, dict) else None
    name = name if isinstance(name, str) else "environment"
    env = Environment(name, data, today=today)
    pulumi.export("environment", env.args.name)
    for pname, pool in env.pools.items():
        for key, value in pool.exports.items():
            pulumi.export(f"{pname}.{key}", value)
        for cname, cluster in pool.clusters.items():
            pulumi.export(f"{cname}.endpoint", cluster.endpoint)
            pulumi.export(f"{cname}.kubeconfig", cluster.kubeconfig)
            pulumi.export(f"{cname}.facts", cluster.published_facts())
            for fname, framework in cluster.frameworks.items():  # addresses and secret names
                pulumi.export(f"{cname}.{fname}", framework.outputs)
            for tname, tenant in cluster.tenants.items():
                if tenant.virtual is not None:  # a virtual tenant's own cluster (a secret)
                    pulumi.export(f"{cname}.{tname}.kubeconfig", tenant.virtual.kubeconfig)
    return env
