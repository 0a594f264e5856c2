"""The unions read model: one row per subject of unions's events, its latest event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field

from newform_common.db import json_field, timestamp_field

from ...models import GatewayModel


class UnionsSubject(GatewayModel, table=True):
    __tablename__ = "unions_subjects"

    subject: str = Field(primary_key=True, max_length=200)
    last_event_type: str = Field(max_length=120)
    last_event_at: datetime = timestamp_field()
    first_event_at: datetime = timestamp_field()
    platform_id: str | None = Field(default=None, max_length=100, index=True)
    worker_id: str | None = Field(default=None, max_length=100, index=True)
    data: dict[str, Any] = json_field()
