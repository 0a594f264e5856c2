"""The wages service's table base and its one shared table; each aggregate declares its own tables in
its `models.py` (batches, engagements, statements, sessions, quotas, related_units). The common tables
(outbox, inbox, idempotency keys, findings, deadlines) come from libs/common's migration branch.

The migrations (`migrations/versions/`) create the tables with SQL of their own; the models declare the
same columns for the repositories (the bulk paths derive their column lists from them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from newform_common.db import service_base

ServiceModel = service_base()


def timestamp(nullable: bool = False) -> Any:
    """A timezone-aware timestamp column (timestamptz)."""
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def json_column(nullable: bool = False) -> Any:
    """A JSONB column."""
    return Field(default=None, sa_column=Column(JSONB, nullable=nullable))


class Judgement(ServiceModel, table=True):
    """A cross-fact rule judged once per (rule, subject, platform): a resent fact raises nothing new
    (working time, quotas, a platform's late share, a pay month's minimum)."""

    __tablename__ = "judgements"

    rule: str = Field(primary_key=True, max_length=100)
    subject_id: str = Field(primary_key=True, max_length=120)
    platform_id: str = Field(primary_key=True, max_length=64)
    finding_id: str | None = Field(default=None, max_length=64)
    judged_at: datetime = timestamp()
