"""contracts.* events into enterprises, worker registrations, contracts, account restrictions (and their
lifts) and rule notices — set-based: one statement per table per polled batch (`repository.py` writes them)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.consumed import consumes

from ...credit import records as credit_records
from ...projections.base import Context, EventData, Projection, Typed
from . import repository


# -- the gateway's reading of contracts' v1 events (services/contracts/newform_contracts/events.py) ----
@consumes("contracts.enterprise.registered.v1")
class EnterpriseRegistered(EventData):
    enterprise_id: str
    name: str
    kind: str
    platform_id: str
    credit_code: str | None
    district: str | None
    occupations: list[str]
    dispatch_licence_valid_until: date | None = None
    qualified: bool | None
    registered_at: AwareDatetime


@consumes("contracts.worker.registered.v1")
class WorkerRegistered(EventData):
    worker_id: str
    registration_id: str
    platform_id: str
    occupation: str | None
    residence_district: str | None
    household_registration_region: str | None
    registered_at: AwareDatetime


class InsuranceFlags(EventData):
    work_injury: bool
    occupational_injury: bool
    accident: bool


@consumes("contracts.contract.drafted.v1")
class ContractDrafted(EventData):
    contract_id: str
    worker_id: str
    platform_id: str
    enterprise_id: str | None
    engagement_type: str
    part_time: bool | None
    occupation: str | None
    district: str | None
    start_date: date | None
    end_date: date | None
    pay_period: str | None
    insurance: InsuranceFlags
    drafted_at: AwareDatetime


class ContractTransition(EventData):
    """What every contract transition carries (sent, signed, terminated, expired)."""

    contract_id: str
    worker_id: str
    platform_id: str
    enterprise_id: str | None
    engagement_type: str
    at: AwareDatetime


@consumes("contracts.contract.sent.v1")
class ContractSent(ContractTransition):
    pass


@consumes("contracts.contract.signed.v1")
class ContractSigned(ContractTransition):
    document_sha256: str


@consumes("contracts.contract.terminated.v1")
class ContractTerminated(ContractTransition):
    pass


@consumes("contracts.contract.expired.v1")
class ContractExpired(ContractTransition):
    pass


@consumes("contracts.contract.discarded.v1")
class ContractDiscarded(ContractTransition):
    """A draft the platform discarded (never sent): status `discarded`, as contracts says."""


@consumes("contracts.account.restricted.v1")
class AccountRestricted(EventData):
    restriction_id: str
    worker_id: str
    platform_id: str
    action: str
    reason_code: str | None
    reason_listed: bool | None
    notice_days: int | None
    effective_at: AwareDatetime | None


@consumes("contracts.account.restriction_lifted.v1")
class RestrictionLifted(EventData):
    """A restriction or cancellation lifted (M5): a registration with no other cancellation in effect is
    active again."""

    restriction_id: str
    worker_id: str
    platform_id: str
    lifted_by_role: str
    lifted_at: AwareDatetime


@consumes("contracts.rule_notice.published.v1")
class RuleNoticePublished(EventData):
    notice_id: str
    platform_id: str
    topic: str
    version: int
    consulted: bool
    published_on: date
    effective_on: date


TRANSITIONS = {
    "contracts.contract.sent.v1": "sent",
    "contracts.contract.signed.v1": "signed",
    "contracts.contract.terminated.v1": "terminated",
    "contracts.contract.expired.v1": "expired",
    "contracts.contract.discarded.v1": "discarded",
}


# -- rows ------------------------------------------------------------------------------------------------
def _enterprise(d: EnterpriseRegistered) -> dict[str, Any]:
    return dict(
        enterprise_id=d.enterprise_id,
        name=d.name,
        kind=d.kind,
        platform_id=d.platform_id,
        credit_code=d.credit_code,
        district=d.district,
        occupations=list(d.occupations),
        dispatch_licence_valid_until=d.dispatch_licence_valid_until,
        qualified=d.qualified,
        registered_at=d.registered_at,
    )


def _drafted(d: ContractDrafted) -> dict[str, Any]:
    return dict(
        contract_id=d.contract_id,
        worker_id=d.worker_id,
        platform_id=d.platform_id,
        enterprise_id=d.enterprise_id,
        engagement_type=d.engagement_type,
        part_time=d.part_time,
        occupation=d.occupation,
        district=d.district,
        start_date=d.start_date,
        end_date=d.end_date,
        pay_period=d.pay_period,
        insurance=d.insurance.model_dump(),
        status="draft",
        drafted_at=d.drafted_at,
        status_at=d.drafted_at,
        document_sha256=None,
    )


def _registration(d: WorkerRegistered) -> dict[str, Any]:
    return dict(
        registration_id=d.registration_id,
        worker_id=d.worker_id,
        platform_id=d.platform_id,
        occupation=d.occupation,
        residence_district=d.residence_district,
        household_registration_region=d.household_registration_region,
        registered_at=d.registered_at,
        active=True,
    )


def _restriction(d: AccountRestricted) -> dict[str, Any]:
    return dict(
        restriction_id=d.restriction_id,
        worker_id=d.worker_id,
        platform_id=d.platform_id,
        action=d.action,
        reason_code=d.reason_code,
        reason_listed=d.reason_listed,
        notice_days=d.notice_days,
        effective_at=d.effective_at,
    )


def _lift(d: RestrictionLifted) -> dict[str, Any]:
    return dict(
        restriction_id=d.restriction_id,
        worker_id=d.worker_id,
        platform_id=d.platform_id,
        lifted_at=d.lifted_at,
        lifted_by_role=d.lifted_by_role,
    )


def _notice(d: RuleNoticePublished) -> dict[str, Any]:
    return dict(
        notice_id=d.notice_id,
        platform_id=d.platform_id,
        topic=d.topic,
        version=d.version,
        consulted=d.consulted,
        published_on=d.published_on,
        effective_on=d.effective_on,
    )


def _moved(d: ContractTransition) -> dict[str, Any]:
    """A transition of a contract whose draft is not in this batch: the status columns, and a
    defensive minimal row should the draft never have arrived (it is on the same partition)."""
    return dict(
        contract_id=d.contract_id,
        worker_id=d.worker_id,
        platform_id=d.platform_id,
        enterprise_id=d.enterprise_id,
        engagement_type=d.engagement_type,
        insurance={},
        status=None,
        status_at=None,
        document_sha256=None,
    )


@consumes("contracts.weather_response.declared.v1")
class WeatherResponseDeclared(EventData):
    """A platform's response to a bad-weather warning (M8): dispatch limited, suspended or unchanged, completion
    times extended by how many minutes."""

    response_id: str
    warning_id: str
    district: str
    level: str
    platform_id: str
    dispatch: str
    completion_time_extended_minutes: int
    rule_notice_id: str | None = None
    taken_at: AwareDatetime
    declared_at: AwareDatetime


async def apply(session: AsyncSession, events: list[Typed[Any]], ctx: Context) -> None:
    """Fold the batch in order (a draft and its signature often share a batch), then write each table once;
    the registrations a registration, restriction or lift of the batch touches are then decided again from
    the stored restrictions (`repository.refresh_registrations`: active while no cancel is in effect)."""
    enterprises: list[dict] = []
    registrations: dict[str, dict] = {}
    drafted: dict[str, dict] = {}
    moved: dict[str, dict] = {}
    restrictions: dict[str, dict] = {}
    lifts: dict[str, dict] = {}
    touched: set[tuple[str, str]] = set()
    notices: list[dict] = []
    for t in events:
        d = t.data
        if isinstance(d, EnterpriseRegistered):
            enterprises.append(_enterprise(d))
        elif isinstance(d, WorkerRegistered):
            registrations[d.registration_id] = _registration(d)
            touched.add((d.worker_id, d.platform_id))
        elif isinstance(d, ContractDrafted):
            moved.pop(d.contract_id, None)
            drafted[d.contract_id] = _drafted(d)
        elif isinstance(d, ContractTransition):
            row = drafted.get(d.contract_id) or moved.setdefault(d.contract_id, _moved(d))
            row["status"], row["status_at"] = TRANSITIONS[t.type], d.at
            if isinstance(d, ContractSigned):
                row["document_sha256"] = d.document_sha256
        elif isinstance(d, AccountRestricted):
            restrictions[d.restriction_id] = _restriction(d)
            touched.add((d.worker_id, d.platform_id))
        elif isinstance(d, RestrictionLifted):
            lifts[d.restriction_id] = _lift(d)
            touched.add((d.worker_id, d.platform_id))
        elif isinstance(d, RuleNoticePublished):
            notices.append(_notice(d))
    await repository.write_enterprises(session, enterprises)
    # credit records held because their enterprise was unknown get their subject now (never the platform's)
    await credit_records.release_held(session, [e["enterprise_id"] for e in enterprises])
    await repository.write_batch(
        session,
        list(registrations.values()),
        list(drafted.values()),
        list(moved.values()),
        list(restrictions.values()),
        list(lifts.values()),
        notices,
    )
    await repository.refresh_registrations(session, touched)
    responses = {t.data.response_id: t.data for t in events if isinstance(t.data, WeatherResponseDeclared)}
    await repository.write_responses(session, [r.model_dump() for r in responses.values()])


PROJECTION = Projection(
    service="contracts",
    model_list=(
        EnterpriseRegistered,
        WorkerRegistered,
        ContractDrafted,
        ContractSent,
        ContractSigned,
        ContractTerminated,
        ContractExpired,
        ContractDiscarded,
        AccountRestricted,
        RestrictionLifted,
        RuleNoticePublished,
        WeatherResponseDeclared,
    ),
    apply=apply,
)

#: Read-model tables and the columns that are the projection's own (the rebuild's comparison).
READ_MODELS: dict[str, tuple[str, ...]] = {
    "enterprises": (),
    "worker_registrations": (),
    "contracts": (),
    "account_restrictions": (),
    "rule_notices": (),
    "weather_responses": (),
}
