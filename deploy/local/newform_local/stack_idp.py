"""The local stack's identity provider: Keycloak with the ``newform`` realm (`newform dev`; `--no-idp` goes
without). Its database ``keycloak`` is on the stack's PostgreSQL; its data (home, log) in
``<data>/keycloak``; the confidential clients' secrets and the admin password in ``<data>/keys`` beside
the stack's other development keys. Started right after PostgreSQL, it gets ready while Kafka and
the services start (services fetch its keys on the first token they see, not at start-up)."""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path

import asyncpg

from newform_common.auth import Role

from .kafka_runtime import run_isolated
from .keycloak import LocalKeycloak
from .keycloak_realm import (
    AUDIENCE,
    DEMO_CLIENTS,
    DEMO_PASSWORD,
    DEMO_PEOPLE,
    client_secrets,
    realm_document,
)
from .keycloak_runtime import keycloak_java
from .keys import write_secret
from .ports import free_port, port_is_open
from .postgres import EmbeddedPostgres

DATABASE = "keycloak"
DEFAULT_PORT = 8080


class StackIdentityProvider:
    """Keycloak as one part of the local stack (the `Stack` calls these in order)."""

    def __init__(self, data_dir: Path, keys_dir: Path, postgres: EmbeddedPostgres, host: str, port: int):
        self.keys_dir = keys_dir
        self.postgres = postgres
        self.secrets_file = keys_dir / "keycloak-clients.json"
        self.admin_password_file = keys_dir / "keycloak-admin-password"
        self.fingerprint_file = data_dir / "realm.sha256"
        self.server = LocalKeycloak(data_dir, port, postgres.url(DATABASE), host=host)
        self._fingerprint: str | None = None

    @property
    def issuer(self) -> str:
        return self.server.issuer

    def check_java(self) -> None:
        """Before anything starts: a missing Java 21+ says what to install (or `--no-idp`)."""
        keycloak_java()

    def choose_port(self) -> str | None:
        """8080 (plus the stack's offset) when free, else a free port; says so when it moved."""
        if self.server.is_running() or not port_is_open(self.server.host, self.server.port):
            return None
        wanted = self.server.port
        self.server.port = free_port(self.server.host)
        return f"port {wanted} is taken: Keycloak listens on {self.server.port} instead"

    def launch(self) -> None:
        """After PostgreSQL: its database, the realm, the JVM (not waited for)."""
        if not self.admin_password_file.exists():
            write_secret(self.admin_password_file, secrets.token_urlsafe(18))
        self.server.admin_password = self.admin_password_file.read_text().strip()
        realm = realm_document(client_secrets(self.secrets_file))
        self._fresh_database_if_realm_changed(realm)
        self.server.realm = realm
        self.server.launch()

    def _fresh_database_if_realm_changed(self, realm: dict) -> None:
        # Keycloak imports a realm only when it does not exist yet: a changed realm (new demo people,
        # clients, mappers) needs an empty database. Local demo data only: nothing else lives there.
        fingerprint = hashlib.sha256(json.dumps(realm, sort_keys=True).encode()).hexdigest()
        stored = self.fingerprint_file.read_text().strip() if self.fingerprint_file.exists() else None
        if stored != fingerprint:
            run_isolated(_drop_database(self.postgres.url("postgres"), DATABASE))
        self.postgres.create_database(DATABASE)
        self._fingerprint = fingerprint

    def wait_ready(self, timeout: float = 240) -> None:
        self.server.wait_ready(timeout)
        if self._fingerprint is not None:  # imported: a later start on this database keeps it
            self.fingerprint_file.parent.mkdir(parents=True, exist_ok=True)
            self.fingerprint_file.write_text(self._fingerprint + "\n")

    def is_running(self) -> bool:
        return self.server.is_running()

    def start(self) -> None:
        """Start again after it died (the supervisor's restart): the realm is already there."""
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def env(self) -> dict[str, str]:
        return {"OIDC_ISSUERS": self.issuer, "OIDC_AUDIENCE": AUDIENCE}

    def welcome(self, gateway: str | None) -> list[str]:
        """How to sign in, for `newform dev`'s welcome text (``gateway``: its base URL, if it runs)."""
        token_url = f"{self.issuer}/protocol/openid-connect/token"
        example = DEMO_CLIENTS[0].client_id
        secret = client_secrets(self.secrets_file)[example]
        others = ", ".join(c.client_id for c in DEMO_CLIENTS[1:])
        workers = [p.username for p in DEMO_PEOPLE if p.role == Role.worker]
        officers = [p.username for p in DEMO_PEOPLE if p.role in (Role.regulator, Role.department)]
        rows = []
        if gateway:
            rows.append(("workers' app", f"{gateway}/app/   sign in as {' or '.join(workers)}"))
            rows.append(("dashboard", f"{gateway}/   sign in as {' or '.join(officers)}"))
        rows.extend(
            [
                (
                    "platform",
                    f"curl -s -d grant_type=client_credentials -d client_id={example} "
                    f"-d client_secret={secret} {token_url}",
                ),
                ("departments", f"the same with {others} (secrets in {self.secrets_file})"),
                ("admin", f"{self.server.base_url}/admin/   user admin, password in {self.admin_password_file}"),
            ]
        )
        width = max(len(label) for label, _ in rows)
        return [
            f"Sign in through the identity provider (Keycloak, issuer {self.issuer});",
            f"every demo person's password is {DEMO_PASSWORD}:",
            *(f"  {label:<{width}}  {text}" for label, text in rows),
        ]


async def _drop_database(server_url: str, name: str) -> None:
    dsn = server_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    conn = await asyncpg.connect(dsn, timeout=30)
    try:
        quoted = '"' + name.replace('"', '""') + '"'
        await conn.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
    finally:
        await conn.close()
