"""Request and response bodies of the rule and algorithm register (M10)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from newform_common.findings import FindingRef

from ..events import RuleTopic, SafetyIndicators
from ..schemas import FROM_ROW, Date, example, row_id


class Consultation(BaseModel):
    consulted_with: Literal["union", "worker_representatives"]
    consulted_on: Date = Field(description="Before or on the publication day; a later consultation does not count")
    opinion: str = Field(min_length=1, max_length=5000)


class RuleNoticeCreate(BaseModel):
    model_config = example(
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
    safety_indicators: SafetyIndicators | None = Field(
        None,
        description="The safety-relevant indicators the rule sets, as numbers (judged against the policy's "
        "`safety.indicators.*`: a finding each, M8)",
    )


# The notice row with its findings: `rules_register.service.notice_public`.
class RuleNoticePublic(BaseModel):
    model_config = FROM_ROW

    notice_id: str = row_id("notice_id")
    platform_id: str
    topic: RuleTopic
    version: int
    title: str
    content: str
    consultation: Consultation | None
    consulted: bool
    published_on: date
    effective_on: date
    safety_indicators: SafetyIndicators | None = None
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
