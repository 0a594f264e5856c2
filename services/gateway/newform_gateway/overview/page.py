"""The overview page (`/`: counts, alert figures, trends, the measures' and the calendar's banners) and
the workers page (`/workers`: a worker's timeline, regulator only)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from newform_common.app import SnapshotDep
from newform_common.errors import Problem

from .. import calendar_view
from ..web import charts
from ..web.shell import TEXT, csrf_token, guard, lang_of, measures_lapse, names, render
from . import service

page_router = APIRouter(include_in_schema=False)


@page_router.get("/", response_class=HTMLResponse)
async def overview_page(request: Request, session: SnapshotDep):
    guarded = guard(request)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    lang = lang_of(request)
    t, n = TEXT[lang], names(lang)
    data = await service.overview(session, principal)
    status_labels = {s: t[s] for s in ("open", "acknowledged", "resolved")}
    chart_list = [
        charts.bar_chart(data["registrations"]["by_district"], n["districts"], title=t["by_district"]),
        charts.bar_chart(
            data["registrations"]["by_occupation"], n["occupations"], title=t["by_occupation"], color="#27ae60"
        ),
        charts.bar_chart(
            data["contracts"]["by_engagement_type"], n["engagement_types"], title=t["by_engagement"], color="#8e44ad"
        ),
        charts.bar_chart(data["alerts"]["by_measure"], None, title=t["alerts_by_measure"], color="#c0392b"),
        charts.bar_chart(data["alerts"]["by_status"], status_labels, title=t["alerts_by_status"], color="#d35400"),
        charts.bar_chart(
            data["alerts"]["by_department"], n["departments"], title=t["alerts_by_department"], color="#16a085"
        ),
    ]
    lapse = measures_lapse(t)
    trend = charts.line_chart(
        data["trends"],
        {"registrations": t["t_registrations"], "contracts": t["t_contracts"], "findings": t["t_findings"]},
        title=t["trends"],
    )
    return render(
        request,
        "overview.html",
        lang,
        principal=principal,
        csrf=csrf_token(request, token),
        data=data,
        charts=chart_list,
        trend=trend,
        measures_lapse=lapse,
        calendar_warning=calendar_view.coverage_banner(lang),
    )


@page_router.get("/workers", response_class=HTMLResponse)
async def workers_page(request: Request, session: SnapshotDep, worker_id: str | None = None):
    guarded = guard(request)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    lang = lang_of(request)
    if not principal.is_oversight():
        return render(
            request, "error.html", lang, status_code=403, principal=principal, csrf="", message=TEXT[lang]["forbidden"]
        )
    timeline = None
    if worker_id:
        try:
            timeline = await service.worker_timeline(session, worker_id.strip()[:100])
        except Problem:
            timeline = {"worker_id": worker_id, "platforms": [], "events": []}
    return render(
        request,
        "workers.html",
        lang,
        principal=principal,
        csrf=csrf_token(request, token),
        worker_id=worker_id or "",
        timeline=timeline,
    )
