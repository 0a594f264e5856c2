"""Use cases: rules + state change + outbox record, in the request's transaction (never commits).

Intake (statements, sessions) is set-based: lines are parsed and checked one by one in memory, the
good ones written with one statement per table, findings raised per breach, events published per
chunk of lines (events.py says why). A line is stored whole or not at all; a failure of the batch
rolls everything back (the request's one transaction).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import calendar as national_calendar
from newform_common import clock, deadlines
from newform_common.bulk import collector_paused
from newform_common.db import driver_connection
from newform_common.deadlines import Deadline, DeadlineHandler, end_of_business_day
from newform_common.errors import Unprocessable
from newform_common.findings import FindingRef, FindingSpec, raise_finding
from newform_common.identity import validate_credit_code
from newform_common.ids import new_id, new_ids
from newform_common.outbox import record, record_data
from newform_common.policy import PolicyNotInForce, business_date, business_today, get_policy

from . import repository as repo
from . import rules
from .consumed import MODELS, STATUS_AFTER
from .events import (
    LINES_PER_EVENT,
    PayReportReconciled,
    QuotaAssessed,
    RelatedUnitRegistered,
    SessionLine,
    SessionsAccepted,
    StatementLine,
    StatementsAccepted,
    StatementsJudged,
)
from .intake import RawLine
from .schemas import (
    BatchPublic,
    LineError,
    PayReportCreate,
    QuotaCreate,
    RelatedUnitCreate,
    SessionIn,
    StatementIn,
)

log = logging.getLogger(__name__)

STATEMENT_DUE = "wages.statement_due"  # a statement unpaid or short-paid: arrears at its due date
PERIOD_DUE = "wages.period_due"  # an engagement's pay period: arrears if no paid statement at its due date
PERIOD_WARNING = "wages.period_warning"  # early warning: no statement yet as the due date nears
MINIMUM_MONTH = "wages.minimum_wage_month"  # a pay month of shorter statements: the monthly minimum on their sum
ARREARS_RULES = ("M6.wage_arrears", "M20.wage_arrears_enforcement", "M19.related_unit_arrears")

_statement_adapter = TypeAdapter(StatementIn)
_session_adapter = TypeAdapter(SessionIn)
#: A whole JSON-lines batch validated in one call (pydantic's loop in Rust, not one call per line).
_batch_adapters = {_statement_adapter: TypeAdapter(list[StatementIn]), _session_adapter: TypeAdapter(list[SessionIn])}


@lru_cache(maxsize=4096)
def minutes(hours: Decimal) -> int:
    """Hours (two decimals) as whole minutes; a batch repeats a few values thousands of times."""
    return int((hours * 60).to_integral_value())


def engagement_of(row: dict[str, Any]) -> rules.Engagement:
    """The rules' view of an engagement row, built once per row (a batch has several lines per engagement)."""
    engagement = row.get("_rules")
    if engagement is None:
        engagement = row["_rules"] = _engagement_of(row)
    return engagement


def _engagement_of(row: dict[str, Any]) -> rules.Engagement:
    return rules.Engagement(
        row["contract_id"],
        row["worker_id"],
        row["platform_id"],
        row["enterprise_id"],
        row["engagement_type"],
        row["part_time"],
        row["occupation"],
        row["district"],
        row["start_date"],
        row["end_date"],
        row["pay_period"],
        _loads(row.get("pay_schedule")),
        row.get("hours_arrangement"),
    )


def statement_fact(row: dict[str, Any]) -> rules.Statement:
    """The rules' view of a stored statement row (or of a row about to be stored; built once per row)."""
    fact = row.get("_fact")
    if fact is None:
        fact = row["_fact"] = _fact_of(row)
    return fact


def _fact_of(row: dict[str, Any]) -> rules.Statement:
    return rules.Statement(
        period_start=row["period_start"],
        period_end=row["period_end"],
        due_date=row["due_date"],
        gross_fen=row["gross_fen"],
        base_fen=row["base_fen"],
        piece_fen=row["piece_fen"],
        overtime_fen=row["overtime_fen"],
        rest_day_fen=row["rest_day_fen"],
        holiday_fen=row["holiday_fen"],
        allowances_fen=row["allowances_fen"],
        deductions=tuple(rules.Deduction(d["reason"], d["amount_fen"]) for d in row["deductions"]),
        normal_minutes=row["normal_minutes"],
        overtime_minutes=row["overtime_minutes"],
        rest_day_minutes=row["rest_day_minutes"],
        holiday_minutes=row["holiday_minutes"],
        night_minutes=row["night_minutes"],
        paid_fen=row["paid_fen"],
        paid_on=row["paid_on"],
        payment_method=row["payment_method"],
        premium_days=tuple(
            rules.PremiumDay(
                date.fromisoformat(p["date"]),
                p["minutes"],
                date.fromisoformat(p["time_off_on"]) if p.get("time_off_on") else None,
            )
            for p in row["premium_days"]
        ),
    )


def _validation_errors(number: int, line_id: str | None, exc: ValidationError) -> list[LineError]:
    return [
        LineError(line=number, line_id=line_id, field=".".join(str(p) for p in e["loc"]) or None, message=e["msg"])
        for e in exc.errors(include_url=False)
    ]


def _policy_error(number: int, line_id: str, field: str, exc: PolicyNotInForce) -> LineError:
    if exc.predates:
        return LineError(
            line=number,
            line_id=line_id,
            field=field,
            type="predates-policy",
            message=f"{exc.on}: before the policy; facts before it cannot be judged under it",
        )
    return LineError(
        line=number,
        line_id=line_id,
        field=field,
        type="policy-not-in-force",
        message=f"no policy version covers {exc.on} yet; resend the line once it is loaded",
    )


def _check_policy_dates(number: int, line_id: str, dates: dict[str, date]) -> LineError | None:
    """Every date a rule judges must fall under the measures (422 before them, 503-kind when none applies)."""
    for field, day in dates.items():
        try:
            rules.measures_status(day)
        except PolicyNotInForce as exc:
            exc.on = exc.on or day
            return _policy_error(number, line_id, field, exc)
    return None


# ---------------------------------------------------------------------------------------------
# Batches
# ---------------------------------------------------------------------------------------------
async def _open_batch(session: AsyncSession, platform_id: str, kind: str, fmt: str, count: int) -> dict[str, Any]:
    batch = {
        "id": new_id("bt"),
        "platform_id": platform_id,
        "kind": kind,
        "format": fmt,
        "status": "processing",
        "line_count": count,
        "created_at": datetime.now(UTC),
    }
    await session.execute(
        text(
            "insert into batches (id, platform_id, kind, format, status, line_count, accepted, duplicates, rejected, "
            "pending, findings, errors, created_at) values (:id, :platform_id, :kind, :format, :status, :line_count, "
            "0, 0, 0, 0, 0, '[]', :created_at)"
        ),
        batch,
    )
    return batch


async def _close_batch(
    session: AsyncSession,
    batch: dict[str, Any],
    *,
    accepted: int,
    duplicates: int,
    errors: list[LineError],
    pending: int,
    findings: int,
) -> BatchPublic:
    errors.sort(key=lambda e: e.line)
    rejected = len({e.line for e in errors if e.type != "duplicate-line-id"})
    now = datetime.now(UTC)
    await session.execute(
        text(
            "update batches set status = 'completed', accepted = :accepted, duplicates = :duplicates, "
            "rejected = :rejected, pending = :pending, findings = :findings, errors = cast(:errors as jsonb), "
            "completed_at = :now where id = :id"
        ),
        {
            "accepted": accepted,
            "duplicates": duplicates,
            "rejected": rejected,
            "pending": pending,
            "findings": findings,
            "errors": _json([e.model_dump() for e in errors]),
            "now": now,
            "id": batch["id"],
        },
    )
    return BatchPublic(
        batch_id=batch["id"],
        platform_id=batch["platform_id"],
        kind=batch["kind"],
        format=batch["format"],
        status="completed",
        line_count=batch["line_count"],
        accepted=accepted,
        duplicates=duplicates,
        rejected=rejected,
        pending=pending,
        findings=findings,
        errors=errors,
        created_at=batch["created_at"],
        completed_at=now,
    )


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def batch_public(row: dict[str, Any]) -> BatchPublic:
    return BatchPublic(
        batch_id=row["id"],
        **{
            k: row[k]
            for k in (
                "platform_id",
                "kind",
                "format",
                "status",
                "line_count",
                "accepted",
                "duplicates",
                "rejected",
                "pending",
                "findings",
                "created_at",
                "completed_at",
            )
        },
        errors=[LineError(**e) for e in row["errors"]],
    )


def _dedupe(raw: list[tuple[int, Any]], errors: list[LineError]) -> tuple[list[tuple[int, Any]], int]:
    """Within a batch: the first line of a line id counts; an identical repeat is a duplicate, a
    different line under the same id is an error."""
    seen: dict[str, Any] = {}
    kept, duplicates = [], 0
    for number, line in raw:
        first = seen.get(line.line_id)
        if first is None:
            seen[line.line_id] = line
            kept.append((number, line))
        elif first == line:
            duplicates += 1
        else:
            errors.append(
                LineError(
                    line=number,
                    line_id=line.line_id,
                    field="line_id",
                    type="duplicate-line-id",
                    message="this line id appears earlier in the batch with different content",
                )
            )
    return kept, duplicates


# ---------------------------------------------------------------------------------------------
# Pay statements
# ---------------------------------------------------------------------------------------------
def _statement_row(
    s: StatementIn, platform_id: str, batch_id: str | None, now: datetime, statement_id: str | None = None
) -> dict[str, Any]:
    due = s.due_date
    if due is None:
        try:
            due = s.period_end + timedelta(days=rules.policy("wages.pay_due_days_after_period_end", s.period_end))
        except (PolicyNotInForce, OverflowError):
            due = s.period_end  # the line's date checks report it; the row is not stored
    deductions = [{"reason": d.reason, "amount_fen": d.amount_fen} for d in s.deductions]
    return {
        "id": statement_id or new_id("st"),
        "platform_id": platform_id,
        "line_id": s.line_id,
        "batch_id": batch_id,
        "contract_id": s.contract_id,
        "worker_id": s.worker_id,
        "period_start": s.period_start,
        "period_end": s.period_end,
        "due_date": due,
        "gross_fen": s.gross_fen,
        "base_fen": s.base_fen,
        "piece_fen": s.piece_fen,
        "piece_orders": s.piece_orders,
        "overtime_fen": s.overtime_fen,
        "rest_day_fen": s.rest_day_fen,
        "holiday_fen": s.holiday_fen,
        "allowances_fen": s.bad_weather_allowance_fen + s.night_allowance_fen + s.other_allowance_fen,
        "deductions": deductions,
        "deductions_fen": sum(d["amount_fen"] for d in deductions),
        "normal_minutes": minutes(s.normal_hours),
        "overtime_minutes": minutes(s.overtime_hours),
        "rest_day_minutes": minutes(s.rest_day_hours),
        "holiday_minutes": minutes(s.holiday_hours),
        "night_minutes": minutes(s.night_hours),
        "premium_days": [_premium_day(p) for p in s.premium_days],
        "paid_fen": s.paid_fen,
        "paid_on": s.paid_on,
        "payment_method": s.payment_method,
        "status": "pending",
        "received_at": now,
        "pending_schedule": [],
    }


def _premium_day(p) -> dict[str, Any]:
    day = {"date": p.date.isoformat(), "minutes": minutes(p.hours)}
    if p.time_off_in_lieu_on is not None:
        day["time_off_on"] = p.time_off_in_lieu_on.isoformat()
    return day


def _statement_line_errors(number: int, s: StatementIn, row: dict[str, Any]) -> list[LineError]:
    fact = statement_fact(row)
    errors = [
        LineError(line=number, line_id=s.line_id, field=e.field, message=e.message, measure=e.measure, rule=e.rule)
        for e in rules.statement_input_errors(fact)
    ]
    if errors:
        return errors
    # dates of facts that happened: never in the future (a payment, time off given in lieu)
    today = business_today()
    future = [("paid_on", s.paid_on)] + [
        (f"premium_days[{i}].time_off_in_lieu_on", p.time_off_in_lieu_on) for i, p in enumerate(s.premium_days)
    ]
    errors = [
        LineError(line=number, line_id=s.line_id, field=field, message=f"{day} is in the future")
        for field, day in future
        if day is not None and day > today
    ]
    if errors:
        return errors
    dates = {"period_start": s.period_start, "period_end": s.period_end}
    if s.paid_on:
        dates["paid_on"] = s.paid_on
    policy_error = _check_policy_dates(number, s.line_id, dates)
    return [policy_error] if policy_error else []


async def _read_lines(
    session: AsyncSession, table: str, platform_id: str, lines: list[RawLine], adapter, errors: list[LineError]
) -> tuple[list[tuple[int, Any]], set[str], int]:
    """A batch's lines validated (each bad line its own error), deduplicated within the batch, and the
    line ids already stored: (parsed lines, stored ids, duplicates counted)."""
    parsed = _validated_at_once(lines, adapter)
    if parsed is None:
        parsed = _validated_one_by_one(lines, adapter, errors)
    parsed, duplicates = _dedupe(parsed, errors)
    stored = await repo.existing_line_ids(session, table, platform_id, [s.line_id for _, s in parsed])
    return parsed, stored, duplicates + sum(1 for _, s in parsed if s.line_id in stored)


def _validated_at_once(lines: list[RawLine], adapter) -> list[tuple[int, Any]] | None:
    """Every line of a JSON-lines batch validated in one call, or None when any line is bad (then each
    line is validated alone, for its own error). Each line must be one JSON value on its own, so
    that the lines joined as an array hold exactly those values (no value spans two lines)."""
    texts = []
    for raw in lines:
        if raw.json_text is None:
            return None
        try:
            orjson.loads(raw.json_text)
        except orjson.JSONDecodeError:
            return None
        texts.append(raw.json_text)
    try:
        values = _batch_adapters[adapter].validate_json("[" + ",".join(texts) + "]")
    except ValidationError:
        return None
    return [(raw.number, value) for raw, value in zip(lines, values, strict=True)]


def _validated_one_by_one(lines: list[RawLine], adapter, errors: list[LineError]) -> list[tuple[int, Any]]:
    parsed: list[tuple[int, Any]] = []
    for raw in lines:
        if raw.data is None and raw.json_text is None:
            errors.append(LineError(line=raw.number, field=raw.field, message=raw.error or "unreadable line"))
            continue
        try:
            parsed.append(
                (
                    raw.number,
                    adapter.validate_json(raw.json_text)
                    if raw.json_text is not None
                    else adapter.validate_python(raw.data),
                )
            )
        except ValidationError as exc:
            errors.extend(_validation_errors(raw.number, raw.line_id(), exc))
    return parsed


async def intake_statements(session: AsyncSession, platform_id: str, lines: list[RawLine], fmt: str) -> BatchPublic:
    """A batch of pay statements: each good line stored and judged, each bad line its own error."""
    with rules.one_policy(), collector_paused():
        return await _intake_statements(session, platform_id, lines, fmt)


async def _intake_statements(session: AsyncSession, platform_id: str, lines: list[RawLine], fmt: str) -> BatchPublic:
    now = datetime.now(UTC)
    batch = await _open_batch(session, platform_id, "statements", fmt, len(lines))
    errors: list[LineError] = []
    parsed, stored, duplicates = await _read_lines(
        session, "statements", platform_id, lines, _statement_adapter, errors
    )
    candidates = []
    ids = iter(new_ids("st", len(parsed)))
    for number, s in parsed:
        if s.line_id in stored:
            continue
        row = _statement_row(s, platform_id, batch["id"], now, next(ids))
        line_errors = _statement_line_errors(number, s, row)
        if line_errors:
            errors.extend(line_errors)
        else:
            candidates.append((number, s, row))
    known = await repo.engagements(session, [row["contract_id"] for _, _, row in candidates])
    unknown = {row["contract_id"] for _, _, row in candidates} - set(known)
    if unknown:  # kept pending: look again once the consumer cannot be storing them unseen (repository)
        await repo.lock_contracts(session, unknown, shared=True)
        known.update(await repo.engagements(session, unknown))
    good: list[tuple[int, dict[str, Any], dict[str, Any] | None, list[FindingSpec]]] = []
    today = business_today()
    units = await repo.related_units(session, platform_id) if candidates else {}
    for number, s, row in candidates:
        engagement = known.get(row["contract_id"])
        if engagement is not None and (
            engagement["platform_id"] != platform_id or engagement["worker_id"] != row["worker_id"]
        ):
            errors.append(
                LineError(
                    line=number,
                    line_id=s.line_id,
                    field="contract_id",
                    message="not an engagement of this platform with this worker",
                )
            )
            continue
        specs: list[FindingSpec] = []
        if engagement is not None:
            _apply_agreed_pay_day(row, engagement)
            specs = judge(row, engagement, units, today)
            row["status"] = "judged"
        good.append((number, row, engagement, specs))
    inserted = set(
        await repo.insert_rows(
            session,
            "statements",
            repo.STATEMENT_COLUMNS,
            [g[1] for g in good],
            conflict="(platform_id, line_id)",
            returning="line_id",
        )
    )
    duplicates += len(good) - len(inserted)  # stored by a concurrent upload of the same lines
    good = [g for g in good if g[1]["line_id"] in inserted]
    findings = 0
    await repo.lock_arrears(
        session,
        [
            row["contract_id"]
            for _, row, e, specs in good
            if e is not None and any(x.rule in ARREARS_RULES for x in specs)
        ],
    )
    for _, row, engagement, specs in good:
        if engagement is not None:
            findings += len(await _raise_statement_findings(session, row, engagement, specs, today))
    await _schedule_statement_clocks(session, [row for _, row, e, _ in good if e is not None], today, now)
    await _schedule_minimum_months(session, [(row, e) for _, row, e, _ in good if e is not None], now)
    _publish_lines(session, batch["id"], platform_id, [(row, e, specs) for _, row, e, specs in good])
    findings += await warn_late_share(
        session, platform_id, {row["period_end"].replace(day=1) for _, row, e, _ in good if e is not None}, today
    )
    return await _close_batch(
        session,
        batch,
        accepted=len(good),
        duplicates=duplicates,
        errors=errors,
        pending=sum(1 for g in good if g[2] is None),
        findings=findings,
    )


async def late_shares(
    session: AsyncSession, platform_id: str, first: date, last: date, today: date
) -> dict[date, tuple[int, int]]:
    """Per month of period end: (statements paid late or short after their due date, judged statements)."""
    conn = await driver_connection(session)
    rows = await conn.fetch(
        "select date_trunc('month', period_end)::date as month, count(*) as total, count(*) filter (where "
        "(paid_on > due_date) or (due_date < $4 and paid_fen < greatest(gross_fen - deductions_fen, 0))) as late "
        "from statements where platform_id = $1 and status = 'judged' and period_end >= $2 and period_end < $3 "
        "group by 1",
        platform_id,
        first,
        last,
        today,
    )
    return {r["month"]: (r["late"], r["total"]) for r in rows}


async def warn_late_share(session: AsyncSession, platform_id: str, months: set[date], today: date) -> int:
    """Early warning per month touched: the platform's late share rose from the month before (once per month)."""
    if not months:
        return 0
    # Two uploads touching the same or adjacent months would each count without the other's statements
    # and the warning could be missed: the months read are locked until commit (the upload's last step).
    await repo.lock_platform_months(session, platform_id, {rules.add_months(m, d) for m in months for d in (-1, 0, 1)})
    shares = await late_shares(
        session, platform_id, rules.add_months(min(months), -1), rules.add_months(max(months), 1), today
    )
    candidates = [
        (m, spec)
        for m in sorted(months)
        if (
            spec := rules.check_late_share_rising(shares.get(rules.add_months(m, -1), (0, 0)), shares.get(m, (0, 0)), m)
        )
        is not None
    ]
    new = await repo.claim_judgements(
        session, [(spec.rule, f"{platform_id}:{m:%Y-%m}", platform_id) for m, spec in candidates], datetime.now(UTC)
    )
    raised = 0
    for m, spec in candidates:
        if (spec.rule, f"{platform_id}:{m:%Y-%m}", platform_id) in new:
            await raise_finding(
                session,
                spec,
                subject_type="platform_month",
                subject_id=f"{platform_id}:{m:%Y-%m}"[:64],
                platform_id=platform_id,
                enterprise_id=platform_id,
            )
            raised += 1
    return raised


@dataclass
class EarlyWarnings:
    platform_id: str
    late_share_by_month: list[dict[str, Any]]
    periods_due_soon_without_statement: list[dict[str, Any]]
    low_hourly_pay_statements: int


async def early_warnings(session: AsyncSession, platform_id: str, today: date) -> EarlyWarnings:
    """What warns before arrears: late shares by month (last 6), periods due soon with no statement,
    statements paying close to the hourly minimum."""
    shares = await late_shares(
        session,
        platform_id,
        rules.add_months(today.replace(day=1), -6),
        rules.add_months(today.replace(day=1), 1),
        today,
    )
    by_month = [
        {
            "month": f"{m:%Y-%m}",
            "late": late,
            "statements": total,
            "late_share_percent": late * 100 // total if total else None,
        }
        for m, (late, total) in sorted(shares.items())
    ]
    soon = end_of_business_day(today + timedelta(days=rules.policy("wages.early_warning.days_before_due", today)))
    clocks = (
        (
            await session.execute(
                text(
                    "select d.data from deadlines d join engagements e on e.contract_id = d.data ->> 'contract_id' "
                    "where d.kind = :kind and d.status = 'pending' and d.due_at <= :soon and e.platform_id = :p "
                    "and not exists (select 1 from statements s where s.contract_id = e.contract_id "
                    "and s.period_start <= (d.data ->> 'period_end')::date and s.period_end >= (d.data ->> "
                    "'period_start')::date)"
                    " order by d.due_at limit 500"
                ),
                {"kind": PERIOD_DUE, "soon": soon, "p": platform_id},
            )
        )
        .scalars()
        .all()
    )
    low = (
        await session.execute(
            text("select count(*) from findings where platform_id = :p and rule = 'M6.early_warning_low_hourly_pay'"),
            {"p": platform_id},
        )
    ).scalar_one()
    return EarlyWarnings(platform_id, by_month, [dict(c) for c in clocks], low)


def judge(
    row: dict[str, Any], engagement: dict[str, Any], units: dict[str, dict[str, Any]], today: date
) -> list[FindingSpec]:
    """Every rule on a statement of a known engagement (arrears also for the unit and enforcement). A
    premium question waiting for the year's schedule is noted on the row (`pending_schedule`), never a
    refusal: `rejudge_pending_premiums` judges it when the schedule is loaded."""
    fact, e = statement_fact(row), engagement_of(engagement)
    row["pending_schedule"] = [d.isoformat() for d in rules.pending_premium_days(fact)] if e.labour_relationship else []
    specs = rules.judge_statement(fact, e, today)
    return _with_arrears_companions(specs, engagement, units)


def _apply_agreed_pay_day(row: dict[str, Any], engagement: dict[str, Any]) -> None:
    """The contract's agreed pay day is the statement's due date (工资支付暂行规定 art. 7; the measures
    item 6 按约定时间): arrears only after the end of that day, whatever the line declared (RULES.md)."""
    schedule = _loads(engagement.get("pay_schedule"))
    due = row["due_date"]
    if schedule:
        _, period_end = rules.pay_period_of(engagement["pay_period"], schedule, row["period_end"])
        agreed = rules.agreed_pay_day(schedule, period_end)
        if agreed is not None and agreed >= row["period_end"]:
            due = agreed
    last = engagement["end_date"]
    if (
        last is not None
        and due > last
        and (engagement["status"] in ("terminated", "expired") or row["period_end"] >= last)
    ):
        due = max(last, row["period_end"])  # 工资支付暂行规定 art. 9: paid at once when employment ends
    if due != row["due_date"]:
        row["due_date"] = due
        row.pop("_fact", None)


def _with_arrears_companions(
    specs: list[FindingSpec], engagement: dict[str, Any], units: dict[str, dict[str, Any]]
) -> list[FindingSpec]:
    """Arrears also go to the enforcement channel (M20). A related unit's arrears carry the unit's
    credit code (its credit record, M6); when the platform is entrusted to pay for the unit, an M19
    finding names the platform too (its credit record)."""
    out = []
    unit = units.get(engagement["enterprise_id"])
    for spec in specs:
        if spec.rule != "M6.wage_arrears":
            out.append(spec)
            continue
        if unit is not None:
            spec = FindingSpec(
                spec.measure,
                spec.rule,
                spec.severity,
                spec.summary,
                {
                    **spec.evidence,
                    "related_unit_id": unit["enterprise_id"],
                    "unit_name": unit["name"],
                    "credit_code": unit["credit_code"],
                    "platform_entrusted_to_pay": unit["platform_entrusted_to_pay"],
                },
            )
        out += [spec, rules.enforcement_of(spec)]
        if unit is not None and unit["platform_entrusted_to_pay"]:
            out.append(rules.related_unit_arrears(spec, unit))
    return out


async def _raise_statement_findings(
    session: AsyncSession, row: dict[str, Any], engagement: dict[str, Any], specs: list[FindingSpec], today: date
) -> list[FindingRef]:
    """The statement's findings; arrears only when no case is open for a debt of the engagement over the
    same days (one debt, one case: the period clock may have noticed it first). Callers hold
    `repo.lock_arrears` for the contract when arrears are among the specs."""
    if any(spec.rule in ARREARS_RULES for spec in specs):
        await session.flush()  # findings raised earlier in this transaction are seen
        if await repo.arrears_raised(session, row["contract_id"], row["period_start"], row["period_end"]):
            specs = [spec for spec in specs if spec.rule not in ARREARS_RULES]
    refs = []
    for spec in specs:
        # a related unit's arrears name the unit as the enterprise; the entrusted platform's credit comes
        # from the M19 finding, which names the platform
        enterprise = (
            engagement["platform_id"] if spec.rule == "M19.related_unit_arrears" else engagement["enterprise_id"]
        )
        evidence_subject = {"statement_id": row["id"], "line_id": row["line_id"], "contract_id": row["contract_id"]}
        spec = FindingSpec(spec.measure, spec.rule, spec.severity, spec.summary, {**spec.evidence, **evidence_subject})
        refs.append(
            await raise_finding(
                session,
                spec,
                subject_type="statement",
                subject_id=row["id"],
                platform_id=engagement["platform_id"],
                enterprise_id=enterprise,
                worker_id=row["worker_id"],
                occupation=engagement["occupation"],
                district=engagement["district"],
                judged_on=today,
                engagement_type=engagement["engagement_type"],
            )
        )
    return refs


async def _schedule_statement_clocks(
    session: AsyncSession, rows: list[dict[str, Any]], today: date, now: datetime
) -> None:
    """A statement not fully paid and not yet due: its arrears clock runs out at the end of the due date."""
    clocks = [
        {
            "id": new_id("dl"),
            "kind": STATEMENT_DUE,
            "subject_id": row["id"],
            "due_at": end_of_business_day(row["due_date"]),
            "status": "pending",
            "data": {"platform_id": row["platform_id"]},
            "attempts": 0,
            "created_at": now,
        }
        for row in rows
        if row["due_date"] >= today and row["paid_fen"] < max(0, row["gross_fen"] - row["deductions_fen"])
    ]
    await repo.insert_rows(
        session,
        "deadlines",
        repo.DEADLINE_COLUMNS,
        clocks,
        conflict="(kind, subject_id) where status in ('pending', 'paused')",
    )


def _line(row: dict[str, Any], engagement: dict[str, Any] | None, specs: list[FindingSpec]) -> dict[str, Any]:
    """A statement line of the events, as JSON data (StatementLine's shape; tests validate it)."""
    fact = statement_fact(row)
    return {
        "line_id": row["line_id"],
        "statement_id": row["id"],
        "worker_id": row["worker_id"],
        "contract_id": row["contract_id"],
        "period_start": row["period_start"].isoformat(),
        "period_end": row["period_end"].isoformat(),
        "due_date": row["due_date"].isoformat(),
        "gross_fen": row["gross_fen"],
        "net_due_fen": fact.net_due_fen,
        "paid_fen": row["paid_fen"],
        "paid_on": row["paid_on"].isoformat() if row["paid_on"] else None,
        "worked_minutes": fact.worked_minutes,
        "status": "judged" if engagement else "pending",
        "occupation": engagement["occupation"] if engagement else None,
        "district": engagement["district"] if engagement else None,
        "enterprise_id": engagement["enterprise_id"] if engagement else None,
        "minimum_wage_met": None if engagement is None else not any(s.rule == "M6.minimum_wage" for s in specs),
        "rules_broken": sorted({s.rule for s in specs}),
    }


def _publish_lines(
    session: AsyncSession,
    batch_id: str,
    platform_id: str,
    good: list[tuple[dict[str, Any], dict[str, Any] | None, list[FindingSpec]]],
) -> None:
    """One event per chunk of lines, written as JSON data directly: 10,000 pydantic builds and dumps
    per batch were a third of the intake's CPU."""
    for chunk, start in enumerate(range(0, len(good), LINES_PER_EVENT)):
        record_data(
            session,
            StatementsAccepted,
            {
                "batch_id": batch_id,
                "platform_id": platform_id,
                "chunk": chunk,
                "lines": [_line(*g) for g in good[start : start + LINES_PER_EVENT]],
            },
        )


async def record_payment(session: AsyncSession, statement: dict[str, Any], paid_fen: int, paid_on: date) -> None:
    """A later payment of a stored statement: the amount paid so far and its date (the clock stays until paid)."""
    await session.execute(
        text("update statements set paid_fen = :paid, paid_on = :on where id = :id"),
        {"paid": paid_fen, "on": paid_on, "id": statement["id"]},
    )
    if paid_fen >= max(0, statement["gross_fen"] - statement["deductions_fen"]):
        await deadlines.cancel(session, STATEMENT_DUE, statement["id"])


# ---------------------------------------------------------------------------------------------
# Engagements (from contracts.events) and statements waiting for them
# ---------------------------------------------------------------------------------------------
async def apply_contract_events(session: AsyncSession, envelopes: list) -> None:
    """The consumer's batch: upsert engagements, then judge statements that waited for them."""
    touched: dict[str, dict[str, Any]] = {}
    ended: dict[str, date] = {}  # contract -> the last day of its employment (terminated or expired)
    for envelope in envelopes:
        model = MODELS.get(envelope.type)
        if model is None:
            continue
        event = model.of(envelope)
        current = touched.get(event.contract_id)
        if current is None:
            current = (await repo.engagements(session, [event.contract_id])).get(event.contract_id)
        if envelope.type == "contracts.contract.drafted.v1":
            current = {
                "contract_id": event.contract_id,
                "worker_id": event.worker_id,
                "platform_id": event.platform_id,
                "enterprise_id": event.enterprise_id,
                "engagement_type": event.engagement_type,
                "part_time": event.part_time,
                "occupation": event.occupation,
                "district": event.district,
                "start_date": event.start_date,
                "end_date": event.end_date,
                "pay_period": event.pay_period,
                "pay_schedule": event.pay_schedule.model_dump() if event.pay_schedule else None,
                "hours_arrangement": event.hours_arrangement,
                "status": current["status"] if current else "drafted",
            }
        elif current is None:
            log.warning("%s for unknown contract %s (drafted event missing); skipped", envelope.type, event.contract_id)
            continue
        else:
            current = {**current, "status": STATUS_AFTER[envelope.type]}
            if envelope.type in ("contracts.contract.terminated.v1", "contracts.contract.expired.v1"):
                terminated_on = business_date(event.at) if envelope.type.endswith("terminated.v1") else None
                days = [d for d in (terminated_on, current["end_date"]) if d is not None]
                current["end_date"] = ended[event.contract_id] = min(days) if days else business_date(event.at)
        current["updated_at"] = envelope.time
        touched[event.contract_id] = current
        if envelope.type == "contracts.contract.signed.v1":
            # from the start date, even when signed later (a back-dated contract's first months are owed too, W-11)
            await _schedule_period_clocks(session, current, current["start_date"])
    if not touched:
        return
    rows = list(touched.values())
    await repo.lock_contracts(session, touched, shared=False)  # see repository.lock_contracts
    conn = await driver_connection(session)
    await conn.executemany(
        "insert into engagements (contract_id, worker_id, platform_id, enterprise_id, engagement_type, part_time, "
        "occupation, district, start_date, end_date, pay_period, status, updated_at, pay_schedule, hours_arrangement) "
        "values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15) "
        "on conflict (contract_id) do update set "
        "worker_id = excluded.worker_id, platform_id = excluded.platform_id, enterprise_id = excluded.enterprise_id, "
        "engagement_type = excluded.engagement_type, part_time = excluded.part_time, "
        "occupation = excluded.occupation, district = excluded.district, start_date = excluded.start_date, "
        "end_date = excluded.end_date, pay_period = excluded.pay_period, status = excluded.status, "
        "updated_at = excluded.updated_at, pay_schedule = excluded.pay_schedule, "
        "hours_arrangement = excluded.hours_arrangement",
        [
            (
                r["contract_id"],
                r["worker_id"],
                r["platform_id"],
                r["enterprise_id"],
                r["engagement_type"],
                r["part_time"],
                r["occupation"],
                r["district"],
                r["start_date"],
                r["end_date"],
                r["pay_period"],
                r["status"],
                r["updated_at"],
                _json(_loads(r.get("pay_schedule"))) if r.get("pay_schedule") else None,
                r.get("hours_arrangement"),
            )
            for r in rows
        ],
    )
    for contract_id, last in ended.items():
        await _due_when_employment_ends(session, touched[contract_id], last)
    await judge_pending(session, rows)


async def _due_when_employment_ends(session: AsyncSession, engagement: dict[str, Any], last: date) -> None:
    """工资支付暂行规定 art. 9: when a contract is ended, all its wages are paid at once on that day. Every
    unpaid statement due later is due on the last day; the running period ends and is due then; a period
    after it has no clock."""
    contract_id = engagement["contract_id"]
    conn = await driver_connection(session)
    moved = await conn.fetch(
        "update statements set due_date = $2 where contract_id = $1 and due_date > $2 returning id", contract_id, last
    )
    if moved:
        await conn.execute(
            "update deadlines set due_at = $2 where kind = $3 and status in ('pending', 'paused') "
            "and subject_id = any($1::text[])",
            [r["id"] for r in moved],
            end_of_business_day(last),
            STATEMENT_DUE,
        )
    clocks = (
        await session.execute(
            text(
                "select kind, subject_id, data from deadlines where kind in (:due, :warn) and status in "
                "('pending', 'paused') "
                "and subject_id like :s"
            ),
            {"due": PERIOD_DUE, "warn": PERIOD_WARNING, "s": f"{contract_id}:%"},
        )
    ).all()
    for kind, subject, data in clocks:
        if date.fromisoformat(data["period_start"]) > last:
            await deadlines.cancel(session, kind, subject)
        elif kind == PERIOD_DUE and date.fromisoformat(data["due_date"]) > last:
            await deadlines.schedule(
                session,
                kind,
                subject,
                end_of_business_day(last),
                data={
                    "period_end": min(date.fromisoformat(data["period_end"]), last).isoformat(),
                    "due_date": last.isoformat(),
                },
            )


async def judge_pending(session: AsyncSession, engagements: list[dict[str, Any]]) -> None:
    """Statements kept while their engagement was unknown are judged now, as on intake."""
    conn = await driver_connection(session)
    by_id = {e["contract_id"]: e for e in engagements}
    pending = [
        dict(r)
        for r in await conn.fetch(
            "select * from statements where status = 'pending' and contract_id = any($1::text[]) for update",
            list(by_id),
        )
    ]
    if not pending:
        return
    today = business_today()
    judged: dict[str, list] = defaultdict(list)
    unit_cache: dict[str, dict] = {}
    for row in pending:
        row["deductions"] = _loads(row["deductions"])
        row["premium_days"] = _loads(row["premium_days"])
        engagement = by_id[row["contract_id"]]
        if engagement["platform_id"] != row["platform_id"] or engagement["worker_id"] != row["worker_id"]:
            log.warning(
                "statement %s names contract %s of another platform or worker; left pending",
                row["id"],
                row["contract_id"],
            )
            continue
        if row["platform_id"] not in unit_cache:
            unit_cache[row["platform_id"]] = await repo.related_units(session, row["platform_id"])
        _apply_agreed_pay_day(row, engagement)
        specs = judge(row, engagement, unit_cache[row["platform_id"]], today)
        if any(spec.rule in ARREARS_RULES for spec in specs):
            await repo.lock_arrears(session, [row["contract_id"]])
        await _raise_statement_findings(session, row, engagement, specs, today)
        judged[row["contract_id"]].append((row, engagement, specs))
    rows = [r for items in judged.values() for r, _, _ in items]
    await conn.executemany(
        "update statements set status = 'judged', due_date = $2, pending_schedule = $3::jsonb where id = $1",
        [(r["id"], r["due_date"], _json(r["pending_schedule"])) for r in rows],
    )
    await _schedule_statement_clocks(session, rows, today, clock.now())
    await _schedule_minimum_months(session, [(r, e) for items in judged.values() for r, e, _ in items], clock.now())
    for contract_id, items in judged.items():
        record(
            session,
            StatementsJudged(
                platform_id=items[0][1]["platform_id"],
                contract_id=contract_id,
                lines=[StatementLine.model_validate(_line(*item)) for item in items],
            ),
        )


def _loads(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


# ---------------------------------------------------------------------------------------------
# Engagement periods: arrears when no paid statement exists at the due date; early warning before
# ---------------------------------------------------------------------------------------------
def period_containing(engagement: dict[str, Any], day: date) -> tuple[date, date]:
    """The pay period of `day`: the agreed pay month (a calendar month when none is agreed), ISO week, or
    the day itself (hourly and daily pay), within the engagement's term."""
    start, end = rules.pay_period_of(engagement["pay_period"], _loads(engagement.get("pay_schedule")), day)
    start = max(start, engagement["start_date"])
    if engagement["end_date"] is not None:
        end = min(end, engagement["end_date"])
    return start, end


def period_due_date(engagement: dict[str, Any], period_end: date) -> date:
    """The agreed pay day of the period (工资支付暂行规定 art. 7), else the policy's default after its end."""
    schedule = _loads(engagement.get("pay_schedule"))
    _, full_end = rules.pay_period_of(engagement["pay_period"], schedule, period_end)
    due = rules.pay_due_date(schedule, full_end if schedule else period_end)
    if engagement["end_date"] is not None and period_end >= engagement["end_date"]:
        due = min(due, max(engagement["end_date"], period_end))  # paid at once when it ends (art. 9)
    return due


async def _schedule_period_clocks(session: AsyncSession, engagement: dict[str, Any], day: date) -> None:
    if engagement["end_date"] is not None and day > engagement["end_date"]:
        return
    start, end = period_containing(engagement, day)
    due = period_due_date(engagement, end)
    data = {
        "contract_id": engagement["contract_id"],
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "due_date": due.isoformat(),
    }
    subject = f"{engagement['contract_id']}:{start.isoformat()}"
    await deadlines.schedule(session, PERIOD_DUE, subject, end_of_business_day(due), data=data)
    warn = due - timedelta(days=rules.policy("wages.early_warning.days_before_due", end))
    if warn > business_today():  # a period already past its warning (a back-dated contract) gets no early warning
        await deadlines.schedule(
            session, PERIOD_WARNING, subject, end_of_business_day(warn - timedelta(days=1)), data=data
        )


async def _period_statements(session: AsyncSession, contract_id: str, start: date, end: date) -> list[dict]:
    rows = await session.execute(
        text("select * from statements where contract_id = :c and period_start <= :end and period_end >= :start"),
        {"c": contract_id, "start": start, "end": end},
    )
    return [dict(r) for r in rows.mappings()]


async def on_period_due(session: AsyncSession, deadline: Deadline) -> None:
    """M6: at the due date of a known engagement's period, no paid statement is arrears (and M20)."""
    data = deadline.data
    engagement = (await repo.engagements(session, [data["contract_id"]])).get(data["contract_id"])
    if engagement is None:
        return
    start, end = date.fromisoformat(data["period_start"]), date.fromisoformat(data["period_end"])
    statements = await _period_statements(session, engagement["contract_id"], start, end)
    # A period with statements is their clocks' to judge (each due on the agreed pay day, or its own due
    # date when none is agreed); this clock raises arrears only for a period nobody reported at all, and
    # never a second case for a debt already raised (W-2). Only a full-time labour contract owes pay for
    # every period of its term: under a part-time contract or an agreement paid by the hour, order or
    # piece, a period without a statement may be a period without work (RULES.md, judgement call).
    owed_every_period = engagement["engagement_type"] == "labor_contract" and not engagement["part_time"]
    if engagement["status"] in ("signed", "terminated", "expired") and not statements and owed_every_period:
        await repo.lock_arrears(session, [engagement["contract_id"]])
        await session.flush()
        if not await repo.arrears_raised(session, engagement["contract_id"], start, end):
            spec = FindingSpec(
                "M6",
                "M6.wage_arrears",
                rules.Severity.high,
                f"{start.isoformat()} 至 {end.isoformat()} 的工资到期未支付（无工资支付记录）",
                {
                    "reason": "no_statement",
                    "period_start": data["period_start"],
                    "period_end": data["period_end"],
                    "due_date": data["due_date"],
                    "statements": [],
                    "contract_id": engagement["contract_id"],
                },
            )
            units = await repo.related_units(session, engagement["platform_id"])
            for s in _with_arrears_companions([spec], engagement, units):
                enterprise = (
                    engagement["platform_id"] if s.rule == "M19.related_unit_arrears" else engagement["enterprise_id"]
                )
                await raise_finding(
                    session,
                    s,
                    subject_type="engagement_period",
                    subject_id=deadline.subject_id,
                    platform_id=engagement["platform_id"],
                    enterprise_id=enterprise,
                    worker_id=engagement["worker_id"],
                    occupation=engagement["occupation"],
                    district=engagement["district"],
                    judged_on=business_date(deadline.due_at),
                    engagement_type=engagement["engagement_type"],
                )
    # the next period, up to the last day of an ended contract (its last period is due that day, art. 9)
    if engagement["status"] == "signed" or (
        engagement["status"] in ("terminated", "expired") and engagement["end_date"] is not None
    ):
        await _schedule_period_clocks(session, engagement, end + timedelta(days=1))


async def on_period_warning(session: AsyncSession, deadline: Deadline) -> None:
    """Early warning (M6, low): the due date nears and the period has no statement yet."""
    data = deadline.data
    engagement = (await repo.engagements(session, [data["contract_id"]])).get(data["contract_id"])
    if engagement is None or engagement["status"] != "signed":
        return
    start, end = date.fromisoformat(data["period_start"]), date.fromisoformat(data["period_end"])
    if await _period_statements(session, engagement["contract_id"], start, end):
        return
    spec = FindingSpec(
        "M6",
        "M6.statement_missing",
        rules.Severity.low,
        f"工资支付日 {data['due_date']} 临近，{start.isoformat()} 至 {end.isoformat()} 尚无工资支付记录",
        {**data, "early_warning": True},
    )
    await raise_finding(
        session,
        spec,
        subject_type="engagement_period",
        subject_id=deadline.subject_id,
        platform_id=engagement["platform_id"],
        enterprise_id=engagement["enterprise_id"],
        worker_id=engagement["worker_id"],
        occupation=engagement["occupation"],
        district=engagement["district"],
        engagement_type=engagement["engagement_type"],
    )


async def on_statement_due(session: AsyncSession, deadline: Deadline) -> None:
    """M6: a statement still unpaid or short-paid at the end of its due date is arrears (of the difference)."""
    rows = await session.execute(text("select * from statements where id = :id"), {"id": deadline.subject_id})
    row = rows.mappings().first()
    if row is None:
        return
    row = dict(row)
    engagement = (await repo.engagements(session, [row["contract_id"]])).get(row["contract_id"])
    if engagement is None:
        return
    today = business_date(deadline.due_at)  # the clock runs out at the start of the day after the due date
    fact = statement_fact(row)
    spec = rules.check_arrears(fact, max(today, fact.due_date + timedelta(days=1)))
    if spec is None:
        return
    units = await repo.related_units(session, engagement["platform_id"])
    await repo.lock_arrears(session, [row["contract_id"]])
    await _raise_statement_findings(
        session, row, engagement, _with_arrears_companions([spec], engagement, units), today
    )


# ---------------------------------------------------------------------------------------------
# The monthly minimum over a pay month of shorter statements (daily or weekly pay, W-5)
# ---------------------------------------------------------------------------------------------
def _pay_month_schedule(engagement: dict[str, Any]) -> dict[str, Any] | None:
    schedule = _loads(engagement.get("pay_schedule"))
    return schedule if schedule and schedule.get("period") == "month" else None


async def _schedule_minimum_months(
    session: AsyncSession, pairs: list[tuple[dict[str, Any], dict[str, Any]]], now: datetime
) -> None:
    """A monthly-basis statement shorter than a pay month: its pay month is judged on the sum of its
    statements once the month is over and paid (at the end of its pay day)."""
    clocks: dict[str, dict[str, Any]] = {}
    for row, engagement in pairs:
        e = engagement_of(engagement)
        if rules.minimum_wage_basis(e, row["period_start"]) != "monthly" or not rules.shorter_than_a_pay_month(
            row["period_start"], row["period_end"]
        ):
            continue
        months = {
            rules.pay_period_of("month", _pay_month_schedule(engagement), d)
            for d in (row["period_start"], row["period_end"])
        }
        for month_start, month_end in months:
            subject = f"{row['contract_id']}:{month_start.isoformat()}"
            due = rules.pay_due_date(_loads(engagement.get("pay_schedule")), month_end)
            clocks[subject] = {
                "id": new_id("dl"),
                "kind": MINIMUM_MONTH,
                "subject_id": subject,
                "due_at": end_of_business_day(due),
                "status": "pending",
                "data": {
                    "contract_id": row["contract_id"],
                    "month_start": month_start.isoformat(),
                    "month_end": month_end.isoformat(),
                },
                "attempts": 0,
                "created_at": now,
            }
    await repo.insert_rows(
        session,
        "deadlines",
        repo.DEADLINE_COLUMNS,
        list(clocks.values()),
        conflict="(kind, subject_id) where status in ('pending', 'paused')",
    )


async def on_minimum_month(session: AsyncSession, deadline: Deadline) -> None:
    """M6 (最低工资规定 arts. 3, 12): the normal pay of a pay month of normal work, summed over the
    engagement's statements shorter than a month, is at least the monthly standard (W-5)."""
    data = deadline.data
    engagement = (await repo.engagements(session, [data["contract_id"]])).get(data["contract_id"])
    if engagement is None:
        return
    month_start, month_end = date.fromisoformat(data["month_start"]), date.fromisoformat(data["month_end"])
    statements = [
        s
        for s in await _period_statements(session, engagement["contract_id"], month_start, month_end)
        if s["status"] == "judged"
    ]
    shorter = [s for s in statements if rules.shorter_than_a_pay_month(s["period_start"], s["period_end"])]
    if not shorter or len(shorter) < len(statements):
        return  # a whole-month statement is judged on its own
    pay = Fraction(0)
    for s in shorter:  # a statement across two pay months counts by its days in this one
        days = (s["period_end"] - s["period_start"]).days + 1
        inside = (min(s["period_end"], month_end) - max(s["period_start"], month_start)).days + 1
        pay += Fraction((s["base_fen"] + s["piece_fen"]) * inside, days)
    spec = rules.check_minimum_wage_month(
        int(pay), month_start, month_end, engagement["start_date"], engagement["end_date"], len(shorter)
    )
    if spec is None:
        return
    subject = deadline.subject_id[:64]
    if not await repo.claim_judgements(session, [(spec.rule, subject, engagement["platform_id"])], clock.now()):
        return
    spec = FindingSpec(
        spec.measure,
        spec.rule,
        spec.severity,
        spec.summary,
        {**spec.evidence, "contract_id": engagement["contract_id"], "statement_ids": [s["id"] for s in shorter]},
    )
    await raise_finding(
        session,
        spec,
        subject_type="engagement_month",
        subject_id=subject,
        platform_id=engagement["platform_id"],
        enterprise_id=engagement["enterprise_id"],
        worker_id=engagement["worker_id"],
        occupation=engagement["occupation"],
        district=engagement["district"],
        judged_on=business_date(deadline.due_at),
        engagement_type=engagement["engagement_type"],
    )


# ---------------------------------------------------------------------------------------------
# Premiums pending the year's State Council schedule (CAL-3)
# ---------------------------------------------------------------------------------------------
async def rejudge_pending_premiums(session: AsyncSession, year: int) -> int:
    """Judge again the premium question of every statement with a premium day in `year` that waited for
    the year's schedule; call it (in the loading transaction) once the schedule is installed
    (`calendar.schedule_known(year)`). A statement with pending days in another year still without a
    schedule keeps waiting for those. Returns the number of statements judged (their findings raised:
    `M6.overtime_premium`, subject the statement)."""
    if not national_calendar.schedule_known(year):
        return 0
    conn = await driver_connection(session)
    rows = [
        dict(r)
        for r in await conn.fetch(
            "select * from statements where pending_schedule <> '[]'::jsonb and status = 'judged' and exists "
            "(select 1 from jsonb_array_elements_text(pending_schedule) as d where d like $1) order by id for update",
            f"{year:04d}-%",
        )
    ]
    today = business_today()
    judged = 0
    for row in rows:
        row["deductions"], row["premium_days"] = _loads(row["deductions"]), _loads(row["premium_days"])
        still = [d.isoformat() for d in rules.pending_premium_days(statement_fact(row))]
        if not still:
            engagement = (await repo.engagements(session, [row["contract_id"]])).get(row["contract_id"])
            if engagement is not None:
                spec = rules.check_premiums(statement_fact(row), engagement_of(engagement))
                await _raise_statement_findings(session, row, engagement, [spec] if spec else [], today)
                judged += 1
        await conn.execute("update statements set pending_schedule = $2::jsonb where id = $1", row["id"], _json(still))
    return judged


DEADLINE_HANDLERS: dict[str, DeadlineHandler] = {
    STATEMENT_DUE: on_statement_due,
    PERIOD_DUE: on_period_due,
    PERIOD_WARNING: on_period_warning,
    MINIMUM_MONTH: on_minimum_month,
}


# ---------------------------------------------------------------------------------------------
# Work sessions and working time
# ---------------------------------------------------------------------------------------------
def _session_row(s: SessionIn, platform_id: str, batch_id: str, now: datetime) -> dict[str, Any]:
    duration = int((s.ended_at - s.started_at).total_seconds() // 60)
    return {
        "id": new_id("ws"),
        "platform_id": platform_id,
        "line_id": s.line_id,
        "batch_id": batch_id,
        "worker_id": s.worker_id,
        "contract_id": s.contract_id,
        "post": s.post,
        "started_at": s.started_at,
        "ended_at": s.ended_at,
        "work_date": business_date(s.started_at),
        "working_minutes": duration if s.required_online else s.order_minutes,
        "order_minutes": s.order_minutes,
        "orders_completed": s.orders_completed,
        "received_at": now,
    }


async def intake_sessions(session: AsyncSession, platform_id: str, lines: list[RawLine], fmt: str) -> BatchPublic:
    """A batch of work sessions: each good line stored, working time judged across platforms."""
    with rules.one_policy(), collector_paused():
        return await _intake_sessions(session, platform_id, lines, fmt)


async def _intake_sessions(session: AsyncSession, platform_id: str, lines: list[RawLine], fmt: str) -> BatchPublic:
    now = datetime.now(UTC)
    batch = await _open_batch(session, platform_id, "sessions", fmt, len(lines))
    errors: list[LineError] = []
    parsed, stored, duplicates = await _read_lines(
        session, "work_sessions", platform_id, lines, _session_adapter, errors
    )
    candidates: list[tuple[int, dict[str, Any]]] = []
    for number, s in parsed:
        if s.line_id in stored:
            continue
        problems = rules.session_input_errors(s.started_at, s.ended_at, s.order_minutes, s.orders_completed)
        if problems:
            errors.extend(LineError(line=number, line_id=s.line_id, field=p.field, message=p.message) for p in problems)
            continue
        policy_error = _check_policy_dates(number, s.line_id, {"started_at": business_date(s.started_at)})
        if policy_error:
            errors.append(policy_error)
            continue
        candidates.append((number, _session_row(s, platform_id, batch["id"], now)))
    await repo.lock_working_time(session, [row for _, row in candidates])  # see repository.lock_working_time
    good = await _without_overlaps(session, platform_id, candidates, errors)
    inserted = set(
        await repo.insert_rows(
            session, "work_sessions", repo.SESSION_COLUMNS, good, conflict="(platform_id, line_id)", returning="line_id"
        )
    )
    duplicates += len(good) - len(inserted)
    good = [row for row in good if row["line_id"] in inserted]
    findings = await judge_working_time(session, good) if good else 0
    for chunk, start in enumerate(range(0, len(good), LINES_PER_EVENT)):
        record(
            session,
            SessionsAccepted(
                batch_id=batch["id"],
                platform_id=platform_id,
                chunk=chunk,
                lines=[
                    SessionLine(
                        line_id=r["line_id"],
                        session_id=r["id"],
                        worker_id=r["worker_id"],
                        work_date=r["work_date"],
                        working_minutes=r["working_minutes"],
                        orders_completed=r["orders_completed"],
                        post=r["post"],
                    )
                    for r in good[start : start + LINES_PER_EVENT]
                ],
            ),
        )
    return await _close_batch(
        session, batch, accepted=len(good), duplicates=duplicates, errors=errors, pending=0, findings=findings
    )


async def _without_overlaps(
    session: AsyncSession, platform_id: str, candidates: list[tuple[int, dict[str, Any]]], errors: list[LineError]
) -> list[dict[str, Any]]:
    """Sessions of one worker on one platform must not overlap (stored ones or earlier lines of the batch)."""
    if not candidates:
        return []
    workers = list({row["worker_id"] for _, row in candidates})
    low = min(row["started_at"] for _, row in candidates)
    high = max(row["ended_at"] for _, row in candidates)
    conn = await driver_connection(session)
    existing = await conn.fetch(
        "select worker_id, started_at, ended_at, line_id from work_sessions where platform_id = $1 "
        "and worker_id = any($2::text[]) and started_at < $4 and ended_at > $3",
        platform_id,
        workers,
        low,
        high,
    )
    taken: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for r in existing:
        taken[r["worker_id"]].append((r["started_at"], r["ended_at"], r["line_id"]))
    good = []
    for number, row in sorted(candidates, key=lambda c: c[0]):
        # The same line stored meanwhile (a retry that waited for the first upload) is a duplicate, not a clash.
        clash = next(
            (
                line_id
                for start, end, line_id in taken[row["worker_id"]]
                if start < row["ended_at"] and row["started_at"] < end and line_id != row["line_id"]
            ),
            None,
        )
        if clash is not None:
            errors.append(
                LineError(
                    line=number,
                    line_id=row["line_id"],
                    field="started_at",
                    message=f"overlaps session {clash!r} of the same worker on this platform",
                )
            )
            continue
        taken[row["worker_id"]].append((row["started_at"], row["ended_at"], row["line_id"]))
        good.append(row)
    return good


async def judge_working_time(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """M7 over every platform's sessions of the workers and days touched: daily hours, rest breaks,
    monthly overtime (labour contracts), part-time limits, quotas. Each finding goes to each platform
    involved with only its own share; a (rule, subject, platform) is judged once."""
    workers = list({r["worker_id"] for r in rows})
    # a session across midnight touches its second day too (its time there counts there)
    days = {
        (r["worker_id"], d)
        for r in rows
        for d in {r["work_date"], business_date(r["ended_at"] - timedelta(microseconds=1))}
    }
    first = min(d for _, d in days)
    last = max(d for _, d in days)
    month_start = first.replace(day=1)
    month_end = rules.add_months(last.replace(day=1), 1) - timedelta(days=1)
    span_start = min(month_start, first - timedelta(days=first.weekday()))
    span_end = max(month_end, last + timedelta(days=6 - last.weekday()))
    per_day: dict[tuple[str, date], dict[str, int]] = defaultdict(dict)
    for r in await repo.daily_minutes(session, workers, span_start, span_end):
        per_day[(r["worker_id"], r["work_date"])][r["platform_id"]] = r["minutes"]
    # the day before and after too: a stretch of work across midnight is one stretch (W-10)
    sessions_of: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for r in await repo.intervals(session, workers, first - timedelta(days=1), last + timedelta(days=1)):
        sessions_of[r["worker_id"]].append((r["started_at"], r["ended_at"], r["platform_id"]))
    kinds = await repo.worker_engagement_kinds(session, workers)
    candidates: list[tuple[tuple[str, str, str], FindingSpec, str, str]] = []  # key, spec, worker, platform

    def add(spec: FindingSpec | None, subject: str, worker: str, shares: dict[str, int], extra_platforms=()):
        """The whole finding for oversight and the worker (no platform), and each platform involved
        its own share only: a platform never learns what the worker did elsewhere."""
        if spec is None:
            return
        candidates.append(((spec.rule, subject, ""), spec, worker, ""))
        for platform in sorted(set(shares) | set(extra_platforms)):
            candidates.append(
                ((spec.rule, subject, platform), rules.platform_share(spec, shares.get(platform, 0)), worker, platform)
            )

    for worker, day in sorted(days):
        shares = per_day.get((worker, day), {})
        total = sum(shares.values())
        add(rules.check_daily_hours(total, 0, day), f"{worker}:{day.isoformat()}", worker, shares)
    for worker, items in sorted(sessions_of.items()):
        pause = rules.policy("rest.forced_break.minutes", business_date(items[0][0]))
        for start, end in rules.continuous_stretches([(a, b) for a, b, _ in items], pause):
            inside = [(a, b, p) for a, b, p in items if start <= a and b <= end]
            if not any((worker, business_date(a)) in days for a, _, _ in inside):
                continue  # a stretch this upload did not touch
            on = business_date(start)
            stretch_shares: dict[str, int] = defaultdict(int)
            for a, b, p in inside:
                stretch_shares[p] += int((b - a).total_seconds() // 60)
            add(rules.check_rest_break([(start, end)], on), f"{worker}:{on.isoformat()}", worker, dict(stretch_shares))
    months = {(w, d.replace(day=1)) for w, d in days}
    for worker, month in sorted(months):
        # 劳动法 art. 41 caps overtime under standard hours; comprehensive and flexible hours are approved
        # regimes counted otherwise (劳动法 art. 39), not judged here
        if "standard_hours" not in kinds.get(worker, set()):
            continue
        daily = {d: sum(p.values()) for (w, d), p in per_day.items() if w == worker and d.replace(day=1) == month}
        shares = _shares(per_day, worker, lambda d, m=month: d.replace(day=1) == m)
        add(rules.check_monthly_overtime(daily, 0, month), f"{worker}:{month:%Y-%m}", worker, shares)
    weeks = {(w, d - timedelta(days=d.weekday())) for w, d in days}
    for worker, week in sorted(weeks):
        if "part_time_labour" not in kinds.get(worker, set()):
            continue
        daily = {
            d: sum(p.values()) for (w, d), p in per_day.items() if w == worker and week <= d <= week + timedelta(days=6)
        }
        shares = _shares(per_day, worker, lambda d, s=week: s <= d <= s + timedelta(days=6))
        add(rules.check_part_time_hours(daily, 0, week), f"{worker}:W{week.isoformat()}", worker, shares)
    new = await repo.claim_judgements(session, [c[0] for c in candidates], datetime.now(UTC))
    raised = 0
    for key, spec, worker, platform in candidates:
        if key in new:
            # the statute behind a working-time limit may hold for labour contracts only (policy_basis)
            labour = kinds.get(worker, set()) & {"full_time_labour", "part_time_labour"}
            await raise_finding(
                session,
                spec,
                subject_type="worker_time",
                subject_id=key[1][:64],
                platform_id=platform or None,
                worker_id=worker,
                engagement_type="labor_contract" if labour else None,
            )
            raised += 1
    raised += await assess_quotas(session, rows)
    return raised


def _shares(per_day, worker: str, keep) -> dict[str, int]:
    shares: dict[str, int] = defaultdict(int)
    for (w, d), platforms in per_day.items():
        if w == worker and keep(d):
            for platform, m in platforms.items():
                shares[platform] += m
    return dict(shares)


async def assess_quotas(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """M7: each (platform, post, day) touched that has a declared quota is judged on every worker's day there."""
    targets = {(r["platform_id"], r["post"], r["work_date"]) for r in rows if r["post"]}
    raised = 0
    for platform_id, post, day in sorted(targets):
        result = await assess_quota(session, platform_id, post, day)
        raised += 1 if result and result[1] is not None else 0
    return raised


async def assess_quota(session: AsyncSession, platform_id: str, post: str, day: date):
    quota = (
        (
            await session.execute(
                text(
                    "select * from quotas where platform_id = :p and post = :post and effective_from <= :d "
                    "order by effective_from desc limit 1"
                ),
                {"p": platform_id, "post": post, "d": day},
            )
        )
        .mappings()
        .first()
    )
    if quota is None:
        return None
    worker_days = [
        rules.WorkerDay(r["worker_id"], r["orders"], r["minutes"])
        for r in (
            await session.execute(
                text(
                    "select worker_id, sum(orders_completed)::int as orders, sum(working_minutes)::int as minutes "
                    "from work_sessions where platform_id = :p and post = :post and work_date = :d group by worker_id"
                ),
                {"p": platform_id, "post": post, "d": day},
            )
        ).mappings()
    ]
    result = rules.check_quota(worker_days, quota["orders_per_day"], post, day)
    record(
        session,
        QuotaAssessed(
            platform_id=platform_id,
            post=post,
            work_date=day,
            quota_orders_per_day=quota["orders_per_day"],
            workers=result.workers,
            reaching=result.reaching,
            met=result.finding is None,
        ),
    )
    ref = None
    if result.finding is not None:
        subject = f"{post}:{day.isoformat()}"[:64]
        if await repo.claim_judgements(session, [(result.finding.rule, subject, platform_id)], datetime.now(UTC)):
            ref = await raise_finding(
                session,
                result.finding,
                subject_type="quota",
                subject_id=subject,
                platform_id=platform_id,
                enterprise_id=platform_id,
            )
    return quota, ref, result


async def declare_quota(session: AsyncSession, platform_id: str, body: QuotaCreate) -> dict[str, Any]:
    row = {"id": new_id("qt"), "platform_id": platform_id, **body.model_dump(), "declared_at": datetime.now(UTC)}
    rules.policy("rest.quota_achievable_share_percent", body.effective_from)  # 422 before the policy
    result = await session.execute(
        text(
            "insert into quotas (id, platform_id, post, orders_per_day, effective_from, declared_at) values "
            "(:id, :platform_id, :post, :orders_per_day, :effective_from, :declared_at) on conflict "
            "(platform_id, post, effective_from) do update set orders_per_day = excluded.orders_per_day returning id"
        ),
        row,
    )
    row["id"] = result.scalar_one()
    return row


# ---------------------------------------------------------------------------------------------
# Related units
# ---------------------------------------------------------------------------------------------
async def register_related_unit(session: AsyncSession, platform_id: str, body: RelatedUnitCreate) -> dict[str, Any]:
    try:
        validate_credit_code(body.credit_code)
    except ValueError as exc:
        raise Unprocessable(f"credit_code: {exc}", slug="invalid-credit-code") from exc
    row = {"id": new_id("ru"), "platform_id": platform_id, **body.model_dump(), "registered_at": datetime.now(UTC)}
    result = await session.execute(
        text(
            "insert into related_units (id, platform_id, enterprise_id, name, credit_code, kind, "
            "platform_entrusted_to_pay, registered_at) values (:id, :platform_id, :enterprise_id, :name, :credit_code, "
            ":kind, :platform_entrusted_to_pay, :registered_at) on conflict (platform_id, enterprise_id) do update set "
            "name = excluded.name, credit_code = excluded.credit_code, kind = excluded.kind, "
            "platform_entrusted_to_pay = excluded.platform_entrusted_to_pay returning id"
        ),
        row,
    )
    row["id"] = result.scalar_one()
    record(
        session,
        RelatedUnitRegistered(
            platform_id=platform_id,
            enterprise_id=body.enterprise_id,
            name=body.name,
            credit_code=body.credit_code,
            kind=body.kind,
            platform_entrusted_to_pay=body.platform_entrusted_to_pay,
        ),
    )
    return row


# ---------------------------------------------------------------------------------------------
# Workers: hours summary and reports of unpaid or short pay
# ---------------------------------------------------------------------------------------------
async def reconcile_pay_report(session: AsyncSession, worker_id: str, body: PayReportCreate):
    """A worker's report against the platform's statements for the period: what differs is a finding."""
    if body.period_end < body.period_start:
        raise Unprocessable("period_end is before period_start", slug="invalid-period")
    if body.received_on is not None and body.received_on > business_today():
        raise Unprocessable(f"received_on {body.received_on} is in the future", slug="invalid-date")
    get_policy().measures_status(body.period_start)  # 422 before the measures
    rows = [
        dict(r)
        for r in (
            await session.execute(
                text(
                    "select * from statements where worker_id = :w and platform_id = :p and period_start <= :end "
                    "and period_end >= :start order by period_start"
                ),
                {"w": worker_id, "p": body.platform_id, "start": body.period_start, "end": body.period_end},
            )
        ).mappings()
    ]
    differences: list[dict[str, Any]] = []
    if not rows:
        differences.append({"kind": "missing_statement", "detail": "the platform reported no statement for the period"})
    net_due = sum(max(0, r["gross_fen"] - r["deductions_fen"]) for r in rows)
    paid = sum(r["paid_fen"] for r in rows)
    if rows and net_due != body.expected_fen:
        differences.append(
            {"kind": "amount_differs", "statement_net_due_fen": net_due, "worker_expected_fen": body.expected_fen}
        )
    if rows and paid != body.received_fen:
        differences.append(
            {"kind": "paid_amount_differs", "statement_paid_fen": paid, "worker_received_fen": body.received_fen}
        )
    if body.received_fen < max(body.expected_fen, net_due):
        differences.append({"kind": "short_paid", "owed_fen": max(body.expected_fen, net_due) - body.received_fen})
    late = [r for r in rows if r["paid_on"] and r["paid_on"] > r["due_date"]]
    if body.received_on and rows and body.received_on > max(r["due_date"] for r in rows):
        late = late or rows
    if late:
        differences.append({"kind": "paid_late", "statements": [r["id"] for r in late]})
    outcome = "unresolved" if differences else "resolved"
    report_id = new_id("pr")
    finding = None
    if differences:
        engagement = (
            (await repo.engagements(session, [rows[0]["contract_id"]])).get(rows[0]["contract_id"]) if rows else None
        )
        spec = FindingSpec(
            "M6",
            "M6.pay_report_unresolved",
            rules.Severity.medium,
            f"劳动者报告 {body.period_start.isoformat()} 至 {body.period_end.isoformat()} "
            "工资未付或少付，"
            f"与平台工资记录不符（{'、'.join(d['kind'] for d in differences)}）",
            {"report_id": report_id, "differences": differences, "statements": [r["id"] for r in rows]},
        )
        finding = await raise_finding(
            session,
            spec,
            subject_type="pay_report",
            subject_id=report_id,
            platform_id=body.platform_id,
            worker_id=worker_id,
            enterprise_id=engagement["enterprise_id"] if engagement else None,
            occupation=engagement["occupation"] if engagement else None,
            district=engagement["district"] if engagement else None,
            engagement_type=engagement["engagement_type"] if engagement else None,
        )
    await session.execute(
        text(
            "insert into pay_reports (id, worker_id, platform_id, period_start, period_end, "
            "expected_fen, received_fen, "
            "received_on, note, outcome, differences, finding_id, reported_at) values (:id, :w, :p, "
            ":ps, :pe, :ef, :rf, "
            ":ro, :note, :outcome, cast(:diff as jsonb), :fid, :now)"
        ),
        {
            "id": report_id,
            "w": worker_id,
            "p": body.platform_id,
            "ps": body.period_start,
            "pe": body.period_end,
            "ef": body.expected_fen,
            "rf": body.received_fen,
            "ro": body.received_on,
            "note": body.note,
            "outcome": outcome,
            "diff": _json(differences),
            "fid": finding.finding_id if finding else None,
            "now": datetime.now(UTC),
        },
    )
    record(
        session,
        PayReportReconciled(
            report_id=report_id,
            worker_id=worker_id,
            platform_id=body.platform_id,
            period_start=body.period_start,
            period_end=body.period_end,
            outcome=outcome,
            differences=[d["kind"] for d in differences],
        ),
    )
    return report_id, outcome, differences, finding
