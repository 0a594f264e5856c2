"""The regulator's view of wages: pay compliance per platform and month, arrears by district and
occupation (with their trend), working time over the limits and quota results — API and a zh-CN page.

Read from the wages read models (`projections/wages.py`) and from the alerts wages' findings became
(arrears and working-time breaches are findings). Aggregates only: no worker is named here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.app import SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import problem_responses

from . import charts

Viewer = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]
MONTH = Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="A month, YYYY-MM (period end)")

ARREARS_RULE = "M6.wage_arrears"


class PayCompliance(BaseModel):
    platform_id: str
    month: str
    statements: int
    judged: int
    pending: int
    minimum_wage_met: int
    paid_on_time: int
    with_breaches: int
    net_due_fen: int
    paid_fen: int


class ArrearsGroup(BaseModel):
    district: str | None
    occupation: str | None
    cases: int
    amount_fen: int
    workers: int


class ArrearsMonth(BaseModel):
    month: str
    cases: int
    amount_fen: int


class Arrears(BaseModel):
    by_group: list[ArrearsGroup]
    trend: list[ArrearsMonth]


class WorkingTime(BaseModel):
    breaches_by_rule: dict[str, int]
    workers_over_limits: int
    quota_days: int
    quota_days_met: int


# -- queries ------------------------------------------------------------------------------------------
async def pay_compliance(
    session: AsyncSession, platform_id: str | None = None, month: str | None = None
) -> list[PayCompliance]:
    rows = await session.execute(
        text(
            "select platform_id, to_char(period_end, 'YYYY-MM') as month, count(*) as statements, "
            "count(*) filter (where status = 'judged') as judged, count(*) filter (where status = "
            "'pending') as pending, "
            "count(*) filter (where minimum_wage_met) as minimum_wage_met, "
            "count(*) filter (where status = 'judged' and paid_fen >= net_due_fen and paid_on <= due_date) "
            "as paid_on_time, count(*) filter (where jsonb_array_length(rules_broken) > 0) as with_breaches, "
            "coalesce(sum(net_due_fen), 0)::bigint as net_due_fen, coalesce(sum(paid_fen), 0)::bigint as paid_fen "
            "from wage_statements where (cast(:p as text) is null or platform_id = :p) "
            "and (cast(:m as text) is null or to_char(period_end, 'YYYY-MM') = :m) group by 1, 2 order by 2 desc, 1"
        ),
        {"p": platform_id, "m": month},
    )
    return [PayCompliance(**r) for r in rows.mappings()]


_ARREARS_AMOUNT = "coalesce((a.evidence -> -1 -> 'evidence' ->> 'arrears_fen')::bigint, 0)"


async def arrears(session: AsyncSession) -> Arrears:
    """Arrears alerts (from wages' M6.wage_arrears findings), by district and occupation, and per month."""
    groups = await session.execute(
        text(
            f"select a.district, a.occupation, count(*) as cases, coalesce(sum({_ARREARS_AMOUNT}), 0)::bigint "
            "as amount_fen, count(distinct a.worker_id) as workers from alerts a where a.rule = :rule "
            "and a.source_service = 'wages' group by 1, 2 order by 4 desc, 1, 2"
        ),
        {"rule": ARREARS_RULE},
    )
    trend = await session.execute(
        text(
            f"select to_char(a.first_observed_at at time zone 'Asia/Shanghai', 'YYYY-MM') as month, count(*) as cases, "
            f"coalesce(sum({_ARREARS_AMOUNT}), 0)::bigint as amount_fen from alerts a where a.rule = :rule "
            "and a.source_service = 'wages' group by 1 order by 1"
        ),
        {"rule": ARREARS_RULE},
    )
    return Arrears(
        by_group=[ArrearsGroup(**r) for r in groups.mappings()], trend=[ArrearsMonth(**r) for r in trend.mappings()]
    )


async def working_time(session: AsyncSession) -> WorkingTime:
    rules = await session.execute(
        text("select rule, count(*) from alerts where source_service = 'wages' and measure = 'M7' group by 1")
    )
    workers = await session.execute(
        text(
            "select count(distinct worker_id) from alerts where source_service = 'wages' and measure = 'M7' "
            "and rule in ('M7.daily_hours', 'M7.monthly_overtime', 'M7.part_time_hours')"
        )
    )
    quotas = await session.execute(text("select count(*), count(*) filter (where met) from wage_quota_results"))
    days, met = quotas.one()
    return WorkingTime(
        breaches_by_rule={r: n for r, n in rules},
        workers_over_limits=workers.scalar_one(),
        quota_days=days,
        quota_days_met=met,
    )


async def platform_pay_numbers(session: AsyncSession, platform_id: str) -> tuple[int, int]:
    """(judged statements, of which compliant: minimum wage met, paid on time, no breach) for scorecards."""
    row = (
        await session.execute(
            text(
                "select count(*) filter (where status = 'judged'), count(*) filter (where status = 'judged' "
                "and minimum_wage_met and paid_fen >= net_due_fen and paid_on <= due_date "
                "and jsonb_array_length(rules_broken) = 0) from wage_statements where platform_id = :p"
            ),
            {"p": platform_id},
        )
    ).one()
    return row[0], row[1]


# -- API -----------------------------------------------------------------------------------------------
router = APIRouter(prefix="/v1/wages", tags=["wages"])


@router.get(
    "/compliance",
    response_model=list[PayCompliance],
    responses=problem_responses(401, 403, 422),
    summary="Pay compliance per platform and month: minimum wage met, paid on time, breaches",
)
async def get_pay_compliance(
    session: SnapshotDep,
    principal: Viewer,
    platform_id: Annotated[str | None, Query(max_length=100)] = None,
    month: Annotated[str | None, MONTH] = None,
):
    return await pay_compliance(session, platform_id, month)


@router.get(
    "/arrears",
    response_model=Arrears,
    responses=problem_responses(401, 403),
    summary="Wage arrears by district and occupation (cases, amount, workers) and per month",
)
async def get_arrears(session: SnapshotDep, principal: Viewer):
    return await arrears(session)


@router.get(
    "/working-time",
    response_model=WorkingTime,
    responses=problem_responses(401, 403),
    summary="Working time over the limits (across platforms) and quota results",
)
async def get_working_time(session: SnapshotDep, principal: Viewer):
    return await working_time(session)


# -- the dashboard page ------------------------------------------------------------------------------------
TEXT = {
    "zh": {
        "title": "工资与工时",
        "arrears_trend": "欠薪趋势（按月，件数）",
        "arrears_amount": "欠薪金额趋势（元）",
        "arrears_by_district": "按区县统计欠薪（件）",
        "arrears_by_occupation": "按职业统计欠薪（件）",
        "compliance": "最低工资与按时支付",
        "platform": "平台",
        "month": "月份",
        "statements": "工资记录",
        "minimum_wage_met": "达到最低工资",
        "paid_on_time": "按时足额支付",
        "pending": "待匹配合同",
        "hours": "工时超限",
        "workers_over_limits": "工时超限劳动者",
        "quota": "劳动定额可完成（天）",
        "rules": {
            "M7.daily_hours": "日工作时间超限",
            "M7.monthly_overtime": "月加班超限",
            "M7.part_time_hours": "非全日制工时超限",
            "M7.rest_break": "连续工作未休息",
            "M7.quota_unreachable": "劳动定额过高",
        },
    },
    "en": {
        "title": "Pay and working time",
        "arrears_trend": "Arrears per month (cases)",
        "arrears_amount": "Arrears amount per month (yuan)",
        "arrears_by_district": "Arrears by district (cases)",
        "arrears_by_occupation": "Arrears by occupation (cases)",
        "compliance": "Minimum wage and on-time pay",
        "platform": "Platform",
        "month": "Month",
        "statements": "Statements",
        "minimum_wage_met": "Minimum wage met",
        "paid_on_time": "Paid in full on time",
        "pending": "Awaiting contract",
        "hours": "Working time over limits",
        "workers_over_limits": "Workers over limits",
        "quota": "Quota reachable (days)",
        "rules": {
            "M7.daily_hours": "Daily hours",
            "M7.monthly_overtime": "Monthly overtime",
            "M7.part_time_hours": "Part-time hours",
            "M7.rest_break": "No rest break",
            "M7.quota_unreachable": "Quota too high",
        },
    },
}

page_router = APIRouter(include_in_schema=False)


@page_router.get("/wages", response_class=HTMLResponse)
async def wages_page(request: Request, session: SnapshotDep):
    from . import web

    guarded = web.guard(request)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    lang = web.lang_of(request)
    w, n = TEXT[lang], web.names(lang)
    owed = await arrears(session)
    by_district: dict[str, int] = {}
    by_occupation: dict[str, int] = {}
    for g in owed.by_group:
        by_district[g.district or "—"] = by_district.get(g.district or "—", 0) + g.cases
        by_occupation[g.occupation or "—"] = by_occupation.get(g.occupation or "—", 0) + g.cases
    trend_rows = [{"date": m.month, "cases": m.cases, "amount": m.amount_fen // 100} for m in owed.trend]
    hours = await working_time(session)
    page_charts = [
        charts.bar_chart(by_district, n["districts"], title=w["arrears_by_district"], color="#c0392b"),
        charts.bar_chart(by_occupation, n["occupations"], title=w["arrears_by_occupation"], color="#d35400"),
        charts.bar_chart(hours.breaches_by_rule, w["rules"], title=w["hours"], color="#8e44ad"),
    ]
    return web.render(
        request,
        "wages.html",
        lang,
        principal=principal,
        csrf=web.csrf_token(request, token),
        w=w,
        trend=charts.line_chart(trend_rows, {"cases": w["arrears_trend"]}, title=w["arrears_trend"]),
        amount=charts.line_chart(trend_rows, {"amount": w["arrears_amount"]}, title=w["arrears_amount"]),
        charts=page_charts,
        compliance=await pay_compliance(session),
        hours=hours,
    )
