"""Pay statements: intake (each good line stored and judged, each bad line its own error), later payments,
statements kept pending judged when their engagement arrives, and premium questions judged when a year's
holiday schedule is loaded.

Intake is set-based: lines are parsed and checked one by one in memory, the good ones written with one
statement per table, findings raised per breach, events published per chunk of lines (events.py says
why). A line is stored whole or not at all; a failure of the batch rolls everything back (the request's
one transaction).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import calendar as national_calendar
from newform_common import clock, deadlines
from newform_common.bulk import collector_paused
from newform_common.errors import Unprocessable
from newform_common.findings import FindingSpec
from newform_common.ids import new_id, new_ids
from newform_common.outbox import record, record_data
from newform_common.policy import PolicyNotInForce, business_today

from ..batches.schemas import BatchPublic, LineError
from ..batches.service import LineModel, check_policy_dates, close_batch, open_batch, read_lines
from ..collective import bad_weather_service as bad_weather_allowance
from ..collective.repository import collectives_of_platform
from ..engagements import repository as engagements_repo
from ..engagements.rules import engagement_of
from ..events import LINES_PER_EVENT, StatementLine, StatementsAccepted, StatementsJudged, StatementTotalsChanged
from ..intake import RawLine
from ..related_units.repository import related_units
from ..rules import one_policy, policy
from ..safety import penalty_service as safety_penalties
from . import repository as repo
from . import rules, totals
from .clocks import STATEMENT_DUE, schedule_minimum_months, schedule_statement_clocks
from .judging import ARREARS_RULES, apply_agreed_pay_day, judge, raise_statement_findings, statement_fact
from .lines import publish_changes, published_rules, statement_line
from .models import StatementStatus, ensure_transition
from .schemas import StatementIn
from .warnings import warn_late_share

log = logging.getLogger(__name__)

STATEMENT_LINES = LineModel.of(StatementIn)

#: A line taken in: its number, the row stored, its engagement (None: kept pending) and its findings.
Good = tuple[int, dict[str, Any], dict[str, Any] | None, list[FindingSpec]]


@lru_cache(maxsize=4096)
def minutes(hours: Decimal) -> int:
    """Hours (two decimals) as whole minutes; a batch repeats a few values thousands of times."""
    return int((hours * 60).to_integral_value())


def _deduction(d: Any) -> dict[str, Any]:
    """A deduction as stored (JSON); `incurred_at` only when the line states it (M8: a lateness penalty during
    a warning), so rows of lines without it stay as they were."""
    out = {"reason": d.reason, "amount_fen": d.amount_fen}
    if d.incurred_at is not None:
        out["incurred_at"] = d.incurred_at.isoformat()
    return out


def _statement_row(
    s: StatementIn, platform_id: str, batch_id: str | None, now: datetime, statement_id: str | None = None
) -> dict[str, Any]:
    """The row a line stores (the columns of `models.Statement`): hours as minutes, allowances and deductions
    summed, the due date the policy's default when the line names none."""
    due = s.due_date
    if due is None:
        try:
            due = s.period_end + timedelta(days=policy("wages.pay_due_days_after_period_end", s.period_end))
        except (PolicyNotInForce, OverflowError):
            due = s.period_end  # the line's date checks report it; the row is not stored
    deductions = [_deduction(d) for d in s.deductions]
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
        "night_allowance_fen": s.night_allowance_fen,
        "bad_weather_allowance_fen": s.bad_weather_allowance_fen,
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
        "status": StatementStatus.pending,
        "received_at": now,
        "pending_schedule": [],
        "rules_broken": [],
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
    policy_error = check_policy_dates(number, s.line_id, dates)
    return [policy_error] if policy_error else []


async def intake_statements(session: AsyncSession, platform_id: str, lines: list[RawLine], fmt: str) -> BatchPublic:
    """A batch of pay statements: each good line stored and judged, each bad line its own error."""
    with one_policy(), collector_paused():
        return await _intake_statements(session, platform_id, lines, fmt)


async def _intake_statements(session: AsyncSession, platform_id: str, lines: list[RawLine], fmt: str) -> BatchPublic:
    now = datetime.now(UTC)
    batch = await open_batch(session, platform_id, "statements", fmt, len(lines))
    errors: list[LineError] = []
    parsed, stored, duplicates = await read_lines(session, "statements", platform_id, lines, STATEMENT_LINES, errors)
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
    good = await _judged(session, platform_id, candidates, errors)
    inserted = set(await repo.insert_statements(session, [g[1] for g in good]))
    duplicates += len(good) - len(inserted)  # stored by a concurrent upload of the same lines
    good = [g for g in good if g[1]["line_id"] in inserted]
    findings = await _follow_up(session, batch["id"], platform_id, good, now)
    return await close_batch(
        session,
        batch,
        accepted=len(good),
        duplicates=duplicates,
        errors=errors,
        pending=sum(1 for g in good if g[2] is None),
        findings=findings,
    )


async def _judged(
    session: AsyncSession, platform_id: str, candidates: list[tuple[int, Any, dict[str, Any]]], errors: list[LineError]
) -> list[Good]:
    """The candidate lines with their engagements, judged (a line of an unknown engagement is kept pending;
    a line naming another platform's or worker's engagement is an error)."""
    known = await engagements_repo.engagements(session, [row["contract_id"] for _, _, row in candidates])
    unknown = {row["contract_id"] for _, _, row in candidates} - set(known)
    if unknown:  # kept pending: look again once the consumer cannot be storing them unseen (repository)
        await engagements_repo.lock_contracts(session, unknown, shared=True)
        known.update(await engagements_repo.engagements(session, unknown))
    good: list[Good] = []
    today = business_today()
    units = await related_units(session, platform_id) if candidates else {}
    collectives = await collectives_of_platform(session, platform_id) if candidates else []
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
            apply_agreed_pay_day(row, engagement)
            specs = judge(row, engagement, units, today, collectives)
            row["rules_broken"] = sorted({s.rule for s in specs})
            ensure_transition(row["status"], StatementStatus.judged)
            row["status"] = StatementStatus.judged
        good.append((number, row, engagement, specs))
    return good


async def _follow_up(session: AsyncSession, batch_id: str, platform_id: str, good: list[Good], now: datetime) -> int:
    """What the stored lines start: their findings (one debt, one case), arrears and minimum-month clocks,
    the events, and the platform's late-share warning. Returns the findings raised."""
    today = business_today()
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
            findings += len(await raise_statement_findings(session, row, engagement, specs, today))
    findings += await safety_penalties.judge_statements(session, [(row, e) for _, row, e, _ in good if e is not None])
    findings += await bad_weather_allowance.judge_statements(
        session, [(row, e) for _, row, e, _ in good if e is not None]
    )
    await schedule_statement_clocks(session, [row for _, row, e, _ in good if e is not None], today, now)
    await schedule_minimum_months(session, [(row, e) for _, row, e, _ in good if e is not None], now)
    _publish_lines(session, batch_id, platform_id, [(row, e, specs) for _, row, e, specs in good])
    findings += await warn_late_share(
        session, platform_id, {row["period_end"].replace(day=1) for _, row, e, _ in good if e is not None}, today
    )
    return findings


def _publish_lines(
    session: AsyncSession,
    batch_id: str,
    platform_id: str,
    good: list[tuple[dict[str, Any], dict[str, Any] | None, list[FindingSpec]]],
) -> None:
    """One event per chunk of lines, written as JSON data directly: 10,000 pydantic builds and dumps
    per batch were a third of the intake's CPU; then the batch's totals (one event, the lines' sums)."""
    published = [statement_line(row, e) for row, e, _ in good]
    for chunk, start in enumerate(range(0, len(published), LINES_PER_EVENT)):
        record_data(
            session,
            StatementsAccepted,
            {
                "batch_id": batch_id,
                "platform_id": platform_id,
                "chunk": chunk,
                "lines": published[start : start + LINES_PER_EVENT],
            },
        )
    if published:
        record_data(
            session,
            StatementTotalsChanged,
            {
                "platform_id": platform_id,
                "cause": "accepted",
                "batch_id": batch_id,
                "groups": totals.deltas(published),
            },
        )


async def record_payment(session: AsyncSession, statement: dict[str, Any], paid_fen: int, paid_on: date) -> None:
    """A later payment of a stored statement: the amount paid so far and its date (the clock stays until paid
    in full). A payment that changes the statement publishes its line again and the totals' change
    (`lines.publish_changes`, cause `paid`); the same payment sent again changes nothing and publishes
    nothing. `statement` is the row, locked by the caller.

    Why the existing events and not a `wages.statements.paid.v1`: the gateway already keeps a line as the
    last one published (its projection and its rebuild from the log both fold `judged.v1` lines) and adds
    totals' deltas whatever their cause, so a payment needs no new reader anywhere; the delta is exact because
    wages computes it from the line it published (the rules kept with the statement, lines.py)."""
    if paid_on < statement["period_start"]:
        raise Unprocessable("paid_on is before the period starts", slug="invalid-payment")
    if paid_on > business_today():  # a payment is a fact that happened, never a promise
        raise Unprocessable(f"paid_on {paid_on} is in the future", slug="invalid-payment")
    if paid_fen < statement["paid_fen"]:
        raise Unprocessable("the total paid cannot go down", slug="invalid-payment")
    if (paid_fen, paid_on) == (statement["paid_fen"], statement["paid_on"]):
        return
    engagement = None
    if statement["status"] == StatementStatus.judged:
        engagement = await engagements_repo.engagement(session, statement["contract_id"])
        if engagement is None:  # wages keeps every engagement it judged by: a judged line is never unpublished
            raise RuntimeError(f"statement {statement['id']} was judged by engagement {statement['contract_id']}")
    before = {**statement, "rules_broken": await published_rules(session, statement, engagement)}
    before.pop("_fact", None)
    await repo.record_payment(session, statement["id"], paid_fen, paid_on, before["rules_broken"])
    if paid_fen >= max(0, statement["gross_fen"] - statement["deductions_fen"]):
        await deadlines.cancel(session, STATEMENT_DUE, statement["id"])
    # the line again, with the amount and date now paid, and the totals' change: the line as published before
    # out, as paid in — so paid_fen, unpaid, late, paid_on_time and compliant move by exactly what the payment
    # changed, under the rules every line is counted by (totals.contribution: on time is paid in full by the
    # due date, M6, 工资支付暂行规定 art. 7). The judgement is not redone: arrears found stay a breach.
    after = {**before, "paid_fen": paid_fen, "paid_on": paid_on}
    publish_changes(session, "paid", engagement, [(before, after)], statement_id=statement["id"])


async def judge_pending(session: AsyncSession, engagements: list[dict[str, Any]]) -> None:
    """Statements kept while their engagement was unknown are judged now, as on intake."""
    by_id = {e["contract_id"]: e for e in engagements}
    pending = await repo.pending_statements(session, by_id)
    if not pending:
        return
    today = business_today()
    judged: dict[str, list] = defaultdict(list)
    published: dict[str, dict[str, Any]] = {}  # each line as published while pending, before judging moves it
    unit_cache: dict[str, dict] = {}
    collective_cache: dict[str, list] = {}
    for row in pending:
        engagement = by_id[row["contract_id"]]
        if engagement["platform_id"] != row["platform_id"] or engagement["worker_id"] != row["worker_id"]:
            log.warning(
                "statement %s names contract %s of another platform or worker; left pending",
                row["id"],
                row["contract_id"],
            )
            continue
        published[row["id"]] = statement_line(row, None)
        if row["platform_id"] not in unit_cache:
            unit_cache[row["platform_id"]] = await related_units(session, row["platform_id"])
            collective_cache[row["platform_id"]] = await collectives_of_platform(session, row["platform_id"])
        apply_agreed_pay_day(row, engagement)
        specs = judge(row, engagement, unit_cache[row["platform_id"]], today, collective_cache[row["platform_id"]])
        row["rules_broken"] = sorted({s.rule for s in specs})
        if any(spec.rule in ARREARS_RULES for spec in specs):
            await repo.lock_arrears(session, [row["contract_id"]])
        await raise_statement_findings(session, row, engagement, specs, today)
        ensure_transition(row["status"], StatementStatus.judged)
        judged[row["contract_id"]].append((row, engagement, specs))
    rows = [r for items in judged.values() for r, _, _ in items]
    await repo.mark_judged(session, rows)
    await safety_penalties.judge_statements(session, [(r, e) for items in judged.values() for r, e, _ in items])
    await bad_weather_allowance.judge_statements(session, [(r, e) for items in judged.values() for r, e, _ in items])
    await schedule_statement_clocks(session, rows, today, clock.now())
    await schedule_minimum_months(session, [(r, e) for items in judged.values() for r, e, _ in items], clock.now())
    for contract_id, items in judged.items():
        judged_lines = [statement_line(r, e) for r, e, _ in items]
        platform_id = items[0][1]["platform_id"]
        record(
            session,
            StatementsJudged(
                platform_id=platform_id,
                contract_id=contract_id,
                lines=[StatementLine.model_validate(line) for line in judged_lines],
            ),
        )
        record_data(
            session,
            StatementTotalsChanged,
            {
                "platform_id": platform_id,
                "cause": "judged",
                "contract_id": contract_id,
                "groups": totals.deltas(judged_lines, [published[r["id"]] for r, _, _ in items]),
            },
        )


async def rejudge_pending_premiums(session: AsyncSession, year: int) -> int:
    """Judge again the premium question of every statement with a premium day in `year` that waited for
    the year's schedule; call it (in the loading transaction) once the schedule is installed
    (`calendar.schedule_known(year)`). A statement with pending days in another year still without a
    schedule keeps waiting for those. Returns the number of statements judged (their findings raised:
    `M6.overtime_premium`, subject the statement)."""
    if not national_calendar.schedule_known(year):
        return 0
    rows = await repo.statements_waiting_for_schedule(session, year)
    today = business_today()
    judged = 0
    for row in rows:
        still = [d.isoformat() for d in rules.pending_premium_days(statement_fact(row))]
        if not still:
            engagement = await engagements_repo.engagement(session, row["contract_id"])
            if engagement is not None:
                spec = rules.check_premiums(statement_fact(row), engagement_of(engagement))
                await raise_statement_findings(session, row, engagement, [spec] if spec else [], today)
                judged += 1
        await repo.set_pending_schedule(session, row["id"], still)
    return judged
