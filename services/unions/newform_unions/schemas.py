"""Request and response models (`XCreate`, `XPublic`; responses built with `from_attributes`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from newform_common import vocabulary
from newform_common.deadlines import DeadlinePublic

District = vocabulary.literal("districts")
Occupation = vocabulary.literal("occupations")
Sector = vocabulary.literal("sectors")
RuleTopic = Literal[
    "platform_entry_exit",
    "order_allocation",
    "piece_rates",
    "commission_ratio",
    "pay_composition",
    "working_hours",
    "rewards_penalties",
]
PlatformId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
Text = Annotated[str, Field(min_length=1, max_length=5000)]
Fen = Annotated[int, Field(ge=0, le=100_000_000)]
FROM_ROW = ConfigDict(from_attributes=True)


def _example(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


# -- union organisations ------------------------------------------------------------------------------
class UnionCreate(BaseModel):
    model_config = _example(
        {
            "union_id": "un-xn-meituan",
            "name": "西宁市某外卖平台企业工会",
            "kind": "enterprise",
            "platform_ids": ["plt-meituan"],
            "districts": [],
            "established_on": "2026-06-01",
        }
    )

    union_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,62}$")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["enterprise", "joint", "sector", "district"] = Field(
        description="单独建会 (enterprise), 联合建会 (joint), 行业建会 (sector), 区域建会 (district)"
    )
    platform_ids: list[PlatformId] = Field(default_factory=list, max_length=500)
    districts: list[District] = Field(default_factory=list)
    sector: Sector | None = None
    established_on: date

    @model_validator(mode="after")
    def _covers_something(self) -> UnionCreate:
        if not self.platform_ids and not self.districts:
            raise ValueError("A union covers at least one platform or one district")
        if self.kind == "enterprise" and len(self.platform_ids) != 1:
            raise ValueError("An enterprise union (单独建会) covers exactly one platform enterprise")
        return self


class UnionCoverage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform_ids: list[PlatformId] = Field(max_length=500)
    districts: list[District]


class UnionPublic(BaseModel):
    model_config = FROM_ROW

    union_id: str = Field(validation_alias="id")
    name: str
    kind: str
    platform_ids: list[str]
    districts: list[str]
    sector: str | None
    established_on: date


# -- membership ---------------------------------------------------------------------------------------
class MembershipApply(BaseModel):
    model_config = _example({"union_id": "un-xn-meituan", "platform_id": "plt-meituan"})

    union_id: str = Field(min_length=1, max_length=64)
    platform_id: PlatformId | None = Field(None, description="The platform the worker joins through")
    district: District | None = Field(None, description="Or the district (a district or sector union)")

    @model_validator(mode="after")
    def _one_place(self) -> MembershipApply:
        if self.platform_id is None and self.district is None:
            raise ValueError("Name the platform or the district the worker joins through")
        return self


class MembershipDecision(BaseModel):
    model_config = _example({"decision": "accept"})

    decision: Literal["accept", "refuse"]
    reason: str | None = Field(None, min_length=1, max_length=2000, description="Required to refuse")

    @model_validator(mode="after")
    def _reason_to_refuse(self) -> MembershipDecision:
        if self.decision == "refuse" and not self.reason:
            raise ValueError("A refusal gives its reason")
        return self


class MembershipPublic(BaseModel):
    model_config = FROM_ROW

    membership_id: str = Field(validation_alias="id")
    union_id: str
    worker_id: str
    platform_id: str | None
    district: str | None
    status: str
    transfer_from: str | None
    reason: str | None
    applied_at: datetime
    joined_on: date | None
    ended_on: date | None


class CoveragePublic(BaseModel):
    """Union coverage of one platform (M17), as the gateway's `GET /v1/unions/coverage?by=platform` row."""

    platform_id: str
    members: int = Field(
        description="The platform's registered workers holding an active membership of any union "
        "(whichever union or platform they joined through; a transfer counts once)"
    )
    registered_workers: int = Field(
        description="People with an active registration with the platform (a cancelled account no longer counts)"
    )
    coverage_percent: int | None = Field(description="members × 100 / registered workers, rounded down")


class DistrictCoveragePublic(BaseModel):
    """Union coverage of one district (M17), as the gateway's `GET /v1/unions/coverage?by=district` row."""

    district: str | None = Field(
        description="Residence district of each worker's latest active registration; null: 未注明 (none named)"
    )
    members: int = Field(description="Registered workers of the district holding an active membership of any union")
    registered_workers: int = Field(
        description="People with an active registration with any platform, each in one district"
    )
    coverage_percent: int | None = Field(description="members × 100 / registered workers, rounded down")


# -- consultations (M10) ------------------------------------------------------------------------------
class ConsultationCreate(BaseModel):
    model_config = _example(
        {
            "union_id": "un-xn-meituan",
            "platform_id": "plt-meituan",
            "topic": "piece_rates",
            "base_version": 1,
            "subject": "就配送单价调整提出协商要求",
            "requested_on": "2026-12-01",
        }
    )

    union_id: str = Field(min_length=1, max_length=64)
    platform_id: PlatformId
    topic: RuleTopic
    base_version: int | None = Field(
        None, ge=1, le=1_000_000, description="The published version the union asks to reconsider (None: the next)"
    )
    subject: Text
    requested_on: date = Field(description="The day the platform received the request (not in the future)")


class ConsultationReply(BaseModel):
    model_config = _example({"replied_on": "2026-12-05", "reply": "同意于12月10日开展协商"})

    replied_on: date
    reply: Text


class OpinionCreate(BaseModel):
    model_config = _example({"on": "2026-12-10", "text": "工会建议单价不低于每单5元"})

    on: date
    text: Text


class ConsultationOutcome(BaseModel):
    model_config = _example({"outcome": "agreed", "concluded_on": "2026-12-12"})

    outcome: Literal["agreed", "not_agreed"]
    concluded_on: date


class Opinion(BaseModel):
    by: str
    on: date
    text: str


class ConsultationPublic(BaseModel):
    model_config = FROM_ROW

    consultation_id: str = Field(validation_alias="id")
    union_id: str
    platform_id: str
    topic: str
    base_version: int | None
    subject: str
    status: str
    requested_on: date
    reply_due_on: date
    replied_on: date | None
    reply: str | None
    opinions: list[Opinion]
    outcome: str | None
    concluded_on: date | None
    reply_clock: DeadlinePublic | None = None


# -- collective contracts -----------------------------------------------------------------------------
class PieceRateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    occupation: Occupation
    order_type: str = Field(min_length=1, max_length=32)
    min_rate_fen: Fen


class QuotaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    occupation: Occupation
    max_orders_per_day: int = Field(ge=1, le=10_000)


class TermsIn(BaseModel):
    """The bargained standards (M17: quotas, piece rates, pay and its growth, hours, rest, allowances,
    insurance); the first four are published to wages and contracts."""

    model_config = ConfigDict(extra="forbid")

    piece_rates: list[PieceRateIn] = Field(default_factory=list, max_length=200)
    quotas: list[QuotaIn] = Field(default_factory=list, max_length=200)
    bad_weather_allowance_fen_per_day: Fen | None = None
    night_allowance_fen_per_hour: Fen | None = None
    pay_growth_percent_per_year: int | None = Field(None, ge=0, le=100)
    max_working_hours_per_day: int | None = Field(None, ge=1, le=24)
    rest_days_per_month: int | None = Field(None, ge=0, le=31)
    commercial_insurance: str | None = Field(None, max_length=2000)
    other: str | None = Field(None, max_length=10_000, description="Service standards, protection, rewards…")


class CollectiveContractCreate(BaseModel):
    model_config = _example(
        {
            "union_id": "un-xn-meituan",
            "kind": "enterprise",
            "title": "2027年度外卖配送员集体合同",
            "platform_ids": ["plt-meituan"],
            "districts": [],
            "occupations": ["food_delivery"],
            "effective_from": "2027-01-01",
            "effective_until": "2027-12-31",
            "terms": {
                "piece_rates": [{"occupation": "food_delivery", "order_type": "standard", "min_rate_fen": 500}],
                "quotas": [{"occupation": "food_delivery", "max_orders_per_day": 60}],
                "bad_weather_allowance_fen_per_day": 2000,
                "night_allowance_fen_per_hour": 300,
            },
        }
    )

    union_id: str = Field(min_length=1, max_length=64)
    kind: Literal["enterprise", "sector", "district"]
    title: str = Field(min_length=1, max_length=200)
    platform_ids: list[PlatformId] = Field(min_length=1, max_length=500)
    sector_association: str | None = Field(None, min_length=1, max_length=200)
    districts: list[District] = Field(default_factory=list, description="[]: every district")
    occupations: list[Occupation] = Field(default_factory=list, description="[]: every occupation")
    effective_from: date
    effective_until: date | None = None
    terms: TermsIn

    @model_validator(mode="after")
    def _dates_in_order(self) -> CollectiveContractCreate:
        if self.effective_until is not None and self.effective_until < self.effective_from:
            raise ValueError("effective_until is before effective_from")
        return self


class Signing(BaseModel):
    model_config = _example({"signed_on": "2026-12-01"})

    signed_on: date = Field(description="The day both chief representatives signed (not in the future)")


class Submission(BaseModel):
    model_config = _example({"submitted_on": "2026-12-05", "received_on": "2026-12-05"})

    submitted_on: date
    received_on: date | None = Field(None, description="The day hrss received the text (default: submitted_on)")


class Review(BaseModel):
    model_config = _example({"decision": "approve", "on": "2026-12-08"})

    decision: Literal["approve", "object"]
    on: date
    reasons: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _reasons_to_object(self) -> Review:
        if self.decision == "object" and not self.reasons:
            raise ValueError("An objection gives its reasons (集体合同规定 art. 44)")
        return self


class Ending(BaseModel):
    model_config = _example({"ended_on": "2027-06-30", "reason": "terminated"})

    ended_on: date
    reason: Literal["terminated", "superseded"]


class CollectiveContractPublic(BaseModel):
    model_config = FROM_ROW

    collective_contract_id: str = Field(validation_alias="id")
    union_id: str
    kind: str
    title: str
    platform_ids: list[str]
    sector_association: str | None
    districts: list[str]
    occupations: list[str]
    effective_from: date
    effective_until: date | None
    terms: dict[str, Any]
    status: str
    signed_on: date | None
    submitted_on: date | None
    received_on: date | None
    submitted_late: bool
    objected_on: date | None
    objections: list[str] | None
    in_force_on: date | None
    ended_on: date | None
    end_reason: str | None
    clocks: list[DeadlinePublic] = Field(default_factory=list)


class Revision(BaseModel):
    model_config = _example(
        {
            "effective_from": "2027-01-01",
            "effective_until": "2027-12-31",
            "terms": {"piece_rates": [{"occupation": "food_delivery", "order_type": "standard", "min_rate_fen": 550}]},
        }
    )

    effective_from: date
    effective_until: date | None = None
    terms: TermsIn

    @model_validator(mode="after")
    def _dates_in_order(self) -> Revision:
        if self.effective_until is not None and self.effective_until < self.effective_from:
            raise ValueError("effective_until is before effective_from")
        return self
