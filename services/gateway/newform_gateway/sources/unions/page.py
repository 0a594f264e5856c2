"""The unions page (`/unions`): union coverage per district and per platform (members over registered
workers, each with its total row; a district government sees its district's workers only),
collective contracts in force, consultations on platform rules and their outcomes (M17, M10)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from newform_common.app import SnapshotDep

from ...web import shell as web
from ...web.shell import NavLink
from .service import overview

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "工会与集体协商",
        "coverage_districts": "工会覆盖（按区县）",
        "coverage_platforms": "工会覆盖（按平台）",
        "coverage_note": (
            "会员数：在平台有有效注册、且为工会会员的劳动者；"
            "登记劳动者数：在平台有有效注册的劳动者（按其最近一次注册所报居住区县计入一个区县）。"
        ),
        "platform_note": "同一劳动者在多个平台注册的，在每个平台各计一次，合计为人次。",
        "district": "区县",
        "unknown_district": "未注明",
        "total": "合计",
        "platform": "平台",
        "members": "会员数",
        "registered": "登记劳动者数",
        "percent": "覆盖率",
        "contracts": "生效的集体合同",
        "contract": "集体合同",
        "union": "工会",
        "kind": "类型",
        "platforms": "约束平台",
        "in_force_on": "生效日",
        "until": "期满日",
        "late": "逾期报送",
        "consultations": "规则协商（M10）",
        "topic": "规则事项",
        "status": "状态",
        "requested_on": "提出协商日",
        "reply_due_on": "答复期限",
        "replied_on": "答复日",
        "outcome": "协商结果",
        "none": "暂无数据",
        "yes": "是",
        "no": "否",
    },
    "en": {
        "title": "Unions and collective consultation",
        "coverage_districts": "Union coverage per district",
        "coverage_platforms": "Union coverage per platform",
        "coverage_note": (
            "Members: workers with an active registration with a platform who are union members; registered "
            "workers: workers with an active registration (each in the residence district of their latest one)."
        ),
        "platform_note": "A worker registered with several platforms counts on each; the total counts registrations.",
        "district": "District",
        "unknown_district": "Not stated",
        "total": "Total",
        "platform": "Platform",
        "members": "Members",
        "registered": "Registered workers",
        "percent": "Coverage",
        "contracts": "Collective contracts in force",
        "contract": "Collective contract",
        "union": "Union",
        "kind": "Kind",
        "platforms": "Platforms bound",
        "in_force_on": "In force on",
        "until": "Until",
        "late": "Submitted late",
        "consultations": "Consultations on rules (M10)",
        "topic": "Topic",
        "status": "Status",
        "requested_on": "Requested on",
        "reply_due_on": "Reply due",
        "replied_on": "Replied on",
        "outcome": "Outcome",
        "none": "No data yet",
        "yes": "yes",
        "no": "no",
    },
}

#: The words of states and outcomes as the page shows them (the stored words are unions' own).
WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "enterprise": "企业",
        "sector": "行业",
        "district": "区域",
        "requested": "待答复",
        "replied": "已答复",
        "concluded": "已结束",
        "agreed": "达成一致",
        "not_agreed": "未达成一致",
    },
    "en": {},
}

page_router = APIRouter(include_in_schema=False)
#: The dashboard's navigation link to this page (`slices.navigation`).
NAV = NavLink("/unions", zh="工会", en="Unions")


@page_router.get("/unions", response_class=HTMLResponse)
async def unions_page(request: Request, session: SnapshotDep):
    guarded = web.guard(request)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    lang = web.lang_of(request)
    return web.render(
        request,
        "unions.html",
        lang,
        principal=principal,
        csrf=web.csrf_token(request, token),
        view=await overview(session, principal),
        L=LABELS[lang],
        W=WORDS[lang],
    )
