"""unions for the regulator: union branches, online membership, consultation on platform rules,
collective contracts (M17, M10)

Fed by `projection.py` from `unions.events`: one row per subject, its latest event; memberships
(counted, never listed), consultations and collective contracts for the page.

Union coverage (M17; the measures item 17: 互联网+工会, drawing new-form workers into unions) is
members over registered workers, from two read models the gateway already rebuilds from the topics:
contracts' registrations (`worker_registrations`, from `contracts.worker.registered.v1`; a registration
the platform cancels, `contracts.account.restricted.v1` with `cancel`, is no longer active until the
cancellation is lifted, `contracts.account.restriction_lifted.v1`) and unions'
memberships (`unions_memberships`, from `unions.membership.*.v1`, each carrying the member's `worker_id`).

- **Registered workers**: the people (`w_…`) holding at least one active registration with a platform.
- **A worker's district** is the residence district (`residence_district`) their platform reported on
  registering them, taken from their latest active registration (registered_at, then registration id), so
  each person is in exactly one district and the district rows add up to the people registered.
  Not the platform's district (a platform serves the whole city) nor the union's covered districts
  (a union covers workers who are not members): where the worker lives is the district government's
  responsibility. Registrations that named none make the row `null` (未注明).
- **Members**: registered workers holding an active membership of any union (one per person; a transfer
  ends one and starts another, so the person counts once). A member with no active registration is
  not among registered workers and is outside the figure: coverage never exceeds 100%.
- **Per platform**: a platform's registered workers are those with an active registration with it, its
  members those of them who are members — whichever union they joined and through whichever platform
  (membership is the person's). A person registered with two platforms is in both rows, so the platform
  total is registrations (人次), not people; the district total is people. The scorecards'
  democratic-consultation column shows a platform's own row of this figure (`platforms/service.py`).

The same definition is counted in the unions service, over its own copy of the registrations, by one pure
function (`services/unions/newform_unions/rules.py`, `union_coverage`; its `GET /v1/coverage` and
`/v1/coverage/districts`): the SQL here (`repository.coverage_by_district`, `coverage_by_platform`) and
that function change together. The figures are kept as the registrations and memberships are written, by
migration 0007_union_coverage's triggers (each registered worker's district, membership and platforms; the
counts per district and platform), so a request reads a few counter rows, not every registration.

Who sees what: the regulator, admin and city departments the whole city; a district government
(`department=county` with its `district`) only the workers of its district, by district or by
platform; a platform only its own figure (by platform; per district is oversight's); anyone else 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import vocabulary
from newform_common.auth import Principal, Role
from newform_common.errors import Forbidden
from newform_common.pagination import Page, PageParams, page_of
from newform_common.policy import business_today

from ...alerts import routing
from . import repository
from .models import UnionsCollectiveContract, UnionsConsultation
from .schemas import UnionCoverageFigure, UnionCoveragePublic, UnionCoverageRow, UnionsSubjectPublic

By = Literal["district", "platform"]


async def subjects(
    session: AsyncSession, params: PageParams, *, platform_id: str | None = None
) -> Page[UnionsSubjectPublic]:
    rows = await repository.subjects_page(session, params, platform_id=platform_id)
    items = [UnionsSubjectPublic.model_validate(r) for r in rows]
    return page_of(items, params, lambda s: [s.subject])


@dataclass(frozen=True)
class CoverageScope:
    """Whose figures a caller sees: one district's workers, one platform's, or (neither) the city's."""

    district: str | None = None
    platform_id: str | None = None

    @property
    def label(self) -> str:
        if self.platform_id is not None:
            return f"platform:{self.platform_id}"
        return f"district:{self.district}" if self.district is not None else "city"


def coverage_scope(principal: Principal, by: By) -> CoverageScope:
    """The caller's view of coverage (module docstring); 403 for any other caller."""
    if principal.role == Role.platform and principal.platform_id:
        if by == "district":
            raise Forbidden("A platform sees its own coverage figure (by=platform); per district is for oversight")
        return CoverageScope(platform_id=principal.platform_id)
    if principal.role == Role.department:
        if routing.department_key(principal) is None:
            raise Forbidden(
                "A department token needs a department scope (a district government: department=county with a district)"
            )
        return CoverageScope(district=principal.district if principal.department == routing.COUNTY else None)
    if principal.role in (Role.regulator, Role.admin):
        return CoverageScope()
    raise Forbidden("Union coverage is for the departments, the regulator and (its own figure) a platform")


def percent(members: int, registered: int) -> int | None:
    return members * 100 // registered if registered else None


def _district_names() -> dict[str, str]:
    try:
        return vocabulary.districts(business_today())
    except LookupError:  # no measures' data in force today: codes only
        return {}


async def coverage(session: AsyncSession, scope: CoverageScope, by: By) -> UnionCoveragePublic:
    """The rows and their total (the sum of the rows), read in the caller's snapshot so they add up."""
    if by == "district":
        names = _district_names()
        rows = [
            UnionCoverageRow(
                key=d, name=names.get(d) if d else None, members=m, registered_workers=r, coverage_percent=percent(m, r)
            )
            for d, m, r in await repository.coverage_by_district(session, scope.district)
        ]
    else:
        found = await repository.coverage_by_platform(session, district=scope.district, platform_id=scope.platform_id)
        rows = [
            UnionCoverageRow(key=p, members=m, registered_workers=r, coverage_percent=percent(m, r))
            for p, m, r in found
        ]
    members, registered = sum(r.members for r in rows), sum(r.registered_workers for r in rows)
    total = UnionCoverageFigure(
        members=members, registered_workers=registered, coverage_percent=percent(members, registered)
    )
    return UnionCoveragePublic(by=by, scope=scope.label, rows=rows, total=total)


@dataclass(frozen=True)
class Overview:
    """The page's figures: coverage per district and per platform (counts only), contracts in force,
    consultations."""

    districts: UnionCoveragePublic
    platforms: UnionCoveragePublic
    contracts: list[UnionsCollectiveContract]
    consultations: list[UnionsConsultation]


async def overview(session: AsyncSession, principal: Principal, limit: int = 100) -> Overview:
    scope = coverage_scope(principal, "district")
    return Overview(
        districts=await coverage(session, scope, "district"),
        platforms=await coverage(session, scope, "platform"),
        contracts=await repository.contracts_in_force(session, limit),
        consultations=await repository.latest_consultations(session, limit),
    )
