"""The inbox: which events a consumer group has handled, written with the handler's changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, col

from . import bulk
from .db import CommonModel, driver_connection
from .events import Envelope


class InboxRow(CommonModel, table=True):
    __tablename__ = "inbox"

    consumer: str = Field(primary_key=True, max_length=200)
    event_id: str = Field(primary_key=True, max_length=64)
    type: str = Field(max_length=200)
    topic: str = Field(max_length=200)
    partition: int
    offset: int = Field(sa_column=Column(BigInteger, nullable=False))  # Kafka offsets are 64-bit
    outcome: str = Field(default="handled", max_length=20)  # handled | dead_lettered
    handled_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    )


async def claim(
    session: AsyncSession,
    *,
    consumer: str,
    event_id: str,
    type_: str,
    topic: str,
    partition: int,
    offset: int,
    outcome: str = "handled",
) -> bool:
    """Record the event as handled; False if it already was (then the caller changes nothing)."""
    result = await session.execute(
        insert(InboxRow)
        .values(
            consumer=consumer,
            event_id=event_id,
            type=type_,
            topic=topic,
            partition=partition,
            offset=offset,
            outcome=outcome,
        )
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(col(InboxRow.event_id))
    )
    return result.first() is not None


_CLAIM_MANY = """
insert into inbox (consumer, event_id, type, topic, partition, "offset", outcome)
select $1, e.event_id, e.type, e.topic, e.partition, e.offset, 'handled'
from unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[])
     as e(event_id, type, topic, partition, "offset")
on conflict (consumer, event_id) do nothing
returning event_id
"""


async def claim_many(session: AsyncSession, *, consumer: str, envelopes: list[Envelope]) -> set[str]:
    """Claim a batch of envelopes (read from Kafka) in one statement; returns the ids not seen before."""
    rows: dict[str, Envelope] = {}
    for e in envelopes:
        rows.setdefault(e.id, e)
    if not rows:
        return set()
    batch = list(rows.values())
    conn = await driver_connection(session)
    claimed = await conn.fetch(
        _CLAIM_MANY,
        consumer,
        [e.id for e in batch],
        [e.type for e in batch],
        [e.topic or "" for e in batch],
        [e.partition or 0 for e in batch],
        [e.offset or 0 for e in batch],
    )
    return {r[0] for r in claimed}


async def record_new(session: AsyncSession, *, consumer: str, envelopes: list[Envelope]) -> None:
    """Record envelopes the caller knows this consumer has not handled (a rebuild into an empty
    database, deduplicated in memory) with COPY; an id already recorded fails the statement."""
    await bulk.copy(
        session,
        InboxRow,
        [
            dict(
                consumer=consumer,
                event_id=e.id,
                type=e.type,
                topic=e.topic or "",
                partition=e.partition or 0,
                offset=e.offset or 0,
                outcome="handled",
            )
            for e in envelopes
        ],
    )
