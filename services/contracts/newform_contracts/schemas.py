"""Request and response bodies of the contracts API (snake_case JSON, examples in the schema)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from newform_common import vocabulary
from newform_common.findings import FindingRef

from .events import EnterpriseKind, PaySchedule, RuleTopic, Signer

# The shared vocabulary, from the policy data (an enum in OpenAPI; newform_common.vocabulary).
District = vocabulary.literal("districts")
Occupation = vocabulary.literal("occupations")
EngagementType = vocabulary.literal("engagement_types")
#: Where a worker lives: one of Xining's districts, or outside the city (a worker who works in Xining
#: and lives elsewhere is covered by the measures; the place of work routes, not the residence).
OUTSIDE_XINING = "outside_xining"
ResidenceDistrict = Literal[(*vocabulary.codes("districts"), OUTSIDE_XINING)]  # type: ignore[valid-type]
PartnerKind = Literal["dispatch_agency", "outsourcer", "franchisee", "agent"]
ContractStatus = Literal["draft", "sent", "signed", "terminated", "expired", "discarded"]


def _text_only(kind: str):
    """Dates and times travel as ISO 8601 text: a number (epoch seconds or days) is refused, not guessed."""

    def check(value: Any) -> Any:
        if not isinstance(value, (str, date)):
            raise ValueError(f"must be an ISO 8601 {kind} string")
        return value

    return BeforeValidator(check)


#: Strict input types (issue 8 item 25): dates and times as text, booleans only true/false.
Date = Annotated[date, _text_only("date, e.g. 2026-12-01")]
DateTime = Annotated[datetime, _text_only("date-time with offset, e.g. 2026-11-28T10:15:00+08:00")]
Bool = StrictBool


def _example(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


#: Responses are built from rows: `Model.model_validate(row)` reads the row's attributes.
FROM_ROW = ConfigDict(from_attributes=True)


def _row_id(name: str) -> Any:
    """A response's `<thing>_id`, read from the row's `id` (or given by that name)."""
    return Field(validation_alias=AliasChoices(name, "id"))


class RowWith:
    """A row plus the response fields it does not hold (computed by the caller), read as one object
    by `Model.model_validate`: the row's columns project as they are, the computed ones are named."""

    def __init__(self, row: Any, **computed: Any) -> None:
        self._row, self._computed = row, computed

    def __getattr__(self, name: str) -> Any:
        computed = self.__dict__["_computed"]
        return computed[name] if name in computed else getattr(self.__dict__["_row"], name)


# ---------------------------------------------------------------------------------------------
# Enterprises
# ---------------------------------------------------------------------------------------------
# Valid GB 32100 codes (check character computed), one per example: one code is one legal entity.
CREDIT_CODE_EXAMPLE = "91630100MA7X8Y001G"
PARTNER_CREDIT_CODE_EXAMPLE = "91630104MA7C8P2Q49"


# Formats documented in the schema for client-side checks; the validators in newform_common.identity
# enforce them (and the check digits) with a precise reason.
CREDIT_CODE_FORMAT = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
RESIDENT_ID_FORMAT = "^[1-8][0-9]{16}[0-9Xx]$"
MOBILE_FORMAT = "^(\\+?86)?1[3-9][0-9]{9}$"
CREDIT_CODE_DESCRIPTION = (
    "Unified social credit code (GB 32100, check character validated). One code is one legal "
    "entity: a code already registered (as a platform or any platform's partner) is refused "
    "with 409 and the existing `enterprise_id`"
)


class PlatformCreate(BaseModel):
    model_config = _example(
        {
            "platform_id": "meituan",
            "name": "美团西宁",
            "credit_code": CREDIT_CODE_EXAMPLE,
            "district": "chengzhong",
            "occupations": ["food_delivery", "on_demand_delivery"],
        }
    )

    platform_id: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,63}$", description="Slug; platform tokens carry it")
    name: str = Field(min_length=1, max_length=200)
    credit_code: str = Field(description=CREDIT_CODE_DESCRIPTION, json_schema_extra={"pattern": CREDIT_CODE_FORMAT})
    district: District
    occupations: list[Occupation] = Field(min_length=1)


class DispatchLicence(BaseModel):
    number: str = Field(min_length=1, max_length=100)
    valid_until: Date


class PartnerCreate(BaseModel):
    model_config = _example(
        {
            "name": "西宁速达劳务派遣有限公司",
            "kind": "dispatch_agency",
            "credit_code": PARTNER_CREDIT_CODE_EXAMPLE,
            "district": "chengxi",
            "occupations": ["food_delivery"],
            "dispatch_licence": {"number": "青人社派许字〔2024〕0012号", "valid_until": "2027-06-30"},
            "qualified": True,
        }
    )

    name: str = Field(min_length=1, max_length=200)
    kind: PartnerKind
    credit_code: str = Field(description=CREDIT_CODE_DESCRIPTION, json_schema_extra={"pattern": CREDIT_CODE_FORMAT})
    district: District
    occupations: list[Occupation] = Field(min_length=1)
    dispatch_licence: DispatchLicence | None = Field(None, description="Labour-dispatch licence (dispatch agencies)")
    qualified: Bool = Field(
        False,
        description="Outsourcer, franchisee or agent holds the qualification its "
        "business needs (an unqualified one is a finding, M3)",
    )


class EnterprisePublic(BaseModel):
    model_config = FROM_ROW

    enterprise_id: str = _row_id("enterprise_id")
    name: str
    kind: EnterpriseKind
    platform_id: str
    credit_code: str
    district: str
    occupations: list[str]
    dispatch_licence_number: str | None
    dispatch_licence_valid_until: date | None
    qualified: bool
    registered_at: datetime


# ---------------------------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------------------------
class WorkerCreate(BaseModel):
    model_config = _example(
        {
            "name": "张三",
            "id_number": "630102199001011235",
            "phone": "13812345678",
            "occupation": "food_delivery",
            "household_registration_place": "青海省西宁市城东区",
            "residence_district": "chengdong",
        }
    )

    name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(
        description="Resident ID number (GB 11643); stored encrypted, masked in responses",
        json_schema_extra={"pattern": RESIDENT_ID_FORMAT},
    )
    phone: str = Field(
        description="Mainland mobile number; stored encrypted, masked in responses",
        json_schema_extra={"pattern": MOBILE_FORMAT},
    )
    occupation: Occupation
    household_registration_place: str | None = Field(None, max_length=200)
    residence_district: ResidenceDistrict = Field(description="Xining district of residence, or `outside_xining`")


# The registration and its person's data, decrypted and masked: `service.worker_public`.
class WorkerPublic(BaseModel):
    model_config = FROM_ROW

    registration_id: str = _row_id("registration_id")
    worker_id: str = Field(description="Pseudonymous id, the same on every platform")
    platform_id: str
    name: str = Field(description="Masked unless revealed")
    id_number: str = Field(description="Masked unless revealed")
    phone: str = Field(description="Masked unless revealed")
    occupation: str
    household_registration_place: str | None
    household_registration_region: str
    residence_district: str
    status: Literal["active", "restricted", "cancelled"]
    registered_at: datetime


# ---------------------------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------------------------
class EngagementFactsIn(BaseModel):
    model_config = _example(
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


# ---------------------------------------------------------------------------------------------
# Contracts
# ---------------------------------------------------------------------------------------------
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
    model_config = _example(CONTRACT_EXAMPLE)

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


# The contract row with its signers and findings: `service.contract_public`.
class ContractPublic(BaseModel):
    model_config = FROM_ROW

    contract_id: str = _row_id("contract_id")
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
    status: ContractStatus
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
    model_config = _example({"note": "sent through the provincial e-contract service"})

    note: str | None = Field(None, max_length=500)


class SignatureCreate(BaseModel):
    model_config = _example({"signer": "worker", "intent": "本人已阅读并同意本合同全部条款，自愿签署。"})

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

    record_id: str = _row_id("record_id")
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
    model_config = _example({"reason": "协商一致解除", "terminated_at": "2027-03-31T18:00:00+08:00"})

    reason: str = Field(min_length=1, max_length=500)
    terminated_at: DateTime | None = Field(
        None, description="Defaults to now; not before the contract's start date or its signatures (422)"
    )


class DiscardContract(BaseModel):
    model_config = _example({"reason": "岗位取消，合同草稿作废"})

    reason: str = Field(min_length=1, max_length=500)


class ExpiryRun(BaseModel):
    expired: list[str]


# ---------------------------------------------------------------------------------------------
# Account restrictions (M5)
# ---------------------------------------------------------------------------------------------
class RestrictionReason(BaseModel):
    code: str
    label: str


class RestrictionCreate(BaseModel):
    model_config = _example(
        {
            "registration_id": "reg_0190a1b2c3d4e5f6a7b8c9",
            "action": "restrict",
            "reason_code": "order_fraud",
            "reason_text": "连续虚构订单，经核实",
            "notice_given_at": "2026-11-20T09:00:00+08:00",
            "effective_at": "2026-11-27T00:00:00+08:00",
        }
    )

    registration_id: str
    action: Literal["restrict", "cancel"]
    reason_code: str = Field(min_length=1, max_length=64, description="One of GET /v1/account-restrictions/reasons")
    reason_text: str | None = Field(None, max_length=2000)
    notice_given_at: DateTime | None = Field(
        None,
        description="When the worker was notified; null: no notice. "
        "Counts only if before `effective_at`; none is owed "
        "at the worker's own request (worker_request)",
    )
    effective_at: DateTime


# The restriction row with its status and findings: `service.restriction_public`.
class RestrictionPublic(BaseModel):
    model_config = FROM_ROW

    restriction_id: str = _row_id("restriction_id")
    registration_id: str
    worker_id: str
    platform_id: str
    action: str
    reason_code: str
    reason_listed: bool
    reason_text: str | None
    notice_given_at: datetime | None
    notice_days: int
    effective_at: datetime
    status: Literal["in_effect", "lifted"] = "in_effect"
    lifted_at: datetime | None = None
    lift_reason: str | None = None
    findings: list[FindingRef] = Field(default_factory=list)


class AppealCreate(BaseModel):
    model_config = _example({"grounds": "本人未参与刷单，订单异常系系统故障所致，请求恢复账号。"})

    grounds: str = Field(min_length=1, max_length=5000, description="Why the worker contests the restriction")


class AppealPublic(BaseModel):
    model_config = FROM_ROW

    appeal_id: str = _row_id("appeal_id")
    restriction_id: str
    worker_id: str
    platform_id: str
    grounds: str
    submitted_at: datetime
    status: Literal["open", "closed"]
    closed_at: datetime | None


class LiftCreate(BaseModel):
    model_config = _example({"reason": "申诉核实：订单异常系系统故障，恢复账号"})

    reason: str = Field(min_length=1, max_length=2000)


# ---------------------------------------------------------------------------------------------
# Rule register (M10)
# ---------------------------------------------------------------------------------------------
class Consultation(BaseModel):
    consulted_with: Literal["union", "worker_representatives"]
    consulted_on: Date = Field(description="Before or on the publication day; a later consultation does not count")
    opinion: str = Field(min_length=1, max_length=5000)


class RuleNoticeCreate(BaseModel):
    model_config = _example(
        {
            "topic": "piece_rates",
            "title": "配送单价调整",
            "content": "基础配送费由每单4.5元调整为每单5元。",
            "consultation": {"consulted_with": "union", "consulted_on": "2026-11-01", "opinion": "工会同意调整"},
            "published_on": "2026-11-10",
            "effective_on": "2026-11-20",
        }
    )

    topic: RuleTopic
    title: str = Field(min_length=1, max_length=200)
    content: str = Field(min_length=1, max_length=100_000)
    consultation: Consultation | None = Field(None, description="Null: no consultation held (a finding, M10)")
    published_on: Date
    effective_on: Date = Field(
        description="At least `rule_register.min_notice_days` after publication (else a finding, M10)"
    )


# The notice row with its findings: `service.notice_public`.
class RuleNoticePublic(BaseModel):
    model_config = FROM_ROW

    notice_id: str = _row_id("notice_id")
    platform_id: str
    topic: RuleTopic
    version: int
    title: str
    content: str
    consultation: Consultation | None
    consulted: bool
    published_on: date
    effective_on: date
    created_at: datetime
    findings: list[FindingRef] = Field(default_factory=list)


class FieldChange(BaseModel):
    field: str
    before: Any
    after: Any


class RuleNoticeDiff(BaseModel):
    platform_id: str
    topic: RuleTopic
    from_version: int
    to_version: int
    changes: list[FieldChange]
    content_diff: str = Field(description="Unified diff of the content")


# ---------------------------------------------------------------------------------------------
# Findings and audit
# ---------------------------------------------------------------------------------------------


class PiiAccessPublic(BaseModel):
    model_config = FROM_ROW

    principal: str
    role: str
    resource_type: str
    resource_id: str
    fields: list[str]
    purpose: str
    at: datetime
