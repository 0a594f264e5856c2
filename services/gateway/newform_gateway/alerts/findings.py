"""Findings (`<service>.finding.raised.v1`, from any service) as the alert path reads them, and where a
finding goes: the district and occupations routing needs, the measure's handling deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from newform_common.events import Envelope
from newform_common.findings import MEASURE_ID, RULE_ID
from newform_common.policy import PolicyNotInForce, get_policy

from . import routing
from .models import SEVERITY_RANK

FINDING_SUFFIX = ".finding.raised.v1"


def is_finding(event_type: str) -> bool:
    return event_type.endswith(FINDING_SUFFIX)


def deadline_days(measure: str, on: date | datetime, default: int) -> int:
    """The measure's handling deadline in days, from the policy in force; `default` if it has none."""
    policy = get_policy()
    try:
        return policy.alert_deadline_days(measure, routing.policy_date(policy, on))
    except (KeyError, PolicyNotInForce):
        return default


def parse_time(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
    return fallback


@dataclass(frozen=True)
class Finding:
    finding_id: str
    measure: str
    rule: str
    severity: str
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


def parse_finding(envelope: Envelope) -> Finding | None:
    """A finding from any service, read leniently (services add their own fields); None if unusable."""
    d = envelope.data
    measure, rule = d.get("measure"), d.get("rule")
    if not (
        isinstance(measure, str)
        and MEASURE_ID.match(measure)
        and isinstance(rule, str)
        and RULE_ID.match(rule)
        and d.get("subject_id")
        and d.get("finding_id")
    ):
        return None
    severity = d.get("severity") if d.get("severity") in SEVERITY_RANK else "medium"
    return Finding(
        finding_id=str(d["finding_id"]),
        measure=measure,
        rule=rule,
        severity=severity,
        summary=str(d.get("summary") or rule),
        subject_type=str(d.get("subject_type") or "unknown"),
        subject_id=str(d["subject_id"]),
        platform_id=d.get("platform_id"),
        enterprise_id=d.get("enterprise_id"),
        worker_id=d.get("worker_id"),
        occupation=d.get("occupation"),
        district=d.get("district"),
        evidence=d.get("evidence") if isinstance(d.get("evidence"), dict) else {},
        observed_at=parse_time(d.get("observed_at"), envelope.time),
    )


def routing_facts(
    finding: Finding, enterprises: dict[str, tuple[str | None, list[Any]]]
) -> tuple[str | None, list[str]]:
    """Where a finding is routed (the district) and which occupations' sector regulators join, beyond the
    finding's own occupation. An M3 finding (cooperative employment) is about the cooperating
    enterprise: its registered district, not where the worker lives. A finding without a district (a
    platform's rule notice, M10) goes to the district where the platform is registered, and the sector
    regulators of the occupations the platform declared join when the finding names none.
    `enterprises`: (district, occupations) of the enterprises `enterprises_to_read` names."""
    enterprise = None
    if finding.measure == "M3" and finding.enterprise_id:
        enterprise = enterprises.get(finding.enterprise_id)
    if (enterprise is None or not enterprise[0]) and not finding.district:
        enterprise = enterprises.get(finding.platform_id or finding.enterprise_id or "")
    if enterprise is None or not enterprise[0]:
        return finding.district, []
    district, declared = enterprise
    occupations = [] if finding.occupation else [o for o in declared if isinstance(o, str)]
    return district, occupations


def enterprises_to_read(finding: Finding) -> list[str]:
    """The enterprises `routing_facts` may look at for this finding."""
    ids = []
    if finding.measure == "M3" and finding.enterprise_id:
        ids.append(finding.enterprise_id)
    if not finding.district:
        ids.append(finding.platform_id or finding.enterprise_id or "")
    return ids
