"""Disputes in the regulator's view (M10, M18, M20): read models of the disputes service's events,
their figures, the API and the dashboard page.

Read models (rebuilt by replaying `disputes.events`, `projections/disputes.py`):
- `dispute_complaints`: one row per complaint — platform, category, sector (occupation), district,
  when filed, answered (in time or not), resolved and how (accepted, mediation, department);
- `dispute_cases`: one row per case — its current stage, track, claims, when received and closed,
  and how mediation ended;
- `dispute_clock_expiries`: every legal clock that ran out (kind, subject, platform);
- `dispute_legal_aid`: workers' requests for legal aid, for the justice bureau.

Figures: cases by category, sector, district and stage; median durations (reply hours, days to
close a case); clocks run out by kind; the mediation success rate; per platform the complaints,
replies in time, median reply time and escalations — the "fair management" scorecard reads these.
Escalations themselves are findings, so they reach departments as alerts like any other
(`GET /v1/disputes/escalations` lists the ones routed to the caller).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, DateTime, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field

from newform_common.app import SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import Forbidden, problem_responses

from .models import Alert, GatewayModel
from .schemas import AlertPublic

ESCALATION_RULE_SUFFIX = ".complaint_escalated"
LEGAL_AID_DEPARTMENT = "justice"
CLOSED_STAGES = ("fulfilled", "withdrawn", "awarded", "settled", "court_referred", "judged")


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class DisputeComplaint(GatewayModel, table=True):
    __tablename__ = "dispute_complaints"

    complaint_id: str = Field(primary_key=True, max_length=64)
    platform_id: str = Field(max_length=100, index=True)
    category: str = Field(max_length=32)
    occupation: str | None = Field(default=None, max_length=40)
    district: str | None = Field(default=None, max_length=40)
    status: str = Field(max_length=20)  # awaiting_reply | answered | resolved
    filed_at: datetime = _ts(nullable=False)
    answered_at: datetime | None = _ts()
    answered_on_time: bool | None = None
    reply_overdue: bool | None = None
    resolution: str | None = Field(default=None, max_length=20)  # accepted | mediation | department
    escalation_measure: str | None = Field(default=None, max_length=4)
    resolved_at: datetime | None = _ts()


class DisputeCase(GatewayModel, table=True):
    __tablename__ = "dispute_cases"

    case_id: str = Field(primary_key=True, max_length=64)
    platform_id: str = Field(max_length=100, index=True)
    category: str = Field(max_length=32)
    occupation: str | None = Field(default=None, max_length=40)
    district: str | None = Field(default=None, max_length=40)
    track: str = Field(max_length=32)
    stage: str = Field(max_length=32)
    claims_total_fen: int = 0
    received_at: datetime = _ts(nullable=False)
    stage_at: datetime = _ts(nullable=False)
    closed_at: datetime | None = _ts()
    mediation_outcome: str | None = Field(default=None, max_length=32)  # agreement | no_agreement | withdrawn


class DisputeClockExpiry(GatewayModel, table=True):
    __tablename__ = "dispute_clock_expiries"

    kind: str = Field(primary_key=True, max_length=100)
    subject_id: str = Field(primary_key=True, max_length=64)
    platform_id: str = Field(max_length=100, index=True)
    due_at: datetime = _ts(nullable=False)
    finding_id: str | None = Field(default=None, max_length=64)


class DisputeLegalAid(GatewayModel, table=True):
    """A worker's request for legal aid, referred to the justice bureau's legal aid centre (M18)."""

    __tablename__ = "dispute_legal_aid"

    case_id: str = Field(primary_key=True, max_length=64)
    platform_id: str = Field(max_length=100)
    category: str = Field(max_length=32)
    district: str | None = Field(default=None, max_length=40)
    requested_at: datetime = _ts(nullable=False)


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------
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


class PlatformDisputes(BaseModel):
    platform_id: str
    complaints: int
    answered: int
    answered_on_time: int
    reply_overdue: int
    median_reply_hours: float | None
    escalations: int
    escalated_to_departments: int
    cases: int


async def platform_disputes(session: AsyncSession, platform_id: str | None = None) -> list[PlatformDisputes]:
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
        PlatformDisputes(
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


async def complaint_numbers(session: AsyncSession, platform_id: str) -> tuple[int, int]:
    """(complaints whose reply is settled — answered or overdue —, those answered in time): the
    "fair management" scorecard's reply-in-time share."""
    c = DisputeComplaint
    settled = (c.answered_at.is_not(None)) | (c.reply_overdue.is_(True))
    row = (
        await session.execute(
            select(func.count().filter(settled), func.count().filter(c.answered_on_time.is_(True))).where(
                c.platform_id == platform_id
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def overview(session: AsyncSession) -> dict[str, Any]:
    ended = DisputeCase.mediation_outcome.in_(("agreement", "no_agreement"))
    mediated = (
        await session.execute(
            select(func.count().filter(ended), func.count().filter(DisputeCase.mediation_outcome == "agreement"))
        )
    ).one()
    return {
        "complaints": {
            "total": (await session.execute(select(func.count()).select_from(DisputeComplaint))).scalar_one(),
            "by_category": await _counts(session, DisputeComplaint.category),
            "by_status": await _counts(session, DisputeComplaint.status),
            "by_resolution": await _counts(
                session, DisputeComplaint.resolution, DisputeComplaint.resolution.is_not(None)
            ),
            "median_reply_hours": await _median_value(session, REPLY_HOURS, DisputeComplaint.answered_at.is_not(None)),
        },
        "cases": {
            "total": (await session.execute(select(func.count()).select_from(DisputeCase))).scalar_one(),
            "by_category": await _counts(session, DisputeCase.category),
            "by_sector": await _counts(session, DisputeCase.occupation),
            "by_district": await _counts(session, DisputeCase.district),
            "by_stage": await _counts(session, DisputeCase.stage),
            "by_track": await _counts(session, DisputeCase.track),
            "median_days_to_close": await _median_value(session, CASE_DAYS, DisputeCase.closed_at.is_not(None)),
        },
        "mediation": {
            "ended": mediated[0],
            "agreements": mediated[1],
            "success_rate": round(mediated[1] / mediated[0], 3) if mediated[0] else None,
        },
        "clocks_run_out": await _counts(session, DisputeClockExpiry.kind),
        "legal_aid_requests": (await session.execute(select(func.count()).select_from(DisputeLegalAid))).scalar_one(),
        "platforms": [p.model_dump() for p in await platform_disputes(session)],
    }


async def escalations(session: AsyncSession, principal: Principal) -> list[AlertPublic]:
    """Complaints escalated as enforcement clues, as the alerts routed to the caller."""
    from . import queries  # queries imports this module for the scorecard figures

    rows = await session.execute(
        select(Alert)
        .where(and_(queries.visible(principal), Alert.rule.endswith(ESCALATION_RULE_SUFFIX)))
        .order_by(Alert.raised_at.desc(), Alert.alert_id)
        .limit(500)
    )
    return [queries.alert_public(a) for a in rows.scalars()]


# ---------------------------------------------------------------------------------------------
# API and the dashboard page
# ---------------------------------------------------------------------------------------------
router = APIRouter(prefix="/v1/disputes", tags=["disputes"])
Overseer = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]


@router.get(
    "/overview",
    responses=problem_responses(401, 403),
    summary="Complaints and cases by category, sector, district and stage; medians; clocks run out; "
    "mediation success; per platform",
)
async def disputes_overview(session: SnapshotDep, principal: Overseer) -> dict[str, Any]:
    return await overview(session)


@router.get(
    "/escalations",
    response_model=list[AlertPublic],
    responses=problem_responses(401, 403),
    summary="Escalated complaints (enforcement clues) routed to the caller's department",
)
async def disputes_escalations(session: SnapshotDep, principal: Overseer):
    return await escalations(session, principal)


class LegalAidRequest(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    case_id: str
    platform_id: str
    category: str
    district: str | None
    requested_at: datetime


@router.get(
    "/legal-aid",
    response_model=list[LegalAidRequest],
    responses=problem_responses(401, 403),
    summary="Workers' requests for legal aid, for the justice bureau (newest first)",
)
async def legal_aid_requests(session: SnapshotDep, principal: Overseer):
    if not principal.is_oversight() and principal.department != LEGAL_AID_DEPARTMENT:
        raise Forbidden("Legal aid requests go to the justice bureau")
    rows = await session.execute(
        select(DisputeLegalAid).order_by(DisputeLegalAid.requested_at.desc(), DisputeLegalAid.case_id).limit(500)
    )
    return [LegalAidRequest.model_validate(r) for r in rows.scalars()]


page_router = APIRouter(include_in_schema=False)

TEXT = {
    "disputes": "争议调处",
    "complaints": "投诉",
    "cases": "案件",
    "by_category": "按类别统计投诉",
    "case_category": "按类别统计案件",
    "case_sector": "按行业统计案件",
    "case_district": "按区县统计案件",
    "case_stage": "按阶段统计案件",
    "median_reply": "平台答复用时中位数（小时）",
    "median_close": "结案用时中位数（天）",
    "mediation_rate": "调解成功率",
    "clocks": "到期未办的法定时限",
    "platform": "平台",
    "answered": "已答复",
    "on_time": "按时答复",
    "overdue": "超期未答复",
    "escalations": "升级处理",
    "escalations_dept": "转交主管部门",
    "escalated_to_me": "转交本部门的投诉线索",
    "none": "暂无",
    "legal_aid": "法律援助申请",
}
STAGES = {
    "received": "已申请",
    "mediating": "调解中",
    "agreement": "达成协议",
    "fulfilled": "协议已履行",
    "no_agreement": "调解未成",
    "withdrawn": "已撤回",
    "arbitration_requested": "申请仲裁",
    "arbitration_refused": "不予受理",
    "arbitration_accepted": "仲裁审理中",
    "awarded": "已裁决",
    "settled": "仲裁调解结案",
    "court_referred": "转法院",
    "judged": "已判决",
}
CLOCKS = {
    "disputes.complaint_reply": "平台答复期限",
    "disputes.mediation_acceptance": "调解受理期限",
    "disputes.mediation_limit": "调解期限",
    "disputes.mediator_reassignment": "另行指派调解员期限",
    "disputes.agreement_fulfilment": "协议履行期限",
    "disputes.arbitration_acceptance": "仲裁受理期限",
    "disputes.arbitration_award": "仲裁裁决期限",
}


def _category_names() -> dict[str, str]:
    from newform_common.policy import business_today, get_policy

    try:
        return dict(get_policy().value("disputes.complaint.categories", business_today()))
    except (KeyError, LookupError):
        return {}


@page_router.get("/disputes", response_class=HTMLResponse)
async def disputes_page(request: Request, session: SnapshotDep):
    from . import charts, web

    guarded = web.guard(request)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    lang = web.lang_of(request)
    names = web.names(lang)
    data = await overview(session)
    categories = _category_names()
    chart_list = [
        charts.bar_chart(data["complaints"]["by_category"], categories, title=TEXT["by_category"]),
        charts.bar_chart(data["cases"]["by_category"], categories, title=TEXT["case_category"], color="#8e44ad"),
        charts.bar_chart(data["cases"]["by_sector"], names["occupations"], title=TEXT["case_sector"], color="#27ae60"),
        charts.bar_chart(
            data["cases"]["by_district"], names["districts"], title=TEXT["case_district"], color="#16a085"
        ),
        charts.bar_chart(data["cases"]["by_stage"], STAGES, title=TEXT["case_stage"], color="#d35400"),
        charts.bar_chart(data["clocks_run_out"], CLOCKS, title=TEXT["clocks"], color="#c0392b"),
    ]
    mine = [] if principal.is_oversight() else await escalations(session, principal)
    return web.render(
        request,
        "disputes.html",
        lang,
        principal=principal,
        csrf=web.csrf_token(request, token),
        data=data,
        charts=chart_list,
        d=TEXT,
        escalated=mine,
        categories=categories,
    )
