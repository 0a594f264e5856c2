"""Kafka on Strimzi: the cluster and its topics, a SCRAM user per service with least-privilege ACLs
(what it reads: `reads`)."""

from __future__ import annotations

from typing import Any

from newform_common import registry

from ..event_contracts import consumer_models
from .names import (
    IDENTITY_PROVIDER,
    KAFKA_NAMESPACE,
    KAFKA_TLS_PORT,
    KAFKA_VERSION,
    NAMESPACE,
    STRIMZI_CLUSTER,
    kafka_user_name,
    labels_of,
)


def reads(spec: registry.ServiceSpec, services: list[registry.ServiceSpec] | None = None) -> list[str]:
    """The topics a service reads: its registry line (ALL_TOPICS: every service's topic), the topics
    of the producers whose events its `consumed` models declare, and — every service but the gateway,
    which loads them — the gateway's topic, where holiday-schedule loads arrive (CALENDAR_TOPIC)."""
    services = registry.installed() if services is None else services
    known = {s.name: s.topic for s in services}
    if registry.ALL_TOPICS in spec.consumes:
        return sorted(known.values())
    topics = {t for t in spec.consumes}
    topics |= {
        known[m.event_type.split(".", 1)[0]]
        for m in consumer_models(spec.package)
        if m.event_type.split(".", 1)[0] in known
    }
    if spec.name != IDENTITY_PROVIDER and "gateway" in known:
        topics.add(known["gateway"])
    return sorted(topics)


def acls(spec: registry.ServiceSpec, services: list[registry.ServiceSpec] | None = None) -> list[dict[str, Any]]:
    """Least privilege: write its own topic; read what it consumes; write the dead-letter topic of each
    topic it reads (the kit dead-letters a record to `<its topic>.dlq`); its consumer groups, which
    all start with the service's name. Topics are created by the Topic Operator, never by a service."""
    operations: dict[tuple[str, str, str], set[str]] = {}

    def allow(kind: str, name: str, *ops: str, pattern: str = "literal") -> None:
        operations.setdefault((kind, name, pattern), set()).update(ops)

    allow("topic", spec.topic, "Write", "Describe")
    for topic in reads(spec, services):
        allow("topic", topic, "Read", "Describe")
        allow("topic", f"{topic}.dlq", "Write", "Describe")
    allow("group", spec.name, "Read", pattern="prefix")
    order = ["Read", "Write", "Describe"]
    return [
        {"resource": {"type": kind, "name": name, "patternType": pattern}, "operations": sorted(ops, key=order.index)}
        for (kind, name, pattern), ops in sorted(operations.items())
    ]


def kafka_users(services: list[registry.ServiceSpec]) -> list[dict[str, Any]]:
    """One SCRAM user per service, with its ACLs. They live in the services' namespace, which the
    User Operator watches, so the password Secret it writes is mountable by the service."""
    return [
        {
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "KafkaUser",
            "metadata": {
                "name": kafka_user_name(spec),
                "labels": {"strimzi.io/cluster": STRIMZI_CLUSTER, **labels_of(spec.name)},
            },
            "spec": {
                "authentication": {"type": "scram-sha-512"},
                "authorization": {"type": "simple", "acls": acls(spec, services)},
            },
        }
        for spec in services
    ]


def strimzi(services: list[registry.ServiceSpec]) -> list[dict[str, Any]]:
    """The Kafka the services expect, as Strimzi resources (the Strimzi operator must be installed).

    Long because it is a literal document: the node pool, the Kafka cluster and every topic, as written."""
    labels = {"strimzi.io/cluster": STRIMZI_CLUSTER}
    broker_resources = {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
    operator_resources = {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}}
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "KafkaNodePool",
            "metadata": {"name": "brokers", "namespace": KAFKA_NAMESPACE, "labels": labels},
            "spec": {
                "replicas": 3,
                "roles": ["controller", "broker"],
                "resources": broker_resources,
                "storage": {
                    "type": "jbod",
                    "volumes": [
                        {
                            "id": 0,
                            "type": "persistent-claim",
                            "size": "50Gi",
                            "deleteClaim": False,
                            "kraftMetadata": "shared",
                        }
                    ],
                },
            },
        },
        {
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "Kafka",
            "metadata": {"name": STRIMZI_CLUSTER, "namespace": KAFKA_NAMESPACE},
            "spec": {
                "kafka": {
                    "version": KAFKA_VERSION,
                    # TLS only, SCRAM-SHA-512 users; only newform's pods may connect (Strimzi writes the policy).
                    "listeners": [
                        {
                            "name": "tls",
                            "port": KAFKA_TLS_PORT,
                            "type": "internal",
                            "tls": True,
                            "authentication": {"type": "scram-sha-512"},
                            "networkPolicyPeers": [
                                {
                                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": NAMESPACE}},
                                    "podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "newform"}},
                                }
                            ],
                        }
                    ],
                    "authorization": {"type": "simple"},
                    "config": {
                        "default.replication.factor": 3,
                        "min.insync.replicas": 2,
                        "offsets.topic.replication.factor": 3,
                        "transaction.state.log.replication.factor": 3,
                        "transaction.state.log.min.isr": 2,
                        "auto.create.topics.enable": False,
                    },
                },
                "entityOperator": {
                    "topicOperator": {"resources": operator_resources},
                    # KafkaUsers live beside the services (their password Secrets must be mountable there).
                    "userOperator": {"watchedNamespace": NAMESPACE, "resources": operator_resources},
                },
            },
        },
    ]
    for spec in services:
        for topic in (spec.topic, spec.dead_letter_topic):
            docs.append(
                {
                    "apiVersion": "kafka.strimzi.io/v1",
                    "kind": "KafkaTopic",
                    "metadata": {"name": topic.replace(".", "-"), "namespace": KAFKA_NAMESPACE, "labels": labels},
                    "spec": {
                        "topicName": topic,
                        "partitions": 6,
                        "replicas": 3,
                        "config": {"min.insync.replicas": 2, "retention.ms": -1},
                    },
                }
            )
    return docs
