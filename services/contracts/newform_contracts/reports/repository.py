"""The queries of the employment report (M4, M19): an enterprise's signed contracts over a month."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import SIGNED_CONTRACT, Contract, ContractStatus, ContractTransition, EvidenceRecord, Registration, Worker


async def signed_contracts_overlapping(
    session: AsyncSession, enterprise_id: str, first: date, last: date
) -> list[tuple[Contract, Registration, Worker]]:
    """The enterprise's signed contracts whose term overlaps [first, last], with who signed them, by id."""
    return [
        tuple(row)
        for row in (
            await session.execute(
                select(Contract, Registration, Worker)
                .join(Registration, Registration.id == Contract.registration_id)
                .join(Worker, Worker.worker_id == Contract.worker_id)
                .where(
                    Contract.enterprise_id == enterprise_id,
                    Contract.status.in_(SIGNED_CONTRACT),
                    Contract.start_date <= last,
                    or_(Contract.end_date.is_(None), Contract.end_date >= first),
                )
                .order_by(Contract.id)
            )
        ).all()
    ]


async def terminated_at(session: AsyncSession, contract_ids: list[str]) -> dict[str, datetime]:
    """When each of these contracts was terminated (those that were)."""
    if not contract_ids:
        return {}
    rows = await session.execute(
        select(ContractTransition.contract_id, ContractTransition.at).where(
            ContractTransition.contract_id.in_(contract_ids), ContractTransition.to_status == ContractStatus.terminated
        )
    )
    return dict(rows.all())


async def evidence_of(session: AsyncSession, contract_ids: list[str]) -> list[EvidenceRecord]:
    if not contract_ids:
        return []
    return list(
        (await session.execute(select(EvidenceRecord).where(EvidenceRecord.contract_id.in_(contract_ids)))).scalars()
    )
