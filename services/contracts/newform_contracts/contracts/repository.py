"""The queries on contracts, their transitions, held findings and signatures — and drafting, the busiest
write, as two statements on a driver connection (everything it reads in one, everything it writes in one
more: no session, and a single statement is atomic, so no BEGIN and COMMIT round trips)."""

from __future__ import annotations

import re
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson
from asyncpg.exceptions import IntegrityConstraintViolationError
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.collective import Collective, collective_of
from newform_common.errors import Conflict
from newform_common.idempotency import IdempotencyRecord, IdempotentRequest
from newform_common.outbox import ROW_COLUMNS, OutboxRow
from newform_common.pagination import PageParams
from newform_common.scope import get_visible

from ..models import (
    LIVE_CONTRACT,
    Contract,
    ContractStatus,
    ContractTransition,
    Enterprise,
    EvidenceRecord,
    HeldFinding,
    Registration,
    VerifiedEnterprise,
    VerifiedInsurance,
    VerifiedLicence,
)
from ..repository import visible_page


async def contract(session: AsyncSession, contract_id: str, *, for_update: bool = False) -> Contract | None:
    query = select(Contract).where(Contract.id == contract_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def visible_contract(
    session: AsyncSession, principal: Principal, contract_id: str, *, for_update: bool = False
) -> Contract:
    """The contract if the caller may see it (its platform, its worker, the departments); else 404."""
    return await get_visible(session, principal, Contract, contract_id, what="contract", for_update=for_update)


async def contracts(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    platform_id: str | None,
    worker_id: str | None,
    enterprise_id: str | None,
    status: str | None,
) -> list[Contract]:
    return await visible_page(
        session,
        Contract,
        principal,
        params,
        platform_id,
        worker_id=worker_id,
        enterprise_id=enterprise_id,
        status=status,
    )


async def latest_contract_district(session: AsyncSession, registration_id: str) -> str | None:
    """The district of the registration's latest contract that was not discarded."""
    return await session.scalar(
        select(Contract.district)
        .where(Contract.registration_id == registration_id, Contract.status != ContractStatus.discarded)
        .order_by(Contract.created_at.desc())
        .limit(1)
    )


async def transitions(session: AsyncSession, contract_id: str) -> list[ContractTransition]:
    return list(
        (
            await session.execute(
                select(ContractTransition)
                .where(ContractTransition.contract_id == contract_id)
                .order_by(ContractTransition.id)
            )
        ).scalars()
    )


async def held_findings(session: AsyncSession, contract_id: str, *, for_update: bool = False) -> list[HeldFinding]:
    query = select(HeldFinding).where(HeldFinding.contract_id == contract_id).order_by(HeldFinding.id)
    return list((await session.execute(query.with_for_update() if for_update else query)).scalars())


# -- signatures ------------------------------------------------------------------------------------------
async def evidence_records(session: AsyncSession, contract_id: str) -> list[EvidenceRecord]:
    return list(
        (
            await session.execute(
                select(EvidenceRecord).where(EvidenceRecord.contract_id == contract_id).order_by(EvidenceRecord.seq)
            )
        ).scalars()
    )


async def signers(session: AsyncSession, contract_id: str) -> list[str]:
    rows = await session.execute(
        select(EvidenceRecord.signer).where(EvidenceRecord.contract_id == contract_id).order_by(EvidenceRecord.seq)
    )
    return list(rows.scalars())


async def last_signed_at(session: AsyncSession, contract_id: str) -> datetime | None:
    return await session.scalar(
        select(func.max(EvidenceRecord.signed_at)).where(EvidenceRecord.contract_id == contract_id)
    )


# -- drafting --------------------------------------------------------------------------------------------
_DIALECT = postgresql.dialect()


def _columns(model: Any) -> tuple[str, ...]:
    return tuple(column.name for column in model.__table__.columns)


def _is_json(model: Any, name: str) -> bool:
    return isinstance(model.__table__.columns[name].type, JSONB)


def _record(model: Any, alias: str) -> str:
    """A row of `model` as an anonymous record, its columns in table order (read back by `_instance`)."""
    return "row(" + ", ".join(f'{alias}."{name}"' for name in _columns(model)) + ")"


def _row_type(model: Any) -> type:
    """A named tuple of `model`'s columns (None unless given): the hot path's rows, read by attribute
    like the model's instances, built without the ORM's instrumentation (no session ever holds them)."""
    columns = _columns(model)
    return namedtuple(f"{model.__name__}Row", columns, defaults=(None,) * len(columns))


RegistrationRow, EnterpriseRow = _row_type(Registration), _row_type(Enterprise)


VerifiedLicenceRow, VerifiedEnterpriseRow = _row_type(VerifiedLicence), _row_type(VerifiedEnterprise)


VerifiedInsuranceRow = _row_type(VerifiedInsurance)


ContractRow, ContractTransitionRow, HeldFindingRow = (
    _row_type(Contract),
    _row_type(ContractTransition),
    _row_type(HeldFinding),
)


@dataclass(frozen=True)
class DraftFacts:
    """What drafting a contract judges with, read in one snapshot."""

    registration: RegistrationRow | None
    enterprise: EnterpriseRow | None
    #: (start, end) of the worker's active full-time labour contracts, on any platform.
    full_time_terms: list[tuple[date, date | None]]
    #: The departments' facts on the enterprise (licences only for a dispatch agency) and the worker.
    licences: list[VerifiedLicenceRow]
    enterprise_records: list[VerifiedEnterpriseRow]
    insurance: list[VerifiedInsuranceRow]
    #: The stored answer to an earlier request with the same Idempotency-Key.
    stored: IdempotencyRecord | None
    #: The collective contracts naming the enterprise's platform, ended ones too (judged by the term's days).
    collectives: list[Collective] = field(default_factory=list)


_DRAFT_FACTS = f"""
with r as (select * from registrations where id = $1), e as (select * from enterprises where id = $2)
select (select {_record(Registration, "r")} from r),
       (select {_record(Enterprise, "e")} from e),
       array(select row(c.start_date, c.end_date) from contracts c join r on c.worker_id = r.worker_id
             where c.status = any($3::text[]) and c.engagement_type = 'labor_contract' and c.part_time is false),
       array(select {_record(VerifiedLicence, "v")} from verified_licences v
             join e on v.holder_credit_code = e.credit_code where e.kind = 'dispatch_agency'),
       array(select {_record(VerifiedEnterprise, "v")} from verified_enterprises v
             join e on v.credit_code = e.credit_code),
       array(select {_record(VerifiedInsurance, "v")} from verified_insurance v join r on v.worker_id = r.worker_id),
       (select {_record(IdempotencyRecord, "k")} from idempotency_keys k where k.principal = $4 and k.key = $5),
       array(select to_jsonb(cc)::text from collective_contracts cc join e on cc.platform_ids ? e.platform_id)
"""


async def draft_facts(
    conn: Any, registration_id: str, enterprise_id: str, idempotency: IdempotentRequest | None
) -> DraftFacts:
    reg, ent, terms, licences, records, insurance, stored, collectives = await conn.fetchrow(
        _DRAFT_FACTS,
        registration_id,
        enterprise_id,
        [str(status) for status in LIVE_CONTRACT],
        idempotency.scope if idempotency else None,
        idempotency.key if idempotency else None,
    )
    return DraftFacts(
        registration=RegistrationRow(*reg) if reg else None,
        enterprise=EnterpriseRow(*ent) if ent else None,
        full_time_terms=[tuple(span) for span in terms],
        licences=[VerifiedLicenceRow(*v) for v in licences],
        enterprise_records=[VerifiedEnterpriseRow(*v) for v in records],
        insurance=[VerifiedInsuranceRow(*v) for v in insurance],
        stored=IdempotencyRecord(**dict(zip(_columns(IdempotencyRecord), stored, strict=True))) if stored else None,
        collectives=[_collective(orjson.loads(c)) for c in collectives],
    )


def _collective(row: dict[str, Any]) -> Collective:
    """A collective contract read as JSON (its dates as ISO text)."""
    for name in ("effective_from", "effective_until", "in_force_on", "ended_on"):
        if row.get(name):
            row[name] = date.fromisoformat(row[name])
    return collective_of(row)


def _param_type(model: Any, name: str) -> str:
    """How a parameter for the column is typed: strings without their length, so that the column's own
    check refuses an over-long value (a cast to varchar(n) would cut it); JSONB as text, cast in the SQL."""
    if _is_json(model, name):
        return "text"
    return re.sub(r"VARCHAR\(\d+\)", "VARCHAR", model.__table__.columns[name].type.compile(dialect=_DIALECT))


def _placeholders(model: Any, names: tuple[str, ...], first: int, *, arrays: bool = False) -> list[str]:
    """`$first`, `$first+1`, … for `names`, typed as their columns (JSONB sent as text and cast)."""
    placeholders = []
    for i, name in enumerate(names, start=first):
        kind = _param_type(model, name)
        placeholder = f"${i}::{kind}[]" if arrays else f"${i}::{kind}"
        placeholders.append(placeholder if arrays or not _is_json(model, name) else f"({placeholder})::jsonb")
    return placeholders


def _insert(table: str, names: tuple[str, ...]) -> str:
    return f"insert into {table} (" + ", ".join(f'"{name}"' for name in names) + ")"


_CONTRACT = _columns(Contract)


_TRANSITION = ("from_status", "to_status", "actor", "reason", "at")  # and the contract's id


_HELD = tuple(name for name in _columns(HeldFinding) if name != "contract_id")  # one array each


_IDEMPOTENCY = ("principal", "key", "operation", "request_hash", "status_code", "response")


def _save_draft_statement() -> str:
    transition = len(_CONTRACT) + 1
    held = transition + len(_TRANSITION)
    outbox = held + len(_HELD)
    idempotency = outbox + len(ROW_COLUMNS)
    held_values = ", ".join(f'u."{name}"::jsonb' if _is_json(HeldFinding, name) else f'u."{name}"' for name in _HELD)
    keys = _placeholders(IdempotencyRecord, _IDEMPOTENCY, idempotency)
    return f"""
with contract as ({_insert("contracts", _CONTRACT)}
                  values ({", ".join(_placeholders(Contract, _CONTRACT, 1))})),
     transition as ({_insert("contract_transitions", ("contract_id", *_TRANSITION))}
                    values ($1, {", ".join(_placeholders(ContractTransition, _TRANSITION, transition))})),
     held as ({_insert("held_findings", ("contract_id", *_HELD))}
              select $1, {held_values}
              from unnest({", ".join(_placeholders(HeldFinding, _HELD, held, arrays=True))})
                   as u({", ".join(f'"{name}"' for name in _HELD)})),
     idempotency as ({_insert("idempotency_keys", _IDEMPOTENCY)}
                     select {", ".join(keys)} where {keys[0]} is not null)
{_insert("outbox", ROW_COLUMNS)} values ({", ".join(_placeholders(OutboxRow, ROW_COLUMNS, outbox))})
"""


_SAVE_DRAFT = _save_draft_statement()


_CONTRACT_JSON = tuple(_is_json(Contract, name) for name in _CONTRACT)


_HELD_JSON = tuple(_is_json(HeldFinding, name) for name in _HELD)


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


async def save_draft(
    conn: Any,
    contract: ContractRow,
    transition: ContractTransitionRow,
    held: list[HeldFindingRow],
    outbox_row: tuple[Any, ...],
    idempotency: IdempotencyRecord | None,
) -> None:
    """The contract, its first transition, its held findings, its event and the idempotency record:
    one statement, so all or none. A request racing its own Idempotency-Key gets 409, as in a session."""
    values = [_json_text(value) if is_json else value for value, is_json in zip(contract, _CONTRACT_JSON, strict=True)]
    values += [getattr(transition, name) for name in _TRANSITION]
    values += [
        [_json_text(getattr(h, name)) if is_json else getattr(h, name) for h in held]
        for name, is_json in zip(_HELD, _HELD_JSON, strict=True)
    ]
    values += outbox_row
    if idempotency is None:
        values += [None] * len(_IDEMPOTENCY)
    else:
        values += [
            idempotency.principal,
            idempotency.key,
            idempotency.operation,
            idempotency.request_hash,
            idempotency.status_code,
            orjson.dumps(idempotency.response).decode(),
        ]
    try:
        await conn.execute(_SAVE_DRAFT, *values)
    except IntegrityConstraintViolationError as exc:
        raise Conflict("A concurrent request changed the same data; retry the request") from exc
