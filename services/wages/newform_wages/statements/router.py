"""HTTP of pay statements: uploads and single statements, reads, later payments, a platform's early
warnings and workers' pay reports."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from newform_common import policy
from newform_common.app import SessionDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import problem_responses
from newform_common.findings import FindingRef, findings_of
from newform_common.idempotency import HONOURS_KEY, idempotent
from newform_common.pagination import Page, PageParams, page_of, page_params
from newform_common.scope import ensure_platform

from .. import intake
from ..batches.router import batch_body, single_outcome, upload
from ..batches.schemas import BatchPublic
from ..routing import RESOURCE_WRITE_ERRORS, WRITE_ERRORS, Platform, Reader
from . import repository as repo
from . import service
from .reports import reconcile_pay_report
from .schemas import PaymentIn, PayReportCreate, PayReportPublic, StatementIn, StatementPublic
from .warnings import early_warnings

router = APIRouter(prefix="/v1")

STATEMENTS_CSV_EXAMPLE = (
    "行标识,合同编号,劳动者编号,周期开始,周期结束,应付日期,应发工资(分),基本工资(分),计件工资(分),计件单数,"
    "加班工资(分),恶劣天气补贴(分),扣款,正常工时,加班工时,加班日期,实发工资(分),支付日期,支付方式\n"
    "2024-03-w1,ct_0001,w_abc123,2024-03-01,2024-03-31,2024-04-10,430000,300000,80000,800,40000,10000,"
    "income_tax:1200,168,10,,428800,2024-04-08,bank\n"
    "2024-10-w2,ct_0002,w_def456,2024-10-01,2024-10-31,2024-11-10,380000,320000,0,0,0,0,,160,8,"
    "2024-10-01:8,0,,bank\n"
)


STATEMENTS_JSONL_EXAMPLE = (
    '{"line_id": "2024-03-w1", "contract_id": "ct_0001", "worker_id": "w_abc123", "period_start": "2024-03-01", '
    '"period_end": "2024-03-31", "due_date": "2024-04-10", "gross_fen": 430000, "base_fen": 300000, '
    '"piece_fen": 80000, "piece_orders": 800, "overtime_fen": 40000, "bad_weather_allowance_fen": 10000, '
    '"deductions": [{"reason": "income_tax", "amount_fen": 1200}], "normal_hours": 168, "overtime_hours": 10, '
    '"paid_fen": 428800, "paid_on": "2024-04-08", "payment_method": "bank"}\n'
    '{"line_id": "2024-10-w2", "contract_id": "ct_0002", "worker_id": "w_def456", "period_start": "2024-10-01", '
    '"period_end": "2024-10-31", "gross_fen": 380000, "base_fen": 320000, "normal_hours": 160, '
    '"premium_days": [{"date": "2024-10-01", "hours": 8}], "payment_method": "wallet"}\n'
)


@router.post(
    "/statements/batches",
    tags=["statements"],
    status_code=201,
    response_model=BatchPublic,
    responses=WRITE_ERRORS,
    openapi_extra=batch_body(StatementIn, STATEMENTS_CSV_EXAMPLE, STATEMENTS_JSONL_EXAMPLE),
    summary="Upload up to 10,000 pay statements (JSON lines, CSV or JSON); each bad line its own error",
)
async def upload_statements(request: Request, session: SessionDep, principal: Platform):
    return await upload(request, session, principal, intake.STATEMENT_HEADERS, service.intake_statements)


async def _statement_public(session, row: dict[str, Any]) -> StatementPublic:
    return StatementPublic(
        statement_id=row["id"],
        **{
            k: row[k]
            for k in (
                "line_id",
                "platform_id",
                "contract_id",
                "worker_id",
                "period_start",
                "period_end",
                "due_date",
                "gross_fen",
                "deductions_fen",
                "paid_fen",
                "paid_on",
                "payment_method",
                "normal_minutes",
                "status",
            )
        },
        pending_schedule=row.get("pending_schedule") or [],
        findings=await findings_of(session, row["id"]),
    )


@router.post(
    "/statements",
    tags=["statements"],
    status_code=201,
    response_model=StatementPublic,
    responses=WRITE_ERRORS,
    summary="Report one pay statement (a resent line id returns the stored one)",
)
async def create_statement(body: StatementIn, request: Request, session: SessionDep, principal: Platform):
    async def produce():
        raw = intake.RawLine(1, body.model_dump(mode="json"))
        batch = await service.intake_statements(session, principal.platform_id, [raw], "json")
        single_outcome(batch)
        row = await repo.statement_by_line(session, principal.platform_id, body.line_id)
        return await _statement_public(session, row)

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/statements",
    tags=["statements"],
    response_model=Page[StatementPublic],
    responses=problem_responses(401, 403),
    summary="Pay statements (a platform its own, a worker theirs)",
)
async def list_statements(
    session: SessionDep,
    principal: Reader,
    params: Annotated[PageParams, Depends(page_params)],
    worker_id: Annotated[str | None, Query(max_length=64)] = None,
    period_from: date | None = None,
    period_to: date | None = None,
):
    rows = await repo.visible_statements(
        session, principal, params, worker_id=worker_id, period_from=period_from, period_to=period_to
    )
    items = [await _statement_public(session, r) for r in rows]
    return page_of(items, params, lambda s: [s.statement_id])


@router.get(
    "/statements/{statement_id}",
    tags=["statements"],
    response_model=StatementPublic,
    responses=problem_responses(401, 403, 404),
    summary="One pay statement with its findings",
)
async def get_statement(statement_id: Annotated[str, Path(max_length=40)], session: SessionDep, principal: Reader):
    return await _statement_public(session, await repo.visible_statement(session, principal, statement_id))


@router.post(
    "/statements/{statement_id}/payments",
    tags=["statements"],
    response_model=StatementPublic,
    responses=RESOURCE_WRITE_ERRORS,
    summary="Record a later payment of a statement (the total paid so far)",
    **HONOURS_KEY,
)
async def record_payment(
    statement_id: Annotated[str, Path(max_length=40)],
    body: PaymentIn,
    request: Request,
    session: SessionDep,
    principal: Platform,
):
    async def produce():
        row = await repo.visible_statement(session, principal, statement_id, for_update=True)
        await service.record_payment(session, row, body.paid_fen, body.paid_on)
        return await _statement_public(session, {**row, "paid_fen": body.paid_fen, "paid_on": body.paid_on})

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.get(
    "/platforms/{platform_id}/early-warnings",
    tags=["statements"],
    response_model=dict[str, Any],
    responses=problem_responses(401, 403),
    summary="Early warning before arrears: late-payment share by month, periods due soon without a "
    "statement, pay close to the hourly minimum",
)
async def get_early_warnings(platform_id: Annotated[str, Path(max_length=64)], session: SessionDep, principal: Reader):
    ensure_platform(principal, platform_id)
    warnings = await early_warnings(session, platform_id, policy.business_today())
    return {
        "platform_id": warnings.platform_id,
        "late_share_by_month": warnings.late_share_by_month,
        "periods_due_soon_without_statement": warnings.periods_due_soon_without_statement,
        "low_hourly_pay_statements": warnings.low_hourly_pay_statements,
    }


@router.post(
    "/me/pay-reports",
    tags=["workers"],
    status_code=201,
    response_model=PayReportPublic,
    responses=WRITE_ERRORS,
    summary="A worker reports unpaid or short pay for a period",
)
async def report_pay(
    body: PayReportCreate, request: Request, session: SessionDep, principal: Annotated[Principal, require(Role.worker)]
):
    async def produce():
        report_id, outcome, differences, finding = await reconcile_pay_report(session, principal.subject, body)
        return PayReportPublic(
            report_id=report_id,
            worker_id=principal.subject,
            platform_id=body.platform_id,
            period_start=body.period_start,
            period_end=body.period_end,
            outcome=outcome,
            differences=differences,
            finding=FindingRef.model_validate(finding) if finding else None,
        )

    return await idempotent(request, session, principal, body, produce)
