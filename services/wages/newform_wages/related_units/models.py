"""The related_units table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from ..models import ServiceModel, timestamp


class RelatedUnit(ServiceModel, table=True):
    """A related unit that pays its own staff, and whether the platform is entrusted to pay them."""

    __tablename__ = "related_units"
    __table_args__ = (UniqueConstraint("platform_id", "enterprise_id", name="uq_related_units"),)

    id: str = Field(primary_key=True, max_length=40)
    platform_id: str = Field(max_length=64)
    enterprise_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    credit_code: str = Field(max_length=18)
    kind: str = Field(max_length=32)
    platform_entrusted_to_pay: bool
    registered_at: datetime = timestamp()
