"""Our own models of the events we read (only the fields we use): contracts' engagements a complaint
or a case may concern, with their type for classified handling (M18); the departments' case outcomes
(an award or a judgment recorded by hrss or the court) that settle a case."""

from __future__ import annotations

from datetime import date, datetime

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


#: event type → (model, the engagement status it sets: contracts' own word for the contract's status)
ENGAGEMENT_EVENTS: dict[str, tuple[type[ConsumedEvent], str]] = {
    ContractDrafted.event_type: (ContractDrafted, "draft"),
    ContractSent.event_type: (ContractSent, "sent"),
    ContractSigned.event_type: (ContractSigned, "signed"),
    ContractTerminated.event_type: (ContractTerminated, "terminated"),
    ContractExpired.event_type: (ContractExpired, "expired"),
    ContractDiscarded.event_type: (ContractDiscarded, "discarded"),
}


@consumes("departments.case_outcome.recorded.v1")
class CaseOutcomeRecorded(ConsumedEvent):
    """An arbitration commission (hrss) or a court decided a labour dispute: a verified fact with its
    reference number (裁决书/判决书 number); `dispute_id` names our case when it was referred from here."""

    fact_id: str
    department: str
    reference: str
    version: int
    forum: str
    dispute_id: str | None = None
    worker_id: str | None = None
    outcome: str
    awarded_fen: int
    decided_on: date
