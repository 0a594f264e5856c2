"""The departments service's settings (environment variables; ServiceSettings holds the common ones)."""

from __future__ import annotations

from pydantic import Field

from newform_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "departments"
    # Who is registered, to link facts to (tests point it at a prefixed topic).
    contracts_topic: str = Field("contracts.events", validation_alias="DEPARTMENTS_CONTRACTS_TOPIC")
