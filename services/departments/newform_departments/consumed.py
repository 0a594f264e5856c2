"""What departments reads of other services' events: who is registered, to link facts to them."""

from __future__ import annotations

from newform_common.consumed import ConsumedEvent, consumes


@consumes("contracts.worker.registered.v1")
class WorkerRegistered(ConsumedEvent):
    worker_id: str


@consumes("contracts.enterprise.registered.v1")
class EnterpriseRegistered(ConsumedEvent):
    credit_code: str
