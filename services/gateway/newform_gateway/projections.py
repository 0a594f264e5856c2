"""Projections: every consumed event into the event log, then into the read models.

`PROJECTIONS` maps an event type to its projection; a new service (wages, disputes, training) plugs
in by adding entries here — the runner does not change. Every type ending in
`.finding.raised.v1`, from any service, becomes an alert (`alerts.py`). Unknown types are kept in
the event log and otherwise left alone. Everything runs in the consumer's inbox transaction, so a
redelivered event changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from prometheus_client import Gauge
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.events import Envelope

from . import alerts
from .alerts import Context
from .models import AccountRestriction, ContractView, Enterprise, EventLog, RuleNotice, WorkerRegistration

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Envelope, Context], Awaitable[None]]

LAST_EVENT_TIME = Gauge("newform_gateway_last_event_time_seconds",
                        "Time (unix seconds) of the newest event projected, per topic", ["topic"])


def _date(value: Any) -> date | None:
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _time(value: Any) -> datetime | None:
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


async def _upsert(session: AsyncSession, model, values: dict[str, Any], key: list[str]) -> None:
    stmt = insert(model).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=key, set_={k: v for k, v in values.items() if k not in key})
    await session.execute(stmt)


# -- contracts.* -------------------------------------------------------------------------------------
async def enterprise_registered(session: AsyncSession, e: Envelope, ctx: Context) -> None:
    d = e.data
    await _upsert(session, Enterprise, {
        "enterprise_id": d["enterprise_id"], "name": d.get("name") or d["enterprise_id"],
        "kind": d.get("kind") or "platform", "platform_id": d.get("platform_id") or d["enterprise_id"],
        "credit_code": d.get("credit_code"), "district": d.get("district"), "occupations": d.get("occupations") or [],
        "dispatch_licence_valid_until": _date(d.get("dispatch_licence_valid_until")),
        "qualified": d.get("qualified"), "registered_at": _time(d.get("registered_at")) or e.time,
    }, ["enterprise_id"])


async def worker_registered(session: AsyncSession, e: Envelope, ctx: Context) -> None:
    d = e.data
    await _upsert(session, WorkerRegistration, {
        "registration_id": d["registration_id"], "worker_id": d["worker_id"], "platform_id": d["platform_id"],
        "occupation": d.get("occupation"), "residence_district": d.get("residence_district"),
        "household_registration_region": d.get("household_registration_region"),
        "registered_at": _time(d.get("registered_at")) or e.time, "active": True,
    }, ["registration_id"])


async def contract_drafted(session: AsyncSession, e: Envelope, ctx: Context) -> None:
    d = e.data
    await _upsert(session, ContractView, {
        "contract_id": d["contract_id"], "worker_id": d["worker_id"], "platform_id": d["platform_id"],
        "enterprise_id": d.get("enterprise_id"), "engagement_type": d.get("engagement_type") or "unknown",
        "part_time": d.get("part_time"), "occupation": d.get("occupation"), "district": d.get("district"),
        "start_date": _date(d.get("start_date")), "end_date": _date(d.get("end_date")),
        "pay_period": d.get("pay_period"), "insurance": d.get("insurance") or {}, "status": "draft",
        "drafted_at": _time(d.get("drafted_at")) or e.time, "status_at": _time(d.get("drafted_at")) or e.time,
    }, ["contract_id"])


def _contract_transition(status: str) -> Handler:
    async def project(session: AsyncSession, e: Envelope, ctx: Context) -> None:
        d = e.data
        contract = await session.get(ContractView, d["contract_id"], with_for_update=True)
        if contract is None:  # the draft is on the same partition, so this is only a defensive default
            contract = ContractView(contract_id=d["contract_id"], worker_id=d["worker_id"],
                                    platform_id=d["platform_id"], enterprise_id=d.get("enterprise_id"),
                                    engagement_type=d.get("engagement_type") or "unknown", insurance={})
            session.add(contract)
        contract.status = status
        contract.status_at = _time(d.get("at")) or e.time
        if status == "signed":
            contract.document_sha256 = d.get("document_sha256")
        await session.flush()

    project.__name__ = f"contract_{status}"
    return project


async def account_restricted(session: AsyncSession, e: Envelope, ctx: Context) -> None:
    d = e.data
    await _upsert(session, AccountRestriction, {
        "restriction_id": d["restriction_id"], "worker_id": d["worker_id"], "platform_id": d["platform_id"],
        "action": d.get("action") or "restrict", "reason_code": d.get("reason_code"),
        "reason_listed": d.get("reason_listed"), "notice_days": d.get("notice_days"),
        "effective_at": _time(d.get("effective_at")),
    }, ["restriction_id"])
    if d.get("action") == "cancel":  # a cancelled account is no longer an active registration (M5)
        await session.execute(update(WorkerRegistration).where(
            WorkerRegistration.worker_id == d["worker_id"], WorkerRegistration.platform_id == d["platform_id"]
        ).values(active=False))


async def rule_notice_published(session: AsyncSession, e: Envelope, ctx: Context) -> None:
    d = e.data
    await _upsert(session, RuleNotice, {
        "notice_id": d["notice_id"], "platform_id": d["platform_id"], "topic": d.get("topic") or "unknown",
        "version": int(d.get("version") or 1), "consulted": bool(d.get("consulted")),
        "published_on": _date(d.get("published_on")), "effective_on": _date(d.get("effective_on")),
    }, ["notice_id"])


PROJECTIONS: dict[str, Handler] = {
    "contracts.enterprise.registered.v1": enterprise_registered,
    "contracts.worker.registered.v1": worker_registered,
    "contracts.contract.drafted.v1": contract_drafted,
    "contracts.contract.sent.v1": _contract_transition("sent"),
    "contracts.contract.signed.v1": _contract_transition("signed"),
    "contracts.contract.terminated.v1": _contract_transition("terminated"),
    "contracts.contract.expired.v1": _contract_transition("expired"),
    "contracts.account.restricted.v1": account_restricted,
    "contracts.rule_notice.published.v1": rule_notice_published,
    "gateway.alert.acknowledged.v1": alerts.project_alert_action,
    "gateway.alert.commented.v1": alerts.project_alert_action,
    "gateway.alert.resolved.v1": alerts.project_alert_action,
}


def handler_for(event_type: str) -> Handler | None:
    if event_type in PROJECTIONS:
        return PROJECTIONS[event_type]
    if alerts.is_finding(event_type):
        return alerts.project_finding
    return None


async def log_events(session: AsyncSession, events: list[Envelope]) -> None:
    """Append events to the event log in one statement (the log is the regulator's audit trail)."""
    rows = []
    for e in events:
        worker_id, platform_id = e.data.get("worker_id"), e.data.get("platform_id")
        rows.append(dict(
            event_id=e.id, type=e.type, source=e.source, service=e.service, subject=e.subject, key=e.key,
            time=e.time, data=e.data, worker_id=worker_id if isinstance(worker_id, str) else None,
            platform_id=platform_id if isinstance(platform_id, str) else None,
            topic=e.topic, partition=e.partition, offset=e.offset,
        ))
    if rows:
        await session.execute(insert(EventLog).values(rows).on_conflict_do_nothing(index_elements=["event_id"]))


async def apply_projections(session: AsyncSession, e: Envelope, ctx: Context) -> None:
    """Update the read models the event's type feeds (after it is in the event log)."""
    handler = handler_for(e.type)
    if handler is not None:
        await handler(session, e, ctx)
    if e.topic:
        LAST_EVENT_TIME.labels(e.topic).set(e.time.timestamp())


async def project(session: AsyncSession, e: Envelope, ctx: Context) -> None:
    """One event: append it to the event log, then update the read models its type feeds."""
    await log_events(session, [e])
    await apply_projections(session, e, ctx)


def make_batch_handler(ctx: Context):
    """The ConsumerRunner's batch handler: the batch's new events into the log at once, then each
    into the read models, in order (the runner gives each envelope its Kafka position)."""

    async def handle(session: AsyncSession, events: list[Envelope]) -> None:
        await log_events(session, events)
        for e in events:
            await apply_projections(session, e, ctx)

    return handle
