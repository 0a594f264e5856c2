"""HTTP of M8 in bad weather: the warnings contracts holds (what platforms answer), platforms' responses."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request

from newform_common.app import SessionDep
from newform_common.findings import findings_of
from newform_common.idempotency import HONOURS_KEY, idempotent
from newform_common.pagination import Page, page_of

from ..dependencies import READ_ERRORS, WRITE_ERRORS, Paging, PlatformCaller, Reader, platform_filter
from . import repository, service
from .schemas import WeatherResponseCreate, WeatherResponsePublic, WeatherWarningPublic

router = APIRouter(prefix="/v1")
TAG = "bad weather"


@router.get(
    "/weather-warnings",
    tags=[TAG],
    response_model=Page[WeatherWarningPublic],
    responses=READ_ERRORS,
    summary="Bad-weather warnings the emergency department recorded, with when a response is due (M8)",
)
async def list_weather_warnings(
    session: SessionDep,
    principal: Reader,
    params: Paging,
    district: str | None = None,
    level: Literal["blue", "yellow", "orange", "red"] | None = None,
):
    rows = await repository.warnings(session, params, district=district, level=level)
    return page_of([service.warning_public(w) for w in rows], params, lambda w: [w.warning_id])


@router.post(
    "/weather-responses",
    tags=[TAG],
    status_code=201,
    response_model=WeatherResponsePublic,
    responses=WRITE_ERRORS,
    summary="Declare what the platform did for a warning: dispatch limited or suspended, completion times "
    "extended, the rule notice (M8)",
    **HONOURS_KEY,
)
async def declare_weather_response(
    body: WeatherResponseCreate, request: Request, session: SessionDep, principal: PlatformCaller
):
    async def produce():
        response, refs = await service.declare_response(session, principal.platform_id, body)
        return service.response_public(response, refs)

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/weather-responses",
    tags=[TAG],
    response_model=Page[WeatherResponsePublic],
    responses=READ_ERRORS,
    summary="Platforms' declared responses to bad-weather warnings (M8)",
)
async def list_weather_responses(
    session: SessionDep,
    principal: Reader,
    params: Paging,
    platform_id: str | None = None,
    warning_id: str | None = None,
):
    rows = await repository.responses(
        session, principal, params, platform_id=platform_filter(principal, platform_id), warning_id=warning_id
    )
    items = [service.response_public(r, await findings_of(session, r.id)) for r in rows]
    return page_of(items, params, lambda r: [r.response_id])
