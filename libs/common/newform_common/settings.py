"""One settings object per service, read from the environment (12-factor).

A service subclasses `ServiceSettings` and sets `service_name`. Database URLs resolve in this
order: `<SERVICE>_DATABASE_URL` (a full URL for this service), then `DATABASE_URL` (a server; the
service uses its own database `newform_<service>` on it — database per service), then the local
default on 127.0.0.1:5432.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url

DEFAULT_SERVER_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
DEV_PII_SECRET = "newform-dev-only-secret-change-me-0123456789"


class MissingSecret(RuntimeError):
    """A secret a service needs outside development is not configured."""


def database_url_for(service: str, environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    own = env.get(f"{service.upper()}_DATABASE_URL")
    if own:
        return _with_password(_async_driver(own), env)
    server = _async_driver(env.get("DATABASE_URL", DEFAULT_SERVER_URL))
    url = make_url(server).set(database=f"newform_{service}").render_as_string(hide_password=False)
    return _with_password(url, env)


def _with_password(url: str, env: Mapping[str, str]) -> str:
    """Deployments keep the password out of the URL: `DATABASE_PASSWORD_FILE` (a mounted secret) or
    `DATABASE_PASSWORD` fills it in when the URL has none."""
    parsed = make_url(url)
    if parsed.password:
        return url
    password = env.get("DATABASE_PASSWORD")
    if env.get("DATABASE_PASSWORD_FILE"):
        password = Path(env["DATABASE_PASSWORD_FILE"]).read_text().strip()
    return parsed.set(password=password).render_as_string(hide_password=False) if password else url


def _async_driver(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    service_name: str = "service"
    # Given by code (tests) or resolved from the environment by database_url_for; never read from
    # DATABASE_URL directly, which names the *server*.
    database_url: str = ""
    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    # Public key (PEM) that verifies bearer tokens; the file form is what deployments mount.
    jwt_public_key: str = Field("", validation_alias="JWT_PUBLIC_KEY")
    jwt_public_key_file: Path | None = Field(None, validation_alias="JWT_PUBLIC_KEY_FILE")
    # One master secret from which PII encryption and look-up keys are derived (HKDF). Required:
    # only development (NEWFORM_DEV=1) falls back to a well-known secret.
    pii_secret: str = Field("", validation_alias="PII_SECRET")
    # OpenID Connect issuers trusted beside the local token issuer (`oidc`): their URLs, comma- or
    # space-separated, exactly as their tokens' `iss` says; and the audience their tokens must name.
    oidc_issuers: str = Field("", validation_alias="OIDC_ISSUERS")
    oidc_audience: str = Field("newform", validation_alias="OIDC_AUDIENCE")
    # The workers' app, linked from every service's front page (the gateway serves it at /app/).
    worker_app_url: str = Field("http://127.0.0.1:8000/app/", validation_alias="WORKER_APP_URL")
    pii_secret_file: Path | None = Field(None, validation_alias="PII_SECRET_FILE")
    dev_mode: bool = Field(False, validation_alias="NEWFORM_DEV")
    # Per caller (token subject): a bucket of `burst` requests refilled at `per_minute`; 0 = off.
    rate_limit_per_minute: float = Field(1200.0, validation_alias="RATE_LIMIT_PER_MINUTE")
    rate_limit_burst: int = Field(600, validation_alias="RATE_LIMIT_BURST")
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    relay_poll_interval_s: float = Field(1.0, validation_alias="RELAY_POLL_INTERVAL_S")
    # Rows per publish cycle: each cycle waits once for the acknowledgements (acks=all).
    relay_batch_size: int = Field(2000, validation_alias="RELAY_BATCH_SIZE")
    consumer_max_attempts: int = Field(3, validation_alias="CONSUMER_MAX_ATTEMPTS")
    # The consumers of other services' topics (`wiring`): off for a replica that only serves requests.
    run_consumers: bool = Field(True, validation_alias="RUN_CONSUMERS")
    # Consumer groups are `<prefix>-<source>`; the prefix defaults to the service's name. Another prefix
    # lets two environments (or two test modules) share one Kafka cluster without sharing offsets.
    consumer_group_prefix: str = Field("", validation_alias="CONSUMER_GROUP_PREFIX")
    run_relay: bool = Field(True, validation_alias="RUN_RELAY")
    # Deadlines (legal clocks) are fired by a worker in every replica; SKIP LOCKED shares them out.
    run_deadlines: bool = Field(True, validation_alias="RUN_DEADLINES")
    deadline_poll_interval_s: float = Field(5.0, validation_alias="DEADLINE_POLL_INTERVAL_S")
    # Where the regulator's holiday-schedule loads arrive (the gateway's topic); "" turns the listener
    # off (the test suite's default: most tests start an app without a gateway).
    calendar_topic: str = Field("gateway.events", validation_alias="CALENDAR_TOPIC")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Fixed by code, never by the environment: a stray SERVICE_NAME (some platforms set one)
        # would move a service to another topic and database.
        code_only = {"service_name", "database_url"}

        def environment() -> dict[str, Any]:
            return {k: v for k, v in env_settings().items() if k.lower() not in code_only}

        # pydantic-settings calls each source for its values: a function serves as one.
        return init_settings, cast(PydanticBaseSettingsSource, environment), dotenv_settings, file_secret_settings

    def model_post_init(self, _context: object) -> None:
        if self.pii_secret_file is not None:
            self.pii_secret = self.pii_secret_file.read_text().strip()
        if not self.pii_secret:
            if not self.dev_mode:
                raise MissingSecret(
                    "PII_SECRET (or PII_SECRET_FILE) is not set: a service refuses to start without "
                    "its real secret outside development (NEWFORM_DEV=1 allows a development one)"
                )
            self.pii_secret = DEV_PII_SECRET
        if not self.database_url:
            self.database_url = database_url_for(self.service_name)
        else:
            self.database_url = _async_driver(self.database_url)

    @property
    def domain(self) -> str:
        """The service's own name, from its package (`newform_wages.config` → `wages`): event types are
        `<domain>.….v1` even when a test gives the service a prefixed `service_name` of its own."""
        package = type(self).__module__.split(".", 1)[0]
        if package.startswith("newform_") and package != "newform_common":
            return package.removeprefix("newform_")
        return self.service_name

    @property
    def topic(self) -> str:
        return f"{self.service_name}.events"

    def public_key_pem(self) -> str:
        if self.jwt_public_key:
            return self.jwt_public_key
        if self.jwt_public_key_file and self.jwt_public_key_file.exists():
            return self.jwt_public_key_file.read_text()
        raise RuntimeError("no token verification key: set JWT_PUBLIC_KEY or JWT_PUBLIC_KEY_FILE")
