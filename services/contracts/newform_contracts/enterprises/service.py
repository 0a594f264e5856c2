"""Use cases of enterprises: a platform registered by the regulator, a partner by its platform (M3); one
credit code is one legal entity. In the request's transaction (never commits)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.errors import Conflict, NotFound
from newform_common.identity import InvalidIdentifier, validate_credit_code
from newform_common.outbox import record

from .. import events as ev
from .. import shared
from ..models import Enterprise, new_id
from . import repository
from .schemas import PartnerCreate, PlatformCreate


def _enterprise_event(e: Enterprise) -> ev.EnterpriseRegistered:
    return ev.EnterpriseRegistered(
        enterprise_id=e.id,
        name=e.name,
        kind=e.kind,
        platform_id=e.platform_id,
        credit_code=e.credit_code,
        district=e.district,
        occupations=e.occupations,
        dispatch_licence_valid_until=e.dispatch_licence_valid_until,
        qualified=e.qualified,
        registered_at=e.registered_at,
    )


async def _refuse_known_credit_code(session: AsyncSession, credit_code: str) -> None:
    """One unified social credit code is one legal entity (GB 32100): registered once, as a platform
    or as one platform's partner; a second registration is 409 naming the existing id.


    Serialised per code with a transaction-scoped advisory lock, so two racing registrations of the
    same code cannot both pass the check."""
    await repository.lock_credit_code(session, credit_code)
    existing = await repository.enterprise_id_with_credit_code(session, credit_code)
    if existing:
        raise Conflict(
            f"The enterprise with credit code {credit_code} is already registered as {existing}; "
            f"one credit code is one legal entity",
            slug="credit-code-registered",
            enterprise_id=existing,
        )


async def register_platform(session: AsyncSession, body: PlatformCreate) -> Enterprise:
    try:
        credit_code = validate_credit_code(body.credit_code)
    except InvalidIdentifier as exc:
        raise shared.invalid_identifier(exc) from exc
    await _refuse_known_credit_code(session, credit_code)
    if await repository.enterprise(session, body.platform_id) is not None:
        raise Conflict(f"Platform {body.platform_id!r} is already registered")
    e = Enterprise(
        id=body.platform_id,
        platform_id=body.platform_id,
        kind="platform",
        name=body.name,
        credit_code=credit_code,
        district=body.district,
        occupations=list(body.occupations),
        qualified=True,
        registered_at=shared.now(),
    )
    session.add(e)
    record(session, _enterprise_event(e))
    return e


async def register_partner(session: AsyncSession, platform_id: str, body: PartnerCreate) -> Enterprise:
    try:
        credit_code = validate_credit_code(body.credit_code)
    except InvalidIdentifier as exc:
        raise shared.invalid_identifier(exc) from exc
    if await repository.enterprise(session, platform_id) is None:
        raise NotFound(f"Platform {platform_id!r} is not registered; the regulator registers platforms first")
    await _refuse_known_credit_code(session, credit_code)
    licence = body.dispatch_licence if body.kind == "dispatch_agency" else None
    e = Enterprise(
        id=new_id("ent"),
        platform_id=platform_id,
        kind=body.kind,
        name=body.name,
        credit_code=credit_code,
        district=body.district,
        occupations=list(body.occupations),
        dispatch_licence_number=licence.number if licence else None,
        dispatch_licence_valid_until=licence.valid_until if licence else None,
        qualified=body.qualified,
        registered_at=shared.now(),
    )
    session.add(e)
    record(session, _enterprise_event(e))
    return e
