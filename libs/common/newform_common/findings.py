"""Findings: what a service raises when a fact breaks a rule but is accepted (for review).

One way for every service:
- a service's `rules.py` returns `Violation`s (rejects) and `FindingSpec`s (findings) from pure
  functions, and lists its rule ids in `RULES` (`RuleDef`);
- `await raise_finding(session, spec, subject_type=..., subject_id=..., ...)` writes the `findings`
  row (a common table) and its outbox event `<service>.finding.raised.v1` in the caller's transaction;
- `findings_router()` serves `GET /v1/findings` and `GET /v1/findings/{finding_id}`, scoped by
  `scope.visibility`.
The gateway turns any `*.finding.raised.v1` into an alert routed by measure, occupation and district,
without knowing the service.
"""

from __future__ import annotations

import enum
import importlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Column, DateTime, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field as SqlField
from sqlmodel import col

from . import policy as policy_module
from . import registry
from .app import SessionDep
from .auth import Principal, Role, require
from .db import CommonModel
from .errors import problem_responses
from .events import DomainEvent, event_type
from .ids import new_id
from .outbox import record
from .pagination import Page, PageParams, keyset, page_of, page_params
from .policy import PolicyNotInForce, business_date, get_policy
from .scope import get_visible, visibility

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
    #: The first day of the fact judged (a pay period's start, a work day), if not in the evidence.
    fact_on: date | None = None


#: Evidence keys that name a fact's own dates, earliest first wins (see `fact_date`).
FACT_DATE_KEYS = ("fact_date", "period_start", "week_start", "date", "month")


def fact_date(spec: FindingSpec) -> date | None:
    """The first date of the fact a finding is about: what its policy basis is judged on."""
    if spec.fact_on is not None:
        return spec.fact_on
    found = []
    for key in FACT_DATE_KEYS:
        value = (spec.evidence or {}).get(key)
        if isinstance(value, datetime):
            found.append(business_date(value))
        elif isinstance(value, date):
            found.append(value)
        elif isinstance(value, str):
            try:
                found.append(date.fromisoformat(value if len(value) != 7 else f"{value}-01"))
            except ValueError:
                continue
    return min(found) if found else None


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


# ---------------------------------------------------------------------------------------------
# The findings table (common branch of the migrations) and raising a finding
# ---------------------------------------------------------------------------------------------
class Finding(CommonModel, table=True):
    __tablename__ = "findings"

    id: str = SqlField(primary_key=True, max_length=64)
    measure: str = SqlField(max_length=4)
    rule: str = SqlField(max_length=100, index=True)
    severity: str = SqlField(max_length=8)
    summary: str
    subject_type: str = SqlField(max_length=32)
    subject_id: str = SqlField(max_length=64, index=True)
    platform_id: str | None = SqlField(default=None, index=True, max_length=64)
    enterprise_id: str | None = SqlField(default=None, max_length=64)
    worker_id: str | None = SqlField(default=None, index=True, max_length=64)
    occupation: str | None = SqlField(default=None, max_length=32)
    district: str | None = SqlField(default=None, max_length=32)
    evidence: dict[str, Any] = SqlField(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    observed_at: datetime = SqlField(sa_column=Column(DateTime(timezone=True), nullable=False))

    @property
    def provisional(self) -> bool:
        """Judged under lapsed municipal measures (evidence.policy_basis, set by raise_finding)."""
        return bool(((self.evidence or {}).get("policy_basis") or {}).get("provisional"))


class FindingRef(BaseModel):
    """A finding named in the response of the request that raised it."""

    model_config = ConfigDict(from_attributes=True)

    finding_id: str = Field(validation_alias=AliasChoices("finding_id", "id"))
    measure: str
    rule: str
    severity: Severity
    provisional: bool = Field(
        False,
        description="Judged under lapsed municipal measures applied until their "
        "successor is loaded (the rule rests on them alone; "
        "evidence.policy_basis says which version)",
    )


class FindingPublic(FindingRef):
    summary: str
    subject_type: str
    subject_id: str
    platform_id: str | None
    enterprise_id: str | None
    worker_id: str | None
    occupation: str | None
    district: str | None
    evidence: dict[str, Any]
    observed_at: datetime


_FINDING_EVENTS: dict[str, type[FindingRaised]] = {}


def finding_event(service: str) -> type[FindingRaised]:
    """The registered `<service>.finding.raised.v1` event class (made once per service).

    A service's events.py names it for its committed schemas: `FindingRaised = finding_event("wages")`.
    """
    if service not in _FINDING_EVENTS:
        name = "".join(part.title() for part in service.split("_")) + "FindingRaised"
        cls = type(
            name,
            (FindingRaised,),
            {"__doc__": f"A rule was found broken in a fact {service} accepted.", "__module__": __name__},
        )
        _FINDING_EVENTS[service] = event_type(f"{service}.finding.raised.v1", key="subject_id")(cls)
    return _FINDING_EVENTS[service]


async def raise_finding(
    session: AsyncSession,
    spec: FindingSpec,
    *,
    subject_type: str,
    subject_id: str,
    platform_id: str | None = None,
    enterprise_id: str | None = None,
    worker_id: str | None = None,
    occupation: str | None = None,
    district: str | None = None,
    observed_at: datetime | None = None,
    judged_on: date | None = None,
    engagement_type: str | None = None,
) -> FindingRef:
    """The finding row and its `<service>.finding.raised.v1` outbox event, in the caller's transaction.

    The policy basis is judged on the fact's own first date (`fact_date`: `spec.fact_on`, or the
    evidence's `fact_date`, `period_start`, `week_start`, `date` or `month`); without one, on
    `judged_on` (the business date the rule was applied on; default: `observed_at`'s, else today).
    If the municipal measures had lapsed then and the rule rests on them alone, the evidence gets
    `policy_basis = {"provisional": true, "measures_version": ...}` (policy.Policy.rule_basis; a statute
    limited to some engagement types, e.g. labour contracts, counts only when `engagement_type` is one)."""
    service = session.info.get("domain") or session.info.get("service")
    if not service:
        raise RuntimeError("session has no service name: create it through newform_common.db.Database")
    # A fact is judged under the sources in force on its own dates, not the judging day: a statement for
    # December 2026 raised on 10 January 2027 rests on the measures as they stood in December.
    on = fact_date(spec) or judged_on or (business_date(observed_at) if observed_at else policy_module.business_today())
    evidence = dict(spec.evidence)
    try:
        basis = get_policy().rule_basis(spec.rule, on, engagement_type)
    except PolicyNotInForce:
        basis = None  # no measures apply on that date: nothing to say about them
    if basis is not None and basis.provisional:
        evidence["policy_basis"] = basis.evidence()
    finding = Finding(
        id=new_id("fnd"),
        measure=spec.measure,
        rule=spec.rule,
        severity=spec.severity.value,
        summary=spec.summary,
        subject_type=subject_type,
        subject_id=subject_id,
        platform_id=platform_id,
        enterprise_id=enterprise_id,
        worker_id=worker_id,
        occupation=occupation,
        district=district,
        evidence=evidence,
        observed_at=observed_at or datetime.now(UTC),
    )
    session.add(finding)
    record(
        session,
        finding_event(service)(
            finding_id=finding.id,
            measure=finding.measure,
            rule=finding.rule,
            severity=spec.severity,
            summary=finding.summary,
            subject_type=subject_type,
            subject_id=subject_id,
            platform_id=platform_id,
            enterprise_id=enterprise_id,
            worker_id=worker_id,
            occupation=occupation,
            district=district,
            evidence=evidence,
            observed_at=finding.observed_at,
        ),
    )
    return FindingRef.model_validate(finding)


async def raise_all(session: AsyncSession, specs: list[FindingSpec | None], **subject: Any) -> list[FindingRef]:
    """`raise_finding` for each spec that is not None (rules return None when they pass)."""
    return [await raise_finding(session, spec, **subject) for spec in specs if spec is not None]


async def findings_of(session: AsyncSession, subject_id: str) -> list[FindingRef]:
    rows = await session.execute(select(Finding).where(col(Finding.subject_id) == subject_id).order_by(Finding.id))
    return [FindingRef.model_validate(f) for f in rows.scalars()]


def findings_router(*, readers: tuple[Role, ...] | None = None, tag: str = "findings") -> APIRouter:
    """`GET /v1/findings` (filtered, paged, scoped) and `GET /v1/findings/{finding_id}` for a service."""
    allowed = readers or (Role.platform, Role.enterprise, Role.worker, Role.department, Role.regulator, Role.admin)
    router = APIRouter(prefix="/v1", tags=[tag])

    @router.get(
        "/findings",
        response_model=Page[FindingPublic],
        responses=problem_responses(401, 403),
        summary="Findings this service raised (a platform sees its own, a worker theirs)",
    )
    async def list_findings(
        session: SessionDep,
        principal: Principal = require(*allowed),
        *,
        params: Annotated[PageParams, Depends(page_params)],
        measure: Annotated[str | None, Query(pattern=MEASURE_ID.pattern)] = None,
        rule: Annotated[str | None, Query(pattern=RULE_ID.pattern)] = None,
        platform_id: Annotated[str | None, Query(max_length=64)] = None,
        subject_id: Annotated[str | None, Query(max_length=64)] = None,
    ) -> Page[FindingPublic]:
        view = visibility(principal)
        query = select(Finding).where(view.where(platform=Finding.platform_id, worker=Finding.worker_id))
        for column, value in (
            (col(Finding.measure), measure),
            (col(Finding.rule), rule),
            (col(Finding.platform_id), platform_id),
            (col(Finding.subject_id), subject_id),
        ):
            if value is not None:
                query = query.where(column == value)
        rows = (await session.execute(keyset(query, Finding.id, params))).scalars().all()
        return page_of([FindingPublic.model_validate(f) for f in rows], params, lambda f: [f.finding_id])

    @router.get(
        "/findings/{finding_id}",
        response_model=FindingPublic,
        responses=problem_responses(401, 403, 404),
        summary="One finding",
    )
    async def get_finding(
        finding_id: Annotated[str, Path(max_length=64)], session: SessionDep, principal: Principal = require(*allowed)
    ) -> FindingPublic:
        return FindingPublic.model_validate(await get_visible(session, principal, Finding, finding_id, what="finding"))

    return router
