"""deploy/compose/compose.yaml: PostgreSQL, Kafka, the one-shot steps (secrets, migrations, topics)
and every registered service, from the registry."""

from __future__ import annotations

from typing import Any

from newform_common import registry

from .names import (
    DATABASE_PASSWORD,
    IMAGE,
    LOCAL_KEY_FILES,
    UID,
    healthcheck,
    migrate_command,
    secret_file,
    service_secrets,
    service_url_env,
    uvicorn_command,
)

ONE_SHOT = {"secrets-init", "migrate", "topics"}


COMPOSE_RESOURCES = {
    "postgres": {"limits": {"cpus": "2", "memory": "2G"}, "reservations": {"cpus": "0.5", "memory": "512M"}},
    "kafka": {"limits": {"cpus": "2", "memory": "2G"}, "reservations": {"cpus": "0.5", "memory": "1G"}},
    "service": {"limits": {"cpus": "1", "memory": "512M"}, "reservations": {"cpus": "0.1", "memory": "256M"}},
    "step": {"limits": {"cpus": "0.5", "memory": "256M"}, "reservations": {"cpus": "0.05", "memory": "64M"}},
}


#: What every container that reaches the database and Kafka is given.
COMMON_ENV = {
    "DATABASE_URL": "postgresql://newform@postgres:5432/postgres",
    "DATABASE_PASSWORD_FILE": f"/run/newform-secrets/{secret_file(DATABASE_PASSWORD)}",
    "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
    "LOG_LEVEL": "INFO",
}


def infrastructure(services: list[registry.ServiceSpec], all_secrets: list[str]) -> dict[str, Any]:
    """PostgreSQL, Kafka and the one-shot steps before any service: secrets, migrations, topics."""
    return {
        "postgres": {
            "image": "postgres:16",
            "environment": {"POSTGRES_USER": "newform", "POSTGRES_PASSWORD_FILE": "/run/secrets/database-password"},
            "secrets": ["database-password"],
            "volumes": ["pgdata:/var/lib/postgresql/data"],
            "healthcheck": {"test": ["CMD", "pg_isready", "-U", "newform"], "interval": "2s", "retries": 30},
        },
        "kafka": {
            "image": "apache/kafka:4.1.1",
            "environment": {
                "CLUSTER_ID": "bmV3Zm9ybS1jb21wb3Nl",
                "KAFKA_NODE_ID": 1,
                "KAFKA_PROCESS_ROLES": "broker,controller",
                "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
                "KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://kafka:9092",
                "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
                "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@kafka:9093",
                # The image's own data folder (owned by its user); the volume keeps it across restarts.
                "KAFKA_LOG_DIRS": "/var/lib/kafka/data",
                "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": 1,
                "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": 1,
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": 1,
                "KAFKA_NUM_PARTITIONS": 3,
                # As in production: topics are provisioned (the `topics` step), never created by a write.
                "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
            },
            "volumes": ["kafkadata:/var/lib/kafka/data"],
            "healthcheck": {
                "test": [
                    "CMD-SHELL",
                    "/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092 >/dev/null",
                ],
                "interval": "5s",
                "retries": 30,
            },
        },
        # Docker Compose mounts file secrets with the host file's owner and mode, so a secret written
        # 0600 by the operator is unreadable by the image's user (uid 10001). This one-shot step copies
        # them, as root, into a memory-only volume owned by that user, mode 0400.
        "secrets-init": {
            "image": f"{IMAGE}:latest",
            "build": {"context": "../..", "dockerfile": "deploy/Dockerfile"},
            "user": "0",
            "entrypoint": [
                "sh",
                "-c",
                f'for f in /run/secrets/*; do install -o {UID} -g {UID} -m 0400 "$$f" /run/newform-secrets/; done',
            ],
            "secrets": [secret_file(n) for n in all_secrets],
            "volumes": ["newform-secrets:/run/newform-secrets"],
        },
        "migrate": {
            "image": f"{IMAGE}:latest",
            "command": migrate_command(services),
            "environment": dict(COMMON_ENV),
            "volumes": ["newform-secrets:/run/newform-secrets:ro"],
            "depends_on": {
                "postgres": {"condition": "service_healthy"},
                "secrets-init": {"condition": "service_completed_successfully"},
            },
        },
        # Every service's topic and dead-letter topic, before anything writes (auto-creation is off).
        "topics": {
            "image": f"{IMAGE}:latest",
            "command": ["newform", "topics", "--bootstrap-servers", "kafka:9092"],
            "depends_on": {"kafka": {"condition": "service_healthy"}},
        },
    }


#: The OpenID Connect issuers every service trusts, from the operator's environment or `.env` beside
#: compose.yaml (none: only the gateway's own tokens); the gateway signs people in with the first.
OIDC_ENV = {"OIDC_ISSUERS": "${OIDC_ISSUERS:-}", "OIDC_AUDIENCE": "${OIDC_AUDIENCE:-newform}"}


def service_container(spec: registry.ServiceSpec, services: list[registry.ServiceSpec]) -> dict[str, Any]:
    """A registered service: its command and port, its secrets as files, read-only, after the steps;
    the gateway also knows where each service is (its workers' app's pass-through)."""
    env = {**COMMON_ENV, **OIDC_ENV, "PORT": str(spec.port)}
    if spec.name == "gateway":
        env.update(service_url_env(services, lambda s: s.port))
    env.update(
        {f"{n}_FILE": f"/run/newform-secrets/{secret_file(n)}" for n in service_secrets(spec) if n != DATABASE_PASSWORD}
    )
    return {
        "image": f"{IMAGE}:latest",
        "command": uvicorn_command(spec),
        "environment": env,
        "ports": [f"{spec.port}:{spec.port}"],
        "read_only": True,
        "tmpfs": ["/tmp"],
        "security_opt": ["no-new-privileges:true"],
        "volumes": ["newform-secrets:/run/newform-secrets:ro"],
        "healthcheck": {"test": healthcheck(spec.port), "interval": "10s", "timeout": "3s", "retries": 6},
        "depends_on": {
            "postgres": {"condition": "service_healthy"},
            "kafka": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
            "topics": {"condition": "service_completed_successfully"},
        },
        "restart": "unless-stopped",
        "deploy": {"resources": COMPOSE_RESOURCES["service"]},
    }


def compose(services: list[registry.ServiceSpec]) -> dict[str, Any]:
    all_secrets = sorted({n for s in services for n in service_secrets(s)})
    doc: dict[str, Any] = {"name": "newform", "services": infrastructure(services, all_secrets)}
    # Long-running containers come back after a crash or a host restart; one-shot steps run once and
    # are retried a few times if they fail (a database still starting, a broker electing).
    for name, service in doc["services"].items():
        one_shot = name in ONE_SHOT
        service["restart"] = "on-failure:5" if one_shot else "unless-stopped"
        service["deploy"] = {
            "resources": COMPOSE_RESOURCES.get(name, COMPOSE_RESOURCES["step" if one_shot else "service"])
        }
    for spec in services:
        doc["services"][spec.name] = service_container(spec, services)
    doc["secrets"] = {
        secret_file(n): {"file": f"./secrets/keys/{LOCAL_KEY_FILES.get(n, secret_file(n))}"} for n in all_secrets
    }
    doc["volumes"] = {
        "pgdata": {},
        "kafkadata": {},
        "newform-secrets": {"driver_opts": {"type": "tmpfs", "device": "tmpfs", "o": f"uid={UID},mode=0700"}},
    }
    return doc
