"""The departments service's settings (environment variables; ServiceSettings holds the common ones)."""

from __future__ import annotations

from pydantic import Field

from newform_common.settings import ServiceSettings

from .adapters import PullSourceConfig


class Settings(ServiceSettings):
    service_name: str = "departments"
    # Who is registered, to link facts to (tests point it at a prefixed topic).
    contracts_topic: str = Field("contracts.events", validation_alias="DEPARTMENTS_CONTRACTS_TOPIC")
    # Departments' systems to pull facts from (adapters.py), as JSON: [{"name": "medins-si", "adapter":
    # "social-insurance", "department": "medins", "url": "https://…", "interval_s": 3600, "token_file": "…"}]
    pull_sources: list[PullSourceConfig] = Field(default_factory=list, validation_alias="DEPARTMENTS_PULL_SOURCES")
