"""Request and response bodies of notices (M11, M12, M15)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from newform_common import vocabulary


class NoticeKind(StrEnum):
    """What a notice is about; each kind serves one measure (`rules.MEASURE_OF`)."""

    job_fair = "job_fair"  # M11: 公共就业服务 "12+N" activities
    recruitment_warning = "recruitment_warning"  # M11: 招聘陷阱 warnings
    complaint_hotline = "complaint_hotline"  # M11: the published complaint hotline
    insurance_enrolment = "insurance_enrolment"  # M12: how to enrol (灵活就业人员参保)
    insurance_lookup = "insurance_lookup"  # M12: how to look up contributions and rights
    schooling = "schooling"  # M15: children's schooling by residence permit
    culture_sports = "culture_sports"  # M15: free or cheap culture and sports venues


District = vocabulary.literal("districts")
Occupation = vocabulary.literal("occupations")


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str = Field(min_length=1, max_length=100, description="The publisher's own number for the notice")
    kind: NoticeKind
    title: str = Field(min_length=1, max_length=200, examples=["城西区“春风行动”新就业形态专场招聘会"])
    body: str = Field(min_length=1, max_length=5000, description="Plain text")
    contact: str | None = Field(None, max_length=200, description="A telephone number, an address or a web page")
    valid_from: date
    valid_until: date | None = None
    districts: list[District] = Field(default_factory=list, description="Empty: every district")  # type: ignore[valid-type]
    occupations: list[Occupation] = Field(default_factory=list, description="Empty: every occupation")  # type: ignore[valid-type]

    @field_validator("districts", "occupations")
    @classmethod
    def _set(cls, value: list[str]) -> list[str]:
        return sorted(set(value))

    @field_validator("title", "body")
    @classmethod
    def _plain(cls, value: str) -> str:
        if "<" in value and ">" in value:
            raise ValueError("plain text, no markup")
        return value.strip()

    @model_validator(mode="after")
    def _range(self) -> NoticeIn:
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        return self


class NoticePublic(BaseModel):
    id: str
    publisher: str
    reference: str
    kind: NoticeKind
    measure: str
    title: str
    body: str
    contact: str | None
    valid_from: date
    valid_until: date | None
    districts: list[str]
    occupations: list[str]
    version: int
    updated_at: datetime
    status: Literal["created", "updated", "unchanged"] | None = None
