"""The platforms page (`/platforms`): every platform's numbers and scorecard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from newform_common.app import SnapshotDep

from ..web.shell import csrf_token, guard, lang_of, render
from . import service

page_router = APIRouter(include_in_schema=False)


@page_router.get("/platforms", response_class=HTMLResponse)
async def platforms_page(request: Request, session: SnapshotDep):
    guarded = guard(request)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    lang = lang_of(request)
    details = await service.platform_details(session, await service.platform_ids(session))
    return render(
        request, "platforms.html", lang, principal=principal, csrf=csrf_token(request, token), platforms=details
    )
