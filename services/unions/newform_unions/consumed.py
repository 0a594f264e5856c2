"""What unions reads of contracts' events: workers' registrations with platforms (coverage, and the
platform a worker joins through), the cancellation of a registration (no longer a registered worker),
and the versions of platforms' rules (M10 consultation)."""

from __future__ import annotations

from datetime import date, datetime

from newform_common.consumed import ConsumedEvent, consumes


@consumes("contracts.rule_notice.published.v1")
class RuleNoticePublished(ConsumedEvent):
    notice_id: str
    platform_id: str
    topic: str
    version: int
    consulted: bool
    published_on: date
    effective_on: date


@consumes("contracts.worker.registered.v1")
class WorkerRegistered(ConsumedEvent):
    worker_id: str
    registration_id: str
    platform_id: str
    occupation: str
    residence_district: str
    registered_at: datetime


@consumes("contracts.account.restricted.v1")
class AccountRestricted(ConsumedEvent):
    """Only `cancel` matters here: the registration stops counting (a restriction leaves it registered)."""

    worker_id: str
    platform_id: str
    action: str
