"""Work sessions' request and response models (a batch line is a `SessionIn`) and a worker's hours."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ..schemas import LineId, WorkerId


class SessionIn(BaseModel):
    """One work session: online from start to end on one platform (working time per the 2024 guideline)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "line_id": "s-2024-03-04-1",
                    "worker_id": "w_abc123",
                    "contract_id": "ct_0001",
                    "post": "rider",
                    "started_at": "2024-03-04T08:00:00+08:00",
                    "ended_at": "2024-03-04T12:00:00+08:00",
                    "order_minutes": 180,
                    "orders_completed": 18,
                }
            ]
        },
    )

    line_id: LineId
    worker_id: WorkerId
    contract_id: str | None = Field(None, max_length=64)
    post: str | None = Field(None, max_length=64, description="The same-quota group (岗位)")
    started_at: AwareDatetime
    ended_at: AwareDatetime
    order_minutes: int = Field(0, ge=-(10**6), le=10**6, description="Time on orders within the session")
    orders_completed: int = Field(0, ge=-(10**6), le=10**6)
    required_online: bool = Field(
        True, description="Online time the platform required counts as working time (else only the order time does)"
    )


class SessionPublic(BaseModel):
    session_id: str
    line_id: str
    platform_id: str
    worker_id: str
    post: str | None
    started_at: datetime
    ended_at: datetime
    work_date: date
    working_minutes: int
    orders_completed: int


class HoursDay(BaseModel):
    work_date: date
    minutes: int
    by_platform: dict[str, int]


class HoursSummary(BaseModel):
    worker_id: str
    month: str
    total_minutes: int
    days: list[HoursDay]
