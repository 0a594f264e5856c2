"""The overview API: city-wide counts and trends (`GET /v1/overview`, `router`), and a worker's timeline
across platforms (`GET /v1/workers/{worker_id}/timeline`, `workers_router`, regulator only). Two routers:
the published document lists them apart (the alerts and platforms routes sit between)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from newform_common.app import SnapshotDep
from newform_common.errors import problem_responses

from ..access import ERRORS, Oversight, Viewer
from . import service
from .schemas import Overview, WorkerTimeline

router = APIRouter(prefix="/v1")
workers_router = APIRouter(prefix="/v1")


@router.get(
    "/overview",
    tags=["overview"],
    response_model=Overview,
    responses=ERRORS,
    summary="Counts by district, occupation, engagement type; alerts by measure, department, status; daily trends",
)
async def get_overview(
    session: SnapshotDep, principal: Viewer, days: int = Query(30, ge=1, le=366, description="Days of daily trends")
):
    return await service.overview(session, principal, days=days)


@workers_router.get(
    "/workers/{worker_id}/timeline",
    tags=["workers"],
    response_model=WorkerTimeline,
    responses=problem_responses(401, 403, 404),
    summary="A worker's facts across platforms, by pseudonymous id (regulator only)",
)
async def get_worker_timeline(worker_id: str, session: SnapshotDep, principal: Oversight):
    return await service.worker_timeline(session, worker_id)
