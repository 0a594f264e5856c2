"""unions for the regulator: union branches, online membership, consultation on platform rules,
collective contracts (M17, M10)

Fed by `projection.py` from `unions.events`: one row per subject, its latest event; memberships
(counted per platform against contracts' registrations, never listed), consultations and collective
contracts for the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.pagination import Page, PageParams, page_of

from . import repository
from .models import UnionsCollectiveContract, UnionsConsultation
from .schemas import UnionsSubjectPublic


async def subjects(
    session: AsyncSession, params: PageParams, *, platform_id: str | None = None
) -> Page[UnionsSubjectPublic]:
    rows = await repository.subjects_page(session, params, platform_id=platform_id)
    items = [UnionsSubjectPublic.model_validate(r) for r in rows]
    return page_of(items, params, lambda s: [s.subject])


@dataclass(frozen=True)
class CoverageRow:
    platform_id: str
    members: int
    registered_workers: int

    @property
    def percent(self) -> int | None:
        return self.members * 100 // self.registered_workers if self.registered_workers else None


@dataclass(frozen=True)
class Overview:
    """The page's figures: coverage per platform (counts only), contracts in force, consultations."""

    coverage: list[CoverageRow]
    contracts: list[UnionsCollectiveContract]
    consultations: list[UnionsConsultation]


async def overview(session: AsyncSession, limit: int = 100) -> Overview:
    return Overview(
        coverage=[CoverageRow(*row) for row in await repository.coverage(session, limit)],
        contracts=await repository.contracts_in_force(session, limit),
        consultations=await repository.latest_consultations(session, limit),
    )
