"""The work_sessions table."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from ..models import ServiceModel, timestamp


class WorkSession(ServiceModel, table=True):
    """Online time of one worker on one platform (working time per the 2024 guideline), stored on the
    Asia/Shanghai date it starts."""

    __tablename__ = "work_sessions"
    __table_args__ = (
        UniqueConstraint("platform_id", "line_id", name="uq_work_sessions_line"),
        Index("ix_work_sessions_worker_day", "worker_id", "work_date"),
        Index("ix_work_sessions_platform_worker", "platform_id", "worker_id", "started_at"),
        Index("ix_work_sessions_post_day", "platform_id", "post", "work_date"),
    )

    id: str = Field(primary_key=True, max_length=40)
    platform_id: str = Field(max_length=64)
    line_id: str = Field(max_length=100)
    batch_id: str | None = Field(default=None, max_length=40)
    worker_id: str = Field(max_length=64)
    contract_id: str | None = Field(default=None, max_length=64)
    post: str | None = Field(default=None, max_length=64)
    started_at: datetime = timestamp()
    ended_at: datetime = timestamp()
    work_date: date
    working_minutes: int
    order_minutes: int
    orders_completed: int
    received_at: datetime = timestamp()
