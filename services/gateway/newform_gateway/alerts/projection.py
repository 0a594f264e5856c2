"""The alert path of a polled batch: findings (any `<service>.finding.raised.v1`) into alerts — routing,
dedupe, deadlines, deliveries — and the gateway's own alert actions replayed in order.

The same rule firing again for the same subject while the alert is not resolved adds an occurrence and
its evidence to that alert. Overdue = not resolved and past `due_at`, where `due_at` = raised + the
measure's handling deadline (`alerts.handling_deadline_days.<M>`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.events import Envelope
from newform_common.policy import business_date

from ..projections.base import Context
from . import repository, rounds, routing
from .deliveries import raised_deliveries
from .findings import Finding, deadline_days, enterprises_to_read, is_finding, parse_finding, routing_facts
from .models import CONFIRMING_OUTCOMES, OPEN, RESOLVED, SEVERITY_RANK
from .transitions import ACTION_OF_EVENT, project_alert_actions

log = logging.getLogger(__name__)


@dataclass
class _Run:
    """What a run of findings reads once (open alerts of their (rule, subject), ids taken, the enterprises
    routing needs, the active webhooks) and what folding it in order makes."""

    open_alerts: dict[tuple[str, str], dict[str, Any]]
    taken_ids: set[str]
    enterprises: dict[str, tuple[str | None, list[Any]]]
    hooks: dict[tuple[str, str], list[int]]
    finding_ids: dict[tuple[str, str], set[Any]] = field(default_factory=dict)
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)  # alert id → its row as it now stands
    new_ids: list[str] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)  # the new alerts' "alert.raised"
    routes: dict[tuple, list[str]] = field(default_factory=dict)  # the policy answers by business day
    deadlines: dict[tuple[str, date], int] = field(default_factory=dict)


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
    run = _Run(
        open_alerts=await repository.lock_open_alerts(session, [(f.rule, f.subject_id) for _, f in findings]),
        taken_ids=await repository.taken_alert_ids(session, [_alert_id(f) for _, f in findings]),
        enterprises=await repository.routing_enterprises(
            session, sorted({i for _, f in findings for i in enterprises_to_read(f)})
        ),
        hooks=await repository.active_hooks(session) if ctx.webhooks else {},
    )
    run.finding_ids = {key: {e.get("finding_id") for e in row["evidence"]} for key, row in run.open_alerts.items()}
    for envelope, finding in findings:
        _fold(run, envelope, finding, ctx)
    if not run.changed:
        return
    await repository.write_alerts(
        session,
        list(run.changed.values()),
        [dict(alert_id=i, department=d) for i in run.new_ids for d in run.changed[i]["departments"]],
        run.deliveries,
    )


def _fold(run: _Run, envelope: Envelope, finding: Finding, ctx: Context) -> None:
    """One finding: an occurrence of its open alert, or a new alert (unless its id is taken)."""
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
    existing = run.open_alerts.get(key)
    if existing is not None:
        if finding.finding_id in run.finding_ids[key]:
            return  # the same finding published twice (a service retried); nothing new
        run.finding_ids[key].add(finding.finding_id)
        existing["occurrences"] += 1
        existing["evidence"] = [*existing["evidence"], entry]
        existing["last_observed_at"] = max(existing["last_observed_at"], finding.observed_at)
        if SEVERITY_RANK[finding.severity] > SEVERITY_RANK.get(existing["severity"], 0):
            existing["severity"] = finding.severity
        run.changed[existing["alert_id"]] = existing
        return
    alert_id = _alert_id(finding)
    if alert_id in run.taken_ids:
        return  # this finding already made an alert, since resolved
    row = _new_alert(run, envelope, finding, entry, ctx)
    run.open_alerts[key] = row
    run.finding_ids[key] = {finding.finding_id}
    run.taken_ids.add(alert_id)
    run.changed[alert_id] = row
    run.new_ids.append(alert_id)
    if run.hooks:
        run.deliveries.extend(raised_deliveries(row, run.hooks))


def _new_alert(run: _Run, envelope: Envelope, finding: Finding, entry: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """A new alert's row: routed (M16) and due after the measure's handling deadline."""
    district, occupations = routing_facts(finding, run.enterprises)
    # The policy answers by business day: one lookup per measure, route and day in a batch.
    day = business_date(finding.observed_at)
    responsible = routing.responsible_department(finding.evidence, finding.observed_at)
    route = (finding.measure, finding.occupation, tuple(occupations), district, day, responsible)
    if route not in run.routes:
        run.routes[route] = routing.departments_for(
            finding.measure,
            occupation=finding.occupation,
            occupations=occupations,
            district=district,
            on=finding.observed_at,
            responsible=responsible,
        )
    if (finding.measure, day) not in run.deadlines:
        run.deadlines[(finding.measure, day)] = deadline_days(
            finding.measure, finding.observed_at, ctx.deadline_default_days
        )
    raised_at = envelope.time
    return dict(
        alert_id=_alert_id(finding),
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
        departments=list(run.routes[route]),
        status=OPEN,
        resolution=None,
        occurrences=1,
        evidence=[entry],
        first_observed_at=finding.observed_at,
        last_observed_at=finding.observed_at,
        raised_at=raised_at,
        due_at=raised_at + timedelta(days=run.deadlines[(finding.measure, day)]),
        acknowledged_at=None,
        resolved_at=None,
    )


def _alert_id(finding: Finding) -> str:
    return f"alr_{finding.finding_id}"[:100]


async def project_alert_path(
    session: AsyncSession, events: list[Envelope], ctx: Context, other_actions: Mapping[str, Any] | None = None
) -> None:
    """A batch's findings and the gateway's own alert actions, with the effect of applying them one by
    one in order (`rounds.py`): each round's findings set-based (`project_findings`), then its actions
    together (`project_alert_actions`). An action recorded already — live, the API applied it in the
    request — is a no-op and changes no round. Another step (e.g. a credit listing's end) is applied in
    its place: what comes before it first, what comes after it after."""
    recorded = await repository.recorded_actions(session, [e.id for e in events if e.type in ACTION_OF_EVENT])
    steps: list[Envelope] = []
    for e in events:
        if e.type in ACTION_OF_EVENT:
            if e.id in recorded:
                continue
            recorded.add(e.id)  # the same event twice in a batch: applied once
            steps.append(e)
        elif other_actions and e.type in other_actions:
            await _project_in_rounds(session, steps, ctx)
            steps = []
            await other_actions[e.type](session, e, ctx)
        elif is_finding(e.type):
            steps.append(e)
    await _project_in_rounds(session, steps, ctx)


async def _project_in_rounds(session: AsyncSession, events: list[Envelope], ctx: Context) -> None:
    if not events:
        return
    for found in rounds.rounds(await _steps(session, events, ctx)):
        await project_findings(session, found.findings, ctx)
        await project_alert_actions(session, found.actions, ctx)


async def _steps(session: AsyncSession, events: list[Envelope], ctx: Context) -> list[rounds.Step[Envelope]]:
    """Each event's key: a finding's (rule, subject); an action's, its alert's — raised by a finding of the
    batch or read (one statement). A finding without a key, an action on an unknown alert: a key of its own
    (nothing to order it with: `project_findings` and `project_alert_actions` skip it)."""
    raised: dict[str, tuple[str, str]] = {}
    keys: dict[str, tuple[str, str]] = {}
    for e in events:
        finding = None if e.type in ACTION_OF_EVENT else parse_finding(e)
        if finding is not None:
            keys[e.id] = raised[_alert_id(finding)] = (finding.rule, finding.subject_id)
    acted_on = {str(e.data.get("alert_id")) for e in events if e.type in ACTION_OF_EVENT}
    stored = await repository.alert_keys(session, sorted(acted_on - raised.keys()))
    steps = []
    for e in events:
        if e.type not in ACTION_OF_EVENT:
            steps.append(rounds.Step(e, keys.get(e.id, ("", e.id)), action=False))
            continue
        alert_id = str(e.data.get("alert_id"))
        key = raised.get(alert_id) or stored.get(alert_id) or ("", e.id)
        # a confirming decision of a credit rule may join another alert's record of the same debt
        joins = ACTION_OF_EVENT[e.type] == RESOLVED and e.data.get("outcome") in CONFIRMING_OUTCOMES
        steps.append(rounds.Step(e, key, action=True, joins_debts=joins and ctx.credit_rules.applies("", key[0])))
    return steps
