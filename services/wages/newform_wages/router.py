"""HTTP only: parse, authorise, call the use case, shape the response."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import text

from newform_common import policy
from newform_common.app import SessionDep
from newform_common.auth import Principal, Role, require
from newform_common.bulk import collector_paused
from newform_common.errors import Forbidden, NotFound, Problem, Unprocessable, problem_responses
from newform_common.findings import FindingRef, findings_of
from newform_common.idempotency import HONOURS_KEY, idempotent
from newform_common.pagination import Page, PageParams, page_of, page_params
from newform_common.scope import ensure_platform, visibility

from . import intake, repository, rules, service
from .schemas import (
    BatchPublic,
    HoursDay,
    HoursSummary,
    PayReportCreate,
    PayReportPublic,
    QuotaAssessment,
    QuotaCreate,
    QuotaPublic,
    RelatedUnitCreate,
    RelatedUnitPublic,
    SessionIn,
    SessionPublic,
    StatementIn,
    StatementPublic,
)

router = APIRouter(prefix="/v1")

Platform = Annotated[Principal, require(Role.platform)]
Reader = Annotated[
    Principal, require(Role.platform, Role.enterprise, Role.worker, Role.department, Role.regulator, Role.admin)
]
WRITE_ERRORS = problem_responses(400, 401, 403, 409, 413, 415, 422, 503)
# Writes on a resource the path names: also 404 when the caller sees no such resource (issue 24, 11).
RESOURCE_WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 503)

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
SESSIONS_CSV_EXAMPLE = (
    "行标识,劳动者编号,合同编号,岗位,上线时间,下线时间,接单时长(分钟),完成单数,平台要求在线\n"
    "s-2024-03-04-1,w_abc123,ct_0001,rider,2024-03-04T08:00:00+08:00,2024-03-04T12:00:00+08:00,180,18,是\n"
    "s-2024-03-04-2,w_abc123,ct_0001,rider,2024-03-04T12:30:00+08:00,2024-03-04T16:00:00+08:00,150,15,是\n"
)
SESSIONS_JSONL_EXAMPLE = (
    '{"line_id": "s-2024-03-04-1", "worker_id": "w_abc123", "contract_id": "ct_0001", "post": "rider", '
    '"started_at": "2024-03-04T08:00:00+08:00", "ended_at": "2024-03-04T12:00:00+08:00", "order_minutes": 180, '
    '"orders_completed": 18}\n'
)


def _batch_body(line_model: type[BaseModel], csv_example: str, jsonl_example: str) -> dict[str, Any]:
    schema = {"$ref": f"#/components/schemas/{line_model.__name__}"}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/x-ndjson": {
                    "schema": {"type": "string", "description": f"One JSON object per line ({line_model.__name__})"},
                    "example": jsonl_example,
                },
                "text/csv": {
                    "schema": {
                        "type": "string",
                        "description": "UTF-8 CSV with a header row; Chinese or English "
                        "column names (units in brackets such as (分) are ignored); deductions as "
                        "reason:fen;…, premium days as date:hours;…",
                    },
                    "example": csv_example,
                },
                "application/json": {
                    "schema": {"type": "object", "properties": {"lines": {"type": "array", "items": schema}}}
                },
            },
        }
    }


async def _read_batch(request: Request, headers: dict[str, str], on: date) -> tuple[bytes, str, list]:
    fmt = intake.format_of(request.headers.get("content-type"))
    body = await request.body()
    with collector_paused():  # up to 10,000 line objects at once (bulk.py says why)
        lines = intake.split(body, fmt, headers, rules.policy("wages.batch.max_lines", on))
    return body, fmt, lines


def _fingerprint(body: bytes, fmt: str) -> dict[str, str]:
    return {"format": fmt, "sha256": hashlib.sha256(body).hexdigest()}


# ---------------------------------------------------------------------------------------------
# Pay statements
# ---------------------------------------------------------------------------------------------
@router.post(
    "/statements/batches",
    tags=["statements"],
    status_code=201,
    response_model=BatchPublic,
    responses=WRITE_ERRORS,
    openapi_extra=_batch_body(StatementIn, STATEMENTS_CSV_EXAMPLE, STATEMENTS_JSONL_EXAMPLE),
    summary="Upload up to 10,000 pay statements (JSON lines, CSV or JSON); each bad line its own error",
)
async def upload_statements(request: Request, session: SessionDep, principal: Platform):
    return await _upload(request, session, principal, intake.STATEMENT_HEADERS, service.intake_statements)


@router.post(
    "/sessions/batches",
    tags=["sessions"],
    status_code=201,
    response_model=BatchPublic,
    responses=WRITE_ERRORS,
    openapi_extra=_batch_body(SessionIn, SESSIONS_CSV_EXAMPLE, SESSIONS_JSONL_EXAMPLE),
    summary="Upload up to 10,000 work sessions (JSON lines, CSV or JSON); each bad line its own error",
)
async def upload_sessions(request: Request, session: SessionDep, principal: Platform):
    return await _upload(request, session, principal, intake.SESSION_HEADERS, service.intake_sessions)


async def _upload(request: Request, session, principal: Principal, headers: dict[str, str], take_in):
    """A batch upload: its lines read, taken in by `take_in`, idempotent under the body's fingerprint."""
    body, fmt, lines = await _read_batch(request, headers, policy.business_today())

    async def produce():
        return await take_in(session, principal.platform_id, lines, fmt)

    return await idempotent(request, session, principal, _fingerprint(body, fmt), produce)


@router.get(
    "/batches/{batch_id}",
    tags=["statements", "sessions"],
    response_model=BatchPublic,
    responses=problem_responses(401, 403, 404),
    summary="A batch: status, counts and each bad line's error",
)
async def get_batch(batch_id: Annotated[str, Path(max_length=40)], session: SessionDep, principal: Reader):
    row = (await session.execute(text("select * from batches where id = :id"), {"id": batch_id})).mappings().first()
    view = visibility(principal)
    if row is None or not (view.everything or view.platform_id == row["platform_id"]):
        raise NotFound(f"No batch {batch_id!r}")
    return service.batch_public(dict(row))


def _single_outcome(batch: BatchPublic) -> None:
    """A single line's errors as one problem: 503 when the policy is not loaded yet, else 422."""
    if not batch.errors or batch.accepted or batch.duplicates:
        return
    errors = [e.model_dump(exclude_none=True) for e in batch.errors]
    first = batch.errors[0]
    if first.type == "policy-not-in-force":
        raise Problem(
            first.message,
            status=503,
            slug="policy-not-in-force",
            title="Policy not in force",
            headers={"Retry-After": "3600"},
            errors=errors,
        )
    raise Unprocessable(
        f"{first.field}: {first.message}" if first.field else first.message,
        slug=first.type if first.type != "invalid-line" else "invalid-statement",
        measure=first.measure,
        rule=first.rule,
        errors=errors,
    )


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
        pending_schedule=service._loads(row.get("pending_schedule")) or [],
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
        _single_outcome(batch)
        row = (
            (
                await session.execute(
                    text("select * from statements where platform_id = :p and line_id = :l"),
                    {"p": principal.platform_id, "l": body.line_id},
                )
            )
            .mappings()
            .one()
        )
        return await _statement_public(session, dict(row))

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
    view = visibility(principal)
    clauses, args = ["true"], {"limit": params.limit + 1}
    if not view.everything:
        if view.platform_id is not None:
            clauses.append("platform_id = :vp")
            args["vp"] = view.platform_id
        elif view.worker_id is not None:
            clauses.append("worker_id = :vw")
            args["vw"] = view.worker_id
        else:
            clauses.append("false")
    for clause, key, value in (
        ("worker_id = :w", "w", worker_id),
        ("period_end >= :pf", "pf", period_from),
        ("period_start <= :pt", "pt", period_to),
    ):
        if value is not None:
            clauses.append(clause)
            args[key] = value
    if params.after:
        clauses.append("id > :after")
        args["after"] = params.after[0]
    rows = (
        (
            await session.execute(
                text(f"select * from statements where {' and '.join(clauses)} order by id limit :limit"), args
            )
        )
        .mappings()
        .all()
    )
    items = [await _statement_public(session, dict(r)) for r in rows]
    return page_of(items, params, lambda s: [s.statement_id])


async def _visible_statement(session, statement_id: str, principal: Principal, *, for_update: bool = False):
    row = (
        (
            await session.execute(
                text("select * from statements where id = :id" + (" for update" if for_update else "")),
                {"id": statement_id},
            )
        )
        .mappings()
        .first()
    )
    if row is None or not visibility(principal).allows(platform_id=row["platform_id"], worker_id=row["worker_id"]):
        raise NotFound(f"No statement {statement_id!r}")
    return dict(row)


@router.get(
    "/statements/{statement_id}",
    tags=["statements"],
    response_model=StatementPublic,
    responses=problem_responses(401, 403, 404),
    summary="One pay statement with its findings",
)
async def get_statement(statement_id: Annotated[str, Path(max_length=40)], session: SessionDep, principal: Reader):
    return await _statement_public(session, await _visible_statement(session, statement_id, principal))


class PaymentIn(BaseModel):
    paid_fen: int = Field(ge=0, le=10**12, description="Total paid for the statement so far")
    paid_on: date


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
        row = await _visible_statement(session, statement_id, principal, for_update=True)
        if body.paid_on < row["period_start"]:
            raise Unprocessable("paid_on is before the period starts", slug="invalid-payment")
        if body.paid_on > policy.business_today():  # a payment is a fact that happened, never a promise
            raise Unprocessable(f"paid_on {body.paid_on} is in the future", slug="invalid-payment")
        if body.paid_fen < row["paid_fen"]:
            raise Unprocessable("the total paid cannot go down", slug="invalid-payment")
        await service.record_payment(session, row, body.paid_fen, body.paid_on)
        return await _statement_public(session, {**row, "paid_fen": body.paid_fen, "paid_on": body.paid_on})

    return await idempotent(request, session, principal, body, produce, status_code=200)


# ---------------------------------------------------------------------------------------------
# Work sessions and hours
# ---------------------------------------------------------------------------------------------
@router.post(
    "/sessions",
    tags=["sessions"],
    status_code=201,
    response_model=SessionPublic,
    responses=WRITE_ERRORS,
    summary="Report one work session",
)
async def create_session(body: SessionIn, request: Request, session: SessionDep, principal: Platform):
    async def produce():
        batch = await service.intake_sessions(
            session, principal.platform_id, [intake.RawLine(1, body.model_dump(mode="json"))], "json"
        )
        _single_outcome(batch)
        row = (
            (
                await session.execute(
                    text("select * from work_sessions where platform_id = :p and line_id = :l"),
                    {"p": principal.platform_id, "l": body.line_id},
                )
            )
            .mappings()
            .one()
        )
        return _session_public(dict(row))

    return await idempotent(request, session, principal, body, produce)


def _session_public(row: dict[str, Any]) -> SessionPublic:
    return SessionPublic(
        session_id=row["id"],
        **{
            k: row[k]
            for k in (
                "line_id",
                "platform_id",
                "worker_id",
                "post",
                "started_at",
                "ended_at",
                "work_date",
                "working_minutes",
                "orders_completed",
            )
        },
    )


@router.get(
    "/sessions",
    tags=["sessions"],
    response_model=Page[SessionPublic],
    responses=problem_responses(401, 403),
    summary="Work sessions (a platform its own, a worker theirs on every platform)",
)
async def list_sessions(
    session: SessionDep,
    principal: Reader,
    params: Annotated[PageParams, Depends(page_params)],
    worker_id: Annotated[str | None, Query(max_length=64)] = None,
    work_date: date | None = None,
):
    view = visibility(principal)
    clauses, args = ["true"], {"limit": params.limit + 1}
    if not view.everything:
        if view.platform_id is not None:
            clauses.append("platform_id = :vp")
            args["vp"] = view.platform_id
        elif view.worker_id is not None:
            clauses.append("worker_id = :vw")
            args["vw"] = view.worker_id
        else:
            clauses.append("false")
    for clause, key, value in (("worker_id = :w", "w", worker_id), ("work_date = :d", "d", work_date)):
        if value is not None:
            clauses.append(clause)
            args[key] = value
    if params.after:
        clauses.append("id > :after")
        args["after"] = params.after[0]
    rows = (
        (
            await session.execute(
                text(f"select * from work_sessions where {' and '.join(clauses)} order by id limit :limit"), args
            )
        )
        .mappings()
        .all()
    )
    return page_of([_session_public(dict(r)) for r in rows], params, lambda s: [s.session_id])


@router.get(
    "/workers/{worker_id}/hours",
    tags=["sessions"],
    response_model=HoursSummary,
    responses=problem_responses(401, 403, 422),
    summary="A worker's working time per day in a month (a platform sees only its own share)",
)
async def worker_hours(
    worker_id: Annotated[str, Path(max_length=64)],
    session: SessionDep,
    principal: Reader,
    month: Annotated[str, Query(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$", examples=["2024-03"])],
):
    view = visibility(principal)
    if view.worker_id is not None and view.worker_id != worker_id:
        raise Forbidden("A worker sees only their own hours")
    if view.nothing:
        raise Forbidden("This token cannot read working time")
    start = date.fromisoformat(f"{month}-01")
    end = rules.add_months(start, 1)
    rows = await repository.hours_by_day(session, worker_id, start, end, view.platform_id)
    days: dict[date, dict[str, int]] = {}
    for r in rows:
        days.setdefault(r["work_date"], {})[r["platform_id"]] = r["minutes"]
    out = [HoursDay(work_date=d, minutes=sum(p.values()), by_platform=p) for d, p in sorted(days.items())]
    return HoursSummary(worker_id=worker_id, month=month, total_minutes=sum(d.minutes for d in out), days=out)


# ---------------------------------------------------------------------------------------------
# Quotas and related units
# ---------------------------------------------------------------------------------------------
@router.post(
    "/quotas",
    tags=["quotas"],
    status_code=201,
    response_model=QuotaPublic,
    responses=WRITE_ERRORS,
    summary="Declare a labour quota (orders per day) for a post",
)
async def declare_quota(body: QuotaCreate, request: Request, session: SessionDep, principal: Platform):
    async def produce():
        row = await service.declare_quota(session, principal.platform_id, body)
        return QuotaPublic(quota_id=row["id"], platform_id=principal.platform_id, **body.model_dump())

    return await idempotent(request, session, principal, body, produce)


class AssessmentRequest(BaseModel):
    work_date: date


@router.post(
    "/quotas/{quota_id}/assessments",
    tags=["quotas"],
    response_model=QuotaAssessment,
    responses=RESOURCE_WRITE_ERRORS,
    summary="Judge a quota on one day's sessions: share of workers reaching it",
    **HONOURS_KEY,
)
async def assess_quota(
    quota_id: Annotated[str, Path(max_length=40)],
    body: AssessmentRequest,
    request: Request,
    session: SessionDep,
    principal: Reader,
):
    async def produce():
        row = (await session.execute(text("select * from quotas where id = :id"), {"id": quota_id})).mappings().first()
        view = visibility(principal)
        if row is None or not (view.everything or view.platform_id == row["platform_id"]):
            raise NotFound(f"No quota {quota_id!r}")
        outcome = await service.assess_quota(session, row["platform_id"], row["post"], body.work_date)
        if outcome is None:
            raise Unprocessable(f"The quota is not in effect on {body.work_date}", slug="quota-not-in-effect")
        _, ref, result = outcome
        return QuotaAssessment(
            quota_id=quota_id,
            post=row["post"],
            work_date=body.work_date,
            workers=result.workers,
            reaching=result.reaching,
            met=result.finding is None,
            finding=ref,
        )

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/related-units",
    tags=["related units"],
    status_code=201,
    response_model=RelatedUnitPublic,
    responses=WRITE_ERRORS,
    summary="Declare a related unit that pays its own staff (and whether the platform is entrusted to pay for it)",
)
async def register_related_unit(body: RelatedUnitCreate, request: Request, session: SessionDep, principal: Platform):
    async def produce():
        row = await service.register_related_unit(session, principal.platform_id, body)
        return RelatedUnitPublic(related_unit_id=row["id"], platform_id=principal.platform_id, **body.model_dump())

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/related-units",
    tags=["related units"],
    response_model=list[RelatedUnitPublic],
    responses=problem_responses(401, 403),
    summary="Related units (a platform its own)",
)
async def list_related_units(session: SessionDep, principal: Reader):
    view = visibility(principal)
    if view.worker_id is not None or view.nothing:
        raise Forbidden("Related units are for platforms and oversight")
    clause, args = ("", {}) if view.everything else (" where platform_id = :p", {"p": view.platform_id})
    rows = (await session.execute(text(f"select * from related_units{clause} order by id"), args)).mappings().all()
    return [
        RelatedUnitPublic(
            related_unit_id=r["id"],
            **{
                k: r[k]
                for k in ("platform_id", "enterprise_id", "name", "credit_code", "kind", "platform_entrusted_to_pay")
            },
        )
        for r in rows
    ]


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
    warnings = await service.early_warnings(session, platform_id, policy.business_today())
    return {
        "platform_id": warnings.platform_id,
        "late_share_by_month": warnings.late_share_by_month,
        "periods_due_soon_without_statement": warnings.periods_due_soon_without_statement,
        "low_hourly_pay_statements": warnings.low_hourly_pay_statements,
    }


# ---------------------------------------------------------------------------------------------
# Workers' reports
# ---------------------------------------------------------------------------------------------
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
        report_id, outcome, differences, finding = await service.reconcile_pay_report(session, principal.subject, body)
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
