"""Who may talk to whom: NetworkPolicies (deny by default; each service reaches its database, Kafka,
the gateway's token issuer and the OpenID Connect issuer outside; the gateway reaches every service
for the workers' app's pass-through) and the Ingress publishing the gateway and every API over TLS."""

from __future__ import annotations

from typing import Any

from newform_common import registry

from .names import (
    CNPG_OPERATOR_NAMESPACE,
    DOMAIN,
    IDENTITY_PROVIDER,
    INGRESS_NAMESPACE,
    KAFKA_NAMESPACE,
    KAFKA_TLS_PORT,
    MONITORING_NAMESPACE,
    PG_CLUSTER,
    PRIVATE_RANGES,
    STRIMZI_CLUSTER,
    labels_of,
    passthrough_targets,
)

#: Egress every workload needs: DNS.
DNS = {
    "to": [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ],
    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
}
#: Egress to the database instances.
DATABASE = {
    "to": [{"podSelector": {"matchLabels": {"cnpg.io/cluster": PG_CLUSTER}}}],
    "ports": [{"protocol": "TCP", "port": 5432}],
}
#: Egress to Kafka's TLS listener.
KAFKA = {
    "to": [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": KAFKA_NAMESPACE}},
            "podSelector": {"matchLabels": {"strimzi.io/cluster": STRIMZI_CLUSTER, "strimzi.io/kind": "Kafka"}},
        }
    ],
    "ports": [{"protocol": "TCP", "port": KAFKA_TLS_PORT}],
}
PART_OF = {"app.kubernetes.io/part-of": "newform"}
#: Egress over HTTPS to addresses outside the cluster and private networks only: the OpenID Connect
#: issuer's discovery document and keys (every service), the gateway's webhooks and credit files.
#: An issuer inside the cluster (or on a private network) needs its own rule instead (deploy/README.md).
OUTSIDE_HTTPS = {
    "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": PRIVATE_RANGES}}],
    "ports": [{"protocol": "TCP", "port": 443}],
}


def from_namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def policy(name: str, labels: dict[str, str], selector: dict[str, Any], **rules: Any) -> dict[str, Any]:
    """A NetworkPolicy for the pods `selector` picks, limiting both directions to `rules` (ingress, egress)."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "labels": labels},
        "spec": {"podSelector": selector, "policyTypes": ["Ingress", "Egress"], **rules},
    }


def service_policy(
    spec: registry.ServiceSpec, idp: registry.ServiceSpec, services: list[registry.ServiceSpec]
) -> dict[str, Any]:
    """Reached by the ingress controller and Prometheus on its port, and by the gateway (the workers'
    app's pass-through; the gateway, which issues tokens, by every service too); reaches DNS, its
    database, Kafka, the gateway's token issuer and the OpenID Connect issuer (HTTPS outside)."""
    egress = [DNS, DATABASE, KAFKA, OUTSIDE_HTTPS]
    if spec.name != idp.name:
        egress.append(
            {
                "to": [{"podSelector": {"matchLabels": labels_of(idp.name)}}],
                "ports": [{"protocol": "TCP", "port": idp.port}],
            }
        )
    if spec.name == "gateway":
        # `/app/api/<service>/v1/...` → the service (a Service's port 80 is its pods' port here).
        egress.extend(
            {
                "to": [{"podSelector": {"matchLabels": labels_of(s.name)}}],
                "ports": [{"protocol": "TCP", "port": s.port}],
            }
            for s in passthrough_targets(services)
        )
    ingress = [
        {
            "from": [from_namespace(INGRESS_NAMESPACE), from_namespace(MONITORING_NAMESPACE)],
            "ports": [{"protocol": "TCP", "port": spec.port}],
        }
    ]
    if spec.name == idp.name:  # the services fetch tokens and keys from the identity provider
        ingress.append(
            {"from": [{"podSelector": {"matchLabels": PART_OF}}], "ports": [{"protocol": "TCP", "port": spec.port}]}
        )
    elif spec.name != "gateway":
        ingress.append(
            {
                "from": [{"podSelector": {"matchLabels": labels_of("gateway")}}],
                "ports": [{"protocol": "TCP", "port": spec.port}],
            }
        )
    labels = labels_of(spec.name)
    return policy(spec.name, labels, {"matchLabels": labels}, ingress=ingress, egress=egress)


def database_policy(services: list[registry.ServiceSpec]) -> dict[str, Any]:
    """The database instances: from the services, the migration Job, each other (replication) and the
    CloudNativePG operator (its status port 8000 and 5432); out to each other, the Kubernetes API and
    object storage (443/6443: the instance manager, and backups when enabled)."""
    clients = [{"podSelector": {"matchLabels": labels_of(s.name)}} for s in services]
    clients.append({"podSelector": {"matchLabels": labels_of("newform-migrate")}})
    instances = {"podSelector": {"matchLabels": {"cnpg.io/cluster": PG_CLUSTER}}}
    ingress = [
        {"from": [*clients, instances], "ports": [{"protocol": "TCP", "port": 5432}]},
        {
            "from": [from_namespace(CNPG_OPERATOR_NAMESPACE)],
            "ports": [{"protocol": "TCP", "port": 8000}, {"protocol": "TCP", "port": 5432}],
        },
        {"from": [from_namespace(MONITORING_NAMESPACE)], "ports": [{"protocol": "TCP", "port": 9187}]},
    ]
    egress = [
        DNS,
        {"to": [instances], "ports": [{"protocol": "TCP", "port": 5432}]},
        {"ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 6443}]},
    ]
    selector = {"matchLabels": {"cnpg.io/cluster": PG_CLUSTER}}
    return policy(PG_CLUSTER, labels_of(PG_CLUSTER), selector, ingress=ingress, egress=egress)


def network_policies(services: list[registry.ServiceSpec]) -> list[dict[str, Any]]:
    """Deny by default; then each service may be reached by the ingress controller, Prometheus and the
    gateway on its port, and may reach its database, Kafka's TLS listener, the gateway's token issuer
    and HTTPS outside (plus DNS); the gateway may reach every service."""
    idp = registry.spec(IDENTITY_PROVIDER)
    deny = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }
    migrate = labels_of("newform-migrate")
    return [
        deny,
        *(service_policy(spec, idp, services) for spec in services),
        policy("newform-migrate", migrate, {"matchLabels": migrate}, egress=[DNS, DATABASE]),
        database_policy(services),
    ]


def api_host(spec: registry.ServiceSpec) -> str:
    """The gateway (the regulator's dashboard and API) at the domain; every API at `<service>.api.<domain>`."""
    return DOMAIN if spec.name == "gateway" else f"{spec.name}.api.{DOMAIN}"


def ingress(services: list[registry.ServiceSpec]) -> dict[str, Any]:
    hosts = [api_host(s) for s in services]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "newform",
            "labels": labels_of("newform"),
            "annotations": {
                "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
                # A wages batch of 10,000 lines is a few MB.
                "nginx.ingress.kubernetes.io/proxy-body-size": "32m",
                # cert-manager issues the certificate when installed (or create the Secret yourself).
                "cert-manager.io/cluster-issuer": "newform-issuer",
            },
        },
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": hosts, "secretName": "newform-tls"}],
            "rules": [
                {
                    "host": api_host(s),
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": s.name, "port": {"name": "http"}}},
                            }
                        ]
                    },
                }
                for s in services
            ],
        },
    }
