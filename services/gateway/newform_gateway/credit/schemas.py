"""The credit API's requests and answers: records, listings, ends and the signed export."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class CreditRecordPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    record_id: str
    alert_id: str
    measure: str
    rule: str
    subject_type: str
    subject_id: str
    platform_id: str | None
    enterprise_id: str | None
    summary: str
    evidence_chain: list[dict[str, Any]] = Field(description="Event ids back to the source events")
    confirmed_by: str
    confirmed_at: datetime
    subject_credit_code: str | None = Field(
        None,
        description="whose credit the record is (the related unit's own code, or the enterprise's); null while held",
    )
    subject_name: str | None = None
    held: bool = Field(False, description="the subject is not known yet: the record is not exported until it is")
    debt_key: str | None = Field(None, description="arrears: the debt the record is for (one record per debt)")
    basis: dict[str, Any] = Field(default_factory=dict, description="the sources in force on the decision day")

    @model_validator(mode="after")
    def _held(self) -> CreditRecordPublic:
        self.held = self.subject_credit_code is None
        return self


class ListingCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "inspection_fact_id": "fact_01J…",
                "decided_on": "2026-03-02",
                "note": "逾期未支付，达到拒不支付劳动报酬数额标准",
            }
        },
    )

    inspection_fact_id: str = Field(
        max_length=40,
        description="the departments service's inspection result (hrss) "
        "recording the order to pay by a deadline, ignored",
    )
    decided_on: date = Field(description="the day hrss decided to list (列入决定); not in the future")
    record_ids: list[str] = Field(
        default_factory=list, max_length=100, description="bad-conduct records of the same subject the listing rests on"
    )
    note: str | None = Field(None, max_length=2000)


class ListingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    listing_id: str
    subject_credit_code: str
    subject_name: str | None
    inspection_fact_id: str
    order_reference: str = Field(description="the order to pay's reference number (the department's own)")
    condition: str = Field(description="ignored_payment_order_and_refusal_threshold_reached | mass_incident")
    arrears_fen: int
    decided_on: date
    valid_until: date
    issuing_department: str
    record_ids: list[str]
    basis: dict[str, Any]
    ended_on: date | None = None
    end_kind: str | None = None


class EarlyRemovalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    corrected_on: date = Field(description="the day the arrears were paid in full (改正之日)")
    requested_on: date = Field(description="the day the listed unit asked for early removal")
    credit_commitment: bool = Field(description="the unit made a written credit commitment (书面信用承诺)")
    reason: str = Field(min_length=1, max_length=2000)


class ListingEndCreate(BaseModel):
    kind: Literal["repair", "removal"] = Field(
        description="repair: the subject repaired its credit (信用修复); removal: taken off on review"
    )
    ended_on: date = Field(description="the first day the subject is no longer listed")
    reason: str = Field(min_length=1, max_length=2000)


class ListingEndPublic(BaseModel):
    record_id: str
    kind: str
    ended_on: date
    reason: str
    actor: str
    actor_department: str | None


class ExportedFile(BaseModel):
    name: str
    date: date
    records: int
    content: str = Field(description="the file's bytes (UTF-8 JSON lines), exactly as signed")
    signature: str = Field(description="base64 Ed25519 signature of `content`'s bytes")


class ExportPublic(BaseModel):
    manifest: dict[str, Any]
    manifest_signature: str = Field(description="base64 Ed25519 signature of the manifest as `manifest_json`")
    manifest_json: str
    files: list[ExportedFile]
