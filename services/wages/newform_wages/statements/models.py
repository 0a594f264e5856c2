"""The statements and pay_reports tables, a statement's states and a report's outcomes."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint, text
from sqlmodel import Field

from newform_common.states import require_transition, transitions

from ..models import ServiceModel, json_column, timestamp


class StatementStatus(StrEnum):
    """`pending` while its engagement is unknown; `judged` once the rules ran (at intake or when the
    engagement arrived from contracts). The words are published (`StatementLine.status`)."""

    pending = "pending"
    judged = "judged"


ALLOWED = transitions({StatementStatus.pending: {StatementStatus.judged}, StatementStatus.judged: set()})


def ensure_transition(current: str, to: StatementStatus) -> None:
    """The one check of a statement's moves (409 illegal-transition, the kit's `require_transition`)."""
    require_transition(ALLOWED, current, to, "statement")


class PayReportOutcome(StrEnum):
    """What reconciling a worker's report against the platform's statements found (published words)."""

    resolved = "resolved"
    unresolved = "unresolved"


def _fen() -> Any:
    return Field(sa_column=Column(BigInteger, nullable=False))


class Statement(ServiceModel, table=True):
    """A pay statement (工资支付记录): one worker, one pay period of one engagement; money in fen, hours
    in minutes."""

    __tablename__ = "statements"
    __table_args__ = (
        UniqueConstraint("platform_id", "line_id", name="uq_statements_line"),
        Index("ix_statements_worker", "worker_id", "period_start"),
        Index("ix_statements_contract", "contract_id", "period_start"),
        Index("ix_statements_pending", "contract_id", postgresql_where=text("status = 'pending'")),
        Index("ix_statements_pending_schedule", "id", postgresql_where=text("pending_schedule <> '[]'")),
    )

    id: str = Field(primary_key=True, max_length=40)
    platform_id: str = Field(max_length=64)
    line_id: str = Field(max_length=100)
    batch_id: str | None = Field(default=None, max_length=40)
    contract_id: str = Field(max_length=64)
    worker_id: str = Field(max_length=64)
    period_start: date
    period_end: date
    due_date: date
    gross_fen: int = _fen()
    base_fen: int = _fen()
    piece_fen: int = _fen()
    piece_orders: int
    overtime_fen: int = _fen()
    rest_day_fen: int = _fen()
    holiday_fen: int = _fen()
    allowances_fen: int = _fen()
    # the night allowance alone (also in allowances_fen): judged against a collective contract's (wages_0004)
    night_allowance_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    # the bad-weather allowance alone (also in allowances_fen; wages_0006): null on statements stored before it
    # was kept, which are not judged against a collective contract's per-day standard
    bad_weather_allowance_fen: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    deductions: list[dict[str, Any]] = json_column()
    deductions_fen: int = _fen()
    normal_minutes: int
    overtime_minutes: int
    rest_day_minutes: int
    holiday_minutes: int
    night_minutes: int
    premium_days: list[dict[str, Any]] = json_column()
    paid_fen: int = _fen()
    paid_on: date | None = None
    payment_method: str = Field(max_length=16)
    status: str = Field(max_length=16)
    received_at: datetime = timestamp()
    # premium days whose premium waits for the year's State Council schedule (calendar.day(d).provisional)
    pending_schedule: list[str] = json_column()
    # the rules its judgement found broken, as its published line names them ([] while pending; wages_0010):
    # a later payment publishes the line again from them. Null on statements stored before it was kept.
    rules_broken: list[str] | None = json_column(nullable=True)


class PayReport(ServiceModel, table=True):
    """A worker's report of unpaid or short pay, reconciled against the platform's statements."""

    __tablename__ = "pay_reports"
    __table_args__ = (Index("ix_pay_reports_worker", "worker_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    worker_id: str = Field(max_length=64)
    platform_id: str = Field(max_length=64)
    period_start: date
    period_end: date
    expected_fen: int = _fen()
    received_fen: int = _fen()
    received_on: date | None = None
    note: str | None = Field(default=None, max_length=500)
    outcome: str = Field(max_length=32)
    differences: list[dict[str, Any]] = json_column()
    finding_id: str | None = Field(default=None, max_length=64)
    reported_at: datetime = timestamp()
