"""What unions reads of contracts' events: workers' registrations with platforms (coverage, and the
platform a worker joins through), the restriction or cancellation of a registration and its lift (a
cancelled registration counts again once the cancellation is lifted), and the versions of platforms'
rules (M10 consultation)."""

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
    """A `cancel` stops the registration counting until lifted; a `restrict` leaves it registered (kept so
    that its lift, which names no action, is known to be a mere restriction's)."""

    restriction_id: str
    worker_id: str
    platform_id: str
    action: str


@consumes("contracts.account.restriction_lifted.v1")
class RestrictionLifted(ConsumedEvent):
    """A restriction or cancellation lifted (M5: an appeal upheld, a wrongful cancellation undone)."""

    restriction_id: str
    worker_id: str
    platform_id: str
    lifted_at: datetime
