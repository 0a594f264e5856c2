"""The queries of verified facts: contracts' own copy of departments' facts, the live contracts they
concern, the findings resting on them and the liability they move."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import bulk
from newform_common.findings import Finding, FindingSpec
from newform_common.locks import lock_keys

from ..models import (
    LIVE_CONTRACT,
    Contract,
    Enterprise,
    LiabilityShift,
    VerifiedEnterprise,
    VerifiedInsurance,
    VerifiedLicence,
)


async def verified_version(session: AsyncSession, model, fact_id: str) -> int | None:
    return await session.scalar(select(model.version).where(model.fact_id == fact_id))


async def save_verified(session: AsyncSession, model, row: dict[str, Any]) -> None:
    await bulk.upsert(session, model, [row], key=["fact_id"])


async def verified_insurance_of(session: AsyncSession, worker_id: str) -> list[VerifiedInsurance]:
    return list(
        (await session.execute(select(VerifiedInsurance).where(VerifiedInsurance.worker_id == worker_id))).scalars()
    )


async def verified_licences_of(session: AsyncSession, credit_code: str) -> list[VerifiedLicence]:
    return list(
        (
            await session.execute(select(VerifiedLicence).where(VerifiedLicence.holder_credit_code == credit_code))
        ).scalars()
    )


async def verified_licence(session: AsyncSession, fact_id: str) -> VerifiedLicence | None:
    return await session.get(VerifiedLicence, fact_id)


async def verified_enterprise_records(session: AsyncSession, credit_code: str) -> list[VerifiedEnterprise]:
    return list(
        (
            await session.execute(
                select(VerifiedEnterprise)
                .where(VerifiedEnterprise.credit_code == credit_code)
                .execution_options(populate_existing=True)
            )
        ).scalars()
    )


async def live_contracts_of_worker(session: AsyncSession, worker_id: str) -> list[Contract]:
    return list(
        (
            await session.execute(
                select(Contract).where(Contract.worker_id == worker_id, Contract.status.in_(LIVE_CONTRACT))
            )
        ).scalars()
    )


async def live_contracts_through(
    session: AsyncSession, credit_code: str, kinds: tuple[str, ...]
) -> list[tuple[Contract, Enterprise]]:
    rows = await session.execute(
        select(Contract, Enterprise)
        .join(Enterprise, Enterprise.id == Contract.enterprise_id)
        .where(Enterprise.credit_code == credit_code, Enterprise.kind.in_(kinds), Contract.status.in_(LIVE_CONTRACT))
    )
    return [(c, e) for c, e in rows.all()]


async def contract_with_enterprise(
    session: AsyncSession, contract_id: str
) -> tuple[Contract | None, Enterprise | None]:
    c = await session.get(Contract, contract_id)
    return c, (await session.get(Enterprise, c.enterprise_id) if c is not None else None)


async def lock_findings_on_facts(session: AsyncSession, contract_id: str, specs: list[FindingSpec]) -> None:
    """Serialise "is there a finding on (rule, contract, fact) yet?" until commit: a fact's consumer and a
    sent contract's check (two instances may run them side by side) would each miss the other's
    uncommitted finding and both raise it."""
    await lock_keys(
        session,
        "contracts-finding-on-fact",
        [f"{spec.rule}:{contract_id}:{spec.evidence['fact_id']}" for spec in specs],
    )


async def finding_on_fact_exists(session: AsyncSession, rule: str, subject_id: str, fact_id: str) -> bool:
    """One finding per contract and department fact (a redelivered or repeated statement adds none)."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(Finding)
            .where(
                Finding.rule == rule, Finding.subject_id == subject_id, Finding.evidence["fact_id"].astext == fact_id
            )
        )
    ) > 0


async def record_liability(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await bulk.insert_new(session, LiabilityShift, rows, key=["contract_id", "fact_id"])
