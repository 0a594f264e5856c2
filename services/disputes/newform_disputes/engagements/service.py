"""The engagements' use cases: copy contracts' events (one upsert per polled batch), and the parties
of a complaint or case taken from the worker's own engagement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.consumed import ConsumedEvent
from newform_common.errors import NotFound, Unprocessable
from newform_common.policy import get_policy

from ..cases.schemas import CaseCreate
from ..complaints import rules as complaint_rules
from ..complaints.schemas import ComplaintCreate
from ..consumed import ContractDrafted
from ..models import Engagement
from ..shared import today
from . import repository


async def copy_engagements(session: AsyncSession, changes: Sequence[tuple[ConsumedEvent, str]]) -> None:
    """Each contract event with the engagement status it sets, in order: the last one wins."""
    rows: dict[str, dict[str, Any]] = {}
    for event, status in changes:
        row = rows.setdefault(
            event.contract_id, {"contract_id": event.contract_id, "occupation": None, "district": None}
        )
        row.update(
            worker_id=event.worker_id,
            platform_id=event.platform_id,
            enterprise_id=event.enterprise_id,
            engagement_type=event.engagement_type,
            status=status,
            updated_at=getattr(event, "at", None) or event.drafted_at,
        )
        if isinstance(event, ContractDrafted):
            row.update(occupation=event.occupation, district=event.district)
    if rows:
        await repository.upsert_engagements(session, list(rows.values()))


async def own_engagement(session: AsyncSession, worker_id: str, contract_id: str) -> Engagement:
    """The worker's own engagement; someone else's is not found (its existence does not leak)."""
    engagement = await repository.engagement(session, contract_id)
    if engagement is None or engagement.worker_id != worker_id:
        raise NotFound(f"No engagement {contract_id!r} of yours")
    return engagement


def _check_vocabulary(on: date, *, category: str, occupation: str | None, district: str | None) -> None:
    if category not in complaint_rules.categories(on):
        raise Unprocessable(f"Unknown complaint category {category!r}", slug="unknown-category")
    policy = get_policy()
    if occupation is not None and occupation not in policy.occupations(on):
        raise Unprocessable(f"Unknown occupation {occupation!r}", slug="unknown-occupation")
    if district is not None and district not in policy.districts(on):
        raise Unprocessable(f"Unknown district {district!r}", slug="unknown-district")


async def parties(session: AsyncSession, worker_id: str, body: ComplaintCreate | CaseCreate) -> dict[str, Any]:
    """Platform, unit, engagement, sector and district of a complaint or case."""
    on = today()
    _check_vocabulary(on, category=body.category, occupation=body.occupation, district=body.district)
    if body.contract_id is not None:
        engagement = await own_engagement(session, worker_id, body.contract_id)
        if body.platform_id is not None and body.platform_id != engagement.platform_id:
            raise Unprocessable("The engagement is with another platform", slug="platform-mismatch")
        return {
            "platform_id": engagement.platform_id,
            "enterprise_id": body.enterprise_id or engagement.enterprise_id,
            "contract_id": engagement.contract_id,
            "engagement_type": engagement.engagement_type,
            "occupation": engagement.occupation or body.occupation,
            "district": engagement.district or body.district,
        }
    if body.platform_id is None:
        raise Unprocessable("Name the platform complained against, or the engagement", slug="no-respondent")
    return {
        "platform_id": body.platform_id,
        "enterprise_id": body.enterprise_id,
        "contract_id": None,
        "engagement_type": None,
        "occupation": body.occupation,
        "district": body.district,
    }
