"""Findings: what a service raises when a fact breaks a rule but is accepted (for review).

Every service publishes its findings as `<service>.finding.raised.v1`, a subclass of
`FindingRaised` registered with `event_type`; the gateway turns any of them into an alert routed
by measure, occupation and district, without knowing the service.
"""

from __future__ import annotations

import enum
import importlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from .events import DomainEvent

MEASURE_ID = re.compile(r"^M([1-9]|1[0-9]|20)$")
RULE_ID = re.compile(r"^M([1-9]|1[0-9]|20)\.[a-z0-9_]+$")


class Severity(enum.StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


@dataclass(frozen=True)
class Violation:
    """A reject: the request breaks a rule the policy forbids outright (nothing is stored)."""

    measure: str
    rule: str
    detail: str


@dataclass(frozen=True)
class FindingSpec:
    """A finding: the fact is accepted and raised for the responsible departments."""

    measure: str
    rule: str
    severity: Severity
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleDef:
    """One rule a service can emit: the checked vocabulary of rule ids.

    Each service's `rules.py` lists its rules in `RULES: tuple[RuleDef, ...]`. Anything that names a
    rule id elsewhere (the gateway's credit rules, routing entries, scorecards) is checked against
    `rule_catalogue()` by a test, so an id no code can emit fails the suite instead of never firing.
    """

    rule: str
    kind: Literal["reject", "finding"]
    summary: str

    @property
    def measure(self) -> str:
        return self.rule.split(".", 1)[0]

    def __post_init__(self) -> None:
        if not RULE_ID.match(self.rule):
            raise ValueError(f"rule {self.rule!r} must look like 'M5.no_deposit'")


def rule_catalogue() -> dict[str, RuleDef]:
    """Every rule any installed service declares, by id (services without a rules module have none)."""
    from . import registry

    rules: dict[str, RuleDef] = {}
    for service in registry.installed():
        try:
            module = importlib.import_module(f"{service.package}.rules")
        except ModuleNotFoundError:
            continue
        for rule in getattr(module, "RULES", ()):
            rules[rule.rule] = rule
    return rules


class FindingRaised(DomainEvent):
    """A rule of the policy was found broken (accepted fact, raised for the responsible departments)."""

    finding_id: str
    measure: str = Field(description="The measure broken, M1–M20")
    rule: str = Field(description="Rule id, e.g. 'M3.dispatch_licence_valid'")
    severity: Severity
    summary: str = Field(description="One sentence, Chinese, for the alert list")
    subject_type: str = Field(description="worker | enterprise | contract | account_restriction | rule_notice | ...")
    subject_id: str = Field(description="Id of the subject in its service (pseudonymous for workers)")
    platform_id: str | None = None
    enterprise_id: str | None = None
    worker_id: str | None = Field(None, description="Pseudonymous worker id, never an ID number")
    occupation: str | None = None
    district: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict, description="Facts that show the breach; no raw PII")
    observed_at: datetime

    @field_validator("measure")
    @classmethod
    def _measure(cls, value: str) -> str:
        if not MEASURE_ID.match(value):
            raise ValueError(f"{value!r} is not a measure id M1–M20")
        return value

    @field_validator("rule")
    @classmethod
    def _rule(cls, value: str) -> str:
        if not RULE_ID.match(value):
            raise ValueError(f"rule {value!r} must look like 'M5.no_deposit'")
        return value
