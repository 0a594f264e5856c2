"""Every query of the training service."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.errors import NotFound
from newform_common.locks import lock_keys
from newform_common.pagination import PageParams, keyset
from newform_common.policy import business_date
from newform_common.scope import get_visible, visibility

from . import rules
from .models import (
    LIVE_CLAIM,
    Budget,
    Certificate,
    CertificationBody,
    Claim,
    ClaimStatus,
    Course,
    Enrolment,
    Provider,
    VerifiedPlace,
    WorkerPlace,
)

LIVE = text(LIVE_CLAIM)


# -- the catalogue: providers, certification bodies, courses, certificates -------------------------------
async def provider(session: AsyncSession, provider_id: str) -> Provider | None:
    return await session.get(Provider, provider_id)


async def certification_body(session: AsyncSession, body_id: str) -> CertificationBody | None:
    return await session.get(CertificationBody, body_id)


async def course(session: AsyncSession, course_id: str) -> Course | None:
    return await session.get(Course, course_id)


async def certificate(session: AsyncSession, number: str) -> Certificate | None:
    return await session.get(Certificate, number)


async def providers_page(session: AsyncSession, params: PageParams) -> list[Provider]:
    return list((await session.execute(keyset(select(Provider), Provider.id, params))).scalars())


async def certification_bodies_page(session: AsyncSession, params: PageParams) -> list[CertificationBody]:
    return list((await session.execute(keyset(select(CertificationBody), CertificationBody.id, params))).scalars())


async def courses_page(
    session: AsyncSession, params: PageParams, *, occupation: str | None, district: str | None
) -> list[Course]:
    query = select(Course)
    if occupation:
        query = query.where(Course.occupation == occupation)
    if district:
        query = query.where(Course.district == district)
    return list((await session.execute(keyset(query, Course.id, params))).scalars())


# -- claims: what a caller may see -----------------------------------------------------------------------
async def visible_claim(
    session: AsyncSession, principal: Principal, claim_id: str, *, for_update: bool = False
) -> Claim:
    """The claim if the caller may see it (their own, their platform's, oversight's; a district government
    only its district's), else 404."""
    claim = await get_visible(session, principal, Claim, claim_id, what="claim", for_update=for_update)
    district = rules.district_scope(principal)
    if district is not None and claim.training_district != district:
        raise NotFound(f"No claim {claim_id!r}")
    return claim


async def visible_claims_page(
    session: AsyncSession, principal: Principal, params: PageParams, *, status: str | None
) -> list[Claim]:
    """A page of the claims the caller may see (as `visible_claim`), optionally of one status."""
    query = select(Claim).where(visibility(principal).where(platform=Claim.platform_id, worker=Claim.worker_id))
    if (district := rules.district_scope(principal)) is not None:
        query = query.where(Claim.training_district == district)
    if status:
        query = query.where(Claim.status == status)
    return list((await session.execute(keyset(query, Claim.id, params))).scalars())


async def visible_budgets(session: AsyncSession, principal: Principal, *, year: int | None) -> list[Budget]:
    """Budgets by year and district (a district government sees only its own district's)."""
    query = select(Budget).order_by(Budget.year, Budget.district)
    if (district := rules.district_scope(principal)) is not None:
        query = query.where(Budget.district == district)
    if year:
        query = query.where(Budget.year == year)
    return list((await session.execute(query)).scalars())


async def visible_enrolments_page(
    session: AsyncSession, principal: Principal, params: PageParams, *, course_id: str | None
) -> list[Enrolment]:
    """A page of the enrolments the caller may see: a worker their own, an enterprise those it made, oversight
    all (a district government its district's courses'); others (a certification body) none."""
    query = select(Enrolment).where(
        visibility(principal).where(platform=Enrolment.platform_id, worker=Enrolment.worker_id)
    )
    if (district := rules.district_scope(principal)) is not None:
        query = query.join(Course, Course.id == Enrolment.course_id).where(Course.district == district)
    if course_id:
        query = query.where(Enrolment.course_id == course_id)
    return list((await session.execute(keyset(query, Enrolment.id, params))).scalars())


# -- claims: what the M13 rules judge against ------------------------------------------------------------


async def live_claim_on(session: AsyncSession, certificate_number: str) -> Claim | None:
    return (
        (
            await session.execute(
                select(Claim).where(Claim.certificate_number == certificate_number, LIVE).order_by(Claim.submitted_at)
            )
        )
        .scalars()
        .first()
    )


async def prior_claims(session: AsyncSession, worker_id: str) -> list[rules.PriorClaim]:
    """A person's live claims (any channel, any district), for the duplicate rules."""
    rows = await session.execute(select(Claim).where(Claim.worker_id == worker_id, LIVE).order_by(Claim.submitted_at))
    # The business date (Asia/Shanghai), not the UTC date: a claim at 06:00 on 1 January is that year's.
    return [
        rules.PriorClaim(c.id, c.certificate_number, c.occupation, c.level, business_date(c.submitted_at))
        for c in rows.scalars()
    ]


async def held_levels(session: AsyncSession, worker_id: str, occupation: str) -> list[int]:
    rows = await session.execute(
        select(Certificate.level).where(Certificate.worker_id == worker_id, Certificate.occupation == occupation)
    )
    return list(rows.scalars())


async def worker_places(session: AsyncSession, worker_id: str) -> WorkerPlace | None:
    return await session.get(WorkerPlace, worker_id)


async def place_facts(session: AsyncSession, worker_id: str) -> tuple[rules.PlaceFact, ...]:
    rows = await session.execute(
        select(VerifiedPlace).where(VerifiedPlace.worker_id == worker_id).order_by(VerifiedPlace.observed_at.desc())
    )
    return tuple(
        rules.PlaceFact(
            r.kind, r.department, r.reference, r.fact_id, r.region_code, r.district, r.valid_from, r.valid_until
        )
        for r in rows.scalars()
    )


async def save_place_facts(session: AsyncSession, rows: list[dict]) -> None:
    """A department's latest statements (the highest version of each fact wins; redeliveries change nothing)."""
    latest: dict[str, dict] = {}
    for r in rows:
        if r["fact_id"] not in latest or r["version"] > latest[r["fact_id"]]["version"]:
            latest[r["fact_id"]] = r
    if latest:
        stmt = insert(VerifiedPlace).values(list(latest.values()))
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["fact_id"],
                where=VerifiedPlace.version < stmt.excluded.version,
                set_={
                    c: getattr(stmt.excluded, c)
                    for c in (
                        "kind",
                        "department",
                        "reference",
                        "region_code",
                        "district",
                        "valid_from",
                        "valid_until",
                        "version",
                        "observed_at",
                        "worker_id",
                    )
                },
            )
        )


async def upsert_worker_places(session: AsyncSession, rows: list[dict]) -> None:
    """Set-based: one statement for a polled batch of worker registrations (last one wins)."""
    latest = {r["worker_id"]: r for r in rows}
    if latest:
        stmt = insert(WorkerPlace).values(list(latest.values()))
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["worker_id"],
                set_={
                    "household_region": stmt.excluded.household_region,
                    "residence_district": stmt.excluded.residence_district,
                    "updated_at": stmt.excluded.updated_at,
                },
            )
        )


async def provider_claims_since(session: AsyncSession, provider_id: str, since: datetime) -> int:
    """Live claims in the window on certificates from one provider's courses."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(Claim)
            .join(Certificate, Certificate.number == Claim.certificate_number)
            .join(Course, Course.id == Certificate.course_id)
            .where(Course.provider_id == provider_id, Claim.submitted_at >= since, LIVE)
        )
        or 0
    )


def thirty_days_before(at: datetime) -> datetime:
    return at - timedelta(days=30)


async def lock_claims_of(session: AsyncSession, worker_id: str) -> None:
    """Serialise one person's claims: each judges the person's earlier claims (duplicates, yearly
    limit), and two side by side would each miss the other's uncommitted row and both be accepted."""
    await lock_keys(session, "training-claims-of-worker", [worker_id])


async def lock_provider_claims(session: AsyncSession, provider_id: str) -> None:
    """Serialise counting a provider's claims: two claims counted side by side would each miss the
    other, and the one count that crosses the limit (the finding) would be skipped or made twice."""
    await lock_keys(session, "training-claims-of-provider", [provider_id])


async def budget_for_update(session: AsyncSession, district: str, year: int) -> Budget | None:
    # Locked by key, not only by row: before the district's first budget exists there is no row to lock,
    # and a decision queueing a claim and the budget's creation funding the queue would miss each other.
    await lock_keys(session, "training-budget", [f"{district}:{year}"])
    return (
        await session.execute(select(Budget).where(Budget.district == district, Budget.year == year).with_for_update())
    ).scalar_one_or_none()


async def has_queued(session: AsyncSession, district: str, year: int) -> bool:
    """Whether approved claims already wait for this budget (called with the budget's lock held)."""
    return bool(
        await session.scalar(
            select(func.count())
            .select_from(Claim)
            .where(Claim.training_district == district, Claim.year == year, Claim.status == ClaimStatus.QUEUED)
        )
    )


async def queued_claims(session: AsyncSession, district: str, year: int) -> list[Claim]:
    """Approved claims waiting for budget, first come first served."""
    rows = await session.execute(
        select(Claim)
        .where(Claim.training_district == district, Claim.year == year, Claim.status == ClaimStatus.QUEUED)
        .order_by(Claim.decided_at, Claim.id)
        .with_for_update()
    )
    return list(rows.scalars())
