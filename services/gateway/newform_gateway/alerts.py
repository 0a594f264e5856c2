"""Alerts from findings (any `<service>.finding.raised.v1`): routing, dedupe, lifecycle, deadlines,
credit records.

Lifecycle: open → acknowledged → resolved; open → resolved is allowed too. Who may do what (M16, M20):
every department the alert is routed to (and the regulator) acknowledges and comments; only the
measure's lead department — the first unit the policy lists — decides, with one of `OUTCOMES`: the
finding confirmed, or the policy's 约谈 / 警示 / 查处 (interviewed, warned, penalized: each confirms
it), or dismissed. A confirming decision of a rule in the credit rules makes a credit record. Every
step is a `gateway.alert.*.v1` event (on gateway.events, so a rebuild replays it) and an
`alert_transitions` row with action, actor, time and note. The same rule firing again for the same
subject while the alert is not resolved adds an occurrence and its evidence to that alert.
Overdue = not resolved and past `due_at`, where `due_at` = raised + the measure's handling deadline
(`alerts.handling_deadline_days.<M>`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import bulk
from newform_common.db import driver_connection
from newform_common.events import Envelope
from newform_common.findings import MEASURE_ID, RULE_ID
from newform_common.policy import PolicyNotInForce, business_date, get_policy

from . import credit, routing
from .credit import CreditRules
from .models import Alert, AlertRoute, AlertTransition, WebhookDelivery

log = logging.getLogger(__name__)

FINDING_SUFFIX = ".finding.raised.v1"
OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
COMMENTED = "commented"  # an action that leaves the status as it is
#: The lead department's decisions: 约谈 interviewed, 警示 warned, 查处 penalized (宁政办〔2022〕41号 item 20)
#: each confirm the finding as `confirmed` does; `dismissed` does not.
CONFIRMING_OUTCOMES = ("confirmed", "interviewed", "warned", "penalized")
OUTCOMES = (*CONFIRMING_OUTCOMES, "dismissed")
SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2}


def is_finding(event_type: str) -> bool:
    return event_type.endswith(FINDING_SUFFIX)


@dataclass(frozen=True)
class Context:
    """What projections need besides the event: configuration that is not policy."""

    credit_rules: CreditRules
    deadline_default_days: int = 15
    #: Off in a rebuild: it has no webhooks, and old alerts are not re-sent.
    webhooks: bool = True


def deadline_days(measure: str, on: date | datetime, default: int) -> int:
    """The measure's handling deadline in days, from the policy in force; `default` if it has none."""
    policy = get_policy()
    try:
        return policy.alert_deadline_days(measure, routing.policy_date(policy, on))
    except (KeyError, PolicyNotInForce):
        return default


def _parse_time(value: Any, fallback: datetime) -> datetime:
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
        observed_at=_parse_time(d.get("observed_at"), envelope.time),
    )


def alert_payload(alert: Alert, event: str = "alert.raised") -> dict[str, Any]:
    """What a webhook receives about an alert (JSON-ready): `event` is alert.raised,
    alert.acknowledged or alert.resolved; the rest is the alert as it stands."""
    return payload_of_row({c: getattr(alert, c) for c in _PAYLOAD_COLUMNS}, event)


_PAYLOAD_COLUMNS = (
    "alert_id",
    "measure",
    "rule",
    "severity",
    "summary",
    "subject_type",
    "subject_id",
    "platform_id",
    "enterprise_id",
    "worker_id",
    "occupation",
    "district",
    "departments",
    "status",
    "raised_at",
    "due_at",
    "evidence",
    "resolution",
)


def payload_of_row(row: dict[str, Any], event: str) -> dict[str, Any]:
    """`alert_payload` of an alert held as a row (a dict of its columns)."""
    return {
        "event": event,
        **{c: row[c] for c in _PAYLOAD_COLUMNS},
        "raised_at": row["raised_at"].isoformat(),
        "due_at": row["due_at"].isoformat(),
    }


async def queue_deliveries(session: AsyncSession, alert: Alert, event: str) -> None:
    """Outbox-like: a delivery row per subscribed webhook (the departments the alert is routed to, its
    platform), in the transaction that changed the alert (the deliverer sends it until received)."""
    from .webhooks import subscribed_hooks  # deferred: webhooks imports queries, which imports this module

    hooks = await subscribed_hooks(session, alert)
    payload = alert_payload(alert, event)
    for hook in hooks:
        session.add(
            WebhookDelivery(
                delivery_id=f"dlv_{uuid.uuid4().hex}",
                webhook_id=hook.id,
                alert_id=alert.alert_id,
                payload={**payload, "department": hook.department},
                next_attempt_at=datetime.now(UTC),
            )
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


_ALERT_COLUMNS = tuple(c.name for c in Alert.__table__.columns)
_ALERT_JSON_COLUMNS = ("departments", "evidence")
#: What another finding of an open alert changes (the rest stays as the first finding made it).
_OCCURRENCE_COLUMNS = ("severity", "occurrences", "evidence", "last_observed_at")


async def project_findings(session: AsyncSession, envelopes: list[Envelope], ctx: Context) -> None:
    """A run of findings (in order) into alerts, set-based: the open alerts of their (rule, subject),
    the alert ids already taken and the enterprises routing needs are read with one statement each;
    the findings are folded in order in memory; then one statement per table writes the alerts, the
    new alerts' routes and (unless `ctx.webhooks` is off, as in a rebuild) their webhook deliveries.

    Per finding, as one at a time would: the same rule firing again for the same subject while its
    alert is not resolved adds an occurrence and its evidence (the same finding id twice adds
    nothing); otherwise a new alert `alr_<finding id>`, unless that id is taken (the finding made an
    alert already, since resolved), routed (M16) and due after the measure's handling deadline."""
    findings: list[tuple[Envelope, Finding]] = []
    for envelope in envelopes:
        finding = parse_finding(envelope)
        if finding is None:
            log.warning(
                "finding %s (%s) lacks measure/rule/subject; kept in the event log only", envelope.id, envelope.type
            )
            continue
        findings.append((envelope, finding))
    if not findings:
        return
    conn = await driver_connection(session)
    selected = ", ".join(f"{c}::text" if c in _ALERT_JSON_COLUMNS else c for c in _ALERT_COLUMNS)
    open_rows = await conn.fetch(
        f"select {selected} from alerts where status <> '{RESOLVED}' and (rule, subject_id) in "
        "(select * from unnest($1::text[], $2::text[])) for update",
        [f.rule for _, f in findings],
        [f.subject_id for _, f in findings],
    )
    open_alerts: dict[tuple[str, str], dict[str, Any]] = {}
    for record in open_rows:
        row = dict(zip(_ALERT_COLUMNS, record, strict=True))
        for c in _ALERT_JSON_COLUMNS:
            row[c] = orjson.loads(row[c])
        open_alerts[(row["rule"], row["subject_id"])] = row
    taken_ids = {
        r[0]
        for r in await conn.fetch(
            "select alert_id from alerts where alert_id = any($1::text[])", [_alert_id(f) for _, f in findings]
        )
    }
    wanted = sorted({i for _, f in findings for i in enterprises_to_read(f)})
    enterprises = (
        {
            r[0]: (r[1], orjson.loads(r[2]) if r[2] else [])
            for r in await conn.fetch(
                "select enterprise_id, district, occupations::text from enterprises where enterprise_id = "
                "any($1::text[])",
                wanted,
            )
        }
        if wanted
        else {}
    )

    hooks = await _active_hooks(conn) if ctx.webhooks else {}

    finding_ids = {key: {e.get("finding_id") for e in row["evidence"]} for key, row in open_alerts.items()}
    changed: dict[str, dict[str, Any]] = {}  # alert id → its row as it now stands (new or with occurrences)
    new_ids: list[str] = []
    deliveries: list[dict[str, Any]] = []  # the new alerts' "alert.raised", as each was raised
    routes: dict[tuple, list[str]] = {}
    deadlines: dict[tuple[str, date], int] = {}
    for envelope, finding in findings:
        entry = {
            "finding_id": finding.finding_id,
            "event_id": envelope.id,
            "type": envelope.type,
            "observed_at": finding.observed_at.isoformat(),
            "severity": finding.severity,
            "summary": finding.summary,
            "evidence": finding.evidence,
        }
        key = (finding.rule, finding.subject_id)
        existing = open_alerts.get(key)
        if existing is not None:
            if finding.finding_id in finding_ids[key]:
                continue  # the same finding published twice (a service retried); nothing new
            finding_ids[key].add(finding.finding_id)
            existing["occurrences"] += 1
            existing["evidence"] = [*existing["evidence"], entry]
            existing["last_observed_at"] = max(existing["last_observed_at"], finding.observed_at)
            if SEVERITY_RANK[finding.severity] > SEVERITY_RANK.get(existing["severity"], 0):
                existing["severity"] = finding.severity
            changed[existing["alert_id"]] = existing
            continue
        alert_id = _alert_id(finding)
        if alert_id in taken_ids:
            continue  # this finding already made an alert, since resolved
        district, occupations = routing_facts(finding, enterprises)
        # The policy answers by business day: one lookup per measure, route and day in a batch.
        day = business_date(finding.observed_at)
        responsible = routing.responsible_department(finding.evidence, finding.observed_at)
        route = (finding.measure, finding.occupation, tuple(occupations), district, day, responsible)
        if route not in routes:
            routes[route] = routing.departments_for(
                finding.measure,
                occupation=finding.occupation,
                occupations=occupations,
                district=district,
                on=finding.observed_at,
                responsible=responsible,
            )
        departments = list(routes[route])
        if (finding.measure, day) not in deadlines:
            deadlines[(finding.measure, day)] = deadline_days(
                finding.measure, finding.observed_at, ctx.deadline_default_days
            )
        raised_at = envelope.time
        due_at = raised_at + timedelta(days=deadlines[(finding.measure, day)])
        row = dict(
            alert_id=alert_id,
            source_service=envelope.service,
            measure=finding.measure,
            rule=finding.rule,
            severity=finding.severity,
            summary=finding.summary,
            subject_type=finding.subject_type,
            subject_id=finding.subject_id,
            platform_id=finding.platform_id,
            enterprise_id=finding.enterprise_id,
            worker_id=finding.worker_id,
            occupation=finding.occupation,
            district=district,
            departments=departments,
            status=OPEN,
            resolution=None,
            occurrences=1,
            evidence=[entry],
            first_observed_at=finding.observed_at,
            last_observed_at=finding.observed_at,
            raised_at=raised_at,
            due_at=due_at,
            acknowledged_at=None,
            resolved_at=None,
        )
        open_alerts[key] = row
        finding_ids[key] = {finding.finding_id}
        taken_ids.add(alert_id)
        changed[alert_id] = row
        new_ids.append(alert_id)
        if hooks:
            deliveries.extend(_raised_deliveries(row, hooks))
    if not changed:
        return
    await bulk.upsert(
        session,
        Alert,
        [{c: row[c] for c in _ALERT_COLUMNS} for row in changed.values()],
        key=["alert_id"],
        update=_OCCURRENCE_COLUMNS,
    )
    await bulk.insert_new(
        session,
        AlertRoute,
        [dict(alert_id=i, department=d) for i in new_ids for d in changed[i]["departments"]],
        key=["alert_id", "department"],
    )
    await bulk.insert_new(session, WebhookDelivery, deliveries, key=["delivery_id"])


def _alert_id(finding: Finding) -> str:
    return f"alr_{finding.finding_id}"[:100]


async def _active_hooks(conn: Any) -> dict[tuple[str, str], list[int]]:
    """The active webhooks' ids by subscriber: ("department", code) or ("platform", id) — the same
    subscribers as `webhooks.subscribed_hooks`, read once for a run of findings."""
    hooks: dict[tuple[str, str], list[int]] = {}
    for hook_id, department, platform_id in await conn.fetch(
        "select id, department, platform_id from webhooks where active order by id"
    ):
        if department:
            hooks.setdefault(("department", department), []).append(hook_id)
        if platform_id:
            hooks.setdefault(("platform", platform_id), []).append(hook_id)
    return hooks


def _raised_deliveries(alert: dict[str, Any], hooks: dict[tuple[str, str], list[int]]) -> list[dict[str, Any]]:
    """`queue_deliveries(..., "alert.raised")` of a new alert held as a row: each department it is
    routed to, and the platform it is about (a platform hears of findings about itself)."""
    deliveries = []
    now = datetime.now(UTC)
    payload = payload_of_row(alert, "alert.raised")
    subscribers = [(("department", d), d) for d in dict.fromkeys(alert["departments"])]
    if alert.get("platform_id") and routing.alert_responsible(alert["evidence"]) is None:  # not about a body
        subscribers.append((("platform", alert["platform_id"]), None))
    for subscriber, department in subscribers:
        for hook_id in hooks.get(subscriber, ()):
            deliveries.append(
                dict(
                    delivery_id=f"dlv_{uuid.uuid4().hex}",
                    webhook_id=hook_id,
                    alert_id=alert["alert_id"],
                    payload={**payload, "department": department},
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                )
            )
    return deliveries


class TransitionRefused(Exception):
    """The alert is not in a state that allows the step (HTTP 409)."""


class NotTheDecider(Exception):
    """Only the measure's lead department decides an alert (HTTP 403)."""


def check_transition(
    alert: Alert,
    action: str,
    outcome: str | None,
    *,
    actor_department: str | None,
    acknowledged_by: set[str] | None = None,
) -> None:
    """Refuse a step the alert's state or the actor's role does not allow. `acknowledged_by`: the
    departments (or actors) that acknowledged it already, each acknowledges once."""
    if action == COMMENTED:
        return
    if alert.status == RESOLVED:
        raise TransitionRefused("The alert is already resolved")
    if action == ACKNOWLEDGED:
        if actor_department in (acknowledged_by or set()):
            raise TransitionRefused(f"{actor_department} has acknowledged this alert already")
        return
    lead = routing.lead_department(
        alert.measure,
        district=alert.district,
        on=alert.first_observed_at,
        responsible=routing.alert_responsible(alert.evidence),
    )
    if actor_department is None or actor_department != lead:
        raise NotTheDecider(
            f"The lead department of {alert.measure} ({lead}) decides this alert; "
            "other departments acknowledge and comment"
        )
    if outcome not in OUTCOMES:
        raise TransitionRefused(f"A decision needs an outcome: one of {', '.join(OUTCOMES)}")


def acknowledger(actor_department: str | None, actor: str) -> str:
    """Who an acknowledgement counts for: the department, or the regulator/admin person."""
    return actor_department or f"actor:{actor}"


async def acknowledged_by(session: AsyncSession, alert_id: str) -> set[str]:
    rows = await session.execute(
        select(AlertTransition.actor_department, AlertTransition.actor).where(
            AlertTransition.alert_id == alert_id, AlertTransition.action == ACKNOWLEDGED
        )
    )
    return {acknowledger(department, actor) for department, actor in rows}


async def apply_transition(
    session: AsyncSession,
    alert: Alert,
    *,
    event_id: str,
    action: str,
    actor: str,
    actor_role: str,
    actor_department: str | None,
    note: str | None,
    at: datetime,
    outcome: str | None,
    ctx: Context,
) -> AlertTransition:
    """Record one action on the alert (checked by `check_transition`): who/when/why, the status it leads
    to, and the credit record when the lead department confirms a configured rule (M6, M19)."""
    acknowledging = action == ACKNOWLEDGED
    check_transition(
        alert,
        action,
        outcome,
        actor_department=acknowledger(actor_department, actor) if acknowledging else actor_department,
        acknowledged_by=await acknowledged_by(session, alert.alert_id) if acknowledging else None,
    )
    to_status = {ACKNOWLEDGED: ACKNOWLEDGED, COMMENTED: alert.status, RESOLVED: RESOLVED}[action]
    transition = AlertTransition(
        event_id=event_id,
        alert_id=alert.alert_id,
        action=action,
        from_status=alert.status,
        to_status=to_status,
        outcome=outcome,
        actor=actor,
        actor_role=actor_role,
        actor_department=actor_department,
        note=note,
        at=at,
    )
    session.add(transition)
    if action == COMMENTED:
        await session.flush()
        return transition
    if action == ACKNOWLEDGED and alert.status == OPEN:
        alert.acknowledged_at = at
    alert.status = to_status
    if action == RESOLVED:
        alert.resolved_at = at
        alert.resolution = outcome
        spec = credit.record_rule_for(ctx.credit_rules, alert, outcome) if outcome in CONFIRMING_OUTCOMES else None
        if spec is not None:  # a bad-conduct record (credit.py); None when the debt has its record already
            made = await credit.credit_record_for(
                session, alert, spec, actor=actor, at=at, resolution_event_id=event_id
            )
            if made is not None:
                session.add(made)
    # Every department holding the alert hears of the step (a rebuild has no webhooks: nothing re-sent).
    if ctx.webhooks:
        await queue_deliveries(session, alert, f"alert.{action}")
    await session.flush()
    return transition


#: The gateway's own alert events and the action each records.
ACTION_OF_EVENT = {
    "gateway.alert.acknowledged.v1": ACKNOWLEDGED,
    "gateway.alert.commented.v1": COMMENTED,
    "gateway.alert.resolved.v1": RESOLVED,
}


async def project_alert_action(session: AsyncSession, envelope: Envelope, ctx: Context) -> None:
    """Replay of the gateway's own `gateway.alert.*.v1` events. Live, the API applied the step in the
    request's transaction already (same event id), so this is a no-op there; in a rebuild it applies it."""
    exists = (await session.execute(select(AlertTransition.id).where(AlertTransition.event_id == envelope.id))).first()
    if exists:
        return
    d = envelope.data
    alert = (
        await session.execute(
            # populate_existing: the batch's findings may have added occurrences with set-based SQL since
            # this session last loaded the alert.
            select(Alert)
            .where(Alert.alert_id == d.get("alert_id"))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if alert is None:
        log.warning("alert action %s for unknown alert %s", envelope.id, d.get("alert_id"))
        return
    try:
        await apply_transition(
            session,
            alert,
            event_id=envelope.id,
            action=ACTION_OF_EVENT[envelope.type],
            actor=d.get("actor", "?"),
            actor_role=d.get("actor_role", "?"),
            actor_department=d.get("actor_department"),
            note=d.get("note"),
            at=_parse_time(d.get("at"), envelope.time),
            outcome=d.get("outcome"),
            ctx=ctx,
        )
    except (TransitionRefused, NotTheDecider) as exc:
        log.warning("alert action %s not applicable: %s", envelope.id, exc)


async def project_alert_path(
    session: AsyncSession, events: list[Envelope], ctx: Context, other_actions: Mapping[str, Any] | None = None
) -> None:
    """A batch's findings and the gateway's own alert actions, with the effect of applying them one by
    one in order: each run of findings between two actions set-based (`project_findings`), each action
    after the findings before it (it may act on an alert they raised, its credit record lists them)
    and before those after it (a resolved alert takes no more occurrences). An action recorded
    already — live, the API applied it in the request — is a no-op and splits no run."""
    actions = [e.id for e in events if e.type in ACTION_OF_EVENT]
    recorded: set[str] = set()
    if actions:
        conn = await driver_connection(session)
        recorded = {
            r[0]
            for r in await conn.fetch(
                "select event_id from alert_transitions where event_id = any($1::text[])", actions
            )
        }
    run: list[Envelope] = []
    for e in events:
        if e.type in ACTION_OF_EVENT:
            if e.id in recorded:
                continue
            await project_findings(session, run, ctx)
            run = []
            await project_alert_action(session, e, ctx)
        elif other_actions and e.type in other_actions:  # e.g. a credit listing's end, in its order
            await project_findings(session, run, ctx)
            run = []
            await other_actions[e.type](session, e, ctx)
        elif is_finding(e.type):
            run.append(e)
    await project_findings(session, run, ctx)
