"""The services' workloads in Kubernetes: a Deployment (with its Service, budget and autoscaler) per
service, the migration Job, the shared config, the namespace's limits; the secrets each mounts."""

from __future__ import annotations

from typing import Any

from newform_common import registry

from .names import (
    DASHBOARD_CLIENT_SECRET,
    DATABASE_PASSWORD,
    DOMAIN,
    IMAGE,
    KAFKA_BOOTSTRAP,
    OIDC_AUDIENCE,
    OIDC_ISSUER,
    UID,
    database_secret,
    database_url,
    kafka_user_name,
    labels_of,
    secret_file,
    service_secrets,
    service_url_env,
    uvicorn_command,
)

POD_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": UID,
    "runAsGroup": UID,
    "fsGroup": UID,
    "seccompProfile": {"type": "RuntimeDefault"},
}


CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}


def keys_volume(
    spec_secrets: list[str], spec: registry.ServiceSpec | None = None, *, kafka: bool = True, name: str = "keys"
) -> dict[str, Any]:
    """Only the secrets this workload needs, readable by its user, projected into one folder: its
    items of the `newform-keys` Secret; with a service, its database role's password
    (`newform-db-<service>`), and its Kafka user's password and the Kafka cluster's CA certificate."""
    sources: list[dict[str, Any]] = [
        {
            "secret": {
                "name": "newform-keys",
                "items": [
                    {"key": secret_file(n), "path": secret_file(n)} for n in spec_secrets if n != DATABASE_PASSWORD
                ],
            }
        }
    ]
    if spec is not None:
        sources.append(
            {
                "secret": {
                    "name": database_secret(spec),
                    "items": [{"key": "password", "path": secret_file(DATABASE_PASSWORD)}],
                }
            }
        )
        if kafka:
            sources.append(
                {"secret": {"name": kafka_user_name(spec), "items": [{"key": "password", "path": "kafka-password"}]}}
            )
            sources.append(
                {"secret": {"name": "newform-kafka-ca", "items": [{"key": "ca.crt", "path": "kafka-ca.crt"}]}}
            )
    sources = [src for src in sources if src["secret"]["items"]]
    return {"name": name, "projected": {"defaultMode": 0o400, "sources": sources}}


#: The gateway's dashboard client secret; optional: only a realm that makes that client confidential gives one.
DASHBOARD_SECRET_SOURCE = {
    "secret": {
        "name": DASHBOARD_CLIENT_SECRET,
        "optional": True,
        "items": [{"key": "client-secret", "path": "dashboard-client-secret"}],
    }
}


def file_env(spec_secrets: list[str]) -> list[dict[str, str]]:
    return [{"name": f"{n}_FILE", "value": f"/keys/{secret_file(n)}"} for n in spec_secrets]


def kafka_env(spec: registry.ServiceSpec) -> list[dict[str, str]]:
    """How a service authenticates to Kafka: SCRAM-SHA-512 over TLS as its own user (aiokafka's
    security_protocol, sasl_mechanism, sasl_plain_username/password, and the cluster CA for TLS)."""
    return [
        {"name": "KAFKA_SECURITY_PROTOCOL", "value": "SASL_SSL"},
        {"name": "KAFKA_SASL_MECHANISM", "value": "SCRAM-SHA-512"},
        {"name": "KAFKA_SASL_USERNAME", "value": kafka_user_name(spec)},
        {"name": "KAFKA_SASL_PASSWORD_FILE", "value": "/keys/kafka-password"},
        {"name": "KAFKA_SSL_CAFILE", "value": "/keys/kafka-ca.crt"},
    ]


# Requests what a replica needs at rest; limits what one may take under load (memory: the OOM line).
SERVICE_RESOURCES = {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}


JOB_RESOURCES = {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}


# Autoscaling: at least the Deployment's 2 (the budget keeps 1 through a drain), on CPU.
HPA_MAX = {"gateway": 10, "wages": 8}


HPA_DEFAULT_MAX = 6


HPA_CPU_PERCENT = 70


def gateway_env(services: list[registry.ServiceSpec]) -> list[dict[str, str]]:
    """The gateway's own: where its pass-through reaches each service (the Service's port 80), and
    the dashboard's client secret file (read only if the optional Secret is there)."""
    urls = service_url_env(services, lambda _spec: 80)
    return [
        *({"name": k, "value": v} for k, v in urls.items()),
        {"name": "DASHBOARD_CLIENT_SECRET_FILE", "value": "/keys/dashboard-client-secret"},
    ]


def deployment(spec: registry.ServiceSpec, services: list[registry.ServiceSpec]) -> list[dict[str, Any]]:
    """A service's Deployment, Service, PodDisruptionBudget and HorizontalPodAutoscaler.

    Long because it is a literal document: the Deployment, its PodDisruptionBudget, Service and autoscaler."""
    labels = labels_of(spec.name)
    secrets = service_secrets(spec)
    container = {
        "name": spec.name,
        "image": IMAGE,
        "command": uvicorn_command(spec),
        "ports": [{"containerPort": spec.port, "name": "http"}],
        "envFrom": [{"configMapRef": {"name": "newform-config"}}],
        "env": [
            {"name": "PORT", "value": str(spec.port)},
            {"name": f"{spec.name.upper()}_DATABASE_URL", "value": database_url(spec)},
            *file_env(secrets),
            *kafka_env(spec),
            *(gateway_env(services) if spec.name == "gateway" else []),
        ],
        "startupProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 2, "failureThreshold": 60},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 5},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10, "failureThreshold": 6},
        "resources": SERVICE_RESOURCES,
        "securityContext": CONTAINER_SECURITY,
        "volumeMounts": [
            {"name": "keys", "mountPath": "/keys", "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    keys = keys_volume(secrets, spec)
    if spec.name == "gateway":
        keys["projected"]["sources"].append(DASHBOARD_SECRET_SOURCE)
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": spec.name, "labels": labels},
            "spec": {
                # Two at least, spread over nodes: the outbox relay and consumers are safe with several.
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
                "template": {
                    "metadata": {
                        "labels": labels,
                        "annotations": {
                            "prometheus.io/scrape": "true",
                            "prometheus.io/port": str(spec.port),
                            "prometheus.io/path": "/metrics",
                        },
                    },
                    "spec": {
                        "securityContext": POD_SECURITY,
                        "automountServiceAccountToken": False,
                        "restartPolicy": "Always",
                        "topologySpreadConstraints": [
                            {
                                "maxSkew": 1,
                                "topologyKey": "kubernetes.io/hostname",
                                "whenUnsatisfiable": "ScheduleAnyway",
                                "labelSelector": {"matchLabels": labels},
                            }
                        ],
                        "containers": [container],
                        "volumes": [keys, {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
                    },
                },
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": spec.name, "labels": labels},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": labels}},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": spec.name, "labels": labels},
            "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": "http", "name": "http"}]},
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": spec.name, "labels": labels},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name},
                "minReplicas": 2,
                "maxReplicas": HPA_MAX.get(spec.name, HPA_DEFAULT_MAX),
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": HPA_CPU_PERCENT},
                        },
                    }
                ],
                # Scale down slowly: consumer-group rebalances cost more than an idle replica.
                "behavior": {
                    "scaleDown": {
                        "stabilizationWindowSeconds": 300,
                        "policies": [{"type": "Pods", "value": 1, "periodSeconds": 120}],
                    }
                },
            },
        },
    ]


def migrate_job(services: list[registry.ServiceSpec], version: str) -> dict[str, Any]:
    # The version in the name: `kubectl apply` of a new release creates a new Job (a Job's template
    # cannot be changed in place), and a finished Job is removed after an hour so re-applying the
    # same release later runs the (idempotent) migrations again instead of failing.
    # One container per service, each as the service's own role on its own database (CloudNativePG
    # creates the databases and roles; a role cannot create databases, nor reach another's).
    labels = labels_of("newform-migrate")
    containers, volumes = [], []
    for spec in services:
        containers.append(
            {
                "name": f"migrate-{spec.name}",
                "image": IMAGE,
                "command": ["newform", "migrate", spec.name],
                "envFrom": [{"configMapRef": {"name": "newform-config"}}],
                "env": [
                    {"name": f"{spec.name.upper()}_DATABASE_URL", "value": database_url(spec)},
                    *file_env([DATABASE_PASSWORD]),
                ],
                "resources": JOB_RESOURCES,
                "securityContext": CONTAINER_SECURITY,
                "volumeMounts": [{"name": f"keys-{spec.name}", "mountPath": "/keys", "readOnly": True}],
            }
        )
        volumes.append(keys_volume([DATABASE_PASSWORD], spec, kafka=False, name=f"keys-{spec.name}"))
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": f"newform-migrate-{version.replace('.', '-')}", "labels": labels},
        "spec": {
            "backoffLimit": 3,
            "ttlSecondsAfterFinished": 3600,
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "restartPolicy": "OnFailure",
                    "securityContext": POD_SECURITY,
                    "automountServiceAccountToken": False,
                    "containers": containers,
                    "volumes": volumes,
                },
            },
        },
    }


def config_map() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "newform-config"},
        "data": {
            # Each service's own database URL (role and database `newform_<service>` on the CloudNativePG
            # cluster) is in its Deployment; the password is its role's Secret (DATABASE_PASSWORD_FILE).
            # The Strimzi-managed cluster of strimzi/kafka.yaml (3 brokers, replication 3, min ISR 2), TLS listener.
            "KAFKA_BOOTSTRAP_SERVERS": KAFKA_BOOTSTRAP,
            "LOG_LEVEL": "INFO",
            # The identity provider every service trusts and the gateway signs workers and officers in
            # with (see CONFIG_NOTES); the app's address, linked from every service's front page.
            "OIDC_ISSUERS": OIDC_ISSUER,
            "OIDC_AUDIENCE": OIDC_AUDIENCE,
            "WORKER_APP_URL": f"https://{DOMAIN}/app/",
        },
    }


#: Comments written above a key of config.yaml: what an operator must change there.
CONFIG_NOTES = {
    "OIDC_ISSUERS": "A placeholder on the deployment's domain: production sets the province's unified identity "
    "service (its issuer URL exactly as its tokens' `iss`; several: comma-separated). The first is the one "
    "people sign in with; every service fetches its discovery document and keys over HTTPS (egress 443).",
}


def limit_range() -> dict[str, Any]:
    """Defaults for any container that names no requests or limits (the operators' pods included)."""
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "newform-defaults"},
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {"cpu": "500m", "memory": "512Mi"},
                    "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                }
            ]
        },
    }
