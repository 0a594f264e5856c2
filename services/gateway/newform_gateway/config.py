"""The gateway's settings (environment variables, 12-factor)."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import Field, PrivateAttr, model_validator

from newform_common import registry
from newform_common.consumer import ALL_EVENT_TOPICS
from newform_common.oidc import issuer_urls
from newform_common.settings import ServiceSettings

DEFAULT_CREDIT_RULES = Path(__file__).resolve().parent / "credit_rules.toml"


class Settings(ServiceSettings):
    service_name: str = "gateway"
    port: int = Field(8000, validation_alias="GATEWAY_PORT")
    # Which topics to consume: every service's `<service>.events` (a new service is picked up by itself).
    topic_pattern: str = Field(ALL_EVENT_TOPICS, validation_alias="GATEWAY_TOPIC_PATTERN")
    consumer_group: str = Field("gateway", validation_alias="GATEWAY_CONSUMER_GROUP")
    # Webhook delivery: exponential back-off from `initial` doubling up to `max`, for at most `max_attempts`.
    webhook_timeout_s: float = Field(5.0, validation_alias="WEBHOOK_TIMEOUT_S")
    webhook_poll_interval_s: float = Field(1.0, validation_alias="WEBHOOK_POLL_INTERVAL_S")
    webhook_initial_backoff_s: float = Field(2.0, validation_alias="WEBHOOK_INITIAL_BACKOFF_S")
    webhook_max_backoff_s: float = Field(600.0, validation_alias="WEBHOOK_MAX_BACKOFF_S")
    webhook_max_attempts: int = Field(30, validation_alias="WEBHOOK_MAX_ATTEMPTS")
    # Targets on loopback, private, link-local, multicast or reserved addresses (after DNS resolution,
    # at registration and again at each delivery): refused unless this is true. Unset: true only in
    # development (NEWFORM_DEV=1, the tests' receivers listen on 127.0.0.1). Plain http likewise is
    # accepted only in development: elsewhere a webhook URL must be https.
    webhook_allow_private_targets: bool | None = Field(None, validation_alias="WEBHOOK_ALLOW_PRIVATE_TARGETS")
    run_deliverer: bool = Field(True, validation_alias="GATEWAY_RUN_DELIVERER")
    # Which confirmed findings become credit records (M6, M19): a small TOML (see credit_rules.toml).
    credit_rules_file: Path = Field(DEFAULT_CREDIT_RULES, validation_alias="GATEWAY_CREDIT_RULES_FILE")
    # Used only when the policy in force has no `alerts.handling_deadline_days.<measure>` parameter.
    alert_deadline_default_days: int = Field(15, validation_alias="ALERT_DEADLINE_DEFAULT_DAYS")
    # The dashboard's sign-in cookie is marked Secure when served over https (set false only for plain http).
    cookie_secure: bool = Field(False, validation_alias="GATEWAY_COOKIE_SECURE")
    # Ed25519 private key (PKCS8 PEM) that signs the daily credit-information export (M19, credit/export.py).
    credit_export_signing_key: str = Field("", validation_alias="CREDIT_EXPORT_SIGNING_KEY")
    credit_export_signing_key_file: Path | None = Field(None, validation_alias="CREDIT_EXPORT_SIGNING_KEY_FILE")
    # Where the daily export is written (one signed file a day and a manifest); unset: no daily job.
    credit_export_dir: Path | None = Field(None, validation_alias="GATEWAY_CREDIT_EXPORT_DIR")
    # Only in development (ServiceSettings.dev_mode, NEWFORM_DEV): without a key, a throw-away one.
    _generated_key: Ed25519PrivateKey | None = PrivateAttr(None)

    @property
    def webhooks_allow_private_targets(self) -> bool:
        return self.dev_mode if self.webhook_allow_private_targets is None else self.webhook_allow_private_targets

    @property
    def webhooks_allow_http(self) -> bool:
        return self.dev_mode

    def credit_export_private_key(self) -> Ed25519PrivateKey | None:
        """The export's signing key; None when none is configured (the export answers 503)."""
        pem = self.credit_export_signing_key
        if not pem and self.credit_export_signing_key_file is not None:
            pem = self.credit_export_signing_key_file.read_text()
        if not pem:
            if self.dev_mode and self._generated_key is None:
                self._generated_key = Ed25519PrivateKey.generate()
            return self._generated_key
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise RuntimeError("the credit-export signing key must be an Ed25519 private key")
        return key

    # Client-credentials token issuance (tokens.py): the Ed25519 private key that signs, the registered
    # clients, and the tokens' lifetime. Without a key the endpoint answers 503.
    token_signing_key: str = Field("", validation_alias="TOKEN_SIGNING_KEY")
    token_signing_key_file: Path | None = Field(None, validation_alias="TOKEN_SIGNING_KEY_FILE")
    clients_file: Path | None = Field(None, validation_alias="GATEWAY_CLIENTS_FILE")
    token_ttl_s: int = Field(3600, validation_alias="TOKEN_TTL_S")

    def token_signing_private_pem(self) -> str | None:
        if self.token_signing_key:
            return self.token_signing_key
        if self.token_signing_key_file is not None and self.token_signing_key_file.exists():
            return self.token_signing_key_file.read_text()
        return None

    # The workers' app (workers_app/) signs workers in with `signin_issuer_url` (below); none: the app
    # says sign-in is not configured here (`newform dev --no-idp`).
    worker_app_client_id: str = Field("newform-app", validation_alias="WORKER_APP_CLIENT_ID")
    worker_app_timeout_s: float = Field(15.0, validation_alias="WORKER_APP_TIMEOUT_S")
    # Where the pass-through sends `/app/api/<service>/v1/...`: each registered service's base URL,
    # from `<SERVICE>_URL` (e.g. CONTRACTS_URL), else the registry's port on 127.0.0.1 (the local stack).
    service_urls: dict[str, str] = Field(default_factory=dict, validation_alias="WORKER_APP_SERVICE_URLS")
    # Where the app sends its API calls: `<base>/<service>/v1/...`. The gateway's own pass-through by
    # default; production may name an ingress that routes `/<service>/` to the services (it must then
    # allow the app's origin by CORS; the page's Content-Security-Policy allows the base's origin).
    worker_app_api_base: str = Field("/app/api", validation_alias="WORKER_APP_API_BASE")

    @model_validator(mode="after")
    def _service_urls_from_environment(self) -> Settings:
        for spec in registry.SERVICES:
            if spec.name == "gateway" or spec.name in self.service_urls:
                continue
            url = os.environ.get(f"{spec.name.upper()}_URL") or f"http://127.0.0.1:{spec.port}"
            self.service_urls[spec.name] = url.rstrip("/")
        return self

    # The dashboard's sign-in through the same issuer (web/signin.py): its client at the provider (PKCE;
    # a secret only if the provider registers it as confidential) and how long a signed-in session lasts.
    dashboard_client_id: str = Field("newform-dashboard", validation_alias="DASHBOARD_CLIENT_ID")
    dashboard_client_secret: str = Field("", validation_alias="DASHBOARD_CLIENT_SECRET")
    dashboard_client_secret_file: Path | None = Field(None, validation_alias="DASHBOARD_CLIENT_SECRET_FILE")
    dashboard_session_ttl_s: int = Field(8 * 3600, validation_alias="DASHBOARD_SESSION_TTL_S")

    def dashboard_client_secret_value(self) -> str:
        if self.dashboard_client_secret_file is not None and self.dashboard_client_secret_file.exists():
            return self.dashboard_client_secret_file.read_text().strip()
        return self.dashboard_client_secret

    @property
    def signin_issuer_url(self) -> str | None:
        """The issuer people sign in with, in the workers' app and on the dashboard: the first of the
        issuers every service trusts (OIDC_ISSUERS), so a token from a sign-in is one they all accept."""
        issuers = issuer_urls(self.oidc_issuers)
        return issuers[0] if issuers else None
