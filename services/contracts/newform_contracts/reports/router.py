"""HTTP of the employment report (M4, M19): JSON or CSV, masked unless revealed (audited)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from newform_common.app import SessionDep
from newform_common.errors import problem_responses

from ..dependencies import (
    PURPOSE,
    Reader,
    Reveal,
    pii_of,
)
from ..enterprises import repository as enterprises
from ..pii import audit_reveal, authorize_reveal
from . import service
from .schemas import EmploymentReport

router = APIRouter(prefix="/v1")


@router.get(
    "/reports/employment",
    tags=["reports"],
    response_model=EmploymentReport,
    responses={
        **problem_responses(400, 401, 403, 404, 422),
        200: {
            "content": {"application/json": {}, "text/csv": {}},
            "description": "The report (JSON, or CSV with `format=csv` / `Accept: text/csv`)",
        },
    },
    summary="Employment report of an enterprise for a month (M4, M19), JSON or CSV",
    dependencies=PURPOSE,
)
async def get_employment_report(
    request: Request,
    session: SessionDep,
    principal: Reader,
    enterprise_id: str,
    period: Annotated[
        str, Query(description="Month, YYYY-MM", examples=["2026-11"], pattern=r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$")
    ],
    format: Literal["json", "csv"] | None = None,
    reveal: Reveal = False,
):
    service.period_bounds(period)
    enterprise = await enterprises.visible_enterprise(session, principal, enterprise_id)
    if reveal:
        purpose = authorize_reveal(request, principal)
        audit_reveal(
            session,
            principal,
            purpose,
            "employment_report",
            f"{enterprise_id}:{period}",
            ["worker_name", "worker_id_number"],
        )
    rows = await service.employment_rows(session, pii_of(request), enterprise, period, reveal=reveal)
    wants_csv = format == "csv" or (format is None and "text/csv" in request.headers.get("accept", ""))
    if wants_csv:
        return Response(
            service.to_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="employment-{enterprise_id}-{period}.csv"'},
        )
    return EmploymentReport(
        format_version=service.FORMAT_VERSION,
        enterprise_id=enterprise_id,
        period=period,
        fields=service.FIELD_NAMES,
        rows=rows,
    )
