"""Request and response bodies of classification (M1, M2)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..schemas import Bool, EngagementType, example


class EngagementFactsIn(BaseModel):
    model_config = example(
        {
            "enterprise_sets_rules_and_discipline": True,
            "enterprise_controls_schedule": True,
            "enterprise_sets_pay": True,
            "work_is_core_business": True,
            "worker_may_refuse_orders": False,
            "worker_bears_profit_and_loss": False,
            "worker_works_elsewhere": False,
        }
    )

    enterprise_sets_rules_and_discipline: Bool = Field(description="The enterprise's rules and discipline apply")
    enterprise_controls_schedule: Bool = Field(description="The enterprise sets the schedule and online time")
    enterprise_sets_pay: Bool = Field(description="The enterprise sets pay and prices")
    work_is_core_business: Bool = Field(description="The work is part of the enterprise's core business")
    worker_may_refuse_orders: Bool
    worker_bears_profit_and_loss: Bool
    worker_works_elsewhere: Bool = Field(
        description="The worker also works for other platforms or employers "
        "(with an own schedule: strong autonomy, 人社部发〔2021〕56号)"
    )


class CriterionPublic(BaseModel):
    name: str
    met: bool
    reason: str


class ClassificationPublic(BaseModel):
    suggested_type: EngagementType
    measure: str
    criteria: list[CriterionPublic]
