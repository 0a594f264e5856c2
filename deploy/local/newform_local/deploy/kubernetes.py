"""deploy/k8s/*.yaml: every manifest, assembled file by file."""

from __future__ import annotations

from typing import Any

from newform_common import registry

from .kafka import kafka_users, strimzi
from .names import IMAGE, NAMESPACE
from .network import ingress, network_policies
from .postgres import postgres
from .workloads import config_map, deployment, limit_range, migrate_job


def kubernetes(services: list[registry.ServiceSpec], version: str) -> dict[str, list[dict[str, Any]]]:
    files = {
        "namespace.yaml": [
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": NAMESPACE, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}},
            },
            limit_range(),
        ],
        "config.yaml": [config_map()],
        "migrate-job.yaml": [migrate_job(services, version)],
        "postgres.yaml": postgres(services),
        "kafka-users.yaml": kafka_users(services),
        "network-policies.yaml": network_policies(services),
        "ingress.yaml": [ingress(services)],
    }
    for spec in services:
        files[f"{spec.name}.yaml"] = deployment(spec, services)
    files["kustomization.yaml"] = [
        {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "namespace": NAMESPACE,
            "resources": sorted(f for f in files if f != "kustomization.yaml"),
            "images": [{"name": IMAGE, "newName": "registry.example.invalid/newform", "newTag": version}],
        }
    ]
    files["strimzi/kafka.yaml"] = strimzi(services)
    return files
