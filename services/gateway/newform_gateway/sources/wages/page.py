"""The 工资与工时 page (`/wages`): arrears trend and groups, working time over the limits, pay compliance."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from newform_common.app import SnapshotDep

from ...web import charts
from ...web import shell as web
from ...web.shell import NavLink
from . import service

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
#: The dashboard's navigation link to this page (`slices.navigation`).
NAV = NavLink("/wages", zh="工资与工时", en="Pay and hours", position=10)


@page_router.get("/wages", response_class=HTMLResponse)
async def wages_page(request: Request, session: SnapshotDep):
    guarded = web.guard(request)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    lang = web.lang_of(request)
    w, n = TEXT[lang], web.names(lang)
    owed = await service.arrears(session)
    by_district: dict[str, int] = {}
    by_occupation: dict[str, int] = {}
    for g in owed.by_group:
        by_district[g.district or "—"] = by_district.get(g.district or "—", 0) + g.cases
        by_occupation[g.occupation or "—"] = by_occupation.get(g.occupation or "—", 0) + g.cases
    trend_rows = [{"date": m.month, "cases": m.cases, "amount": m.amount_fen // 100} for m in owed.trend]
    hours = await service.working_time(session)
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
        compliance=await service.pay_compliance(session),
        hours=hours,
    )
