"""The wages read models: wages' events as the regulator sees them (`projection.py` writes them)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from ...models import GatewayModel


class WageStatement(GatewayModel, table=True):
    """One pay statement as the regulator sees it: amounts due and paid, dates, the rules it broke."""

    __tablename__ = "wage_statements"

    statement_id: str = Field(primary_key=True, max_length=40)
    line_id: str = Field(max_length=100)
    batch_id: str | None = Field(default=None, max_length=40)
    platform_id: str = Field(max_length=100, index=True)
    worker_id: str = Field(max_length=100, index=True)
    contract_id: str = Field(max_length=100)
    enterprise_id: str | None = Field(default=None, max_length=100)
    period_start: date
    period_end: date = Field(index=True)
    due_date: date
    gross_fen: int
    net_due_fen: int
    paid_fen: int
    paid_on: date | None = None
    worked_minutes: int
    status: str = Field(max_length=10)  # judged | pending
    occupation: str | None = Field(default=None, max_length=40)
    district: str | None = Field(default=None, max_length=40)
    minimum_wage_met: bool | None = None
    rules_broken: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    reported_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class WageTotal(GatewayModel, table=True):
    """A platform's statements of one pay month (period end), district and occupation, counted and summed:
    the sum of wages' `wages.statements.totals.v1` deltas, so it equals the sums over `wage_statements`.
    A pending statement (engagement unknown) is counted under district and occupation '' until judged."""

    __tablename__ = "wage_totals"

    platform_id: str = Field(primary_key=True, max_length=100)
    month: str = Field(primary_key=True, max_length=7)  # YYYY-MM
    district: str = Field(primary_key=True, max_length=40)
    occupation: str = Field(primary_key=True, max_length=40)
    statements: int = Field(sa_column=Column(BigInteger, nullable=False))
    judged: int = Field(sa_column=Column(BigInteger, nullable=False))
    pending: int = Field(sa_column=Column(BigInteger, nullable=False))
    minimum_wage_met: int = Field(sa_column=Column(BigInteger, nullable=False))
    below_minimum: int = Field(sa_column=Column(BigInteger, nullable=False))
    paid_on_time: int = Field(sa_column=Column(BigInteger, nullable=False))
    unpaid: int = Field(sa_column=Column(BigInteger, nullable=False))
    late: int = Field(sa_column=Column(BigInteger, nullable=False))
    with_breaches: int = Field(sa_column=Column(BigInteger, nullable=False))
    compliant: int = Field(sa_column=Column(BigInteger, nullable=False))
    gross_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    net_due_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    paid_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    worked_minutes: int = Field(sa_column=Column(BigInteger, nullable=False))


class WorkSessionView(GatewayModel, table=True):
    __tablename__ = "wage_work_sessions"

    session_id: str = Field(primary_key=True, max_length=40)
    platform_id: str = Field(max_length=100, index=True)
    worker_id: str = Field(max_length=100, index=True)
    work_date: date = Field(index=True)
    working_minutes: int
    orders_completed: int
    post: str | None = Field(default=None, max_length=64)


class QuotaResult(GatewayModel, table=True):
    """A declared quota judged on one day: workers on the post and how many reach it in statutory hours."""

    __tablename__ = "wage_quota_results"

    platform_id: str = Field(primary_key=True, max_length=100)
    post: str = Field(primary_key=True, max_length=64)
    work_date: date = Field(primary_key=True)
    quota_orders_per_day: int
    workers: int
    reaching: int
    met: bool


class RelatedUnitView(GatewayModel, table=True):
    __tablename__ = "wage_related_units"

    platform_id: str = Field(primary_key=True, max_length=100)
    enterprise_id: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=200)
    credit_code: str = Field(max_length=18)
    kind: str = Field(max_length=32)
    platform_entrusted_to_pay: bool
