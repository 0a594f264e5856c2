"""Platforms in the regulator's view: each platform's numbers from every source (registrations and
contracts from the counters, pay from wages, complaints from disputes, training, open alerts, rule
notices) and its scorecard (`scorecards.py`, pure)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.errors import NotFound

from .. import repository as counters
from ..alerts import repository as alerts_repository
from ..sources.contracts import repository as contracts_repository
from ..sources.disputes import service as disputes_service
from ..sources.training import service as training_service
from ..sources.unions import repository as unions_repository
from ..sources.unions import service as unions_service
from ..sources.wages import service as wages_service
from . import repository, scorecards
from .schemas import PlatformDetail, PlatformSummary


async def services_seen(session: AsyncSession) -> set[str]:
    return await counters.keys(session, "services")


async def platform_ids(session: AsyncSession) -> list[str]:
    ids = await contracts_repository.enterprise_platform_ids(session)
    ids |= await counters.keys(session, "platforms")
    return sorted(ids)


#: The counters the platform list reads, per platform (scope = the platform id).
LIST_COUNTERS = (
    "registrations_active",
    "contracts_by_status",
    "workers_with_signed_contract",
    "contracts_signed_insured",
    "open_alerts",
)
#: The counters a platform's detail shows broken down (key → count).
DETAIL_COUNTERS = (
    "registrations_by_occupation",
    "registrations_by_district",
    "contracts_by_engagement_type",
    "contracts_by_status",
)

Counted = dict[tuple[str, str, str], int]


def _counted_numbers(platform_id: str, seen: set[str], counted: Counted) -> scorecards.PlatformNumbers:
    """The numbers the platform list shows, from the counters only (registrations, contracts)."""
    n = scorecards.PlatformNumbers(platform_id=platform_id, services_seen=seen)
    n.active_registrations = counted.get((platform_id, "registrations_active", ""), 0)
    n.signed_active_contracts = counted.get((platform_id, "contracts_by_status", "signed"), 0)
    n.workers_with_signed_contract = counted.get((platform_id, "workers_with_signed_contract", ""), 0)
    n.insured_signed_contracts = counted.get((platform_id, "contracts_signed_insured", ""), 0)
    return n


async def numbers_of(
    session: AsyncSession, ids: list[str], seen: set[str], counted: Counted
) -> dict[str, scorecards.PlatformNumbers]:
    """Every number of these platforms' scorecards: the counters' and each source's figures, one statement
    per source for all of them (a statement per platform and figure cost the 40 platforms' page 720 round
    trips, ~0.5 s, whatever the size of the province)."""
    numbers = {p: _counted_numbers(p, seen, counted) for p in ids}
    pay = await wages_service.pay_numbers_of(session, ids)
    open_alerts = await alerts_repository.open_alerts_of_platforms(session, ids)
    notices = await contracts_repository.rule_notices_of(session, ids)
    for p, n in numbers.items():
        n.wage_statements_judged, n.wage_statements_compliant = pay[p]
        n.open_alerts = open_alerts[p]
        n.rule_notices, n.consulted_notices = notices[p]
    if "unions" in seen:
        # each platform's own row of union coverage, computed where the coverage API computes it (one figure)
        union_rows = {
            r.key: r for r in (await unions_service.coverage(session, unions_service.CoverageScope(), "platform")).rows
        }
        in_force = await unions_repository.collective_contracts_in_force_of(session, ids)
        for p, n in numbers.items():
            row = union_rows.get(p)
            n.union_members = row.members if row else 0
            n.union_registered_workers = row.registered_workers if row else 0
            n.union_coverage_percent = row.coverage_percent if row else None
            n.collective_contracts_in_force = in_force[p]
    if "disputes" in seen:
        complaints = await disputes_service.complaint_numbers_of(session, ids)
        for p, n in numbers.items():
            n.complaints_settled, n.complaints_answered_on_time = complaints[p]
    return numbers


def _summary(n: scorecards.PlatformNumbers, name: str | None, open_findings: int) -> PlatformSummary:
    return PlatformSummary(
        platform_id=n.platform_id,
        name=name,
        active_registrations=n.active_registrations,
        contract_coverage=scorecards.contract_coverage(n),
        insurance_coverage=scorecards.insurance_coverage(n),
        open_findings=open_findings,
    )


async def list_platforms(session: AsyncSession) -> list[PlatformSummary]:
    """Every platform's row from the counters, read in one statement (the scorecards' other figures are each
    platform's detail)."""
    seen = await services_seen(session)
    ids = await platform_ids(session)
    counted = await repository.counters_of(session, ids, LIST_COUNTERS)
    names = await repository.enterprise_names(session, ids)
    return [
        _summary(_counted_numbers(p, seen, counted), names.get(p), counted.get((p, "open_alerts", ""), 0)) for p in ids
    ]


async def platform_details(session: AsyncSession, ids: list[str]) -> list[PlatformDetail]:
    """These platforms' numbers and scorecards (the `/platforms` page: all of them; the API: one), each source
    read once for all of them."""
    seen = await services_seen(session)
    counted = await repository.counters_of(session, ids, LIST_COUNTERS + DETAIL_COUNTERS)
    numbers = await numbers_of(session, ids, seen, counted)
    names = await repository.enterprise_names(session, ids)
    enterprises = await contracts_repository.enterprises_of_platforms(session, ids)
    trained = await training_service.workers_trained_of(session, ids)

    broken_down: dict[tuple[str, str], dict[str, int]] = {(p, d): {} for p in ids for d in DETAIL_COUNTERS}
    for (scope, dimension, key), n in counted.items():  # once, not per platform and dimension
        if (scope, dimension) in broken_down:
            broken_down[(scope, dimension)][key] = n

    return [
        PlatformDetail(
            **_summary(numbers[p], names.get(p), len(numbers[p].open_alerts)).model_dump(),
            **{dimension: broken_down[(p, dimension)] for dimension in DETAIL_COUNTERS},
            cooperating_enterprises=[
                {
                    "enterprise_id": e.enterprise_id,
                    "name": e.name,
                    "kind": e.kind,
                    "district": e.district,
                    "qualified": e.qualified,
                    "dispatch_licence_valid_until": e.dispatch_licence_valid_until,
                }
                for e in enterprises[p]
                if e.enterprise_id != p
            ],
            workers_trained=trained[p],
            scorecard=scorecards.scorecard(numbers[p]),
        )
        for p in ids
    ]


async def platform_detail(session: AsyncSession, platform_id: str) -> PlatformDetail:
    if platform_id not in await platform_ids(session):
        raise NotFound(f"No platform {platform_id}")
    [detail] = await platform_details(session, [platform_id])
    return detail
