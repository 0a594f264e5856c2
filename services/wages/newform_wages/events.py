"""The events wages publishes on `wages.events` (committed schemas in event_schemas/).

Intake is high-volume, so accepted lines travel in chunks: one event per chunk of at most
`LINES_PER_EVENT` lines of a batch, each line with its stable `line_id`. One event per line would
put 10,000 outbox rows, Kafka records and gateway inbox claims behind every full batch; one event
per whole batch could exceed Kafka's 1 MB record limit. A chunk keeps every line addressable (the
gateway dedupes by line id) at a few hundred KB per record. Findings stay one event each
(`wages.finding.raised.v1`), as the gateway routes them one by one.

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
    """Statements kept pending were judged once their engagement arrived from contracts."""

    platform_id: str
    contract_id: str
    lines: list[StatementLine]


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
