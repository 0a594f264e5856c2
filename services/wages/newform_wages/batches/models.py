"""The batches table and a batch's states."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field

from newform_common.states import require_transition, transitions

from ..models import ServiceModel, json_column, timestamp


class BatchStatus(StrEnum):
    """A batch is opened when its lines are read and completed in the same transaction."""

    processing = "processing"
    completed = "completed"


ALLOWED = transitions({BatchStatus.processing: {BatchStatus.completed}, BatchStatus.completed: set()})


def ensure_transition(current: str, to: BatchStatus) -> None:
    """The one check of a batch's moves (409 illegal-transition, the kit's `require_transition`)."""
    require_transition(ALLOWED, current, to, "batch")


class Batch(ServiceModel, table=True):
    """An upload (statements or sessions): counts, status and each bad line's error."""

    __tablename__ = "batches"
    __table_args__ = (Index("ix_batches_platform", "platform_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    platform_id: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # statements | sessions
    format: str = Field(max_length=8)  # jsonl | csv | json
    status: str = Field(max_length=16)
    line_count: int
    accepted: int
    duplicates: int
    rejected: int
    pending: int
    findings: int
    errors: list[dict[str, Any]] = json_column()
    created_at: datetime = timestamp()
    completed_at: datetime | None = timestamp(nullable=True)
