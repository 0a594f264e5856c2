"""The gateway's base model and its own table, the event log (audit trail); column helpers.

Every other table lives with its concern: each source's read models in `sources/<service>/models.py`,
alerts in `alerts/models.py`, credit records and listings in `credit/models.py`, webhooks and their
deliveries in `webhooks/models.py`. Read models are derived from events only and can be rebuilt by
replaying the topics (`rebuild.py`); the gateway's own actions (acknowledging, resolving) are events too
(`gateway.alert.*.v1` on the gateway's topic), so they replay as well. Webhooks and their
deliveries are operational state, not read models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from newform_common.db import service_base

GatewayModel = service_base()


def ts_field(nullable: bool = False, **kw) -> Any:
    """A timestamp with time zone column."""
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable, **kw))


def json_column(default: Any) -> Any:
    """A JSONB column, never null."""
    return Field(default_factory=default, sa_column=Column(JSONB, nullable=False))


class EventLog(GatewayModel, table=True):
    """Every event consumed, unknown types too, append-only: the regulator's audit trail. Partitioned by
    month of `time` (migration 0006_event_log_by_month says why its keys include `time`)."""

    __tablename__ = "event_log"
    __table_args__ = (
        Index("ix_event_log_worker", "worker_id", "time"),
        Index("ix_event_log_time", "time"),
        UniqueConstraint("event_id", "time", name="event_log_event_id_time_key"),
        {"postgresql_partition_by": "RANGE (time)"},
    )

    seq: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    event_id: str = Field(max_length=64)
    type: str = Field(max_length=200, index=True)
    source: str = Field(max_length=200)
    service: str = Field(max_length=100)
    subject: str | None = Field(default=None, max_length=200)
    key: str = Field(max_length=200)
    time: datetime = Field(sa_column=Column(DateTime(timezone=True), primary_key=True, nullable=False))
    data: dict[str, Any] = json_column(dict)
    worker_id: str | None = Field(default=None, max_length=100)
    platform_id: str | None = Field(default=None, max_length=100, index=True)
    topic: str | None = Field(default=None, max_length=200)
    partition: int | None = None
    offset: int | None = Field(default=None, sa_column=Column(BigInteger))  # Kafka offsets are 64-bit
    logged_at: datetime = ts_field(server_default=text("now()"))
