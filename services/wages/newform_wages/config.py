"""The wages service's settings (environment variables; ServiceSettings holds the common ones)."""

from __future__ import annotations

from newform_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "wages"
