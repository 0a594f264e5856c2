"""The unions service's own models of the events it reads (`newform_common.consumed`).

One model per event type of the topics its registry line consumes, as the producers committed them
(`services/<producer>/newform_<producer>/event_schemas/`). Each reads no field yet: give a model the
fields a use case needs (the suite checks them against the producer's committed schema,
tests/common/test_consumed_events.py) and delete the models of types this service never acts on.
"""

from __future__ import annotations

from newform_common.consumed import ConsumedEvent, consumes


@consumes("contracts.account.restricted.v1")
class AccountRestricted(ConsumedEvent):
    """`contracts.account.restricted.v1` (on `contracts.events`), no field read yet."""


@consumes("contracts.account.restriction_appealed.v1")
class AccountRestrictionAppealed(ConsumedEvent):
    """`contracts.account.restriction_appealed.v1` (on `contracts.events`), no field read yet."""


@consumes("contracts.account.restriction_lifted.v1")
class AccountRestrictionLifted(ConsumedEvent):
    """`contracts.account.restriction_lifted.v1` (on `contracts.events`), no field read yet."""


@consumes("contracts.contract.discarded.v1")
class ContractDiscarded(ConsumedEvent):
    """`contracts.contract.discarded.v1` (on `contracts.events`), no field read yet."""


@consumes("contracts.contract.drafted.v1")
class ContractDrafted(ConsumedEvent):
    """`contracts.contract.drafted.v1` (on `contracts.events`), no field read yet."""


@consumes("contracts.contract.expired.v1")
class ContractExpired(ConsumedEvent):
    """`contracts.contract.expired.v1` (on `contracts.events`), no field read yet."""


@consumes("contracts.contract.sent.v1")
class ContractSent(ConsumedEvent):
    """`contracts.contract.sent.v1` (on `contracts.events`), no field read yet."""


@consumes("contracts.contract.signed.v1")
class ContractSigned(ConsumedEvent):
    """`contracts.contract.signed.v1` (on `contracts.events`), no field read yet."""


@consumes("contracts.contract.terminated.v1")
class ContractTerminated(ConsumedEvent):
    """`contracts.contract.terminated.v1` (on `contracts.events`), no field read yet."""


@consumes("contracts.deadline.recomputed.v1")
class DeadlineRecomputed(ConsumedEvent):
    """`contracts.deadline.recomputed.v1` (on `contracts.events`), no field read yet."""


@consumes("contracts.enterprise.registered.v1")
class EnterpriseRegistered(ConsumedEvent):
    """`contracts.enterprise.registered.v1` (on `contracts.events`), no field read yet."""


@consumes("contracts.rule_notice.published.v1")
class RuleNoticePublished(ConsumedEvent):
    """`contracts.rule_notice.published.v1` (on `contracts.events`), no field read yet."""


@consumes("contracts.worker.registered.v1")
class WorkerRegistered(ConsumedEvent):
    """`contracts.worker.registered.v1` (on `contracts.events`), no field read yet."""
