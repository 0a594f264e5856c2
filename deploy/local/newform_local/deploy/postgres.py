"""PostgreSQL on CloudNativePG: one replicated cluster, one database and login role per service,
backups to object storage configured but off."""

from __future__ import annotations

from typing import Any

from newform_common import registry

from .names import BARMAN_PLUGIN, DOMAIN, PG_CLUSTER, PG_IMAGE, database_role, database_secret, labels_of


def postgres(services: list[registry.ServiceSpec]) -> list[dict[str, Any]]:
    """The CloudNativePG cluster (the operator must be installed, and for backups its Barman Cloud plugin).

    Long because it is a literal document: the cluster, its databases, backup store and schedule as written."""
    roles = [database_role(s) for s in services]
    # Each role reaches its own database only (over TLS); every other database refuses it. CloudNativePG
    # puts these lines before its own defaults.
    hba = [f"hostssl {s.database} {database_role(s)} all scram-sha-256" for s in services]
    hba.append(f"host all {','.join(roles)} all reject")
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "postgresql.cnpg.io/v1",
            "kind": "Cluster",
            "metadata": {"name": PG_CLUSTER, "labels": labels_of(PG_CLUSTER)},
            "spec": {
                "instances": 3,
                "imageName": PG_IMAGE,
                "primaryUpdateStrategy": "unsupervised",
                "enableSuperuserAccess": False,
                "postgresql": {
                    # A commit waits for one standby (quorum of the two): no acknowledged write is lost with
                    # the primary; `required` refuses writes rather than run without a synchronous copy.
                    "synchronous": {"method": "any", "number": 1, "dataDurability": "required"},
                    "parameters": {"max_connections": "400", "password_encryption": "scram-sha-256"},
                    "pg_hba": hba,
                },
                "managed": {
                    "roles": [
                        {
                            "name": database_role(s),
                            "ensure": "present",
                            "login": True,
                            "connectionLimit": 120,
                            "passwordSecret": {"name": database_secret(s)},
                        }
                        for s in services
                    ]
                },
                "storage": {"size": "50Gi"},
                "walStorage": {"size": "20Gi"},
                "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
                "affinity": {
                    "enablePodAntiAffinity": True,
                    "topologyKey": "kubernetes.io/hostname",
                    "podAntiAffinityType": "required",
                },
                # Backups to object storage: configured (ObjectStore below), off until an operator sets
                # `enabled: true` here and `suspend: false` on the ScheduledBackup (deploy/README.md).
                "plugins": [
                    {
                        "name": BARMAN_PLUGIN,
                        "enabled": False,
                        "isWALArchiver": True,
                        "parameters": {"barmanObjectName": f"{PG_CLUSTER}-backups"},
                    }
                ],
            },
        }
    ]
    for spec in services:
        docs.append(
            {
                "apiVersion": "postgresql.cnpg.io/v1",
                "kind": "Database",
                "metadata": {"name": spec.database.replace("_", "-"), "labels": labels_of(PG_CLUSTER)},
                "spec": {
                    "name": spec.database,
                    "owner": database_role(spec),
                    "cluster": {"name": PG_CLUSTER},
                    "ensure": "present",
                    "databaseReclaimPolicy": "retain",
                },
            }
        )
    docs.append(
        {
            "apiVersion": "barmancloud.cnpg.io/v1",
            "kind": "ObjectStore",
            "metadata": {"name": f"{PG_CLUSTER}-backups", "labels": labels_of(PG_CLUSTER)},
            "spec": {
                "retentionPolicy": "30d",
                "configuration": {
                    "destinationPath": "s3://newform-backups/postgres",
                    "endpointURL": f"https://object-storage.{DOMAIN}",
                    "s3Credentials": {
                        "accessKeyId": {"name": "newform-backup-s3", "key": "ACCESS_KEY_ID"},
                        "secretAccessKey": {"name": "newform-backup-s3", "key": "ACCESS_SECRET_KEY"},
                    },
                    "wal": {"compression": "gzip"},
                    "data": {"compression": "gzip"},
                },
            },
        }
    )
    docs.append(
        {
            "apiVersion": "postgresql.cnpg.io/v1",
            "kind": "ScheduledBackup",
            "metadata": {"name": f"{PG_CLUSTER}-daily", "labels": labels_of(PG_CLUSTER)},
            "spec": {
                "schedule": "0 0 2 * * *",
                "cluster": {"name": PG_CLUSTER},
                "suspend": True,
                "method": "plugin",
                "pluginConfiguration": {"name": BARMAN_PLUGIN},
                "backupOwnerReference": "self",
            },
        }
    )
    return docs
