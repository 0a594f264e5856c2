"""The alerts page (`/alerts`: the caller's alerts by department) and its forms: acknowledge, comment,
decide — each checked against the session's CSRF token."""

from __future__ import annotations

import hmac
import re
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from newform_common import vocabulary
from newform_common.app import SessionDep, SnapshotDep
from newform_common.errors import Problem
from newform_common.pagination import PageParams, decode_cursor
from newform_common.policy import business_today

from ..web.shell import csrf_token, guard, lang_of, render
from . import routing, service
from .models import ACKNOWLEDGED, COMMENTED, OUTCOMES, RESOLVED

page_router = APIRouter(include_in_schema=False)


#: The filters the page offers, as the API takes them (`GET /v1/alerts`).
MONTH_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MEASURE_PATTERN = re.compile(r"^M([1-9]|1[0-9]|20)$")
PAGE_SIZE = 100


@page_router.get("/alerts", response_class=HTMLResponse)
async def alerts_page(
    request: Request,
    session: SnapshotDep,
    status: str | None = None,
    department: str | None = None,
    measure: str | None = None,
    district: str | None = None,
    month: str | None = None,
    platform_id: str | None = None,
    overdue: str | None = None,
    cursor: str | None = None,
):
    guarded = guard(request)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    lang = lang_of(request)
    texts: dict[str, str | None] = {
        "status": status if status in ("open", "acknowledged", "resolved") else None,
        "department": (department or None) if principal.is_oversight() else None,
        "measure": measure if measure and MEASURE_PATTERN.match(measure) else None,
        "district": district if district in vocabulary.districts(business_today()) else None,
        "month": month if month and MONTH_PATTERN.match(month) else None,
        "platform_id": (platform_id or "").strip()[:100] or None,
    }
    overdue_only = True if overdue == "1" else None
    try:
        params = PageParams(limit=PAGE_SIZE, after=decode_cursor(cursor) if cursor else None)
    except Problem:
        params = PageParams(limit=PAGE_SIZE, after=None)
    page = await service.list_alerts(
        session,
        principal,
        params,
        status=texts["status"],
        measure=texts["measure"],
        department=texts["department"],
        platform_id=texts["platform_id"],
        overdue=overdue_only,
        district=texts["district"],
        month=texts["month"],
    )
    filters: dict[str, str | bool | None] = {**texts, "overdue": overdue_only}
    by_department: dict[str, list] = {}
    own = routing.department_key(principal)
    for alert in page.items:
        for d in alert.departments:
            if principal.is_oversight() and filters["department"] and d != filters["department"]:
                continue
            if not principal.is_oversight() and d != own:
                continue
            by_department.setdefault(d, []).append(alert)
    chosen = {**{k: v for k, v in texts.items() if v}, **({"overdue": "1"} if overdue_only else {})}
    return render(
        request,
        "alerts.html",
        lang,
        principal=principal,
        csrf=csrf_token(request, token),
        groups=sorted(by_department.items()),
        own=own,
        outcomes=OUTCOMES,
        department_options=department_options(),
        measure_options=[f"M{n}" for n in range(1, 21)],
        filters=filters,
        next_page="/alerts?" + urlencode({**chosen, "cursor": page.next_cursor}) if page.next_cursor else None,
        status=texts["status"],
        department=texts["department"],
    )


def department_options() -> list[str]:
    """Every department key an alert may be routed to: the catalogue's units, and each district's government
    (`county:<district>`) in place of the catalogue's `county`."""
    today = business_today()
    units = [d for d in vocabulary.departments(today) if d != "county"]
    return units + [f"county:{d}" for d in vocabulary.districts(today)]


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
