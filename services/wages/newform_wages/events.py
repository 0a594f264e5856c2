"""The events wages publishes on `wages.events` (committed schemas in event_schemas/).

Intake is high-volume, so accepted lines travel in chunks: one event per chunk of at most
`LINES_PER_EVENT` lines of a batch, each line with its stable `line_id`. One event per line would
put 10,000 outbox rows, Kafka records and gateway inbox claims behind every full batch; one event
per whole batch could exceed Kafka's 1 MB record limit. A chunk keeps every line addressable (the
gateway dedupes by line id) at a few hundred KB per record. Findings stay one event each
(`wages.finding.raised.v1`), as the gateway routes them one by one.

Beside the lines, each accepted batch, each judging of pending lines and each later payment publishes its
totals per pay month, district and occupation (`wages.statements.totals.v1`, in the same transaction): the regulator's
aggregates add those up instead of folding every line.

Regenerate the committed schemas after adding a type or a version:
`python -m newform_wages.events`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from newform_common.events import DomainEvent, event_type, write_event_schemas
from newform_common.findings import finding_event
from newform_common.schedules import deadline_recomputed_event

#: A rule was found broken in a fact this service accepted.
FindingRaised = finding_event("wages")
DeadlineRecomputed = deadline_recomputed_event("wages")  # a clock recomputed when a holiday schedule loads

SCHEMA_DIR = Path(__file__).parent / "event_schemas"
LINES_PER_EVENT = 1000


class StatementLine(BaseModel):
    """One pay statement as the regulator's read models need it (no amounts per item, no PII)."""

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
    status: Literal["judged", "pending"]
    occupation: str | None = None
    district: str | None = None
    enterprise_id: str | None = None
    minimum_wage_met: bool | None = None
    rules_broken: list[str] = []


@event_type("wages.statements.accepted.v1", key="platform_id")
class StatementsAccepted(DomainEvent):
    """A chunk of a batch's accepted pay statements (judged, or pending an unknown engagement)."""

    batch_id: str
    platform_id: str
    chunk: int
    lines: list[StatementLine]


@event_type("wages.statements.judged.v1", key="platform_id")
class StatementsJudged(DomainEvent):
    """Stored statements' lines published again, each replacing the line published before: `cause = judged`,
    statements kept pending judged once their engagement arrived from contracts; `cause = paid`, a later
    payment of one statement (`POST /v1/statements/{id}/payments`): its line with the amount and date now
    paid; `cause = due_moved`, an ended contract's statements due later made due on its last day (工资支付暂行
    规定 art. 9): their lines with that due date. Paid or moved, the rest is as published before (the judgement
    is not redone)."""

    platform_id: str
    contract_id: str
    lines: list[StatementLine]
    cause: Literal["judged", "paid", "due_moved"] = "judged"


class StatementTotals(BaseModel):
    """One group's change: counts of statements and sums over them (money in fen, time in minutes).

    A group is (month of period end `YYYY-MM`, district, occupation); a pending line has neither district
    nor occupation (its engagement is unknown). Every counter is a sum of the published lines' values:
    judged / pending by status; minimum_wage_met / below_minimum by `minimum_wage_met` true / false;
    paid_on_time: judged, paid_fen ≥ net_due_fen and paid_on ≤ due_date; unpaid: judged, paid_fen <
    net_due_fen; late: judged, paid_on > due_date; with_breaches: a rule broken; compliant: paid on time,
    minimum wage met and no rule broken."""

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


@event_type("wages.statements.totals.v1", key="platform_id")
class StatementTotalsChanged(DomainEvent):
    """What a change of a platform's stored statements adds to its totals: a reader keeps each group's
    counters as the sum of these deltas, exactly once per event (the event id), and gets the sums over the
    published lines without reading them.

    No line is counted twice: `cause = accepted` sums the lines a batch stored (`batch_id`) — a re-sent
    line (its `line_id` stored before, or stored meanwhile by a concurrent upload) is a duplicate that is
    neither stored nor published, so it contributes nothing; `cause = judged` (pending lines judged once
    their engagement arrived, `contract_id`, beside `wages.statements.judged.v1`) subtracts each line as
    it was published while pending and adds it as judged: it moves from the group without district and
    occupation to its engagement's, and adds only what the judgement changed. A later payment of one
    statement (`statement_id`) and due dates an ended contract moved are also `cause = judged`, beside their
    lines in `wages.statements.judged.v1` (cause `paid`, `due_moved` there; a new value here would break a
    reader of v1): each line as published before is subtracted and added as it is now; a payment sent again
    changes nothing and publishes nothing.
    Groups whose counters all net to zero are left out."""

    platform_id: str
    cause: Literal["accepted", "judged"]
    batch_id: str | None = None
    contract_id: str | None = None
    statement_id: str | None = None
    groups: list[StatementTotals]


class SessionLine(BaseModel):
    line_id: str
    session_id: str
    worker_id: str
    work_date: date
    working_minutes: int
    orders_completed: int
    post: str | None = None


@event_type("wages.sessions.accepted.v1", key="platform_id")
class SessionsAccepted(DomainEvent):
    """A chunk of a batch's accepted work sessions."""

    batch_id: str
    platform_id: str
    chunk: int
    lines: list[SessionLine]


@event_type("wages.quota.assessed.v1", key="platform_id")
class QuotaAssessed(DomainEvent):
    """A declared quota judged for one post and day: how many workers reach it within statutory hours."""

    platform_id: str
    post: str
    work_date: date
    quota_orders_per_day: int
    workers: int
    reaching: int
    met: bool


@event_type("wages.related_unit.registered.v1", key="platform_id")
class RelatedUnitRegistered(DomainEvent):
    """A related unit (agency, outsourcer, franchisee) that pays its own staff."""

    platform_id: str
    enterprise_id: str
    name: str
    credit_code: str
    kind: str
    platform_entrusted_to_pay: bool


@event_type("wages.pay_report.reconciled.v1", key="worker_id")
class PayReportReconciled(DomainEvent):
    """A worker's report of unpaid or short pay, reconciled against the platform's statements."""

    report_id: str
    worker_id: str
    platform_id: str
    period_start: date
    period_end: date
    outcome: Literal["resolved", "unresolved"]
    differences: list[str]


if __name__ == "__main__":
    for path in write_event_schemas("wages", SCHEMA_DIR):
        print(path)
