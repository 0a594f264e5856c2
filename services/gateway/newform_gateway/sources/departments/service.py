"""Facts held by departments for the regulator (M3, M9, M18–M20): what each department stated, and
what stands out — workers not enrolled, dispatch licences no longer valid, enterprises unqualified,
arrears confirmed by inspection, case outcomes.

Fed by `projection.py` from `departments.events`: one row per fact, its latest version.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.policy import business_today

from . import repository
from .schemas import CountRow, DepartmentsSummary, LicenceRow, SourceRow


async def summary(session: AsyncSession, today: date | None = None) -> DepartmentsSummary:
    today = today or business_today()
    by_source = await repository.facts_by_source(session)
    not_enrolled = await repository.not_enrolled_by_type(session)
    licences = await repository.licences_invalid(session, today)
    unqualified = await repository.enterprises_unqualified(session)
    arrears = await repository.arrears_confirmed_fen(session)
    outcomes = await repository.case_outcomes(session)
    return DepartmentsSummary(
        by_source=[SourceRow(department=r[0], kind=r[1], facts=r[2], last_observed_at=r[3]) for r in by_source],
        not_enrolled_by_type=[CountRow(key=r[0], count=r[1]) for r in not_enrolled],
        licences_invalid=[
            LicenceRow(
                licence_number=x.fields["licence_number"],
                holder_credit_code=x.fields["holder_credit_code"],
                holder_name=x.fields.get("holder_name"),
                invalid_from=date.fromordinal(date.fromisoformat(x.fields["effective_until"]).toordinal() + 1),
                revoked=x.fields.get("revoked_on") is not None,
            )
            for x in licences
        ],
        enterprises_unqualified=unqualified or 0,
        arrears_confirmed_fen=arrears or 0,
        case_outcomes=[CountRow(key=r[0], count=r[1]) for r in outcomes],
    )
