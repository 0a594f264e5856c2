"""What departments reads of other services' events: who is registered, to link facts to them, and a
worker's registrations (occupation, residence district, a cancelled account), to target notices."""

from __future__ import annotations

from datetime import datetime

from newform_common.consumed import ConsumedEvent, consumes


@consumes("contracts.worker.registered.v1")
class WorkerRegistered(ConsumedEvent):
    worker_id: str
    registration_id: str
    platform_id: str
    occupation: str
    residence_district: str
    registered_at: datetime


@consumes("contracts.enterprise.registered.v1")
class EnterpriseRegistered(ConsumedEvent):
    credit_code: str


@consumes("contracts.account.restricted.v1")
class AccountRestricted(ConsumedEvent):
    restriction_id: str
    worker_id: str
    platform_id: str
    action: str


@consumes("contracts.account.restriction_lifted.v1")
class RestrictionLifted(ConsumedEvent):
    restriction_id: str
