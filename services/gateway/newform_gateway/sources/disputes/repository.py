"""The disputes slice's queries: writing a batch of disputes' events set-based, and the figures the API,
the page and the fair-management scorecard read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement
from sqlmodel import col

from newform_common import bulk
from newform_common.pagination import PageParams

from ...alerts.models import Alert
from .models import DisputeCase, DisputeClockExpiry, DisputeComplaint, DisputeLegalAid

ESCALATION_RULE_SUFFIX = ".complaint_escalated"
#: Columns an event may not know (None): the stored value stays.
COMPLAINT_KEPT = (
    "occupation",
    "district",
    "status",
    "answered_at",
    "answered_on_time",
    "reply_overdue",
    "resolution",
    "escalation_measure",
    "resolved_at",
)


# -- writes (the projection) ---------------------------------------------------------------------------
async def write_batch(
    session: AsyncSession,
    complaints: list[dict[str, Any]],
    cases: list[dict[str, Any]],
    expiries: list[dict[str, Any]],
    legal_aid: list[dict[str, Any]],
    overdue_replies: list[dict[str, Any]],
) -> None:
    await bulk.upsert(session, DisputeComplaint, complaints, key=["complaint_id"], keep_when_null=COMPLAINT_KEPT)
    await bulk.upsert(session, DisputeCase, cases, key=["case_id"], keep_when_null=("mediation_outcome", "closed_at"))
    await bulk.upsert(session, DisputeClockExpiry, expiries, key=["kind", "subject_id"])
    await bulk.upsert(session, DisputeLegalAid, legal_aid, key=["case_id"])
    # Only the flag: the complaint's own events fill (or have filled) the rest of its row.
    await bulk.upsert(session, DisputeComplaint, overdue_replies, key=["complaint_id"], update=["reply_overdue"])


# -- figures -------------------------------------------------------------------------------------------
async def _counts(session: AsyncSession, column, *where) -> dict[str, int]:
    rows = await session.execute(select(column, func.count()).where(*where).group_by(column))
    return {str(k) if k is not None else "unknown": v for k, v in rows.all()}


def _median(expression):
    return func.percentile_cont(0.5).within_group(expression)


async def _median_value(session: AsyncSession, expression, *where) -> float | None:
    value = (await session.execute(select(_median(expression)).where(*where))).scalar()
    return round(float(value), 1) if value is not None else None


REPLY_HOURS = func.extract("epoch", DisputeComplaint.answered_at - DisputeComplaint.filed_at) / 3600
CASE_DAYS = func.extract("epoch", DisputeCase.closed_at - DisputeCase.received_at) / 86400


async def platform_disputes(session: AsyncSession, platform_id: str | None = None) -> list[dict[str, Any]]:
    """Per platform: complaints, answered, answered on time, reply overdue, median reply hours,
    escalations, escalated to departments, cases."""
    c = DisputeComplaint
    escalated = c.resolution.in_(("mediation", "department"))
    query = (
        select(
            c.platform_id,
            func.count(),
            func.count(c.answered_at),
            func.count().filter(c.answered_on_time.is_(True)),
            func.count().filter(c.reply_overdue.is_(True)),
            _median(REPLY_HOURS),
            func.count().filter(escalated),
            func.count().filter(c.resolution == "department"),
        )
        .group_by(c.platform_id)
        .order_by(c.platform_id)
    )
    if platform_id is not None:
        query = query.where(c.platform_id == platform_id)
    cases = await _counts(session, DisputeCase.platform_id)
    return [
        dict(
            platform_id=pid,
            complaints=n,
            answered=answered,
            answered_on_time=on_time,
            reply_overdue=overdue,
            median_reply_hours=round(float(hours), 1) if hours is not None else None,
            escalations=esc,
            escalated_to_departments=dept,
            cases=cases.get(pid, 0),
        )
        for pid, n, answered, on_time, overdue, hours, esc, dept in (await session.execute(query)).all()
    ]


async def complaint_numbers_of(session: AsyncSession, platform_ids: list[str]) -> dict[str, tuple[int, int]]:
    """{platform: (complaints whose reply is settled — answered or overdue —, those answered in time)}: the
    "fair management" scorecard's reply-in-time share; (0, 0) for none."""
    c = DisputeComplaint
    settled = (col(c.answered_at).is_not(None)) | (col(c.reply_overdue).is_(True))
    rows = await session.execute(
        select(c.platform_id, func.count().filter(settled), func.count().filter(col(c.answered_on_time).is_(True)))
        .where(col(c.platform_id).in_(platform_ids))
        .group_by(c.platform_id)
    )
    found = {platform_id: (int(n), int(on_time)) for platform_id, n, on_time in rows}
    return {p: found.get(p, (0, 0)) for p in platform_ids}


async def mediations(session: AsyncSession) -> tuple[int, int]:
    """(mediations ended, of which with an agreement)."""
    ended = DisputeCase.mediation_outcome.in_(("agreement", "no_agreement"))
    mediated = (
        await session.execute(
            select(func.count().filter(ended), func.count().filter(DisputeCase.mediation_outcome == "agreement"))
        )
    ).one()
    return mediated[0], mediated[1]


async def complaint_figures(session: AsyncSession) -> dict[str, Any]:
    return {
        "total": (await session.execute(select(func.count()).select_from(DisputeComplaint))).scalar_one(),
        "by_category": await _counts(session, DisputeComplaint.category),
        "by_status": await _counts(session, DisputeComplaint.status),
        "by_resolution": await _counts(session, DisputeComplaint.resolution, DisputeComplaint.resolution.is_not(None)),
        "median_reply_hours": await _median_value(session, REPLY_HOURS, DisputeComplaint.answered_at.is_not(None)),
    }


async def case_figures(session: AsyncSession) -> dict[str, Any]:
    return {
        "total": (await session.execute(select(func.count()).select_from(DisputeCase))).scalar_one(),
        "by_category": await _counts(session, DisputeCase.category),
        "by_sector": await _counts(session, DisputeCase.occupation),
        "by_district": await _counts(session, DisputeCase.district),
        "by_stage": await _counts(session, DisputeCase.stage),
        "by_track": await _counts(session, DisputeCase.track),
        "median_days_to_close": await _median_value(session, CASE_DAYS, DisputeCase.closed_at.is_not(None)),
    }


async def clocks_run_out(session: AsyncSession) -> dict[str, int]:
    return await _counts(session, DisputeClockExpiry.kind)


async def legal_aid_count(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(DisputeLegalAid))).scalar_one()


async def escalated_alerts(session: AsyncSession, visible: ColumnElement[bool], params: PageParams) -> list[Alert]:
    """Alerts of escalated complaints (enforcement clues) among those `visible` admits, newest first, one page
    after the cursor (raised at, alert id) and one more (`ix_alerts_escalated_raised`, migration
    gw_disputes_0002: its predicate written inline, as the planner matches a partial index only against the
    same constant)."""
    escalated = col(Alert.rule).like(bindparam("escalated", f"%{ESCALATION_RULE_SUFFIX}", literal_execute=True))
    query = select(Alert).where(and_(visible, escalated))
    if params.after:
        query = query.where(
            func.row(Alert.raised_at, Alert.alert_id)
            < func.row(datetime.fromisoformat(str(params.after[0])), str(params.after[1]))
        )
    rows = await session.execute(query.order_by(Alert.raised_at.desc(), Alert.alert_id.desc()).limit(params.limit + 1))
    return list(rows.scalars())


async def legal_aid_requests(session: AsyncSession, params: PageParams) -> list[DisputeLegalAid]:
    """Requests newest first, one page after the cursor (requested at, case id) and one more
    (`ix_dispute_legal_aid_page`, migration 0005)."""
    query = select(DisputeLegalAid)
    if params.after:
        query = query.where(
            func.row(DisputeLegalAid.requested_at, DisputeLegalAid.case_id)
            < func.row(datetime.fromisoformat(str(params.after[0])), str(params.after[1]))
        )
    rows = await session.execute(
        query.order_by(DisputeLegalAid.requested_at.desc(), col(DisputeLegalAid.case_id).desc()).limit(params.limit + 1)
    )
    return list(rows.scalars())
