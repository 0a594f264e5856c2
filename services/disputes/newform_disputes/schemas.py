"""Request and response models (`XCreate`, `XPublic`; responses built with `from_attributes`).
Money in integer fen; business dates are Asia/Shanghai dates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from newform_common import clock
from newform_common.deadlines import LIVE, Deadline, DeadlinePublic
from newform_common.findings import FindingRef
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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------------------------
# Complaints
# ---------------------------------------------------------------------------------------------
class ComplaintCreate(_Strict):
    category: Code = Field(
        description="pay, deductions, working_time_rest, account_restriction, rules_algorithms, "
        "discrimination, deposits_fees, insurance_injury, safety, other"
    )
    description: str = Field(min_length=1, max_length=5000)
    contract_id: Id | None = Field(None, description="The engagement it concerns; it must be the worker's own")
    platform_id: Id | None = Field(None, description="The platform complained against (else the engagement's)")
    enterprise_id: Id | None = Field(None, description="A related unit (outsourcer, franchisee) complained against")
    occupation: Code | None = Field(None, description="Without an engagement: the worker's occupation")
    district: Code | None = Field(None, description="Without an engagement: where it happened")
    attachments: list[Reference] = Field(default_factory=list, max_length=20)
    mask_identity: bool = Field(True, description="Hide the complainant from the platform where the category allows")


class ComplaintAnswer(_Strict):
    answer: str = Field(min_length=1, max_length=5000)


class Claim(_Strict):
    item: str = Field(min_length=1, max_length=100, description="What is claimed, e.g. 拖欠工资")
    amount_fen: Fen


class Escalation(_Strict):
    to: Literal["mediation", "department"]
    claims: list[Claim] = Field(default_factory=list, max_length=50)
    facts: list[FactCode] = Field(
        default_factory=list,
        max_length=20,
        description="Facts of the work (enterprise_controls_schedule, ...): classified handling",
    )


class ComplaintPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    complaint_id: str = Field(validation_alias="id")
    worker_id: str | None = Field(description="Hidden from the platform when the complainant is masked")
    platform_id: str
    enterprise_id: str | None
    contract_id: str | None
    engagement_type: str | None
    occupation: str | None
    district: str | None
    category: str
    description: str
    attachments: list[str]
    identity_masked: bool
    status: Literal["awaiting_reply", "answered", "resolved"]
    filed_at: datetime
    reply_due_on: date
    reply_overdue: bool
    answer: str | None
    answered_at: datetime | None
    resolution: str | None
    resolved_at: datetime | None
    escalation_measure: str | None
    case_id: str | None
    clocks: list[ClockPublic] = Field(default_factory=list)
    findings: list[FindingRef] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# The roster
# ---------------------------------------------------------------------------------------------
MediatorSource = Literal["court", "union", "hrss", "people"]
Roster = Literal["court", "labour"]


class MediatorCreate(_Strict):
    name: str = Field(min_length=1, max_length=100)
    organisation: str = Field(min_length=1, max_length=200)
    source: MediatorSource = Field(description="court (特邀调解员), union, hrss (labour mediation), people (人民调解)")
    specialties: list[Code] = Field(min_length=1, max_length=10, description="Complaint categories")
    rosters: list[Roster] = Field(min_length=1, description="court and/or labour mediation roster (linked)")
    conflicts: list[Id] = Field(
        default_factory=list, max_length=50, description="Platforms or enterprises the mediator may not mediate for"
    )
    term_from: date
    term_until: date

    @model_validator(mode="after")
    def _term(self) -> MediatorCreate:
        if self.term_until < self.term_from:
            raise ValueError("term_until is before term_from")
        return self


class MediatorUpdate(_Strict):
    active: bool | None = None
    organisation: str | None = Field(None, min_length=1, max_length=200)
    specialties: list[Code] | None = Field(None, min_length=1, max_length=10)
    rosters: list[Roster] | None = Field(None, min_length=1)
    conflicts: list[Id] | None = Field(None, max_length=50)
    term_until: date | None = None


class Reassignment(BaseModel):
    """An open case the mediator left: its new mediator, or none yet and the day one is due by."""

    case_id: str
    mediator_id: str | None
    needed_by: date | None = None


class MediatorPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    mediator_id: str = Field(validation_alias="id")
    name: str
    organisation: str
    source: str
    specialties: list[str]
    rosters: list[str]
    conflicts: list[str]
    term_from: date
    term_until: date
    active: bool
    open_cases: int = 0
    reassigned: list[Reassignment] = Field(
        default_factory=list, description="In the answer to a change: the open cases it moved"
    )


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------
MediationBody = Literal["court", "hrss", "union", "justice"]


class ArbitrationApplication(_Strict):
    received_on: date | None = Field(
        None,
        description="The day the arbitration committee received the "
        "application (a paper one is entered later). Default: today",
    )
    knew_of_breach_on: date = Field(description="When the worker knew or should have known of the breach")
    unpaid_pay_during_employment: bool = False
    employment_ended_on: date | None = None
    interrupted_on: list[date] = Field(
        default_factory=list,
        max_length=20,
        description="Other days the limitation was interrupted (art. 27(2)): a written demand to the other "
        "party, a complaint to a department, the other party agreeing to pay. The case's own "
        "mediation application and complaint count without being listed",
    )


class CaseCreate(_Strict):
    category: Code
    description: str = Field("", max_length=5000)
    contract_id: Id | None = None
    platform_id: Id | None = None
    enterprise_id: Id | None = None
    occupation: Code | None = None
    district: Code | None = None
    claims: list[Claim] = Field(default_factory=list, max_length=50)
    facts: list[FactCode] = Field(default_factory=list, max_length=20)
    received_on: date | None = Field(
        None,
        description="Mediation: the day the mediation body received the "
        "application (a paper one is entered later). Default: today",
    )
    mediation_body: MediationBody | None = Field(
        None,
        description="The mediation organisation applied to: court (特邀调解), hrss (labour dispute mediation), "
        "union, justice (people's mediation). Default: hrss, which answers for labour mediation",
    )
    arbitration: ArbitrationApplication | None = Field(
        None,
        description="Apply for labour arbitration at once, without mediation (mediation is voluntary, "
        "劳动争议调解仲裁法 art. 5): the case opens as an arbitration application",
    )

    @model_validator(mode="after")
    def _one_route(self) -> CaseCreate:
        if self.arbitration is not None and (self.received_on is not None or self.mediation_body is not None):
            raise ValueError(
                "a case opened for arbitration has no mediation application (received_on, "
                "mediation_body belong to mediation)"
            )
        return self


class Acceptance(_Strict):
    accepted_on: date | None = Field(None, description="Default: today (Asia/Shanghai)")


class Assignment(_Strict):
    mediator_id: Id | None = Field(None, description="Omit to pick by specialty, load and conflicts")


class SessionCreate(_Strict):
    held_on: date
    summary: str = Field(min_length=1, max_length=5000)


class MediationExtension(_Strict):
    days: int = Field(ge=-1000, le=1000)
    worker_consents: bool
    enterprise_consents: bool


class Outcome(_Strict):
    outcome: Literal["agreement", "no_agreement"]
    on: date | None = Field(
        None, description="The day mediation ended (an agreement signed on paper is entered later). Default: today"
    )
    terms: str | None = Field(None, min_length=1, max_length=5000)
    amount_fen: Fen | None = None
    fulfil_by: date | None = None

    @model_validator(mode="after")
    def _agreement(self) -> Outcome:
        if self.outcome == "agreement" and (self.terms is None or self.fulfil_by is None):
            raise ValueError("an agreement needs its terms and the date it is to be fulfilled by")
        return self


class Fulfilment(_Strict):
    fulfilled_on: date | None = None


class ArbitrationRefusal(_Strict):
    refused_on: date = Field(description="The day of the committee's written decision not to accept (不予受理)")
    reason: str = Field(min_length=1, max_length=2000, description="The reason given in the decision")


class ArbitrationExtension(_Strict):
    days: int = Field(ge=-1000, le=1000)


class ClockPause(_Strict):
    at: datetime | None = Field(None, description="Default: now; timezone-aware")

    @model_validator(mode="after")
    def _aware(self) -> ClockPause:
        if self.at is not None and self.at.utcoffset() is None:
            raise ValueError("at must carry a time zone")
        return self


class ArbitrationRestart(_Strict):
    reason: Literal["claims_changed", "party_added"]
    on: date = Field(description="The day the claims changed or the party was added")
    claims: list[Claim] | None = Field(None, max_length=50, description="The claims as changed (claims_changed)")


class AwardItem(_Strict):
    item: str = Field(min_length=1, max_length=200, description="The item as the award states it, e.g. 支付拖欠工资")
    kind: Code = Field(
        description="labour_remuneration, work_injury_medical, economic_compensation, damages, "
        "working_hours, rest_and_leave, social_insurance, labour_relationship, other "
        "(policy disputes.award_final.item_kinds)"
    )
    amount_fen: Fen | None = Field(
        None,
        description="The amount awarded (not claimed); none for an item "
        "without one, e.g. confirming a labour relationship",
    )


class Award(_Strict):
    awarded_on: date
    items: list[AwardItem] | None = Field(
        None,
        min_length=1,
        max_length=50,
        description=(
            "Each item of the award: finality for the employer is judged per item (劳动争议调解仲裁法 art. 47)"
        ),
    )
    amount_fen: Fen | None = Field(
        None,
        deprecated=True,
        description=(
            "Deprecated (0.1): the award's total only. Finality cannot be judged from a total, so an award given "
            "this way is stored with `award_final: null`; send `items`"
        ),
    )

    @model_validator(mode="after")
    def _items_or_total(self) -> Award:
        if (self.items is None) == (self.amount_fen is None):
            raise ValueError("give the award's items (or, deprecated, only its total amount_fen), not both")
        return self


class AwardItemPublic(BaseModel):
    item: str
    kind: str
    amount_fen: int | None
    final: bool = Field(description="Final for the employer (art. 47), judged on this item alone")
    basis: str


class SessionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_id: str = Field(validation_alias="id")
    mediator_id: str
    held_on: date
    summary: str


class LimitationPublic(BaseModel):
    ends_on: date | None
    expired: bool


class CasePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    case_id: str = Field(validation_alias="id")
    worker_id: str
    platform_id: str
    enterprise_id: str | None
    contract_id: str | None
    complaint_id: str | None
    category: str
    occupation: str | None
    district: str | None
    engagement_type: str | None
    track: str
    description: str
    claims: list[Claim]
    claims_total_fen: int
    facts: list[str]
    misclassification_question: bool
    stage: str
    received_at: datetime
    received_on: date | None = Field(
        description="The day the mediation body received the application; none: arbitration without mediation"
    )
    mediation_body: str | None
    arbitration_open_from: date | None = Field(
        None,
        description="From this day the worker may apply for arbitration while mediation runs on (15 days "
        "from receipt, art. 14)",
    )
    mediator_id: str | None
    mediator_needed_since: date | None = Field(
        description="The mediator left the roster: a new one is due (clock disputes.mediator_reassignment)"
    )
    accepted_on: date | None
    mediation_extension_days: int
    outcome: str | None
    agreement_terms: str | None
    agreement_amount_fen: int | None
    fulfil_by: date | None
    fulfilled_on: date | None
    arbitration_received_on: date | None
    knew_of_breach_on: date | None
    limitation_runs_from: date | None = Field(
        description="Where the limitation runs from: the breach, or its last interruption (art. 27(2))"
    )
    limitation_ends_on: date | None
    limitation_expired: bool | None
    arbitration_refused_on: date | None
    arbitration_refusal_reason: str | None
    arbitration_accepted_on: date | None
    award_extension_days: int
    suspended: bool
    awarded_on: date | None
    award_amount_fen: int | None
    award_final: bool | None = Field(description="Final for the employer: every item of the award is (art. 47)")
    award_items: list[AwardItemPublic] | None
    decision_forum: str | None = Field(description="arbitration | court: the departments recorded how the case ended")
    decision_outcome: str | None = Field(description="upheld | partly_upheld | dismissed | settled | withdrawn")
    decision_reference: str | None = Field(description="The award's or judgment's reference number")
    decided_on: date | None
    decision_amount_fen: int | None
    legal_aid_requested_at: datetime | None
    eligible_for_arbitration: bool = False
    court_route_open: bool = Field(
        False,
        description="The worker may take the dispute to the court now: a work "
        "agreement or civil dispute out of mediation, a refusal or "
        "no decision on the arbitration application in time "
        "(art. 29), no award in time (art. 43)",
    )
    clocks: list[ClockPublic] = Field(default_factory=list)
    sessions: list[SessionPublic] = Field(default_factory=list)
    findings: list[FindingRef] = Field(default_factory=list)
