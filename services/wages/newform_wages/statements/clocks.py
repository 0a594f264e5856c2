"""Arrears clocks (M6, M20): a statement's due date, each pay period of a signed engagement (arrears when
nobody reported it, an early warning before), the monthly minimum over a pay month of shorter statements,
and what an ended contract makes due on its last day. `DEADLINE_HANDLERS` maps each clock's kind to the
handler the deadline worker calls when it runs out.

Clocks change through the kit's deadlines API (`schedule`, `move`, `cancel`); the many new clocks of one
upload start together (`deadlines.schedule_new`, the kit's bulk `schedule`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import clock, deadlines
from newform_common.deadlines import Deadline, DeadlineHandler, end_of_business_day
from newform_common.findings import FindingSpec, raise_finding
from newform_common.policy import business_date, business_today

from .. import repository as shared
from ..engagements import repository as engagements
from ..engagements.models import ENDED, EngagementStatus
from ..engagements.rules import (
    engagement_of,
    pay_due_date,
    pay_month_schedule,
    pay_period_of,
    period_containing,
    period_due_date,
)
from ..related_units.repository import related_units
from ..rules import Severity, policy
from . import repository as repo
from . import rules
from .judging import raise_statement_findings, statement_fact, with_arrears_companions
from .lines import publish_changes, published_rules
from .models import StatementStatus

STATEMENT_DUE = "wages.statement_due"  # a statement unpaid or short-paid: arrears at its due date
PERIOD_DUE = "wages.period_due"  # an engagement's pay period: arrears if no paid statement at its due date
PERIOD_WARNING = "wages.period_warning"  # early warning: no statement yet as the due date nears
MINIMUM_MONTH = "wages.minimum_wage_month"  # a pay month of shorter statements: the monthly minimum on their sum


async def schedule_statement_clocks(
    session: AsyncSession, rows: list[dict[str, Any]], today: date, now: datetime
) -> None:
    """A statement not fully paid and not yet due: its arrears clock runs out at the end of the due date.
    The statements are new (stored now, or judged now after waiting pending): none has a clock yet."""
    await deadlines.schedule_new(
        session,
        STATEMENT_DUE,
        [
            (row["id"], end_of_business_day(row["due_date"]), {"platform_id": row["platform_id"]})
            for row in rows
            if row["due_date"] >= today and row["paid_fen"] < max(0, row["gross_fen"] - row["deductions_fen"])
        ],
        now=now,
    )


async def schedule_minimum_months(
    session: AsyncSession, pairs: list[tuple[dict[str, Any], dict[str, Any]]], now: datetime
) -> None:
    """A monthly-basis statement shorter than a pay month: its pay month is judged on the sum of its
    statements once the month is over and paid (at the end of its pay day). A month whose clock runs
    already keeps it; the others start theirs in one statement (a batch of weekly pay names thousands)."""
    clocks: dict[str, tuple[datetime, dict[str, Any]]] = {}
    for row, engagement in pairs:
        e = engagement_of(engagement)
        if rules.minimum_wage_basis(e, row["period_start"]) != "monthly" or not rules.shorter_than_a_pay_month(
            row["period_start"], row["period_end"]
        ):
            continue
        months = {
            pay_period_of("month", pay_month_schedule(engagement), d) for d in (row["period_start"], row["period_end"])
        }
        for month_start, month_end in months:
            subject = f"{row['contract_id']}:{month_start.isoformat()}"
            due = pay_due_date(engagement.get("pay_schedule"), month_end)
            clocks[subject] = (
                end_of_business_day(due),
                {
                    "contract_id": row["contract_id"],
                    "month_start": month_start.isoformat(),
                    "month_end": month_end.isoformat(),
                },
            )
    if not clocks:
        return
    await repo.lock_minimum_months(session, clocks)
    running = {c.subject_id for c in await repo.live_clocks(session, MINIMUM_MONTH, list(clocks), for_update=True)}
    await deadlines.schedule_new(
        session,
        MINIMUM_MONTH,
        [(subject, due_at, data) for subject, (due_at, data) in clocks.items() if subject not in running],
        now=now,
    )


async def schedule_period_clocks(session: AsyncSession, engagement: dict[str, Any], day: date) -> None:
    """The clocks of the engagement's pay period holding `day`: arrears at the end of its pay day, and an
    early warning `wages.early_warning.days_before_due` days before (when that day is still ahead)."""
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
    warn = due - timedelta(days=policy("wages.early_warning.days_before_due", end))
    if warn > business_today():  # a period already past its warning (a back-dated contract) gets no early warning
        await deadlines.schedule(
            session, PERIOD_WARNING, subject, end_of_business_day(warn - timedelta(days=1)), data=data
        )


async def due_when_employment_ends(session: AsyncSession, engagement: dict[str, Any], last: date) -> None:
    """工资支付暂行规定 art. 9: when a contract is ended, all its wages are paid at once on that day. Every
    unpaid statement due later is due on the last day; the running period ends and is due then; a period
    after it has no clock."""
    contract_id = engagement["contract_id"]
    moved = await repo.due_on_last_day(session, contract_id, last)
    for live in await repo.live_clocks(session, STATEMENT_DUE, [row["id"] for row in moved]):
        await deadlines.move(session, STATEMENT_DUE, live.subject_id, end_of_business_day(last))
    await _publish_moved(session, engagement, moved, last)
    clocks = [
        (live.kind, live.subject_id, dict(live.data))
        for live in await repo.live_clocks_of_contract(session, contract_id, (PERIOD_DUE, PERIOD_WARNING))
    ]
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


async def _publish_moved(
    session: AsyncSession, engagement: dict[str, Any], moved: list[dict[str, Any]], last: date
) -> None:
    """The statements' lines again with their new due date, and the totals' change (lines.py): the gateway's
    lines and its on-time and late counts follow the due date the law moved (a later payment is judged
    against it, and subtracts the line as published)."""
    changes: dict[bool, list] = {True: [], False: []}  # judged, pending (a line of another platform's)
    for row in moved:
        judged = row["status"] == StatementStatus.judged
        before = {**row, "rules_broken": await published_rules(session, row, engagement if judged else None)}
        changes[judged].append((before, {**before, "due_date": last}))
    publish_changes(session, "due_moved", engagement, changes[True])
    publish_changes(session, "due_moved", None, changes[False])


async def on_period_due(session: AsyncSession, deadline: Deadline) -> None:
    """M6: at the due date of a known engagement's period, no paid statement is arrears (and M20)."""
    data = deadline.data
    engagement = await engagements.engagement(session, data["contract_id"])
    if engagement is None:
        return
    start, end = date.fromisoformat(data["period_start"]), date.fromisoformat(data["period_end"])
    statements = await repo.statements_in_period(session, engagement["contract_id"], start, end)
    # A period with statements is their clocks' to judge (each due on the agreed pay day, or its own due
    # date when none is agreed); this clock raises arrears only for a period nobody reported at all, and
    # never a second case for a debt already raised (W-2). Only a full-time labour contract owes pay for
    # every period of its term: under a part-time contract or an agreement paid by the hour, order or
    # piece, a period without a statement may be a period without work (RULES.md, judgement call).
    owed_every_period = engagement["engagement_type"] == "labor_contract" and not engagement["part_time"]
    if engagement["status"] in (EngagementStatus.signed, *ENDED) and not statements and owed_every_period:
        await repo.lock_arrears(session, [engagement["contract_id"]])
        await session.flush()
        if not await repo.arrears_raised(session, engagement["contract_id"], start, end):
            spec = FindingSpec(
                "M6",
                "M6.wage_arrears",
                Severity.high,
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
            units = await related_units(session, engagement["platform_id"])
            for s in with_arrears_companions([spec], engagement, units):
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
    if engagement["status"] == EngagementStatus.signed or (
        engagement["status"] in ENDED and engagement["end_date"] is not None
    ):
        await schedule_period_clocks(session, engagement, end + timedelta(days=1))


async def on_period_warning(session: AsyncSession, deadline: Deadline) -> None:
    """Early warning (M6, low): the due date nears and the period has no statement yet."""
    data = deadline.data
    engagement = await engagements.engagement(session, data["contract_id"])
    if engagement is None or engagement["status"] != EngagementStatus.signed:
        return
    start, end = date.fromisoformat(data["period_start"]), date.fromisoformat(data["period_end"])
    if await repo.statements_in_period(session, engagement["contract_id"], start, end):
        return
    spec = FindingSpec(
        "M6",
        "M6.statement_missing",
        Severity.low,
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
    row = await repo.statement(session, deadline.subject_id)
    if row is None:
        return
    engagement = await engagements.engagement(session, row["contract_id"])
    if engagement is None:
        return
    today = business_date(deadline.due_at)  # the clock runs out at the start of the day after the due date
    fact = statement_fact(row)
    spec = rules.check_arrears(fact, max(today, fact.due_date + timedelta(days=1)))
    if spec is None:
        return
    units = await related_units(session, engagement["platform_id"])
    await repo.lock_arrears(session, [row["contract_id"]])
    await raise_statement_findings(session, row, engagement, with_arrears_companions([spec], engagement, units), today)


async def on_minimum_month(session: AsyncSession, deadline: Deadline) -> None:
    """M6 (最低工资规定 arts. 3, 12): the normal pay of a pay month of normal work, summed over the
    engagement's statements shorter than a month, is at least the monthly standard (W-5)."""
    data = deadline.data
    engagement = await engagements.engagement(session, data["contract_id"])
    if engagement is None:
        return
    month_start, month_end = date.fromisoformat(data["month_start"]), date.fromisoformat(data["month_end"])
    statements = [
        s
        for s in await repo.statements_in_period(session, engagement["contract_id"], month_start, month_end)
        if s["status"] == StatementStatus.judged
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
    if not await shared.claim_judgements(session, [(spec.rule, subject, engagement["platform_id"])], clock.now()):
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


DEADLINE_HANDLERS: dict[str, DeadlineHandler] = {
    STATEMENT_DUE: on_statement_due,
    PERIOD_DUE: on_period_due,
    PERIOD_WARNING: on_period_warning,
    MINIMUM_MONTH: on_minimum_month,
}
