"""Response bodies of the audit of unmasked reads."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from ..schemas import FROM_ROW


class PiiAccessPublic(BaseModel):
    model_config = FROM_ROW

    principal: str
    role: str
    resource_type: str
    resource_id: str
    fields: list[str]
    purpose: str
    at: datetime
