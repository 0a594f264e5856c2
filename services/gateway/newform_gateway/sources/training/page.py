"""The 技能培训 page (`/training`): subsidies paid, budget use, refusals."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from newform_common import vocabulary
from newform_common.app import SnapshotDep

from ...web import shell as web
from ...web.shell import NavLink
from .service import summary

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "职业技能培训补贴",
        "certificates": "已发证书",
        "workers": "持证劳动者",
        "paid": "已发放补贴",
        "budget": "预算使用",
        "refused": "不予补贴（按原因）",
        "district": "区县",
        "occupation": "职业",
        "level": "等级",
        "channel": "申领渠道",
        "claims": "笔数",
        "amount": "金额（元）",
        "year": "年度",
        "paid_fen": "已发放（元）",
        "committed_fen": "已批准（元）",
        "waiting": "待预算",
        "reason": "原因",
        "worker": "个人申领",
        "enterprise": "企业申领",
        "none": "暂无数据",
        "review": "审核不予通过",
    },
    "en": {
        "title": "Skills training subsidies",
        "certificates": "Certificates issued",
        "workers": "Workers certified",
        "paid": "Subsidies paid",
        "budget": "Budget use",
        "refused": "Refused claims by reason",
        "district": "District",
        "occupation": "Occupation",
        "level": "Level",
        "channel": "Channel",
        "claims": "Claims",
        "amount": "Amount (yuan)",
        "year": "Year",
        "paid_fen": "Paid (yuan)",
        "committed_fen": "Approved (yuan)",
        "waiting": "Waiting for budget",
        "reason": "Reason",
        "worker": "worker",
        "enterprise": "enterprise",
        "none": "No data yet",
        "review": "refused on review",
    },
}

page_router = APIRouter(include_in_schema=False)
#: The dashboard's navigation link to this page (`slices.navigation`).
NAV = NavLink("/training", zh="技能培训", en="Training", position=30)


@page_router.get("/training", response_class=HTMLResponse)
async def training_page(request: Request, session: SnapshotDep):
    guarded = web.guard(request)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    lang = web.lang_of(request)
    return web.render(
        request,
        "training.html",
        lang,
        principal=principal,
        csrf=web.csrf_token(request, token),
        s=await summary(session),
        L=LABELS[lang],
        districts=vocabulary.districts(),
        occupations=vocabulary.occupations(),
    )
