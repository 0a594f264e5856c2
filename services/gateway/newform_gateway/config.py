"""The gateway's settings (environment variables, 12-factor)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from newform_common.consumer import ALL_EVENT_TOPICS
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
    run_deliverer: bool = Field(True, validation_alias="GATEWAY_RUN_DELIVERER")
    # Which confirmed findings become credit records (M6, M19): a small TOML (see credit_rules.toml).
    credit_rules_file: Path = Field(DEFAULT_CREDIT_RULES, validation_alias="GATEWAY_CREDIT_RULES_FILE")
    # Used only when the policy in force has no `alerts.handling_deadline_days.<measure>` parameter.
    alert_deadline_default_days: int = Field(15, validation_alias="ALERT_DEADLINE_DEFAULT_DAYS")
    # The dashboard's sign-in cookie is marked Secure when served over https (set false only for plain http).
    cookie_secure: bool = Field(False, validation_alias="GATEWAY_COOKIE_SECURE")

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
