"""The deployment files, generated from the service registry: `newform deploy export` writes
deploy/compose/compose.yaml and deploy/k8s/*.yaml; `newform deploy check` (and the suite) fail
when the committed files differ. A new service gets its container, Deployment, Service,
PodDisruptionBudget, migration step, secrets and Kafka topics by re-running the export.

Secrets: every service reads `<NAME>_FILE` for each secret it needs (registry.COMMON_SECRETS plus
its own `secrets`), mounted read-only; nothing secret is in an environment variable or a URL
(the database password comes from DATABASE_PASSWORD_FILE).

Production topology (Kubernetes, on existing operators): PostgreSQL is a CloudNativePG `Cluster`
(3 instances, a synchronous standby, one database and one login role per service, backups to
object storage configured but off); Kafka is a Strimzi cluster with a TLS listener, SCRAM-SHA-512
users and ACLs per service (each writes only its topic and the dead-letter topics of what it reads,
reads only what it consumes); NetworkPolicies deny everything else; an Ingress with TLS publishes the
gateway and every API; HorizontalPodAutoscalers; requests and limits on every container.

The modules: `names` (image, namespaces, clusters, secrets, labels: what every file names), `compose`
(deploy/compose/compose.yaml), `workloads` (Deployments, the migration Job, the config, limits),
`postgres` (CloudNativePG), `kafka` (Strimzi, users and ACLs), `network` (NetworkPolicies, Ingress),
`kubernetes` (deploy/k8s/*.yaml assembled), `output` (rendering, export, check, the CLI).
"""

from __future__ import annotations

from .compose import compose
from .kafka import acls, reads
from .kubernetes import kubernetes
from .names import (
    BARMAN_PLUGIN,
    CNPG_OPERATOR_NAMESPACE,
    DOMAIN,
    IDENTITY_PROVIDER,
    INGRESS_NAMESPACE,
    KAFKA_TLS_PORT,
    PG_CLUSTER,
    STRIMZI_CLUSTER,
    database_role,
    labels_of,
    secret_file,
)
from .output import export, files, main, render, stale

__all__ = [
    "BARMAN_PLUGIN",
    "CNPG_OPERATOR_NAMESPACE",
    "DOMAIN",
    "IDENTITY_PROVIDER",
    "INGRESS_NAMESPACE",
    "KAFKA_TLS_PORT",
    "PG_CLUSTER",
    "STRIMZI_CLUSTER",
    "acls",
    "compose",
    "database_role",
    "export",
    "files",
    "kubernetes",
    "labels_of",
    "main",
    "reads",
    "render",
    "secret_file",
    "stale",
]
