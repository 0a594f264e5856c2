"""The roster's requests and responses (M18: invited mediators)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..schemas import Code, Id, Strict

MediatorSource = Literal["court", "union", "hrss", "people"]


Roster = Literal["court", "labour"]


class MediatorCreate(Strict):
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


class MediatorUpdate(Strict):
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
