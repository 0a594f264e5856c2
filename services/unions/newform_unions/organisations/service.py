"""Use cases of union organisations: the union department registers a union and keeps what it covers."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.errors import Conflict, Forbidden, NotFound
from newform_common.outbox import record

from .. import events as ev
from .. import repository as repo
from .. import rules
from ..dates import now, require_past
from ..models import Union
from ..schemas import UnionCoverage, UnionCreate


def require_union_department(principal: Principal) -> None:
    if not rules.is_union(principal):
        raise Forbidden("Only the union department (总工会, a `union` department token) keeps union organisations")


def _facts(row: Union) -> dict:
    return {
        "union_id": row.id,
        "name": row.name,
        "kind": row.kind,
        "platform_ids": list(row.platform_ids),
        "districts": list(row.districts),
        "established_on": row.established_on,
        "at": row.updated_at,
    }


async def register_union(session: AsyncSession, principal: Principal, body: UnionCreate) -> Union:
    require_union_department(principal)
    require_past("established_on", body.established_on)
    if await repo.union(session, body.union_id) is not None:
        raise Conflict(f"Union {body.union_id!r} already exists")
    at = now()
    row = Union(
        id=body.union_id,
        name=body.name,
        kind=body.kind,
        platform_ids=sorted(set(body.platform_ids)),
        districts=sorted(set(body.districts)),
        sector=body.sector,
        established_on=body.established_on,
        created_by=principal.key,
        created_at=at,
        updated_at=at,
    )
    session.add(row)
    record(session, ev.UnionRegistered(**_facts(row)))
    return row


async def change_coverage(session: AsyncSession, principal: Principal, union_id: str, body: UnionCoverage) -> Union:
    require_union_department(principal)
    row = await repo.union(session, union_id, for_update=True)
    if row is None:
        raise NotFound(f"No union {union_id!r}")
    if not body.platform_ids and not body.districts:
        raise Conflict("A union covers at least one platform or one district")
    row.platform_ids, row.districts = sorted(set(body.platform_ids)), sorted(set(body.districts))
    row.updated_at = now()
    record(session, ev.UnionUpdated(**_facts(row)))
    return row
