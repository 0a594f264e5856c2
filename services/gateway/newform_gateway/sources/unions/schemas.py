"""The unions API's answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class UnionsSubjectPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    subject: str
    last_event_type: str
    last_event_at: datetime
    first_event_at: datetime
    platform_id: str | None
    worker_id: str | None
    data: dict[str, Any]
