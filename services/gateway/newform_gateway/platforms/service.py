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


async def counted_numbers(session: AsyncSession, platform_id: str, seen: set[str]) -> scorecards.PlatformNumbers:
    """The numbers the platform list shows, from the counters only (registrations, contracts, open alerts):
    a handful of key reads per platform whatever the length of the history."""
    n = scorecards.PlatformNumbers(platform_id=platform_id, services_seen=seen)
    n.active_registrations = await counters.count(session, "registrations_active", platform_id)
    n.signed_active_contracts = await counters.count(session, "contracts_by_status", platform_id, "signed")
    n.workers_with_signed_contract = await counters.count(session, "workers_with_signed_contract", platform_id)
    n.insured_signed_contracts = await counters.count(session, "contracts_signed_insured", platform_id)
    return n


async def platform_numbers(session: AsyncSession, platform_id: str, seen: set[str]) -> scorecards.PlatformNumbers:
    """Every number of the platform's scorecard: the counters' and each source's figures."""
    n = await counted_numbers(session, platform_id, seen)
    n.wage_statements_judged, n.wage_statements_compliant = await wages_service.platform_pay_numbers(
        session, platform_id
    )
    n.open_alerts = await alerts_repository.open_alerts_of_platform(session, platform_id)
    n.rule_notices, n.consulted_notices = await contracts_repository.rule_notices(session, platform_id)
    if "unions" in seen:
        # the platform's own row of union coverage, computed where the coverage API computes it (one figure)
        scope = unions_service.CoverageScope(platform_id=platform_id)
        union = (await unions_service.coverage(session, scope, "platform")).total
        n.union_members, n.union_registered_workers = union.members, union.registered_workers
        n.union_coverage_percent = union.coverage_percent
        n.collective_contracts_in_force = await unions_repository.collective_contracts_in_force(session, platform_id)
    if "disputes" in seen:
        n.complaints_settled, n.complaints_answered_on_time = await disputes_service.complaint_numbers(
            session, platform_id
        )
    return n


async def platform_summary(session: AsyncSession, n: scorecards.PlatformNumbers) -> PlatformSummary:
    """A platform's row as its detail shows it."""
    name = await contracts_repository.enterprise_name(session, n.platform_id)
    return PlatformSummary(
        platform_id=n.platform_id,
        name=name,
        active_registrations=n.active_registrations,
        contract_coverage=scorecards.contract_coverage(n),
        insurance_coverage=scorecards.insurance_coverage(n),
        open_findings=len(n.open_alerts),
    )


#: The counters the platform list reads, per platform (scope = the platform id).
LIST_COUNTERS = (
    "registrations_active",
    "contracts_by_status",
    "workers_with_signed_contract",
    "contracts_signed_insured",
    "open_alerts",
)


async def list_platforms(session: AsyncSession) -> list[PlatformSummary]:
    """Every platform's row from the counters, read in one statement (the scorecards' other figures are each
    platform's detail)."""
    seen = await services_seen(session)
    ids = await platform_ids(session)
    counted = await repository.counters_of(session, ids, LIST_COUNTERS)
    names = await repository.enterprise_names(session, ids)
    rows = []
    for p in ids:
        n = scorecards.PlatformNumbers(platform_id=p, services_seen=seen)
        n.active_registrations = counted.get((p, "registrations_active", ""), 0)
        n.signed_active_contracts = counted.get((p, "contracts_by_status", "signed"), 0)
        n.workers_with_signed_contract = counted.get((p, "workers_with_signed_contract", ""), 0)
        n.insured_signed_contracts = counted.get((p, "contracts_signed_insured", ""), 0)
        rows.append(
            PlatformSummary(
                platform_id=p,
                name=names.get(p),
                active_registrations=n.active_registrations,
                contract_coverage=scorecards.contract_coverage(n),
                insurance_coverage=scorecards.insurance_coverage(n),
                open_findings=counted.get((p, "open_alerts", ""), 0),
            )
        )
    return rows


async def platform_detail(session: AsyncSession, platform_id: str) -> PlatformDetail:
    if platform_id not in await platform_ids(session):
        raise NotFound(f"No platform {platform_id}")
    seen = await services_seen(session)
    n = await platform_numbers(session, platform_id, seen)
    summary = await platform_summary(session, n)
    enterprises = await contracts_repository.enterprises_of_platform(session, platform_id)
    return PlatformDetail(
        **summary.model_dump(),
        registrations_by_occupation=await counters.counted(session, "registrations_by_occupation", platform_id),
        registrations_by_district=await counters.counted(session, "registrations_by_district", platform_id),
        contracts_by_engagement_type=await counters.counted(session, "contracts_by_engagement_type", platform_id),
        contracts_by_status=await counters.counted(session, "contracts_by_status", platform_id),
        cooperating_enterprises=[
            {
                "enterprise_id": e.enterprise_id,
                "name": e.name,
                "kind": e.kind,
                "district": e.district,
                "qualified": e.qualified,
                "dispatch_licence_valid_until": e.dispatch_licence_valid_until,
            }
            for e in enterprises
            if e.enterprise_id != platform_id
        ],
        workers_trained=await training_service.workers_trained(session, platform_id),
        scorecard=scorecards.scorecard(n),
    )
