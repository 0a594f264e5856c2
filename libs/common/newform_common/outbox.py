"""The transactional outbox: an event is written in the same transaction as the fact it reports.

`record(session, event)` adds the row; nothing reaches Kafka unless the transaction commits, and
a committed fact is never lost even when Kafka is down (the relay publishes it later).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import BigInteger, Column, DateTime, Index, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only
from sqlmodel import Field

from .db import CommonModel, driver_connection_in_hook
from .events import DomainEvent, Envelope


class OutboxRow(CommonModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    event_id: str = Field(max_length=64, unique=True)
    topic: str = Field(max_length=200)
    key: str = Field(max_length=200)
    type: str = Field(max_length=200)
    source: str = Field(max_length=200)
    subject: str | None = Field(default=None, max_length=200)
    time: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    data: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    )
    published_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None)


def envelope_of(row: Any) -> Envelope:
    """The envelope of an outbox row (an OutboxRow or a plain row with its columns)."""
    return Envelope(
        id=row.event_id,
        source=row.source,
        type=row.type,
        time=row.time,
        key=row.key,
        subject=row.subject,
        data=row.data,
    )


def source_for(service: str) -> str:
    return f"/newform/{service}"


def topic_for(service: str) -> str:
    return f"{service}.events"


def record(session: AsyncSession, event: DomainEvent, *, time: datetime | None = None) -> Envelope:
    """Add `event` to the outbox within the session's transaction; returns its envelope.

    The rows are written by one multi-row INSERT just before the transaction commits (see
    `_write_pending_outbox`), not through the ORM unit of work: cheaper, and a rollback simply
    discards them.
    """
    service = session.info.get("service")
    if not service:
        raise RuntimeError("session has no service name: create it through newform_common.db.Database")
    envelope = Envelope.of(event, source=source_for(service), time=time)
    session.info.setdefault("outbox", []).append(envelope)
    return envelope


def record_data(
    session: AsyncSession, event_class: type[DomainEvent], data: dict[str, Any], *, time: datetime | None = None
) -> Envelope:
    """`record` for a high-volume path that already holds the event's JSON data (plain dicts, lists,
    strings, numbers), skipping a pydantic model build and dump per item. The caller owes the data
    the class's shape; its tests should validate recorded data with `event_class.model_validate`."""
    service = session.info.get("service")
    if not service:
        raise RuntimeError("session has no service name: create it through newform_common.db.Database")
    subject_field = event_class.subject_field or event_class.key_field
    envelope = Envelope(
        id=str(uuid.uuid4()),
        source=source_for(service),
        type=event_class.event_type,
        time=time or datetime.now(UTC),
        key=str(data[event_class.key_field]),
        subject=None if data.get(subject_field) is None else str(data[subject_field]),
        data=data,
    )
    session.info.setdefault("outbox", []).append(envelope)
    return envelope


# One statement for any number of rows, prepared once per connection; the data goes as JSON text
# (encoded once, by orjson) and becomes jsonb in the database.
_INSERT_OUTBOX = """
insert into outbox (event_id, topic, key, type, source, subject, time, data, attempts)
select e, $1, k, t, s, sub, tm, d::jsonb, 0
from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[])
  as u(e, k, t, s, sub, tm, d)
"""


#: An outbox row's columns as a write path inserts them in its own statement (`outbox_row`); the
#: others take their defaults (`created_at`, unpublished, no error).
ROW_COLUMNS = ("event_id", "topic", "key", "type", "source", "subject", "time", "data", "attempts")


def outbox_row(service: str, event: DomainEvent, *, time: datetime | None = None) -> tuple[Any, ...]:
    """The values of `event`'s outbox row in `ROW_COLUMNS` order (`data` as JSON text: cast it to jsonb),
    for a path that writes its fact and its event in one statement without a session. The caller then
    calls `Database.notify_outbox_committed`."""
    e = Envelope.of(event, source=source_for(service), time=time)
    return (e.id, topic_for(service), e.key, e.type, e.source, e.subject, e.time, orjson.dumps(e.data).decode(), 0)


@event.listens_for(Session, "before_commit")
def _write_pending_outbox(session: Session) -> None:
    pending: list[Envelope] = session.info.pop("outbox", [])
    if not pending:
        return
    # On the driver's connection, inside the session's transaction: an event row is the hottest write
    # of every service, and SQLAlchemy's statement and parameter machinery cost more than the insert.
    await_only(
        driver_connection_in_hook(session).execute(
            _INSERT_OUTBOX,
            topic_for(session.info["service"]),
            [e.id for e in pending],
            [e.key for e in pending],
            [e.type for e in pending],
            [e.source for e in pending],
            [e.subject for e in pending],
            [e.time for e in pending],
            [orjson.dumps(e.data).decode() for e in pending],
        )
    )
    session.info["outbox_pending"] = True


@event.listens_for(Session, "after_rollback")
def _discard_pending_outbox(session: Session) -> None:
    session.info.pop("outbox", None)
