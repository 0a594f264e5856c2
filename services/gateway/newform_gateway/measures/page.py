"""The measures page (`/measures`, in Chinese): the coverage table of coverage.toml."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..web import shell as web
from ..web.shell import NavLink
from .service import STATUS_ZH, coverage

LABELS = {
    "zh": {
        "title": "措施实施情况",
        "note": (
            "宁政办〔2022〕41号各项措施：本系统是否实现、在哪里实现（服务：模块）、对应的规则编号；"
            "未实现的部分说明原因及指向的系统。"
        ),
        "measure": "措施",
        "status": "实现情况",
        "where": "实现位置",
        "rules": "规则编号",
        "gap": "未实现部分及原因",
        "points": "指向",
    },
    "en": {
        "title": "Measures and their implementation",
        "note": (
            "Each measure: whether the system implements it, where, its rule ids; "
            "for what it does not, why and where it points."
        ),
        "measure": "Measure",
        "status": "Status",
        "where": "Where",
        "rules": "Rules",
        "gap": "Not implemented, and why",
        "points": "Points to",
    },
}
STATUS_EN = {"implemented": "implemented", "partly": "partly", "points": "points elsewhere"}

page_router = APIRouter(include_in_schema=False)
NAV = NavLink("/measures", zh="措施", en="Measures", position=90)


@page_router.get("/measures", response_class=HTMLResponse)
async def measures_page(request: Request):
    guarded = web.guard(request)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    lang = web.lang_of(request)
    return web.render(
        request,
        "measures.html",
        lang,
        principal=principal,
        csrf=web.csrf_token(request, token),
        measures=coverage(),
        L=LABELS[lang],
        S=STATUS_ZH if lang == "zh" else STATUS_EN,
    )
