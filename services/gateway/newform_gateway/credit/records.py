"""Bad-conduct **records** (不良行为记录, M6, M19): what the measures ask — a related unit's confirmed wage
arrears go into credit management under the unit's own credit code (宁政办〔2022〕41号 item 6). A record
is made when the lead department confirms an alert of a rule in `credit_rules.toml` (`rules.CreditRules`),
one per debt, for its own subject only (never the platform in the subject's place: unknown → held until
known). It has no fixed term; it ends by repair or removal (`listings.end_listing`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import clock
from newform_common.policy import business_date

from ..alerts.models import Alert
from . import repository
from .models import CreditRecord
from .rules import CreditRules, RecordRule, debt_key, record_basis


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
    enterprise = await repository.get_enterprise(session, alert.enterprise_id)
    if enterprise is None or not enterprise.credit_code:
        return None, None
    return enterprise.credit_code, enterprise.name


def _evidence_chain(alert: Alert, sources: Iterable[tuple[str, str, datetime]], resolution_event_id: str, at: datetime):
    """The source events about the subject, every finding, the confirming resolution."""
    chain: list[dict[str, Any]] = []
    for event_id, type_, time in sources:
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
    return chain


async def credit_record_for(
    session: AsyncSession, alert: Alert, spec: RecordRule, *, actor: str, at: datetime, resolution_event_id: str
) -> CreditRecord | None:
    """The record with its evidence chain (the source events about the subject, every finding, the
    confirming resolution), or None when the debt has its record already (the alert joins its chain)."""
    evidence = _finding_evidence(alert, spec)
    code, name = await subject_of(session, spec, alert, evidence)
    key = debt_key(alert.rule, code, evidence)
    sources = await repository.source_events(session, f"{alert.subject_type}_id", alert.subject_id)
    chain = _evidence_chain(alert, sources, resolution_event_id, at)
    if key is not None:
        # two alerts of one debt decided at once: the second waits here and joins the first's record
        existing = await repository.lock_debt_record(session, key)
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
    await repository.release_held_records(session, ids, at or clock.now())
