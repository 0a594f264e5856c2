"""Arbitration's and the court route's requests and responses (M18)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from ..schemas import Claim, Code, Fen, Strict


class ArbitrationApplication(Strict):
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


class ArbitrationRefusal(Strict):
    refused_on: date = Field(description="The day of the committee's written decision not to accept (不予受理)")
    reason: str = Field(min_length=1, max_length=2000, description="The reason given in the decision")


class ArbitrationExtension(Strict):
    days: int = Field(ge=-1000, le=1000)


class ClockPause(Strict):
    at: datetime | None = Field(None, description="Default: now; timezone-aware")

    @model_validator(mode="after")
    def _aware(self) -> ClockPause:
        if self.at is not None and self.at.utcoffset() is None:
            raise ValueError("at must carry a time zone")
        return self


class ArbitrationRestart(Strict):
    reason: Literal["claims_changed", "party_added"]
    on: date = Field(description="The day the claims changed or the party was added")
    claims: list[Claim] | None = Field(None, max_length=50, description="The claims as changed (claims_changed)")


class AwardItem(Strict):
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


class Award(Strict):
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


class LimitationPublic(BaseModel):
    ends_on: date | None
    expired: bool
