"""Related units' request and response models."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RelatedUnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: str = Field(min_length=1, max_length=64, description="The unit's id in contracts")
    name: str = Field(min_length=1, max_length=200)
    credit_code: str = Field(min_length=18, max_length=18, description="统一社会信用代码")
    kind: Literal["dispatch_agency", "outsourcer", "franchisee", "agent"]
    platform_entrusted_to_pay: bool = Field(description="The platform pays the unit's staff on its behalf")


class RelatedUnitPublic(RelatedUnitCreate):
    related_unit_id: str
    platform_id: str
