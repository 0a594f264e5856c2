"""The quotas table."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from ..models import ServiceModel, timestamp


class Quota(ServiceModel, table=True):
    """A labour quota (劳动定额) a platform declares for a post, from a date."""

    __tablename__ = "quotas"
    __table_args__ = (UniqueConstraint("platform_id", "post", "effective_from", name="uq_quotas"),)

    id: str = Field(primary_key=True, max_length=40)
    platform_id: str = Field(max_length=64)
    post: str = Field(max_length=64)
    orders_per_day: int
    effective_from: date
    declared_at: datetime = timestamp()
