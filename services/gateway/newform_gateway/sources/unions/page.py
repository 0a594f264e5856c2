"""The unions page (`/unions`): each subject's latest event, the first page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from newform_common.app import SnapshotDep
from newform_common.pagination import PageParams

from ...web import shell as web
from ...web.shell import NavLink
from .service import subjects

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "unions",
        "subject": "对象",
        "event": "最近事件",
        "at": "时间",
        "platform": "平台",
        "none": "暂无数据",
    },
    "en": {
        "title": "unions",
        "subject": "Subject",
        "event": "Latest event",
        "at": "Time",
        "platform": "Platform",
        "none": "No data yet",
    },
}

page_router = APIRouter(include_in_schema=False)
#: The dashboard's navigation link to this page (`slices.navigation`): name it in Chinese and English.
NAV = NavLink("/unions", zh="unions", en="unions")


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
        page=await subjects(session, PageParams(limit=100, after=None)),
        L=LABELS[lang],
    )
