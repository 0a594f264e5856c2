"""The unions service's settings (environment variables; ServiceSettings holds the common ones)."""

from __future__ import annotations

from pydantic import Field

from newform_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "unions"
    contracts_topic: str = Field("contracts.events", validation_alias="UNIONS_CONTRACTS_TOPIC")
