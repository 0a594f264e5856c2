"""The worker's application (`POST /v1/cases`): mediation, or — mediation being voluntary
(劳动争议调解仲裁法 art. 5) — arbitration without any mediation. Above both `service.py` and
`arbitration/`, since it may apply for arbitration at once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.findings import FindingRef

from ..arbitration import service as arbitration
from ..engagements.service import parties
from ..models import Case
from ..shared import not_in_future, now, today
from . import lifecycle
from .schemas import CaseCreate


async def open_case(session: AsyncSession, worker_id: str, body: CaseCreate) -> tuple[Case, list[FindingRef]]:
    """A mediation application (received on `received_on`, default today), or an arbitration
    application without any mediation."""
    found_parties = await parties(session, worker_id, body)
    received_on = None
    if body.arbitration is None:
        received_on = body.received_on or today()
        not_in_future(received_on, "received_on")
    case = await lifecycle.new_case(
        session,
        worker_id,
        now(),
        category=body.category,
        description=body.description,
        claims=body.claims,
        facts=body.facts,
        received_on=received_on,
        mediation_body=body.mediation_body,
        **found_parties,
    )
    found = await lifecycle.raise_misclassification(session, case)
    if body.arbitration is not None:
        await arbitration.apply(session, case, body.arbitration, reason="applied_without_mediation", opened=True)
    return case, found
