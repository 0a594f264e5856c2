"""Related units: declaring one (its credit code checked, the event published)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.errors import Unprocessable
from newform_common.identity import validate_credit_code
from newform_common.ids import new_id
from newform_common.outbox import record

from ..events import RelatedUnitRegistered
from . import repository as repo
from .schemas import RelatedUnitCreate


async def register_related_unit(session: AsyncSession, platform_id: str, body: RelatedUnitCreate) -> dict[str, Any]:
    """Declare a related unit of the platform (M6, M19): its credit code must be valid."""
    try:
        validate_credit_code(body.credit_code)
    except ValueError as exc:
        raise Unprocessable(f"credit_code: {exc}", slug="invalid-credit-code") from exc
    row = {"id": new_id("ru"), "platform_id": platform_id, **body.model_dump(), "registered_at": datetime.now(UTC)}
    row["id"] = await repo.upsert_related_unit(session, row)
    record(
        session,
        RelatedUnitRegistered(
            platform_id=platform_id,
            enterprise_id=body.enterprise_id,
            name=body.name,
            credit_code=body.credit_code,
            kind=body.kind,
            platform_entrusted_to_pay=body.platform_entrusted_to_pay,
        ),
    )
    return row
