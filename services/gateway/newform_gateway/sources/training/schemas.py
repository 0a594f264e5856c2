"""The training API's answers."""

from __future__ import annotations

from pydantic import BaseModel


class SubsidyRow(BaseModel):
    district: str
    occupation: str
    level: int
    channel: str
    claims: int
    amount_fen: int


class BudgetUse(BaseModel):
    district: str
    year: int
    paid_fen: int
    committed_fen: int
    waiting_for_budget: int


class RefusalRow(BaseModel):
    reason: str
    claims: int


class TrainingSummary(BaseModel):
    certificates_issued: int
    workers_certified: int
    paid: list[SubsidyRow]
    budget_use: list[BudgetUse]
    refused: list[RefusalRow]
