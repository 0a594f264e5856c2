"""What every deployment file names: the image and its user, namespaces, the PostgreSQL and Kafka
clusters, secrets and the files they are mounted as, labels, each service's database role and Kafka user."""

from __future__ import annotations

from newform_common import registry

IMAGE = "newform"


UID = 10001


# Secrets beside the services' own: the database password (PostgreSQL and every service).
DATABASE_PASSWORD = "DATABASE_PASSWORD"


# Where `newform keys --data-dir deploy/compose/secrets` writes each secret (compose's sources).
LOCAL_KEY_FILES = {
    "JWT_PUBLIC_KEY": "token-verifying.pem",
    "PII_SECRET": "pii-secret",
    "CONTRACTS_SIGNING_KEY": "evidence-seal.pem",
    "TOKEN_SIGNING_KEY": "token-signing.pem",
    "GATEWAY_CLIENTS": "clients.toml",
    DATABASE_PASSWORD: "database-password",
}


STRIMZI_CLUSTER = "newform-kafka"


KAFKA_NAMESPACE = "kafka"


# The TLS listener (SCRAM-SHA-512): the only one the services use.
KAFKA_TLS_PORT = 9093


KAFKA_BOOTSTRAP = f"{STRIMZI_CLUSTER}-kafka-bootstrap.{KAFKA_NAMESPACE}.svc:{KAFKA_TLS_PORT}"


KAFKA_VERSION = "4.2.1"  # the oldest Kafka Strimzi 1.2 runs (the local broker is 4.1.1: same protocol)


NAMESPACE = "newform"


# CloudNativePG: the cluster, its read-write service (the primary), its instances' label.
PG_CLUSTER = "newform-pg"


PG_HOST = f"{PG_CLUSTER}-rw.{NAMESPACE}.svc"


PG_IMAGE = "ghcr.io/cloudnative-pg/postgresql:16"  # the major version the suite runs on


BARMAN_PLUGIN = "barman-cloud.cloudnative-pg.io"


CNPG_OPERATOR_NAMESPACE = "cnpg-system"


# Who may reach the services: the ingress controller and Prometheus, by namespace.
INGRESS_NAMESPACE = "ingress-nginx"


MONITORING_NAMESPACE = "monitoring"


DOMAIN = "newform.example.invalid"  # set the real one in an overlay (kustomize patch)


# The identity provider the services may call: today the gateway issues tokens (POST /oauth/token)
# and publishes its keys (/.well-known/jwks.json). Point this at a separate IdP when there is one.
IDENTITY_PROVIDER = "gateway"


# The OpenID Connect issuer every service trusts (OIDC_ISSUERS) and the gateway signs people in with:
# a placeholder on the deployment's domain (Keycloak's realm URL form). Production sets the province's
# unified identity service in an overlay; the services fetch its discovery document and keys over HTTPS.
OIDC_ISSUER = f"https://id.{DOMAIN}/realms/newform"


OIDC_AUDIENCE = "newform"


# The dashboard's client secret at the issuer, only if the realm makes that client confidential (the
# local realm's is public, with PKCE): an optional Secret, mounted as DASHBOARD_CLIENT_SECRET_FILE.
DASHBOARD_CLIENT_SECRET = "newform-dashboard-client"


# Addresses a webhook (or any outbound call) must never reach from inside the cluster.
PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10", "127.0.0.0/8"]


def secret_file(name: str) -> str:
    """The file a secret is mounted as: `PII_SECRET` → `pii-secret`."""
    return name.lower().replace("_", "-")


def service_secrets(spec: registry.ServiceSpec) -> list[str]:
    return [*registry.COMMON_SECRETS, *spec.secrets, DATABASE_PASSWORD]


def uvicorn_command(spec: registry.ServiceSpec) -> list[str]:
    return [
        "uvicorn",
        f"{spec.package}.main:create_app",
        "--factory",
        "--host",
        "0.0.0.0",
        "--port",
        str(spec.port),
        "--no-access-log",
        "--proxy-headers",
    ]


def migrate_command(services: list[registry.ServiceSpec]) -> list[str]:
    steps = " && ".join(f"newform migrate --create-database {s.name}" for s in services)
    return ["sh", "-c", steps]


def healthcheck(port: int) -> list[str]:
    return ["CMD", "python", "-c", f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/healthz')"]


def passthrough_targets(services: list[registry.ServiceSpec]) -> list[registry.ServiceSpec]:
    """The services the gateway's pass-through (`/app/api/<service>/v1/...`) calls: every other one."""
    return [s for s in services if s.name != "gateway"]


def service_url_env(services: list[registry.ServiceSpec], port_of) -> dict[str, str]:
    """`<SERVICE>_URL` for each service the gateway calls, by its DNS name (compose or Kubernetes)
    on the port `port_of(spec)` its Service answers on."""
    return {f"{s.name.upper()}_URL": f"http://{s.name}:{port_of(s)}" for s in passthrough_targets(services)}


def labels_of(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "newform"}


def database_role(spec: registry.ServiceSpec) -> str:
    """The service's login role, owner of its database (the same name: `newform_<service>`)."""
    return spec.database


def database_secret(spec: registry.ServiceSpec) -> str:
    """The `kubernetes.io/basic-auth` Secret CloudNativePG sets the role's password from."""
    return f"newform-db-{spec.name}"


def database_url(spec: registry.ServiceSpec) -> str:
    # No password: DATABASE_PASSWORD_FILE fills it in (newform_common.settings).
    return f"postgresql://{database_role(spec)}@{PG_HOST}:5432/{spec.database}"


def kafka_user_name(spec: registry.ServiceSpec) -> str:
    """The service's KafkaUser; Strimzi's User Operator writes its SCRAM password to a Secret of this name."""
    return f"newform-{spec.name}"
