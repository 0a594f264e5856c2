"""wages.* events into the wages read models — set-based: one statement per table per polled batch.

A `wages.statements.accepted.v1` carries up to 1,000 statement lines (wages' events.py says why);
each line becomes a row keyed by its statement id, so a line seen twice (a redelivered chunk, a
pending statement judged later, a statement paid later: `wages.statements.judged.v1` lines replace the
row) updates its row instead of counting twice. The pages' aggregates read
`wage_totals` instead of counting the lines: wages publishes each batch's totals per pay month, district
and occupation (`wages.statements.totals.v1`, deltas that never count a line twice: wages' events.py), and
this projection adds them up, once per event (the inbox). Arrears and working-time
results come from wages' findings, which the alert path projects (`alerts/projection.py`); the queries of
`service.py` read both. The rows are written by `repository.write_batch`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import bulk
from newform_common.consumed import consumes
from newform_common.events import Envelope

from ...projections.base import Context, EventData, Projection, Typed
from . import repository


# -- the gateway's reading of wages' v1 events (services/wages/newform_wages/events.py) ---------------
class StatementLine(EventData):
    """Its fields are `wage_statements`' columns (`_statement` copies them as they are)."""

    line_id: str
    statement_id: str
    worker_id: str
    contract_id: str
    period_start: date
    period_end: date
    due_date: date
    gross_fen: int
    net_due_fen: int
    paid_fen: int
    paid_on: date | None
    worked_minutes: int
    status: str
    occupation: str | None = None
    district: str | None = None
    enterprise_id: str | None = None
    minimum_wage_met: bool | None = None
    rules_broken: list[str] = []


@consumes("wages.statements.accepted.v1")
class StatementsAccepted(EventData):
    batch_id: str
    platform_id: str
    lines: list[StatementLine]


@consumes("wages.statements.judged.v1")
class StatementsJudged(EventData):
    platform_id: str
    lines: list[StatementLine]


class StatementTotals(EventData):
    """One group's change; its counters are `wage_totals`' columns (`TOTALS` lists them)."""

    month: str
    district: str | None
    occupation: str | None
    statements: int
    judged: int
    pending: int
    minimum_wage_met: int
    below_minimum: int
    paid_on_time: int
    unpaid: int
    late: int
    with_breaches: int
    compliant: int
    gross_fen: int
    net_due_fen: int
    paid_fen: int
    worked_minutes: int


@consumes("wages.statements.totals.v1")
class StatementTotalsChanged(EventData):
    platform_id: str
    groups: list[StatementTotals]


TOTALS = repository.TOTALS


class SessionLine(EventData):
    session_id: str
    worker_id: str
    work_date: date
    working_minutes: int
    orders_completed: int
    post: str | None = None


@consumes("wages.sessions.accepted.v1")
class SessionsAccepted(EventData):
    platform_id: str
    lines: list[SessionLine]


@consumes("wages.quota.assessed.v1")
class QuotaAssessed(EventData):
    platform_id: str
    post: str
    work_date: date
    quota_orders_per_day: int
    workers: int
    reaching: int
    met: bool


@consumes("wages.related_unit.registered.v1")
class RelatedUnitRegistered(EventData):
    platform_id: str
    enterprise_id: str
    name: str
    credit_code: str
    kind: str
    platform_entrusted_to_pay: bool


def _statement(platform_id: str, batch_id: str | None, line: StatementLine, at: datetime) -> dict[str, Any]:
    """The line's row: its fields are the table's columns (the model's own field values, copied in one
    step: a chunk has 1,000 lines), plus where and when it was reported."""
    return {**line.__dict__, "batch_id": batch_id, "platform_id": platform_id, "reported_at": at}


async def apply(session: AsyncSession, events: list[Typed[Any]], ctx: Context) -> None:
    """Fold the batch in order (a judged line replaces its pending row), then write each table once."""
    with bulk.collector_paused():  # thousands of rows at a time (bulk.py says why)
        await _apply(session, events)


async def _apply(session: AsyncSession, events: list[Typed[Any]]) -> None:
    statements: dict[str, dict[str, Any]] = {}
    sessions: list[dict[str, Any]] = []
    quotas: list[dict[str, Any]] = []
    units: list[dict[str, Any]] = []
    judged: dict[str, dict[str, Any]] = {}  # by statement: its last line (judged, then paid) is one upsert row
    totals: dict[tuple[str, str, str, str], list[int]] = {}
    for t in events:
        d = t.data
        if isinstance(d, StatementTotalsChanged):
            _add_totals(totals, d)
        elif isinstance(d, StatementsAccepted):
            for line in d.lines:
                statements[line.statement_id] = _statement(d.platform_id, d.batch_id, line, t.envelope.time)
        elif isinstance(d, StatementsJudged):
            for line in d.lines:
                if line.statement_id in statements:  # accepted earlier in this batch: keep its batch id
                    statements[line.statement_id].update(
                        _statement(
                            d.platform_id,
                            statements[line.statement_id]["batch_id"],
                            line,
                            statements[line.statement_id]["reported_at"],
                        )
                    )
                else:
                    judged[line.statement_id] = _statement(d.platform_id, None, line, t.envelope.time)
        elif isinstance(d, SessionsAccepted):
            sessions.extend(
                dict(
                    session_id=s.session_id,
                    platform_id=d.platform_id,
                    worker_id=s.worker_id,
                    work_date=s.work_date,
                    working_minutes=s.working_minutes,
                    orders_completed=s.orders_completed,
                    post=s.post,
                )
                for s in d.lines
            )
        elif isinstance(d, QuotaAssessed):
            quotas.append(
                dict(
                    platform_id=d.platform_id,
                    post=d.post,
                    work_date=d.work_date,
                    quota_orders_per_day=d.quota_orders_per_day,
                    workers=d.workers,
                    reaching=d.reaching,
                    met=d.met,
                )
            )
        elif isinstance(d, RelatedUnitRegistered):
            units.append(
                dict(
                    platform_id=d.platform_id,
                    enterprise_id=d.enterprise_id,
                    name=d.name,
                    credit_code=d.credit_code,
                    kind=d.kind,
                    platform_entrusted_to_pay=d.platform_entrusted_to_pay,
                )
            )
    await repository.write_batch(session, list(statements.values()), list(judged.values()), sessions, quotas, units)
    await repository.add_totals(session, [(*key, *values) for key, values in totals.items()])


def _add_totals(totals: dict[tuple[str, str, str, str], list[int]], d: StatementTotalsChanged) -> None:
    """An event's deltas added to the batch's (a pending line's group has district and occupation '')."""
    for g in d.groups:
        group = totals.setdefault((d.platform_id, g.month, g.district or "", g.occupation or ""), [0] * len(TOTALS))
        for i, column in enumerate(TOTALS):
            group[i] += getattr(g, column)


class _ChunkProjection(Projection):
    """A chunk's 1,000 lines parsed with the garbage collector paused: in the gateway's heap the
    collector's passes cost four times the parse itself (bulk.collector_paused says why)."""

    def parse(self, envelope: Envelope) -> Typed[Any] | None:
        with bulk.collector_paused():
            return super().parse(envelope)


PROJECTION = _ChunkProjection(
    service="wages",
    model_list=(
        StatementsAccepted,
        StatementsJudged,
        StatementTotalsChanged,
        SessionsAccepted,
        QuotaAssessed,
        RelatedUnitRegistered,
    ),
    apply=apply,
)

READ_MODELS: dict[str, tuple[str, ...]] = {
    "wage_statements": (),
    "wage_totals": (),
    "wage_work_sessions": (),
    "wage_quota_results": (),
    "wage_related_units": (),
}
