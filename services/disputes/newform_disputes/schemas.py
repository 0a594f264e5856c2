"""Request and response pieces every aggregate's schemas share (`XCreate`, `XPublic`; responses built
with `from_attributes`). Money in integer fen; business dates are Asia/Shanghai dates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from newform_common import clock
from newform_common.deadlines import LIVE, Deadline, DeadlinePublic
from newform_common.policy import business_date

from .clocks import last_day_of

Id = Annotated[str, Field(min_length=1, max_length=64)]
Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]
FactCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
Fen = Annotated[int, Field(ge=0, le=10**12, description="Amount in fen")]
Reference = Annotated[str, Field(min_length=1, max_length=300, description="Where the file is kept (a URI or an id)")]


class ClockPublic(DeadlinePublic):
    """A legal clock on its case: due at the end of `last_day` (Asia/Shanghai), with the days left and
    whether the day is `provisional` (counted through a year without its holiday schedule)."""

    last_day: date

    @classmethod
    def of(cls, deadline: Deadline, now: datetime | None = None) -> ClockPublic:
        base = DeadlinePublic.of(deadline, now)
        last_day = last_day_of(deadline)  # the law's last day, also for a clock entered after it
        view = cls(**base.model_dump(), last_day=last_day)
        if deadline.status in LIVE:
            view.days_left = (last_day - business_date(now or clock.now())).days
        return view


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Claim(Strict):
    item: str = Field(min_length=1, max_length=100, description="What is claimed, e.g. 拖欠工资")
    amount_fen: Fen
