"""Every query of the departments service: reads and writes of its tables, nothing else (the router's
lists and reads, the use cases' locks and writes, the pull adapters' cursor)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.bulk import insert_new
from newform_common.locks import lock_keys
from newform_common.pagination import PageParams, keyset

from .models import AuditEntry, Fact, KnownSubject, PullRun, SubjectType


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
    workers = [k for t, k, _ in subjects if t == SubjectType.worker]
    enterprises = [k for t, k, _ in subjects if t == SubjectType.enterprise]
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
    await lock_subjects(
        session, [(SubjectType.worker, w) for w in workers] + [(SubjectType.enterprise, c) for c in credit_codes]
    )
    rows = await session.execute(
        select(KnownSubject.subject_type, KnownSubject.subject_key).where(
            or_(
                and_(KnownSubject.subject_type == SubjectType.worker, KnownSubject.subject_key.in_(workers)),
                and_(KnownSubject.subject_type == SubjectType.enterprise, KnownSubject.subject_key.in_(credit_codes)),
            )
        )
    )
    return {(t, k) for t, k in rows.all()}


# -- reads for the router and the pull adapters ---------------------------------------------------------------
async def stated_facts(
    session: AsyncSession,
    params: PageParams,
    *,
    kind: str | None,
    department: str | None,
    worker_id: str | None,
    credit_code: str | None,
) -> list[Fact]:
    """One page of stated facts (a key only claimed, version 0, is none yet), by id, filtered."""
    query = select(Fact).where(Fact.version > 0)
    for column, value in (
        (Fact.kind, kind),
        (Fact.department, department),
        (Fact.worker_id, worker_id),
        (Fact.credit_code, credit_code),
    ):
        if value is not None:
            query = query.where(column == value)
    return list((await session.execute(keyset(query, Fact.id, params))).scalars().all())


async def stated_fact(session: AsyncSession, fact_id: str) -> Fact | None:
    """The fact, unless it is only a claimed key (version 0)."""
    row = await session.get(Fact, fact_id)
    return None if row is None or row.version == 0 else row


async def audit_entries(
    session: AsyncSession, params: PageParams, *, department: str | None, action: str | None
) -> list[AuditEntry]:
    query = select(AuditEntry)
    if department is not None:
        query = query.where(AuditEntry.department == department)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return list((await session.execute(keyset(query, AuditEntry.id, params))).scalars().all())


async def last_runs(session: AsyncSession, source: str, limit: int = 10) -> list[PullRun]:
    """A pull source's latest runs, newest first."""
    query = select(PullRun).where(PullRun.source == source).order_by(PullRun.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars().all())


async def last_cursor(session: AsyncSession, source: str) -> str | None:
    """Where a source's next pull asks from: the cursor of its latest run that succeeded."""
    return await session.scalar(
        select(PullRun.cursor)
        .where(PullRun.source == source, PullRun.error.is_(None), PullRun.cursor.is_not(None))
        .order_by(PullRun.id.desc())
        .limit(1)
    )
