"""Every query of the departments service: reads and writes of its tables, nothing else."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.bulk import insert_new
from newform_common.locks import lock_keys

from .models import Fact, KnownSubject


async def lock_subjects(session: AsyncSession, subjects: list[tuple[str, str]]) -> None:
    """Serialise "keep a fact unlinked" (intake finds no such subject) with "the subject arrives" (the
    consumer links the facts kept for it): without it, each could miss the other's uncommitted row
    and the fact would stay unlinked for good."""
    await lock_keys(session, "departments-subject", [f"{t}:{k}" for t, k in subjects if k])


async def remember_subjects(session: AsyncSession, subjects: list[tuple[str, str, datetime]]) -> None:
    """Record newly seen subjects and link the facts kept for them (one statement per table)."""
    if not subjects:
        return
    await lock_subjects(session, [(t, k) for t, k, _ in subjects])
    await insert_new(
        session,
        KnownSubject,
        [{"subject_type": t, "subject_key": k, "first_seen_at": at} for t, k, at in subjects],
        key=["subject_type", "subject_key"],
    )
    workers = [k for t, k, _ in subjects if t == "worker"]
    enterprises = [k for t, k, _ in subjects if t == "enterprise"]
    at = max(at for _, _, at in subjects)
    await session.execute(
        update(Fact)
        .where(Fact.linked_at.is_(None), or_(Fact.worker_id.in_(workers), Fact.credit_code.in_(enterprises)))
        .values(linked_at=at)
    )


async def claim_natural_keys(session: AsyncSession, placeholders: list[dict]) -> None:
    """Placeholder rows (version 0) for keys not stored yet, in one statement (see claim_natural_key)."""
    await insert_new(session, Fact, placeholders, key=["kind", "department", "reference"])


async def facts_for_update(session: AsyncSession, keys: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], Fact]:
    """The rows under these natural keys, locked (in id order, so concurrent batches lock alike)."""
    rows = (
        await session.execute(
            select(Fact)
            .where(tuple_(Fact.kind, Fact.department, Fact.reference).in_(keys))
            .order_by(Fact.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalars()
    return {(r.kind, r.department, r.reference): r for r in rows}


async def known_subjects(session: AsyncSession, workers: list[str], credit_codes: list[str]) -> set[tuple[str, str]]:
    """The subjects among these already seen; locked first, so one arriving meanwhile waits for us."""
    if not workers and not credit_codes:
        return set()
    await lock_subjects(session, [("worker", w) for w in workers] + [("enterprise", c) for c in credit_codes])
    rows = await session.execute(
        select(KnownSubject.subject_type, KnownSubject.subject_key).where(
            or_(
                and_(KnownSubject.subject_type == "worker", KnownSubject.subject_key.in_(workers)),
                and_(KnownSubject.subject_type == "enterprise", KnownSubject.subject_key.in_(credit_codes)),
            )
        )
    )
    return {(t, k) for t, k in rows.all()}
