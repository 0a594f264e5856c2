"""The alerts page (`/alerts`: the caller's alerts by department) and its forms: acknowledge, comment,
decide — each checked against the session's CSRF token."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from newform_common.app import SessionDep, SnapshotDep
from newform_common.errors import Problem
from newform_common.pagination import PageParams

from ..web.shell import csrf_token, guard, lang_of, render
from . import routing, service
from .models import ACKNOWLEDGED, COMMENTED, OUTCOMES, RESOLVED

page_router = APIRouter(include_in_schema=False)


@page_router.get("/alerts", response_class=HTMLResponse)
async def alerts_page(request: Request, session: SnapshotDep, status: str | None = None, department: str | None = None):
    guarded = guard(request)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    lang = lang_of(request)
    status = status if status in ("open", "acknowledged", "resolved") else None
    page = await service.list_alerts(
        session, principal, PageParams(limit=200, after=None), status=status, department=department or None
    )
    by_department: dict[str, list] = {}
    own = routing.department_key(principal)
    for alert in page.items:
        for d in alert.departments:
            if principal.is_oversight() and department and d != department:
                continue
            if not principal.is_oversight() and d != own:
                continue
            by_department.setdefault(d, []).append(alert)
    return render(
        request,
        "alerts.html",
        lang,
        principal=principal,
        csrf=csrf_token(request, token),
        groups=sorted(by_department.items()),
        status=status,
        department=department,
        own=own,
        outcomes=OUTCOMES,
        department_options=sorted({d for a in page.items for d in a.departments}),
    )


async def _act(
    request: Request, session, csrf: str, alert_id: str, action: str, note: str | None, outcome: str | None = None
) -> Response:
    guarded = guard(request)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    lang = lang_of(request)
    if not hmac.compare_digest(csrf, csrf_token(request, token)):
        return render(
            request, "error.html", lang, status_code=403, principal=principal, csrf="", message="CSRF token mismatch"
        )
    try:
        await service.act_on_alert(
            session, principal, request.app.state.ctx, alert_id, action=action, note=note or None, outcome=outcome
        )
    except Problem as exc:
        return render(
            request,
            "error.html",
            lang,
            status_code=exc.status,
            principal=principal,
            csrf="",
            message=exc.detail or exc.title,
        )
    return RedirectResponse("/alerts", status_code=303)


@page_router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge_form(
    alert_id: str, request: Request, session: SessionDep, csrf: str = Form(...), note: str = Form("", max_length=2000)
):
    return await _act(request, session, csrf, alert_id, ACKNOWLEDGED, note)


@page_router.post("/alerts/{alert_id}/comments")
async def comment_form(
    alert_id: str,
    request: Request,
    session: SessionDep,
    csrf: str = Form(...),
    note: str = Form(..., min_length=1, max_length=2000),
):
    return await _act(request, session, csrf, alert_id, COMMENTED, note)


@page_router.post("/alerts/{alert_id}/resolve")
async def resolve_form(
    alert_id: str,
    request: Request,
    session: SessionDep,
    csrf: str = Form(...),
    outcome: str = Form(...),
    note: str = Form("", max_length=2000),
):
    if outcome not in OUTCOMES:
        outcome = None
    return await _act(request, session, csrf, alert_id, RESOLVED, note, outcome)
