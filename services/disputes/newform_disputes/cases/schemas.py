"""Cases' requests and responses: opening, mediation and the case as it stands (M18)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from newform_common.findings import FindingRef

from ..arbitration.schemas import ArbitrationApplication, AwardItemPublic
from ..schemas import Claim, ClockPublic, Code, FactCode, Fen, Id, Strict

MediationBody = Literal["court", "hrss", "union", "justice"]


class CaseCreate(Strict):
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


class Acceptance(Strict):
    accepted_on: date | None = Field(None, description="Default: today (Asia/Shanghai)")


class Assignment(Strict):
    mediator_id: Id | None = Field(None, description="Omit to pick by specialty, load and conflicts")


class SessionCreate(Strict):
    held_on: date
    summary: str = Field(min_length=1, max_length=5000)


class MediationExtension(Strict):
    days: int = Field(ge=-1000, le=1000)
    worker_consents: bool
    enterprise_consents: bool


class Outcome(Strict):
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


class Fulfilment(Strict):
    fulfilled_on: date | None = None


class SessionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_id: str = Field(validation_alias="id")
    mediator_id: str
    held_on: date
    summary: str


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
