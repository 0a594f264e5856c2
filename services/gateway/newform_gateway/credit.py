"""Credit (M6, M19): bad-conduct **records** and wage-arrears **listings** — two things, not one.

* A **record** (不良行为记录) is what the measures ask: a related unit's confirmed wage arrears go into
  credit management under the unit's own credit code (宁政办〔2022〕41号 item 6). It is made when the
  lead department confirms an alert of a rule in `credit_rules.toml` (`CreditRules`), one per debt, for
  its own subject only (never the platform in the subject's place: unknown → held until known). It has
  no fixed term; it ends by repair or removal (`credit_export.end_listing`).
* A **listing** on the wage-arrears joint-punishment list (拖欠农民工工资失信联合惩戒对象名单) is a
  decision of hrss under 人力资源社会保障部令第45号 (the 办法), taken only when its conditions are
  recorded by the department: labour inspection's written order to pay by a deadline
  (责令限期支付, a `departments` inspection result) ignored, plus the refusal-to-pay threshold or a mass
  incident (`listing_condition`). Listed `wages.arrears_credit_list.listed_years` from the decision;
  removal may be granted `…removal_after_correction_months` after the arrears were corrected
  (`early_removal_from`).

Each record and listing carries its basis: the sources in force on the day it was decided
(`record_basis`, `listing_basis`) — never the lapsed measures alone.
"""

from __future__ import annotations

import calendar
import logging
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import BigInteger, select, text
from sqlalchemy import Column as SAColumn
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field as Column

from newform_common import clock
from newform_common.app import SessionDep, SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.db import json_field, timestamp_field
from newform_common.errors import Conflict, Forbidden, NotFound, Unprocessable, problem_responses
from newform_common.events import DomainEvent, Envelope, event_type
from newform_common.findings import RULE_ID
from newform_common.idempotency import HONOURS_KEY, idempotent
from newform_common.outbox import record as record_event
from newform_common.policy import PolicyNotInForce, business_date, business_today, get_policy

from . import routing
from .departments import DepartmentFact
from .models import Alert, CreditRecord, Enterprise, GatewayModel

log = logging.getLogger(__name__)

MEASURES_DOCUMENT = "宁政办〔2022〕41号"
LIST_DOCUMENT = "拖欠农民工工资失信联合惩戒对象名单管理暂行办法 (人力资源社会保障部令第45号)"
#: Who decides a listing: the human resources and social security department (办法 art. 5).
LISTING_DEPARTMENT = "hrss"
CONFIRMING = ("confirmed", "interviewed", "warned", "penalized")
SUBJECTS = ("related_unit", "enterprise")
RECORD_KEYS = {"rule", "outcomes", "requires_evidence", "subject", "document", "source"}


# -- the record rules (credit_rules.toml) --------------------------------------------------------------------
class CreditRulesError(ValueError):
    """credit_rules.toml names something that is not a finding rule, or asks for a whole measure."""


@dataclass(frozen=True)
class RecordRule:
    rule: str
    outcomes: frozenset[str]
    subject: str
    document: str
    source: str
    requires_evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreditRules:
    """Which confirmed findings become bad-conduct records: by rule, with the decisions, the evidence
    and the subject each needs. `except_rules` never make one."""

    records: Mapping[str, RecordRule] = field(default_factory=dict)
    except_rules: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path, catalogue: Mapping[str, Any] | None = None) -> CreditRules:
        """The rules of `path`, checked against `catalogue` (default: every installed service's rules)."""
        if catalogue is None:
            from newform_common.findings import rule_catalogue

            catalogue = rule_catalogue()
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls.parse(data, catalogue, where=str(path))

    @classmethod
    def parse(
        cls, data: Mapping[str, Any], catalogue: Mapping[str, Any] | None = None, *, where: str = "credit rules"
    ) -> CreditRules:
        if data.get("measures"):
            raise CreditRulesError(f"{where}: `measures` — a whole measure is never a credit basis; name the rules")
        if data.get("rules"):
            raise CreditRulesError(f"{where}: `rules` — use [[record]] tables (outcomes, subject, source)")
        records: dict[str, RecordRule] = {}
        unknown_keys = sorted(set(data) - {"record", "except_rules"})
        if unknown_keys:
            raise CreditRulesError(f"{where}: unknown keys {', '.join(unknown_keys)}")
        for raw in data.get("record", []):
            rule = raw.get("rule", "")
            extra = sorted(set(raw) - RECORD_KEYS)
            if extra:  # e.g. `except_rules` written below a [[record]] belongs to it in TOML: refused
                raise CreditRulesError(f"{where}: {rule}: unknown keys {', '.join(extra)}")
            outcomes = frozenset(raw.get("outcomes", CONFIRMING))
            if not outcomes or not outcomes <= set(CONFIRMING):
                raise CreditRulesError(f"{where}: {rule}: outcomes must be among {', '.join(CONFIRMING)}")
            if raw.get("subject") not in SUBJECTS:
                raise CreditRulesError(f"{where}: {rule}: subject must be one of {', '.join(SUBJECTS)}")
            if not raw.get("source") or not raw.get("document"):
                raise CreditRulesError(f"{where}: {rule}: a record cites its document and source")
            if rule in records:
                raise CreditRulesError(f"{where}: {rule} twice")
            records[rule] = RecordRule(
                rule, outcomes, raw["subject"], raw["document"], raw["source"], tuple(raw.get("requires_evidence", ()))
            )
        rules = cls(records, frozenset(data.get("except_rules", [])))
        rules.check(catalogue, where=where)
        return rules

    def check(self, catalogue: Mapping[str, Any] | None = None, *, where: str = "credit rules") -> None:
        """Every id (records and `except_rules`) a well-formed rule id, no rule both made and excepted,
        and — given the rule catalogue (`newform_common.findings.rule_catalogue()`) — each a finding
        some service raises: a typo is an error, never a rule that silently lists or silently doesn't."""
        ids = [*self.records, *self.except_rules]
        bad = sorted(i for i in ids if not RULE_ID.match(i))
        if bad:
            raise CreditRulesError(f"{where}: not rule ids: {', '.join(bad)}")
        both = sorted(set(self.records) & self.except_rules)
        if both:
            raise CreditRulesError(f"{where}: both a record rule and an except rule: {', '.join(both)}")
        if catalogue:
            unknown = sorted(
                i for i in ids if i not in catalogue or getattr(catalogue[i], "kind", "finding") != "finding"
            )
            if unknown:
                raise CreditRulesError(f"{where}: no service raises these as findings: {', '.join(unknown)}")

    def record_rule(self, rule: str, outcome: str | None, evidence: Mapping[str, Any]) -> RecordRule | None:
        """The record rule a decision of `rule` with `outcome` and this evidence meets, else None."""
        spec = self.records.get(rule)
        if spec is None or rule in self.except_rules or outcome not in spec.outcomes:
            return None
        if any(not evidence.get(key) for key in spec.requires_evidence):
            return None
        return spec

    def applies(self, measure: str, rule: str) -> bool:
        """Whether `rule` can make a record at all (some outcome, some evidence)."""
        return rule in self.records and rule not in self.except_rules


# -- the basis in force on a day -----------------------------------------------------------------------------
def measures_in_force(on: date) -> bool:
    """Whether the measures themselves (not provisionally, after their lapse) are in force on `on`."""
    try:
        return not get_policy().measures_status(on).provisional
    except PolicyNotInForce:
        return False


def record_basis(spec: RecordRule, *, measure: str, summary: str, decided_on: date, fact_on: date | None) -> dict:
    """What a record rests on, as in force on the day it was decided. A record under the measures (item 6)
    decided after their lapse rests on them as the source in force on the fact's own date, and says so
    (`provisional`): the measures have no successor for it."""
    in_force = measures_in_force(decided_on)
    basis = {
        "document": spec.document,
        "measure": measure,
        "rule": spec.rule,
        "summary": summary,
        "sources": [spec.source],
        "decided_on": decided_on.isoformat(),
    }
    if spec.document == MEASURES_DOCUMENT and not in_force:
        basis["provisional"] = True
        basis["note"] = (
            f"{MEASURES_DOCUMENT} lapsed before {decided_on.isoformat()}; the record rests on it as "
            f"in force on the fact's date{(' (' + fact_on.isoformat() + ')') if fact_on else ''}"
        )
    return basis


def listing_basis(decided_on: date, *, condition: str, order: Mapping[str, Any], summary: str) -> dict:
    """A listing rests on the 办法 (arts. 5, 13), in force from 2022-01-01 and not lapsing with the
    measures; item 19 of the measures is cited beside it only on days they are in force."""
    policy = get_policy()
    try:
        term_source = policy.value_with_source("wages.arrears_credit_list.listed_years", decided_on).source
    except (KeyError, PolicyNotInForce):
        term_source = "人力资源社会保障部令第45号"
    sources = [f"{LIST_DOCUMENT} art. 5 (列入条件), art. 13 (期限); {term_source}"]
    if measures_in_force(decided_on):
        sources.append(f"{MEASURES_DOCUMENT} item 19: 依法实施失信联合惩戒")
    return {
        "document": LIST_DOCUMENT,
        "measure": "M19",
        "rule": "M19.wage_arrears_list",
        "condition": condition,
        "summary": summary,
        "sources": sources,
        "decided_on": decided_on.isoformat(),
        "order": dict(order),
    }


# -- records ------------------------------------------------------------------------------------------------
def debt_key(rule: str, subject_credit_code: str | None, evidence: Mapping[str, Any]) -> str | None:
    """One debt, one record (W-2): arrears are keyed by the debt — the wages service's own debt id when
    it names one, else the unit, the contract and the pay period — so two clocks (a statement's, a
    period's) noticing the same unpaid pay make one record. Other rules: None (one per alert)."""
    if rule != "M6.wage_arrears":
        return None
    if evidence.get("debt_id"):
        return f"{rule}|{evidence['debt_id']}"[:300]
    if not (evidence.get("contract_id") and evidence.get("period_start")):
        return None
    return (
        f"{rule}|{subject_credit_code or evidence.get('related_unit_id')}|{evidence['contract_id']}|"
        f"{evidence['period_start']}|{evidence.get('period_end', '')}"
    )[:300]


def _finding_evidence(alert: Alert, spec: RecordRule | None = None) -> dict[str, Any]:
    """The evidence of the alert's finding that meets the rule (the first occurrence that does)."""
    for entry in alert.evidence or []:
        ev = entry.get("evidence") or {}
        if spec is None or all(ev.get(k) for k in spec.requires_evidence):
            return ev
    return {}


def record_rule_for(rules: CreditRules, alert: Alert, outcome: str | None) -> RecordRule | None:
    spec = rules.records.get(alert.rule)
    return rules.record_rule(alert.rule, outcome, _finding_evidence(alert, spec)) if spec else None


async def subject_of(
    session: AsyncSession, spec: RecordRule, alert: Alert, evidence: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    """(credit code, name) of the record's subject: the related unit's own from the finding, or the
    finding's enterprise as contracts registered it. Never the platform in its place."""
    if spec.subject == "related_unit":
        return evidence.get("credit_code"), evidence.get("unit_name")
    if not alert.enterprise_id:
        return None, None
    enterprise = await session.get(Enterprise, alert.enterprise_id)
    if enterprise is None or not enterprise.credit_code:
        return None, None
    return enterprise.credit_code, enterprise.name


async def credit_record_for(
    session: AsyncSession, alert: Alert, spec: RecordRule, *, actor: str, at: datetime, resolution_event_id: str
) -> CreditRecord | None:
    """The record with its evidence chain (the source events about the subject, every finding, the
    confirming resolution), or None when the debt has its record already (the alert joins its chain)."""
    evidence = _finding_evidence(alert, spec)
    code, name = await subject_of(session, spec, alert, evidence)
    key = debt_key(alert.rule, code, evidence)
    chain: list[dict[str, Any]] = []
    rows = await session.execute(
        text(
            "select event_id, type, time from event_log where data ->> :field = :subject "
            "and type not like '%.finding.raised.v1' order by time, seq limit 100"
        ),
        {"field": f"{alert.subject_type}_id", "subject": alert.subject_id},
    )
    for event_id, type_, time in rows:
        chain.append({"event_id": event_id, "type": type_, "time": time.isoformat(), "role": "source"})
    for e in alert.evidence:
        chain.append(
            {
                "event_id": e["event_id"],
                "type": e["type"],
                "time": e["observed_at"],
                "role": "finding",
                "finding_id": e["finding_id"],
            }
        )
    chain.append(
        {
            "event_id": resolution_event_id,
            "type": "gateway.alert.resolved.v1",
            "time": at.isoformat(),
            "role": "confirmation",
            "alert_id": alert.alert_id,
        }
    )
    if key is not None:
        # two alerts of one debt decided at once: the second waits here and joins the first's record
        await session.execute(text("select pg_advisory_xact_lock(hashtext(:k))"), {"k": key})
        existing = (
            await session.execute(select(CreditRecord).where(CreditRecord.debt_key == key).with_for_update())
        ).scalar_one_or_none()
        if existing is not None:  # the same debt, noticed by another clock: one record, both alerts in it
            existing.evidence_chain = [*existing.evidence_chain, *[c for c in chain if c["role"] != "source"]]
            return None
    fact_on = _fact_date(evidence)
    return CreditRecord(
        record_id=f"cr_{alert.alert_id}"[:100],
        alert_id=alert.alert_id,
        measure=alert.measure,
        rule=alert.rule,
        subject_type=alert.subject_type,
        subject_id=alert.subject_id,
        platform_id=alert.platform_id,
        enterprise_id=alert.enterprise_id,
        summary=alert.summary,
        evidence_chain=chain,
        confirmed_by=actor,
        confirmed_at=at,
        subject_credit_code=code,
        subject_name=name,
        subject_known_at=at if code else None,
        debt_key=key,
        basis=record_basis(
            spec, measure=alert.measure, summary=alert.summary, decided_on=business_date(at), fact_on=fact_on
        ),
    )


def _fact_date(evidence: Mapping[str, Any]) -> date | None:
    for k in ("due_date", "period_end", "observed_on"):
        try:
            return date.fromisoformat(str(evidence[k]))
        except (KeyError, ValueError):
            continue
    return None


async def release_held(session: AsyncSession, enterprise_ids: Iterable[str], at: datetime | None = None) -> None:
    """Records held because their enterprise was unknown get their subject once contracts registers it
    (called after the enterprises of a batch are projected). The record is exported on the day it is
    released, not earlier: a day already sent is never changed."""
    ids = sorted(set(enterprise_ids))
    if not ids:
        return
    await session.execute(
        text(
            "update credit_records r set subject_credit_code = e.credit_code, subject_name = e.name, "
            "subject_known_at = greatest(r.confirmed_at, :at) from enterprises e "
            "where r.subject_known_at is null and r.enterprise_id = e.enterprise_id and e.credit_code is not null "
            "and r.enterprise_id = any(:ids)"
        ),
        {"ids": ids, "at": at or clock.now()},
    )


# -- listings (办法) ----------------------------------------------------------------------------------------
class CreditListing(GatewayModel, table=True):
    """A listing on the wage-arrears joint-punishment list, decided by hrss on a verified order to pay."""

    __tablename__ = "credit_listings"

    listing_id: str = Column(primary_key=True, max_length=100)
    subject_credit_code: str = Column(max_length=40, index=True)
    subject_name: str | None = Column(default=None, max_length=200)
    inspection_fact_id: str = Column(max_length=40, unique=True)
    order_reference: str = Column(max_length=100)
    condition: str = Column(max_length=80)
    arrears_fen: int = Column(sa_column=SAColumn(BigInteger, nullable=False))
    decided_on: date
    valid_until: date
    issuing_department: str = Column(max_length=60)
    actor: str = Column(max_length=200)
    record_ids: list[str] = json_field()
    basis: dict[str, Any] = json_field()
    note: str | None = None
    event_id: str = Column(max_length=64, unique=True)
    at: datetime = timestamp_field()


@event_type("gateway.credit_listing.decided.v1", key="listing_id")
class CreditListingDecided(DomainEvent):
    """hrss listed an employer on the wage-arrears list (办法); in the log so that a rebuild replays it."""

    listing_id: str
    subject_credit_code: str
    subject_name: str | None = None
    inspection_fact_id: str
    order_reference: str
    condition: str
    arrears_fen: int
    decided_on: date
    valid_until: date
    issuing_department: str
    actor: str
    record_ids: list[str] = Field(default_factory=list)
    basis: dict[str, Any]
    note: str | None = None
    at: datetime


class ListingRefused(Exception):
    def __init__(self, message: str, slug: str = "listing-conditions-not-met"):
        super().__init__(message)
        self.slug = slug


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _policy(name: str, on: date, default: Any = None) -> Any:
    try:
        return get_policy().value(name, on)
    except (KeyError, PolicyNotInForce):
        if default is None:
            raise
        return default


def refusal_threshold_fen(which: str, on: date) -> int:
    """The refusal-to-pay amount (`single_worker` | `many_workers`): the province's figure when the policy
    holds it (`wages.refusal_to_pay.<which>_amount_fen`), else the top of the national range — a figure
    reached under every province's standard, so an unknown provincial figure never lists too early."""
    try:
        return int(get_policy().value(f"wages.refusal_to_pay.{which}_amount_fen", on))
    except (KeyError, PolicyNotInForce):
        return int(_policy(f"wages.refusal_to_pay.{which}_amount_fen_range", on)[1])


def threshold_reached(fields: Mapping[str, Any], on: date) -> tuple[bool, str]:
    """Whether the arrears the inspection confirmed reach the refusal-to-pay threshold (法释〔2013〕3号
    art. 3): one worker unpaid ≥ N months for at least the single-worker amount, or ≥ M workers for at
    least the many-workers amount. Returns (reached, why)."""
    amount = int(fields.get("confirmed_amount_fen") or 0)
    months = int(fields.get("months_unpaid") or 0)
    workers = int(fields.get("workers_affected") or (1 if fields.get("worker_id") else 0))
    min_months = int(_policy("wages.refusal_to_pay.min_months_unpaid", on))
    min_workers = int(_policy("wages.refusal_to_pay.min_workers", on))
    single, many = refusal_threshold_fen("single_worker", on), refusal_threshold_fen("many_workers", on)
    if workers >= min_workers and amount >= many:
        return True, f"{workers} workers, {amount} fen ≥ {many} fen"
    if workers >= 1 and months >= min_months and amount >= single:
        return True, f"{months} months unpaid, {amount} fen ≥ {single} fen"
    return False, (
        f"{amount} fen for {workers or 'an unstated number of'} worker(s) over {months} month(s): below "
        f"{single} fen and {min_months} months (one worker) or {many} fen and {min_workers} workers"
    )


def listing_condition(fact: DepartmentFact, decided_on: date) -> tuple[str, str]:
    """Which of the 办法's conditions (policy `wages.arrears_credit_list.listing_conditions`) the
    department's inspection result records, or `ListingRefused`. Art. 5 needs the written order to pay
    by a deadline ignored in both cases (经…责令限期支付工资，逾期未支付的), then the threshold reached or
    a mass incident."""
    f = fact.fields
    if fact.kind != "inspection_result" or f.get("matter") != "arrears":
        raise ListingRefused("A listing rests on labour inspection's result on arrears (an inspection_result fact)")
    if fact.department != LISTING_DEPARTMENT:
        raise ListingRefused("The order to pay is labour inspection's (hrss)")
    if not f.get("ordered_to_pay_by"):
        raise ListingRefused("No written order to pay by a deadline (责令限期支付) is recorded")
    deadline = date.fromisoformat(str(f["ordered_to_pay_by"]))
    if not f.get("order_ignored"):
        raise ListingRefused("The department has not recorded the order to pay as ignored (逾期未支付)")
    if decided_on <= deadline:
        raise ListingRefused(
            f"The order's deadline ({deadline.isoformat()}) has not passed on {decided_on.isoformat()}"
        )
    conditions = _policy("wages.arrears_credit_list.listing_conditions", decided_on)
    reached, why = threshold_reached(f, decided_on)
    if "ignored_payment_order_and_refusal_threshold_reached" in conditions and reached:
        return "ignored_payment_order_and_refusal_threshold_reached", why
    if "mass_incident" in conditions and f.get("mass_incident"):
        return "mass_incident", "the arrears caused a mass or extreme incident (群体性事件、极端事件)"
    raise ListingRefused(f"Neither the refusal-to-pay threshold ({why}) nor a mass incident is recorded")


def early_removal_from(decided_on: date, corrected_on: date) -> date:
    """The first day removal may be granted: `removal_after_correction_months` after the correction — and
    never sooner after the listing itself (a correction before the listing does not shorten it)."""
    months = int(_policy("wages.arrears_credit_list.removal_after_correction_months", decided_on))
    return add_months(max(corrected_on, decided_on), months)


def _not_future(**days: date) -> None:
    today = business_today()
    for name, day in days.items():
        if day > today:
            raise Unprocessable(f"{name} ({day.isoformat()}) lies in the future", slug="date-in-future")


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


async def _subject_name(session: AsyncSession, code: str) -> str | None:
    row = (
        await session.execute(
            text(
                "select name from enterprises where credit_code = :c union all "
                "select name from wage_related_units where credit_code = :c limit 1"
            ),
            {"c": code},
        )
    ).first()
    return row[0] if row else None


async def apply_listing(session: AsyncSession, event_id: str, e: CreditListingDecided) -> None:
    if await session.get(CreditListing, e.listing_id) is not None:
        return
    session.add(CreditListing(event_id=event_id, **e.model_dump()))


async def project_listing(session: AsyncSession, envelope: Envelope, ctx: Any) -> None:
    """Replay of `gateway.credit_listing.decided.v1` (live, the API applied it already: a no-op)."""
    await apply_listing(session, envelope.id, CreditListingDecided.model_validate(envelope.data))


async def decide_listing(session: AsyncSession, principal: Principal, body: ListingCreate) -> CreditListing:
    if routing.department_key(principal) != LISTING_DEPARTMENT:
        raise Forbidden("Listing on the wage-arrears list is hrss's decision (办法 art. 5)")
    _not_future(decided_on=body.decided_on)
    fact = await session.get(DepartmentFact, body.inspection_fact_id)
    if fact is None:
        raise NotFound(f"No inspection result {body.inspection_fact_id!r} from the departments service")
    if body.decided_on < business_date(fact.observed_at):
        raise Unprocessable(
            f"The listing is decided on {body.decided_on.isoformat()}, before the department "
            f"established the facts it rests on ({business_date(fact.observed_at).isoformat()})",
            slug="invalid-date-range",
        )
    try:
        condition, why = listing_condition(fact, body.decided_on)
    except ListingRefused as exc:
        raise Unprocessable(str(exc), slug=exc.slug) from None
    code = str(fact.fields.get("employer_credit_code"))
    if body.record_ids:
        records = (
            (await session.execute(select(CreditRecord).where(CreditRecord.record_id.in_(body.record_ids))))
            .scalars()
            .all()
        )
        if {r.record_id for r in records} != set(body.record_ids) or any(
            r.subject_credit_code != code for r in records
        ):
            raise Unprocessable(
                "Every record a listing rests on is a record of the same subject", slug="listing-records-mismatch"
            )
    if (
        await session.execute(select(CreditListing).where(CreditListing.inspection_fact_id == fact.fact_id))
    ).scalar_one_or_none() is not None:
        raise Conflict(f"The order {fact.reference} has a listing already", slug="listing-exists")
    years = int(_policy("wages.arrears_credit_list.listed_years", body.decided_on))
    at = clock.now()
    order = {
        "fact_id": fact.fact_id,
        "reference": fact.reference,
        "department": fact.department,
        "ordered_to_pay_by": fact.fields.get("ordered_to_pay_by"),
        "inspected_on": fact.fields.get("inspected_on"),
    }
    summary = f"责令限期支付（{fact.reference}）逾期未支付；{why}"
    event = CreditListingDecided(
        listing_id=f"cl_{fact.fact_id}"[:100],
        subject_credit_code=code,
        subject_name=fact.fields.get("employer_name") or await _subject_name(session, code),
        inspection_fact_id=fact.fact_id,
        order_reference=fact.reference,
        condition=condition,
        arrears_fen=int(fact.fields.get("confirmed_amount_fen") or 0),
        decided_on=body.decided_on,
        valid_until=add_years(body.decided_on, years) - timedelta(days=1),
        issuing_department=LISTING_DEPARTMENT,
        actor=principal.subject,
        record_ids=body.record_ids,
        basis=listing_basis(body.decided_on, condition=condition, order=order, summary=summary),
        note=body.note,
        at=at,
    )
    envelope = record_event(session, event, time=at)
    await apply_listing(session, envelope.id, event)
    await session.flush()
    return await session.get(CreditListing, event.listing_id)


async def listing_public(session: AsyncSession, row: CreditListing) -> ListingPublic:
    from .credit_export import CreditListingEnd

    end = await session.get(CreditListingEnd, row.listing_id)
    return ListingPublic.model_validate(row).model_copy(
        update={"ended_on": end.ended_on if end else None, "end_kind": end.kind if end else None}
    )


async def remove_early(session: AsyncSession, principal: Principal, listing_id: str, body: EarlyRemovalCreate):
    """Grant early removal (办法: 6 months after correcting, with a written credit commitment) — refused
    before then. Recorded as the listing's end (`removal`), exported on the day it is granted."""
    from .credit_export import CreditListingEnd, CreditListingEnded, apply_end

    listing = (
        await session.execute(select(CreditListing).where(CreditListing.listing_id == listing_id).with_for_update())
    ).scalar_one_or_none()
    if listing is None:
        raise NotFound(f"No listing {listing_id!r}")
    department = routing.department_key(principal)
    if not principal.is_oversight() and department != listing.issuing_department:
        raise Forbidden("Only the department that listed (or the regulator) removes a listing")
    _not_future(corrected_on=body.corrected_on, requested_on=body.requested_on)
    if body.requested_on < listing.decided_on or body.corrected_on > body.requested_on:
        raise Unprocessable("A request comes after the listing and after the correction", slug="invalid-date-range")
    if not body.credit_commitment:
        raise Unprocessable(
            "Early removal needs the unit's written credit commitment (书面信用承诺)", slug="credit-commitment-required"
        )
    eligible = early_removal_from(listing.decided_on, body.corrected_on)
    if body.requested_on < eligible:
        raise Unprocessable(
            f"Early removal may be granted from {eligible.isoformat()} (six months after the "
            f"correction on {body.corrected_on.isoformat()}); asked on {body.requested_on.isoformat()}",
            slug="removal-too-early",
        )
    if await session.get(CreditListingEnd, listing_id) is not None:
        raise Conflict(f"The listing {listing_id} has already ended", slug="listing-ended")
    at = clock.now()
    event = CreditListingEnded(
        record_id=listing_id,
        kind="removal",
        ended_on=body.requested_on,
        reason=body.reason,
        actor=principal.subject,
        actor_department=department,
        at=at,
        corrected_on=body.corrected_on,
        requested_on=body.requested_on,
    )
    envelope = record_event(session, event, time=at)
    await apply_end(session, envelope.id, event)
    await session.flush()
    return listing


# -- API ---------------------------------------------------------------------------------------------------
#: Mounted under /v1 by credit_export.router.
router = APIRouter()
Decider = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]
Reader = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]


@router.post(
    "/credit-listings",
    tags=["credit"],
    status_code=201,
    response_model=ListingPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="List an employer on the wage-arrears list (办法 art. 5; hrss) on labour inspection's ignored "
    "order to pay plus the refusal-to-pay threshold or a mass incident; listed 3 years",
    **HONOURS_KEY,
)
async def create_listing(body: ListingCreate, request: Request, session: SessionDep, principal: Decider):
    async def produce():
        row = await decide_listing(session, principal, body)
        return await listing_public(session, row)

    return await idempotent(request, session, principal, body, produce, status_code=201)


@router.get(
    "/credit-listings",
    tags=["credit"],
    response_model=list[ListingPublic],
    responses=problem_responses(401, 403),
    summary="Listings on the wage-arrears list, with basis, term and any early removal",
)
async def list_listings(session: SnapshotDep, principal: Reader, credit_code: str | None = None):
    q = select(CreditListing).order_by(CreditListing.decided_on, CreditListing.listing_id)
    if credit_code:
        q = q.where(CreditListing.subject_credit_code == credit_code)
    return [await listing_public(session, r) for r in (await session.execute(q)).scalars()]


@router.post(
    "/credit-listings/{listing_id}/early-removal",
    tags=["credit"],
    response_model=ListingPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Grant early removal from the wage-arrears list: from 6 months after the arrears were "
    "corrected, with a written credit commitment (办法); refused (422 removal-too-early) before",
    **HONOURS_KEY,
)
async def early_removal(
    listing_id: str, body: EarlyRemovalCreate, request: Request, session: SessionDep, principal: Decider
):
    async def produce():
        row = await remove_early(session, principal, listing_id, body)
        return await listing_public(session, row)

    return await idempotent(request, session, principal, body, produce, status_code=200)
