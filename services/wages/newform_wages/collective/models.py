"""The collective_contracts table: wages' copy of the unions' collective contracts, kept after they end."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field

from ..models import ServiceModel, json_column, timestamp


class CollectiveContract(ServiceModel, table=True):
    """A collective contract as unions published it in force (`unions.collective_contract.in_force.v1`),
    with its end once it ended (`…ended.v1`): a fact is judged under the contract in force on its own date,
    so an ended contract is kept with its end date, never deleted."""

    __tablename__ = "collective_contracts"
    __table_args__ = (Index("ix_collective_contracts_platforms", "platform_ids", postgresql_using="gin"),)

    collective_contract_id: str = Field(primary_key=True, max_length=64)
    union_id: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    platform_ids: list[str] = json_column()
    districts: list[str] = json_column()  # [] = every district
    occupations: list[str] = json_column()  # [] = every occupation
    effective_from: date
    effective_until: date | None = None
    in_force_on: date
    terms: dict[str, Any] = json_column()
    ended_on: date | None = None
    end_reason: str | None = Field(default=None, max_length=16)
    updated_at: datetime = timestamp()
