"""The contracts slice's answers: registered enterprises."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class EnterprisePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enterprise_id: str
    name: str
    kind: str
    platform_id: str
    credit_code: str | None
    district: str | None
    occupations: list[str]
    dispatch_licence_valid_until: Any | None
    qualified: bool | None
