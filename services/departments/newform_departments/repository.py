"""Every query of the departments service: reads and writes of its tables, nothing else."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.bulk import insert_new

from .models import Fact, KnownSubject


async def claim_natural_key(session: AsyncSession, kind: str, department: str, reference: str, new_id: str,
                            at: datetime, observed_at: datetime) -> Fact:
    """The fact row under (kind, department, reference), locked; a placeholder (version 0) if new.

    Insert-or-nothing first, so two writers of the same new fact cannot both insert it: the second
    waits on the lock and then sees the first's statement."""
    await session.execute(insert(Fact).values(id=new_id, kind=kind, department=department, reference=reference,
                                              body={}, observed_at=observed_at, recorded_at=at, version=0)
                          .on_conflict_do_nothing(constraint="uq_facts_natural_key"))
    return (await session.execute(select(Fact).where(Fact.kind == kind, Fact.department == department,
                                                     Fact.reference == reference)
                                  .with_for_update().execution_options(populate_existing=True))).scalar_one()


async def subject_known(session: AsyncSession, worker_id: str | None, credit_code: str | None) -> bool:
    keys = [("worker", worker_id), ("enterprise", credit_code)]
    conditions = [and_(KnownSubject.subject_type == t, KnownSubject.subject_key == k) for t, k in keys if k]
    if not conditions:
        return False
    return (await session.scalar(select(KnownSubject.subject_key).where(or_(*conditions)).limit(1))) is not None


async def remember_subjects(session: AsyncSession, subjects: list[tuple[str, str, datetime]]) -> None:
    """Record newly seen subjects and link the facts kept for them (one statement per table)."""
    if not subjects:
        return
    await insert_new(session, KnownSubject, [{"subject_type": t, "subject_key": k, "first_seen_at": at}
                                             for t, k, at in subjects], key=["subject_type", "subject_key"])
    workers = [k for t, k, _ in subjects if t == "worker"]
    enterprises = [k for t, k, _ in subjects if t == "enterprise"]
    at = max(at for _, _, at in subjects)
    await session.execute(update(Fact).where(Fact.linked_at.is_(None), or_(
        Fact.worker_id.in_(workers), Fact.credit_code.in_(enterprises))).values(linked_at=at))
