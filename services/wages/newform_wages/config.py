"""The wages service's settings (environment variables; ServiceSettings holds the common ones)."""

from __future__ import annotations

from pydantic import Field

from newform_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "wages"
    # Engagements come from contracts' topic (a test may prefix it).
    contracts_topic: str = Field("contracts.events", validation_alias="WAGES_CONTRACTS_TOPIC")
    # Collective contracts in force and ended come from unions' topic (their standards bind pay and quotas).
    unions_topic: str = Field("unions.events", validation_alias="WAGES_UNIONS_TOPIC")
    # Bad-weather warnings come from departments' topic (M8: work during a red warning).
    departments_topic: str = Field("departments.events", validation_alias="WAGES_DEPARTMENTS_TOPIC")
