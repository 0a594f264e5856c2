"""Our own models of the contracts events we read (only the fields we use): the engagements a
complaint or a case may concern, with their type for classified handling (M18)."""

from __future__ import annotations

from datetime import datetime

from newform_common.consumed import ConsumedEvent, consumes


@consumes("contracts.contract.drafted.v1")
class ContractDrafted(ConsumedEvent):
    contract_id: str
    worker_id: str
    platform_id: str
    enterprise_id: str
    engagement_type: str
    occupation: str
    district: str
    drafted_at: datetime


class _Transition(ConsumedEvent):
    contract_id: str
    worker_id: str
    platform_id: str
    enterprise_id: str
    engagement_type: str
    at: datetime


@consumes("contracts.contract.sent.v1")
class ContractSent(_Transition):
    pass


@consumes("contracts.contract.signed.v1")
class ContractSigned(_Transition):
    pass


@consumes("contracts.contract.terminated.v1")
class ContractTerminated(_Transition):
    pass


@consumes("contracts.contract.expired.v1")
class ContractExpired(_Transition):
    pass


@consumes("contracts.contract.discarded.v1")
class ContractDiscarded(_Transition):
    """A draft that never came into force (a complaint may still concern it, e.g. a deposit asked for)."""


#: event type → (model, the engagement status it sets)
ENGAGEMENT_EVENTS: dict[str, tuple[type[ConsumedEvent], str]] = {
    ContractDrafted.event_type: (ContractDrafted, "drafted"),
    ContractSent.event_type: (ContractSent, "sent"),
    ContractSigned.event_type: (ContractSigned, "signed"),
    ContractTerminated.event_type: (ContractTerminated, "terminated"),
    ContractExpired.event_type: (ContractExpired, "expired"),
    ContractDiscarded.event_type: (ContractDiscarded, "discarded"),
}
