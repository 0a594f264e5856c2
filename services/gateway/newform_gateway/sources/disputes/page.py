"""The 争议调处 page (`/disputes`): complaints and cases by category, sector, district and stage; clocks run
out; the escalations routed to the caller."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from newform_common import policy as policy_module
from newform_common.app import SnapshotDep
from newform_common.pagination import PageParams

from ...web import charts
from ...web import shell as web
from ...web.shell import NavLink
from . import service

#: The escalations the page shows: the newest page (the API pages through all of them).
FIRST_PAGE = PageParams(limit=200, after=None)

page_router = APIRouter(include_in_schema=False)
#: The dashboard's navigation link to this page (`slices.navigation`).
NAV = NavLink("/disputes", zh="争议调处", en="Disputes", position=20)

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
    try:
        return dict(policy_module.get_policy().value("disputes.complaint.categories", policy_module.business_today()))
    except (KeyError, LookupError):
        return {}


@page_router.get("/disputes", response_class=HTMLResponse)
async def disputes_page(request: Request, session: SnapshotDep):
    guarded = web.guard(request)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    lang = web.lang_of(request)
    names = web.names(lang)
    data = await service.overview(session)
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
    mine = [] if principal.is_oversight() else (await service.escalations(session, principal, FIRST_PAGE)).items
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
