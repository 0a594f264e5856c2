"""The wages API's answers."""

from __future__ import annotations

from pydantic import BaseModel


class PayCompliance(BaseModel):
    platform_id: str
    month: str
    statements: int
    judged: int
    pending: int
    minimum_wage_met: int
    paid_on_time: int
    with_breaches: int
    net_due_fen: int
    paid_fen: int


class ArrearsGroup(BaseModel):
    district: str | None
    occupation: str | None
    cases: int
    amount_fen: int
    workers: int


class ArrearsMonth(BaseModel):
    month: str
    cases: int
    amount_fen: int


class Arrears(BaseModel):
    by_group: list[ArrearsGroup]
    trend: list[ArrearsMonth]


class WorkingTime(BaseModel):
    breaches_by_rule: dict[str, int]
    workers_over_limits: int
    quota_days: int
    quota_days_met: int
