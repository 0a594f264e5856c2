"""The credit queries: records, listings and their ends, the subjects they name, and what the export reads."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import bindparam, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from newform_common.pagination import PageParams

from ..alerts.models import CONFIRMING_OUTCOMES, AlertTransition
from ..sources.contracts.models import Enterprise
from .models import CreditListing, CreditListingEnd, CreditRecord


# -- records -----------------------------------------------------------------------------------------------
async def get_enterprise(session: AsyncSession, enterprise_id: str) -> Enterprise | None:
    return await session.get(Enterprise, enterprise_id)


async def source_events(session: AsyncSession, field: str, subject: str) -> list[tuple[str, str, datetime]]:
    """(event id, type, time) of the first 100 logged events whose data names the subject (not findings).
    The field is written inline (`data ? 'contract_id'`): the planner matches migration 0009's partial index
    of that field only against the same constant, never a bound parameter."""
    named = bindparam("field", field, literal_execute=True)
    rows = await session.execute(
        text(
            "select event_id, type, time from event_log where data ? :field and data ->> :field = :subject "
            "and type not like '%.finding.raised.v1' order by time, seq limit 100"
        ).bindparams(named),
        {"subject": subject},
    )
    return [(event_id, type_, time) for event_id, type_, time in rows]


async def lock_debt_record(session: AsyncSession, key: str) -> CreditRecord | None:
    """The record of this debt, locked — after taking the debt's advisory lock, so that two alerts of one
    debt decided at once are serialised (the second finds the first's record)."""
    await session.execute(text("select pg_advisory_xact_lock(hashtext(:k))"), {"k": key})
    return (
        await session.execute(select(CreditRecord).where(CreditRecord.debt_key == key).with_for_update())
    ).scalar_one_or_none()


async def release_held_records(session: AsyncSession, enterprise_ids: list[str], at: datetime) -> None:
    """Held records of these enterprises take the subject contracts registered (known from `at` at the
    earliest: never before the record was confirmed)."""
    await session.execute(
        text(
            "update credit_records r set subject_credit_code = e.credit_code, subject_name = e.name, "
            "subject_known_at = greatest(r.confirmed_at, :at) from enterprises e "
            "where r.subject_known_at is null and r.enterprise_id = e.enterprise_id and e.credit_code is not null "
            "and r.enterprise_id = any(:ids)"
        ),
        {"ids": enterprise_ids, "at": at},
    )


async def lock_record(session: AsyncSession, record_id: str) -> CreditRecord | None:
    return (
        await session.execute(select(CreditRecord).where(CreditRecord.record_id == record_id).with_for_update())
    ).scalar_one_or_none()


async def records_by_id(session: AsyncSession, record_ids: list[str]) -> list[CreditRecord]:
    return list(
        (await session.execute(select(CreditRecord).where(CreditRecord.record_id.in_(record_ids)))).scalars().all()
    )


async def record_issuer(session: AsyncSession, alert_id: str) -> str | None:
    """The department whose confirming decision of the alert made the record."""
    return await session.scalar(
        select(AlertTransition.actor_department).where(
            AlertTransition.alert_id == alert_id, AlertTransition.outcome.in_(CONFIRMING_OUTCOMES)
        )
    )


async def records_page(session: AsyncSession, params: PageParams, *, platform_id: str | None = None):
    """Records oldest first, one page after the cursor (confirmed at, record id)."""
    q = select(CreditRecord)
    if platform_id:
        q = q.where(CreditRecord.platform_id == platform_id)
    if params.after:
        q = q.where(
            func.row(CreditRecord.confirmed_at, CreditRecord.record_id)
            > func.row(datetime.fromisoformat(params.after[0]), params.after[1])
        )
    q = q.order_by(CreditRecord.confirmed_at, CreditRecord.record_id).limit(params.limit + 1)
    return list((await session.execute(q)).scalars())


# -- listings ----------------------------------------------------------------------------------------------
async def subject_name(session: AsyncSession, code: str) -> str | None:
    """The name contracts or wages registered under this credit code."""
    row = (
        await session.execute(
            text(
                "select name from enterprises where credit_code = :c union all "
                "select name from wage_related_units where credit_code = :c limit 1"
            ),
            {"c": code},
        )
    ).first()
    return row[0] if row else None


async def get_listing(session: AsyncSession, listing_id: str) -> CreditListing | None:
    return await session.get(CreditListing, listing_id)


async def lock_listing(session: AsyncSession, listing_id: str) -> CreditListing | None:
    return (
        await session.execute(select(CreditListing).where(CreditListing.listing_id == listing_id).with_for_update())
    ).scalar_one_or_none()


async def listing_of_fact(session: AsyncSession, fact_id: str) -> CreditListing | None:
    return (
        await session.execute(select(CreditListing).where(CreditListing.inspection_fact_id == fact_id))
    ).scalar_one_or_none()


async def listings(session: AsyncSession, credit_code: str | None = None) -> list[CreditListing]:
    q = select(CreditListing).order_by(CreditListing.decided_on, CreditListing.listing_id)
    if credit_code:
        q = q.where(CreditListing.subject_credit_code == credit_code)
    return list((await session.execute(q)).scalars())


async def get_end(session: AsyncSession, record_id: str) -> CreditListingEnd | None:
    return await session.get(CreditListingEnd, record_id)


# -- the export ---------------------------------------------------------------------------------------------
async def records_for_range(
    session: AsyncSession, since: datetime, until: datetime, ended: list[str]
) -> list[CreditRecord]:
    """The records confirmed before `until` that can have a line in [since, until): confirmed or their
    subject known since `since` (an entry's line is on the later of the two days), or ended (`ended`: the
    record ids with an end) — not every record ever confirmed, whatever the length of the history."""
    return list(
        (
            await session.execute(
                select(CreditRecord)
                .where(
                    CreditRecord.confirmed_at < until,
                    or_(
                        CreditRecord.confirmed_at >= since,
                        col(CreditRecord.subject_known_at) >= since,
                        col(CreditRecord.record_id).in_(ended),
                    ),
                )
                .order_by(CreditRecord.confirmed_at, CreditRecord.record_id)
            )
        )
        .scalars()
        .all()
    )


async def confirming_decisions(session: AsyncSession, alert_ids: list[str]) -> dict[str, AlertTransition]:
    """The confirming decision of each of these alerts, by alert id."""
    return {
        t.alert_id: t
        for t in (
            await session.execute(
                select(AlertTransition).where(
                    AlertTransition.alert_id.in_(alert_ids),
                    AlertTransition.outcome.in_(CONFIRMING_OUTCOMES),
                )
            )
        ).scalars()
    }


async def listings_decided_by(session: AsyncSession, end: date) -> list[CreditListing]:
    return list(
        (
            await session.execute(
                select(CreditListing)
                .where(CreditListing.decided_on <= end)
                .order_by(CreditListing.decided_on, CreditListing.listing_id)
            )
        ).scalars()
    )


async def all_ends(session: AsyncSession) -> dict[str, CreditListingEnd]:
    return {e.record_id: e for e in (await session.execute(select(CreditListingEnd))).scalars()}
