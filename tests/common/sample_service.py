"""A test-only service that exercises libs/common the way a real service does.

Notes are created by platforms (idempotently), published through the outbox, and counted by a
consumer into a projection — enough to test the whole event path end to end.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field as SQLField

from newform_common.app import SessionDep, create_service_app
from newform_common.auth import Principal, Role, require
from newform_common.consumer import ConsumerRunner
from newform_common.db import CommonModel, service_base
from newform_common.errors import NotFound, PolicyViolation, problem_responses
from newform_common.events import DomainEvent, Envelope, event_type
from newform_common.idempotency import idempotent
from newform_common.outbox import record
from newform_common.pagination import Page, PageParams, page_of, page_params
from newform_common.scope import ensure_platform
from newform_common.settings import ServiceSettings

SampleModel = service_base()


class Note(SampleModel, table=True):
    __tablename__ = "sample_notes"
    id: int | None = SQLField(default=None, primary_key=True)
    platform_id: str
    worker_id: str
    text: str


class NoteCount(SampleModel, table=True):
    __tablename__ = "sample_note_counts"
    worker_id: str = SQLField(primary_key=True)
    notes: int = 0


@event_type("sample.note.created.v1", key="worker_id")
class NoteCreated(DomainEvent):
    """A note was created."""

    note_id: int
    platform_id: str
    worker_id: str
    text: str


class NoteCreate(BaseModel):
    worker_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=500)
    deposit_fen: int = Field(0, ge=0)


class NotePublic(BaseModel):
    id: int
    platform_id: str
    worker_id: str
    text: str


router = APIRouter(prefix="/v1", tags=["notes"])


@router.post(
    "/platforms/{platform_id}/notes",
    status_code=201,
    response_model=NotePublic,
    responses=problem_responses(401, 403, 422),
)
async def create_note(
    platform_id: str,
    body: NoteCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Role.platform, Role.admin)],
):
    ensure_platform(principal, platform_id)

    async def produce() -> NotePublic:
        note = Note(platform_id=platform_id, worker_id=body.worker_id, text=body.text)
        session.add(note)
        await session.flush()
        record(session, NoteCreated(note_id=note.id, platform_id=platform_id, worker_id=body.worker_id, text=body.text))
        # Checked after the outbox write on purpose: the rollback must take the event with it.
        if body.deposit_fen > 0:
            raise PolicyViolation("A deposit may not be charged to the worker", measure="M5", rule="M5.no_deposit")
        return NotePublic.model_validate(note, from_attributes=True)

    return await idempotent(request, session, principal, body, produce)


@router.get("/platforms/{platform_id}/notes", response_model=Page[NotePublic])
async def list_notes(
    platform_id: str,
    session: SessionDep,
    principal: Annotated[Principal, require()],
    params: Annotated[PageParams, Depends(page_params)],
):
    ensure_platform(principal, platform_id)
    query = select(Note).where(Note.platform_id == platform_id).order_by(Note.id).limit(params.limit + 1)
    if params.after:
        query = query.where(Note.id > params.after[0])
    notes = [NotePublic.model_validate(n, from_attributes=True) for n in (await session.execute(query)).scalars()]
    return page_of(notes, params, lambda n: [n.id])


@router.get("/platforms/{platform_id}/notes/{note_id}", response_model=NotePublic)
async def get_note(platform_id: str, note_id: int, session: SessionDep, principal: Annotated[Principal, require()]):
    ensure_platform(principal, platform_id)
    note = await session.get(Note, note_id)
    if note is None or note.platform_id != platform_id:
        raise NotFound(f"No note {note_id}")
    return NotePublic.model_validate(note, from_attributes=True)


async def count_note(session: AsyncSession, envelope: Envelope) -> None:
    """The projection: counts notes per worker. Text 'poison' makes it fail, to test dead-lettering."""
    if envelope.data.get("text") == "poison":
        raise ValueError("this event cannot be projected")
    await session.execute(
        text(
            "insert into sample_note_counts (worker_id, notes) values (:w, 1) "
            "on conflict (worker_id) do update set notes = sample_note_counts.notes + 1"
        ),
        {"w": envelope.data["worker_id"]},
    )


def make_app(settings: ServiceSettings, *, with_consumer: bool = True):
    def consumers(db, s):
        if not with_consumer:
            return []
        return [
            ConsumerRunner(
                db,
                s.kafka_bootstrap_servers,
                group_id=f"{s.service_name}-counter",
                topics=[s.topic],
                handler=count_note,
                retry_delay=0.05,
            )
        ]

    return create_service_app(
        settings=settings,
        title="sample",
        description="test-only service",
        routers=[router],
        consumers=consumers,
        configure_logs=False,
    )


async def create_tables(engine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(CommonModel.metadata.create_all)
        await conn.run_sync(SampleModel.metadata.create_all)
