"""The inbox: which events a consumer group has handled, written with the handler's changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field

from .db import CommonModel


class InboxRow(CommonModel, table=True):
    __tablename__ = "inbox"

    consumer: str = Field(primary_key=True, max_length=200)
    event_id: str = Field(primary_key=True, max_length=64)
    type: str = Field(max_length=200)
    topic: str = Field(max_length=200)
    partition: int
    offset: int
    outcome: str = Field(default="handled", max_length=20)  # handled | dead_lettered
    handled_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    )


async def claim(
    session: AsyncSession, *, consumer: str, event_id: str, type_: str, topic: str, partition: int,
    offset: int, outcome: str = "handled",
) -> bool:
    """Record the event as handled; False if it already was (then the caller changes nothing)."""
    result = await session.execute(
        insert(InboxRow)
        .values(consumer=consumer, event_id=event_id, type=type_, topic=topic, partition=partition,
                offset=offset, outcome=outcome)
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(InboxRow.event_id)
    )
    return result.first() is not None


async def claim_many(session: AsyncSession, *, consumer: str, envelopes: list) -> set[str]:
    """Claim a batch of envelopes (read from Kafka) in one statement; returns the ids not seen before."""
    rows = {}
    for e in envelopes:
        rows.setdefault(e.id, dict(consumer=consumer, event_id=e.id, type=e.type, topic=e.topic,
                                   partition=e.partition, offset=e.offset, outcome="handled"))
    if not rows:
        return set()
    result = await session.execute(
        insert(InboxRow).values(list(rows.values()))
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(InboxRow.event_id)
    )
    return set(result.scalars())
