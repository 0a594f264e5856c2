"""What training reads of other services' events: where a registered worker lives (M13 places)."""

from __future__ import annotations

from newform_common.consumed import ConsumedEvent, consumes


@consumes("contracts.worker.registered.v1")
class WorkerRegistered(ConsumedEvent):
    worker_id: str
    platform_id: str
    residence_district: str
    household_registration_region: str
