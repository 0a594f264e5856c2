"""A batch's response model and its lines' errors."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class LineError(BaseModel):
    line: int = Field(description="1-based line number in the upload (CSV: the data row, header excluded)")
    line_id: str | None = None
    field: str | None = None
    message: str
    measure: str | None = None
    rule: str | None = None
    type: str = Field(
        "invalid-line", description="invalid-line | policy-not-in-force | predates-policy | duplicate-line-id"
    )


class BatchPublic(BaseModel):
    """A batch upload: status and counts (lines = accepted + duplicates + rejected)."""

    model_config = ConfigDict(from_attributes=True)

    batch_id: str
    platform_id: str
    kind: Literal["statements", "sessions"]
    format: Literal["jsonl", "csv", "json"]
    status: Literal["processing", "completed"]
    line_count: int
    accepted: int
    duplicates: int = Field(description="Lines whose line id was stored already: nothing changed")
    rejected: int
    pending: int = Field(description="Accepted statements waiting for their engagement from contracts")
    findings: int
    errors: list[LineError]
    created_at: datetime
    completed_at: datetime | None
