"""The training service's settings (environment variables; ServiceSettings holds the common ones)."""

from __future__ import annotations

from pydantic import Field

from newform_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "training"
    # Where registered workers come from (tests point it at a prefixed topic).
    contracts_topic: str = Field("contracts.events", validation_alias="TRAINING_CONTRACTS_TOPIC")
    # Verified facts on household and job-seeking registration (M13 places; tests point it at a prefixed topic).
    departments_topic: str = Field("departments.events", validation_alias="TRAINING_DEPARTMENTS_TOPIC")
