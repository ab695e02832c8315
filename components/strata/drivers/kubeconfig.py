"""The kubeconfig document every driver hands out: exec-based auth, never static credentials."""

from __future__ import annotations

import json
from typing import Any


def exec_kubeconfig(cluster_name: str, server: str, ca_data: str | None, exec_spec: dict[str, Any]) -> str:
    """A one-cluster kubeconfig whose user runs ``exec_spec`` (a client-go credential plugin)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster_name, "cluster": {"server": server, "certificate-authority-data": ca_data}}],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "interactiveMode": "Never",
                            **exec_spec,
                        }
                    },
                }
            ],
        }
    )
