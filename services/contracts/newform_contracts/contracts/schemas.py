"""Request and response bodies of contracts and agreements, their lifecycle and signatures (M1–M4, M9)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from newform_common.findings import FindingRef

from ..classification.schemas import EngagementFactsIn
from ..events import PaySchedule, Signer
from ..schemas import FROM_ROW, Bool, Date, DateTime, District, EngagementType, Occupation, example, row_id

#: The words of `models.ContractStatus`, as the published document lists them.
ContractStatusWord = Literal["draft", "sent", "signed", "terminated", "expired", "discarded"]


class EligibilityCondition(BaseModel):
    attribute: str = Field(
        max_length=50,
        description="e.g. driving_licence, health_certificate. A condition on "
        "gender, ethnicity, age or religion — named in the attribute or "
        "the requirement, Chinese or English — is refused (M5), except "
        "the law's own minimum age (年满16周岁; a driving licence's age)",
    )
    requirement: str = Field(max_length=500)


class InsuranceIn(BaseModel):
    work_injury: Bool = False
    occupational_injury: Bool = False
    accident: Bool = False


class Terms(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pay_basis: Literal["monthly_salary", "hourly", "piece_rate", "commission", "mixed"]
    pay_period: str = Field(description="hour | day | week | month (longer periods are refused, M6)", max_length=20)
    pay_interval_days: int | None = Field(None, ge=1, description="Days between pay dates, if fixed")
    pay_day: str | None = Field(
        None,
        max_length=100,
        description="The pay day in words, as the document says it "
        "(e.g. '每月10日'); a note only — the pay day the "
        "law counts arrears from is `pay_schedule`",
    )
    pay_schedule: PaySchedule | None = Field(
        None,
        description="The agreed pay period and pay day as data: wages raises arrears only after the end of this day",
    )
    base_pay_fen: int | None = Field(None, ge=0)
    piece_rates: dict[str, int] | None = Field(None, description="Rate per piece type, in fen")
    commission_ratio_percent: float | None = Field(None, ge=0, le=100)
    hours_arrangement: Literal["standard", "comprehensive", "flexible", "part_time"] = "standard"
    rest_rules: str | None = Field(None, max_length=2000)
    deposit_fen: int = Field(0, ge=0, description="Any deposit or bond charged to the worker (refused, M5)")
    worker_fees_fen: int = Field(0, ge=0, description="Any fee charged to the worker (refused, M5)")
    eligibility_conditions: list[EligibilityCondition] = Field(default_factory=list)
    exclusivity: Bool = Field(
        False,
        description="A clause restricting work on other platforms: lawful only in a "
        "full-time labour contract; refused otherwise (M5)",
    )
    insurance: InsuranceIn = Field(default_factory=InsuranceIn)
    other_terms: str | None = Field(None, max_length=10000)

    @model_validator(mode="after")
    def _schedule_matches_period(self) -> Terms:
        # an hourly rate is settled by the day, week or month the schedule names; any other period is that period
        if self.pay_schedule is not None and self.pay_period != "hour" and self.pay_schedule.period != self.pay_period:
            raise ValueError(
                f"pay_schedule.period {self.pay_schedule.period!r} differs from pay_period {self.pay_period!r}"
            )
        return self


CONTRACT_EXAMPLE = {
    "registration_id": "reg_0190a1b2c3d4e5f6a7b8c9",
    "enterprise_id": "meituan",
    "engagement_type": "labor_contract",
    "part_time": False,
    "district": "chengdong",
    "start_date": "2026-12-01",
    "end_date": "2027-11-30",
    "terms": {
        "pay_basis": "monthly_salary",
        "pay_period": "month",
        "pay_day": "每月10日",
        "pay_schedule": {"period": "month", "month_start_day": 1, "day_of_month": 10, "month_offset": 1},
        "base_pay_fen": 450000,
        "hours_arrangement": "standard",
        "rest_rules": "每周休息一日",
        "insurance": {"work_injury": True, "occupational_injury": False, "accident": True},
    },
    "engagement_facts": {
        "enterprise_sets_rules_and_discipline": True,
        "enterprise_controls_schedule": True,
        "enterprise_sets_pay": True,
        "work_is_core_business": True,
        "worker_may_refuse_orders": False,
        "worker_bears_profit_and_loss": False,
        "worker_works_elsewhere": False,
    },
    "document_text": "劳动合同……",
}


class ContractCreate(BaseModel):
    model_config = example(CONTRACT_EXAMPLE)

    registration_id: str = Field(description="The worker's registration with this platform")
    enterprise_id: str = Field(description="The contracting enterprise: the platform itself or one of its partners")
    engagement_type: EngagementType
    part_time: Bool = False
    occupation: Occupation | None = Field(None, description="Defaults to the registration's occupation")
    district: District | None = Field(
        None, description="Place of work (routes findings); defaults to the contracting enterprise's district"
    )
    start_date: Date
    end_date: Date | None = None
    terms: Terms
    engagement_facts: EngagementFactsIn
    document_text: str = Field(
        min_length=1,
        max_length=200_000,
        description="The full text as signed. Personal data: stored encrypted, returned "
        "with ID and mobile numbers masked unless revealed (regulator, X-Purpose)",
    )

    @field_validator("end_date")
    @classmethod
    def _end_after_start(cls, value: date | None, info) -> date | None:
        start = info.data.get("start_date")
        if value is not None and start is not None and value < start:
            raise ValueError("end_date must not be before start_date")
        return value


class ContractFindingRef(FindingRef):
    status: Literal["held", "raised", "withdrawn"] = Field(
        "raised",
        description="held: found on a draft, not yet a finding or an alert (`finding_id` is the held "
        "finding's id); raised: in GET /v1/findings and sent to the departments; "
        "withdrawn: the draft was discarded",
    )


# The contract row with its signers and findings: `contracts.service.contract_public`.
class ContractPublic(BaseModel):
    model_config = FROM_ROW

    contract_id: str = row_id("contract_id")
    platform_id: str
    enterprise_id: str
    registration_id: str
    worker_id: str
    engagement_type: EngagementType
    suggested_type: EngagementType
    part_time: bool
    occupation: str
    district: str
    start_date: date
    end_date: date | None
    terms: dict[str, Any]
    engagement_facts: dict[str, Any]
    document_sha256: str
    status: ContractStatusWord
    termination_reason: str | None
    signed_by: list[Signer]
    created_at: datetime
    updated_at: datetime
    findings: list[ContractFindingRef] = Field(
        default_factory=list,
        description="Findings on this contract: held while it is a draft, "
        "raised when it is sent, withdrawn if the draft is discarded",
    )


class ContractDocument(BaseModel):
    contract_id: str
    document_text: str = Field(description="ID and mobile numbers masked unless `revealed`")
    document_sha256: str = Field(description="SHA-256 of the full (unmasked) text")
    revealed: bool = Field(False, description="True when the full text was revealed (audited)")


class TransitionPublic(BaseModel):
    model_config = FROM_ROW

    from_status: str | None
    to_status: str
    actor: str
    reason: str | None
    at: datetime


class SendContract(BaseModel):
    model_config = example({"note": "sent through the provincial e-contract service"})

    note: str | None = Field(None, max_length=500)


class SignatureCreate(BaseModel):
    model_config = example({"signer": "worker", "intent": "本人已阅读并同意本合同全部条款，自愿签署。"})

    signer: Signer
    intent: str = Field(min_length=1, max_length=2000, description="The signer's statement of intent")
    signed_at: DateTime | None = Field(
        None,
        description="The enterprise's own signing time (not in the future; "
        "defaults to now). Ignored for the worker: their signature "
        "is dated when the service receives it",
    )

    @field_validator("signed_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError("signed_at needs a timezone offset (RFC 3339)")
        return value


class EvidenceRecordPublic(BaseModel):
    model_config = FROM_ROW

    record_id: str = row_id("record_id")
    contract_id: str
    seq: int
    document_sha256: str
    signer: Signer
    intent: str
    signed_at: datetime
    previous_hash: str | None
    record_hash: str
    seal: str = Field(description="Ed25519 signature (base64) over the canonical JSON of the record")
    key_id: str


class EvidencePublic(BaseModel):
    contract_id: str
    document_sha256: str
    public_key_pem: str
    canonicalization: str = (
        "JSON, keys sorted, no whitespace, UTF-8: contract_id, seq, document_sha256, signer, "
        "intent, signed_at, previous_hash"
    )
    records: list[EvidenceRecordPublic]


class VerificationPublic(BaseModel):
    contract_id: str
    valid: bool
    document_sha256: str
    problems: list[str]


class TerminationCreate(BaseModel):
    model_config = example({"reason": "协商一致解除", "terminated_at": "2027-03-31T18:00:00+08:00"})

    reason: str = Field(min_length=1, max_length=500)
    terminated_at: DateTime | None = Field(
        None, description="Defaults to now; not before the contract's start date or its signatures (422)"
    )


class DiscardContract(BaseModel):
    model_config = example({"reason": "岗位取消，合同草稿作废"})

    reason: str = Field(min_length=1, max_length=500)


class ExpiryRun(BaseModel):
    expired: list[str]


class EvidenceKey(BaseModel):
    key_id: str
    public_key_pem: str
