"""Request and response models (responses built from rows with `from_attributes`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from newform_common import vocabulary

District = vocabulary.literal("districts")
Occupation = vocabulary.literal("occupations")
Level = Literal[5, 4, 3, 2, 1]
STRICT = ConfigDict(strict=True, extra="forbid")


def _example(example: dict) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class ProviderCreate(BaseModel):
    model_config = _example(
        {
            "provider_id": "prv-xn-skills",
            "name": "西宁市职业技能培训学校",
            "kind": "institution",
            "credit_code": "52630100MJY771000B",
            "district": "chengxi",
            "occupations": ["on_demand_delivery", "courier"],
            "accredited_until": "2028-12-31",
        }
    )

    provider_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,62}$")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["institution", "enterprise"]
    credit_code: str = Field(min_length=18, max_length=18)
    platform_id: str | None = Field(None, max_length=64, description="For an enterprise: the platform it belongs to")
    district: District
    occupations: list[Occupation] = Field(min_length=1)
    accredited_until: date | None = None


class ProviderPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    provider_id: str = Field(validation_alias="id")
    name: str
    kind: str
    credit_code: str
    platform_id: str | None
    district: str
    occupations: list[str]
    accredited_until: date | None


class CertificationScope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    occupation: Occupation
    levels: list[Level] = Field(min_length=1)


class BodyCreate(BaseModel):
    model_config = _example(
        {
            "body_id": "cb-qh-vq",
            "name": "青海省职业技能鉴定中心",
            "credit_code": "12630000MB1A12345D",
            "scope": [{"occupation": "on_demand_delivery", "levels": [5, 4, 3]}],
        }
    )

    body_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,62}$")
    name: str = Field(min_length=1, max_length=200)
    credit_code: str = Field(min_length=18, max_length=18)
    scope: list[CertificationScope] = Field(min_length=1)


class BodyPublic(BaseModel):
    body_id: str
    name: str
    credit_code: str
    scope: dict[str, list[int]]
    active: bool


class CourseCreate(BaseModel):
    model_config = _example(
        {
            "provider_id": "prv-xn-skills",
            "occupation": "on_demand_delivery",
            "level": 5,
            "district": "chengxi",
            "starts_on": "2026-03-02",
            "ends_on": "2026-03-20",
        }
    )

    provider_id: str = Field(max_length=64)
    occupation: Occupation
    level: Level
    district: District
    starts_on: date
    ends_on: date

    @model_validator(mode="after")
    def _ordered(self) -> CourseCreate:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class CoursePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    course_id: str = Field(validation_alias="id")
    provider_id: str
    occupation: str
    level: int
    district: str
    starts_on: date
    ends_on: date


class EnrolmentCreate(BaseModel):
    model_config = _example({"worker_id": "w_abcdefghijklmnopqrstuvwxyz"})

    worker_id: str | None = Field(
        None,
        pattern=r"^w_[a-z2-7]{26}$",
        description="An enterprise enrolling its worker names them; a worker enrols themselves (leave empty)",
    )


class EnrolmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enrolment_id: str = Field(validation_alias="id")
    course_id: str
    worker_id: str
    enrolled_by: str
    platform_id: str | None
    created_at: datetime


class CertificateCreate(BaseModel):
    model_config = _example(
        {
            "certificate_number": "QH-2026-0000123",
            "worker_id": "w_abcdefghijklmnopqrstuvwxyz",
            "occupation": "on_demand_delivery",
            "level": 5,
            "issued_on": "2026-03-25",
            "course_id": None,
        }
    )

    certificate_number: str = Field(pattern=r"^[A-Za-z0-9-]{4,64}$")
    worker_id: str = Field(pattern=r"^w_[a-z2-7]{26}$")
    occupation: Occupation
    level: Level
    issued_on: date
    course_id: str | None = Field(None, max_length=64, description="The course the worker trained in, if any")


class CertificatePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    certificate_number: str = Field(validation_alias="number")
    worker_id: str | None = Field(None, description="Shown to the worker and to oversight only")
    body_id: str
    occupation: str
    level: int
    issued_on: date
    course_id: str | None


class ClaimCreate(BaseModel):
    model_config = _example(
        {
            "certificate_number": "QH-2026-0000123",
            "training_district": "chengxi",
            "job_seeking_district": None,
            "amount_fen": 100000,
        }
    )

    certificate_number: str = Field(pattern=r"^[A-Za-z0-9-]{4,64}$")
    training_district: District = Field(description="Where the training took place")
    job_seeking_district: District | None = Field(None, description="Where the worker is registered as seeking work")
    amount_fen: int | None = Field(None, ge=0, description="If given, must be the catalogue's amount")
    received_at: AwareDatetime | None = Field(
        None,
        description="When a claim made off-system (on paper, at a service window) was received; not in the "
        "future. Default: now. The yearly limit and the claim window count from it "
        "(its date in Asia/Shanghai).",
    )


class ClaimPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    claim_id: str = Field(validation_alias="id")
    certificate_number: str
    worker_id: str
    channel: str
    payee: str
    provider_id: str | None
    platform_id: str | None
    occupation: str
    level: int
    training_district: str
    amount_fen: int
    year: int
    status: str
    reason: str | None
    place_basis: dict[str, Any] | None = Field(
        None,
        description="Which M13 ground made the training place eligible (`household_registration`, "
        "`residence`, `job_seeking`) and on whose word: `source` a department (police, hrss) "
        "with its `reference`, or `id_number_prefix` (a fallback, `fallback: true`) or "
        "`contracts_registration`",
    )
    first_claim_id: str | None
    payment_reference: str | None
    submitted_at: datetime
    decided_at: datetime | None
    paid_at: datetime | None


class Decision(BaseModel):
    model_config = _example({"decision": "reject", "reason": "培训记录与证书不符"})

    decision: Literal["approve", "reject"]
    reason: str | None = Field(None, min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _reason(self) -> Decision:
        if self.decision == "reject" and not self.reason:
            raise ValueError("a rejection needs a reason")
        return self


class PaymentCreate(BaseModel):
    model_config = _example({"payment_reference": "XNCZ-2026-04-000123"})

    payment_reference: str = Field(min_length=1, max_length=100)


class BudgetSet(BaseModel):
    model_config = _example({"total_fen": 50000000})

    total_fen: int = Field(ge=0, le=10**13)


class BudgetPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    district: str
    year: int
    total_fen: int
    committed_fen: int
    remaining_fen: int = 0

    @model_validator(mode="after")
    def _remaining(self) -> BudgetPublic:
        self.remaining_fen = self.total_fen - self.committed_fen
        return self
