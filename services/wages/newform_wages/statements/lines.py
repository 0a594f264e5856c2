"""A stored statement as its published line (`StatementLine`), and a change of stored statements published
again: their lines (`wages.statements.judged.v1`, each replacing the line before) and the totals' change
beside them (`wages.statements.totals.v1`: each line as published before subtracted, as it is now added).

Used by a later payment (`service.record_payment`) and by the due dates an ended contract moves to its last
day (`clocks.due_when_employment_ends`): changes to a statement after it was published that the gateway's
lines and totals must follow. Neither redoes the judgement: the rules a line names are the ones its
judgement found (`statements.rules_broken`), so the line published before is known exactly and the totals'
delta is exact (the gateway's `wage_totals` stays the sums over its lines).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.outbox import record, record_data
from newform_common.policy import business_date

from ..collective.repository import collectives_of_platform
from ..events import StatementLine, StatementsJudged, StatementTotalsChanged
from ..related_units.repository import related_units
from . import totals
from .judging import judge, statement_fact

#: (the statement as it was published, the statement now): rows of `statements`, `rules_broken` filled.
Change = tuple[dict[str, Any], dict[str, Any]]


def statement_line(row: dict[str, Any], engagement: dict[str, Any] | None) -> dict[str, Any]:
    """A statement line of the events, as JSON data (StatementLine's shape; tests validate it): the rules
    broken are those its judgement found (`rules_broken`, none while pending)."""
    fact = statement_fact(row)
    rules_broken = (row["rules_broken"] or []) if engagement else []
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
        "minimum_wage_met": None if engagement is None else "M6.minimum_wage" not in rules_broken,
        "rules_broken": rules_broken,
    }


async def published_rules(
    session: AsyncSession, statement: dict[str, Any], engagement: dict[str, Any] | None
) -> list[str]:
    """The rules the statement's published line names: kept since wages_0010 (none while pending). A statement
    stored before is judged again as on the day it was received, with what it said then: intake's judgement
    (the best that is known of a line published before its rules were kept)."""
    if engagement is None:
        return []
    if statement["rules_broken"] is not None:
        return statement["rules_broken"]
    platform_id = statement["platform_id"]
    units = await related_units(session, platform_id)
    collectives = await collectives_of_platform(session, platform_id)
    received = business_date(statement["received_at"])
    return sorted({s.rule for s in judge({**statement}, engagement, units, received, collectives)})


def publish_changes(
    session: AsyncSession,
    cause: Literal["paid", "due_moved"],
    engagement: dict[str, Any] | None,
    changes: Sequence[Change],
    *,
    statement_id: str | None = None,
) -> None:
    """Statements of one engagement (`engagement`: None while pending) changed after they were published: their
    lines again, and the totals' change when a counter moved (`cause = judged` there: a new value would break
    v1's readers; a payment names its `statement_id`). Nothing when no line changed."""
    pairs = [(statement_line(before, engagement), statement_line(after, engagement)) for before, after in changes]
    pairs = [(old, new) for old, new in pairs if old != new]
    if not pairs:
        return
    platform_id, contract_id = changes[0][1]["platform_id"], changes[0][1]["contract_id"]
    groups = totals.deltas([new for _, new in pairs], [old for old, _ in pairs])
    record(
        session,
        StatementsJudged(
            platform_id=platform_id,
            contract_id=contract_id,
            cause=cause,
            lines=[StatementLine.model_validate(new) for _, new in pairs],
        ),
    )
    if groups:  # a due date moved on an unpaid line changes no counter
        record_data(
            session,
            StatementTotalsChanged,
            {
                "platform_id": platform_id,
                "cause": "judged",
                "contract_id": contract_id,
                "statement_id": statement_id,
                "groups": groups,
            },
        )
