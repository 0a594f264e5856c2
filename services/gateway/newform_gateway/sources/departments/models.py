"""The department-facts read model: one row per fact a department stated, its latest version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field

from newform_common.db import json_field, timestamp_field

from ...models import GatewayModel


class DepartmentFact(GatewayModel, table=True):
    __tablename__ = "department_facts"

    fact_id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=40, index=True)
    department: str = Field(max_length=32)
    reference: str = Field(max_length=100)
    subject_key: str = Field(max_length=64, index=True)
    version: int
    fields: dict[str, Any] = json_field()
    observed_at: datetime = timestamp_field()
    recorded_at: datetime = timestamp_field()
