"""The unions API's answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class UnionsSubjectPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    subject: str
    last_event_type: str
    last_event_at: datetime
    first_event_at: datetime
    platform_id: str | None
    worker_id: str | None
    data: dict[str, Any]


class UnionCoverageFigure(BaseModel):
    """Members over registered workers: counts, never the workers."""

    members: int
    registered_workers: int
    #: members × 100 ÷ registered workers, rounded down (as the unions service says it); null with none registered
    coverage_percent: int | None


class UnionCoverageRow(UnionCoverageFigure):
    #: the district's code (null: registrations that named no residence district) or the platform's id
    key: str | None
    #: the district's Chinese name (by district); null by platform
    name: str | None = None


class UnionCoveragePublic(BaseModel):
    """Union coverage (M17) per district or per platform, and the total row (the sum of the rows)."""

    by: Literal["district", "platform"]
    #: whose figures these are: `city`, `district:<code>` (a district government) or `platform:<id>`
    scope: str
    rows: list[UnionCoverageRow]
    total: UnionCoverageFigure
