"""The disputes service's settings (environment variables; ServiceSettings holds the common ones)."""

from __future__ import annotations

from pydantic import Field

from newform_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "disputes"
    # Where contracts publishes the engagements complaints and cases refer to.
    contracts_topic: str = Field("contracts.events", validation_alias="DISPUTES_CONTRACTS_TOPIC")
    # Where the departments publish the verified facts; disputes reads the case outcomes (awards, judgments).
    departments_topic: str = Field("departments.events", validation_alias="DISPUTES_DEPARTMENTS_TOPIC")
