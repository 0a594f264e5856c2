"""Every query of the contracts service: the router's lists and the use cases' reads and locks.

Lists are narrowed to what the principal may see (`newform_common.scope`); deciding whether a
request may ask for a platform at all is the router's."""

from __future__ import annotations

import re
from collections import namedtuple
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from asyncpg.exceptions import IntegrityConstraintViolationError
from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import bulk
from newform_common.auth import Principal
from newform_common.errors import Conflict
from newform_common.findings import Finding, FindingSpec
from newform_common.idempotency import IdempotencyRecord, IdempotentRequest
from newform_common.locks import lock_keys
from newform_common.outbox import ROW_COLUMNS, OutboxRow
from newform_common.pagination import PageParams, keyset
from newform_common.scope import get_visible, visibility

from .models import (
    AccountRestriction,
    Contract,
    ContractTransition,
    Enterprise,
    EvidenceRecord,
    HeldFinding,
    LiabilityShift,
    PiiAccessLog,
    Registration,
    RestrictionAppeal,
    RuleNotice,
    VerifiedEnterprise,
    VerifiedInsurance,
    VerifiedLicence,
    Worker,
)

#: A contract that binds (or is about to bind) the worker.
ACTIVE_CONTRACT = ("sent", "signed")
#: A contract both parties signed, whatever became of it since: what the employment report counts.
SIGNED_CONTRACT = ("signed", "terminated", "expired")


async def _visible_page(
    session: AsyncSession, model: Any, principal: Principal, params: PageParams, platform_id: str | None, **equal: Any
) -> list[Any]:
    """One page of `model`'s rows the principal may see, by id, filtered on the given columns."""
    query = select(model).where(
        visibility(principal).where(platform=model.platform_id, worker=getattr(model, "worker_id", None))
    )
    if platform_id:
        query = query.where(model.platform_id == platform_id)
    for column, value in equal.items():
        if value:
            query = query.where(getattr(model, column) == value)
    return list((await session.execute(keyset(query, model.id, params))).scalars())


# ---------------------------------------------------------------------------------------------
# Enterprises
# ---------------------------------------------------------------------------------------------
async def enterprise(session: AsyncSession, enterprise_id: str) -> Enterprise | None:
    return await session.get(Enterprise, enterprise_id)


async def visible_enterprise(session: AsyncSession, principal: Principal, enterprise_id: str) -> Enterprise:
    return await get_visible(session, principal, Enterprise, enterprise_id, what="enterprise")


async def lock_credit_code(session: AsyncSession, credit_code: str) -> None:
    """Serialises registrations of one credit code until the transaction ends."""
    await lock_keys(session, "enterprise-credit-code", [credit_code])


async def enterprise_id_with_credit_code(session: AsyncSession, credit_code: str) -> str | None:
    return await session.scalar(
        select(Enterprise.id).where(Enterprise.credit_code == credit_code).order_by(Enterprise.id).limit(1)
    )


async def enterprises(
    session: AsyncSession, principal: Principal, params: PageParams, *, platform_id: str | None, kind: str | None
) -> list[Enterprise]:
    return await _visible_page(session, Enterprise, principal, params, platform_id, kind=kind)


# ---------------------------------------------------------------------------------------------
# Workers and registrations
# ---------------------------------------------------------------------------------------------
async def worker(session: AsyncSession, worker_id: str) -> Worker | None:
    return await session.get(Worker, worker_id)


async def add_worker(session: AsyncSession, row: dict[str, Any]) -> None:
    """The person's row, unless a concurrent registration stored it first (then that one is kept)."""
    await bulk.insert_new(session, Worker, [row], key=["worker_id"])


async def visible_registration(session: AsyncSession, principal: Principal, registration_id: str) -> Registration:
    return await get_visible(session, principal, Registration, registration_id, what="worker registration")


async def registration_for_update(session: AsyncSession, registration_id: str) -> Registration | None:
    return await session.get(Registration, registration_id, with_for_update=True)


async def registration_id_of(session: AsyncSession, worker_id: str, platform_id: str) -> str | None:
    return await session.scalar(
        select(Registration.id).where(Registration.worker_id == worker_id, Registration.platform_id == platform_id)
    )


async def registrations(
    session: AsyncSession, principal: Principal, params: PageParams, *, platform_id: str | None, worker_id: str | None
) -> list[Registration]:
    return await _visible_page(session, Registration, principal, params, platform_id, worker_id=worker_id)


# ---------------------------------------------------------------------------------------------
# Contracts
# ---------------------------------------------------------------------------------------------
async def contract(session: AsyncSession, contract_id: str, *, for_update: bool = False) -> Contract | None:
    query = select(Contract).where(Contract.id == contract_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


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
    return await _visible_page(
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
        .where(Contract.registration_id == registration_id, Contract.status != "discarded")
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


# ---------------------------------------------------------------------------------------------
# Signatures
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# Account restrictions (M5)
# ---------------------------------------------------------------------------------------------
async def restriction(
    session: AsyncSession, restriction_id: str, *, for_update: bool = False
) -> AccountRestriction | None:
    query = select(AccountRestriction).where(AccountRestriction.id == restriction_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def restrictions(
    session: AsyncSession, principal: Principal, params: PageParams, *, platform_id: str | None, worker_id: str | None
) -> list[AccountRestriction]:
    return await _visible_page(session, AccountRestriction, principal, params, platform_id, worker_id=worker_id)


async def other_unlifted_restrictions(session: AsyncSession, registration_id: str, restriction_id: str) -> int:
    """How many restrictions of the registration, other than this one, are still in effect."""
    return await session.scalar(
        select(func.count())
        .select_from(AccountRestriction)
        .where(
            AccountRestriction.registration_id == registration_id,
            AccountRestriction.id != restriction_id,
            AccountRestriction.lifted_at.is_(None),
        )
    )


async def open_appeal_id(session: AsyncSession, restriction_id: str) -> str | None:
    return await session.scalar(
        select(RestrictionAppeal.id).where(
            RestrictionAppeal.restriction_id == restriction_id, RestrictionAppeal.status == "open"
        )
    )


async def appeals(session: AsyncSession, restriction_id: str) -> list[RestrictionAppeal]:
    return list(
        (
            await session.execute(
                select(RestrictionAppeal)
                .where(RestrictionAppeal.restriction_id == restriction_id)
                .order_by(RestrictionAppeal.id)
            )
        ).scalars()
    )


# ---------------------------------------------------------------------------------------------
# Rule and algorithm register (M10)
# ---------------------------------------------------------------------------------------------
async def lock_rule_notice_topic(session: AsyncSession, platform_id: str, topic: str) -> None:
    """Serialises publications of one topic until the transaction ends: side by side, both would take the
    latest version + 1 and the second fail on the unique version instead of becoming the next one."""
    await lock_keys(session, "contracts-rule-notice-topic", [f"{platform_id}:{topic}"])


async def latest_notice_version(session: AsyncSession, platform_id: str, topic: str) -> int | None:
    return await session.scalar(
        select(func.max(RuleNotice.version)).where(RuleNotice.platform_id == platform_id, RuleNotice.topic == topic)
    )


async def rule_notices(
    session: AsyncSession, principal: Principal, params: PageParams, *, platform_id: str | None, topic: str | None
) -> list[RuleNotice]:
    return await _visible_page(session, RuleNotice, principal, params, platform_id, topic=topic)


async def notice_versions(
    session: AsyncSession, platform_id: str, topic: str, versions: tuple[int, ...] | None = None
) -> list[RuleNotice]:
    """A platform's notices on a topic, oldest version first; only the given versions if any."""
    query = select(RuleNotice).where(RuleNotice.platform_id == platform_id, RuleNotice.topic == topic)
    if versions is not None:
        query = query.where(RuleNotice.version.in_(versions))
    return list((await session.execute(query.order_by(RuleNotice.version))).scalars())


# ---------------------------------------------------------------------------------------------
# Employment report (M4, M19)
# ---------------------------------------------------------------------------------------------
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
            ContractTransition.contract_id.in_(contract_ids), ContractTransition.to_status == "terminated"
        )
    )
    return dict(rows.all())


async def evidence_of(session: AsyncSession, contract_ids: list[str]) -> list[EvidenceRecord]:
    if not contract_ids:
        return []
    return list(
        (await session.execute(select(EvidenceRecord).where(EvidenceRecord.contract_id.in_(contract_ids)))).scalars()
    )


# ---------------------------------------------------------------------------------------------
# Audit
# ---------------------------------------------------------------------------------------------
async def pii_accesses(session: AsyncSession, params: PageParams) -> list[PiiAccessLog]:
    return list((await session.execute(keyset(select(PiiAccessLog), PiiAccessLog.id, params))).scalars())


# ---------------------------------------------------------------------------------------------
# Verified facts from departments (verified.py)
# ---------------------------------------------------------------------------------------------
LIVE_CONTRACT = ("sent", "signed")


async def verified_version(session: AsyncSession, model, fact_id: str) -> int | None:
    return await session.scalar(select(model.version).where(model.fact_id == fact_id))


async def save_verified(session: AsyncSession, model, row: dict[str, Any]) -> None:
    await bulk.upsert(session, model, [row], key=["fact_id"])


async def verified_insurance_of(session: AsyncSession, worker_id: str) -> list[VerifiedInsurance]:
    return list(
        (await session.execute(select(VerifiedInsurance).where(VerifiedInsurance.worker_id == worker_id))).scalars()
    )


async def verified_licences_of(session: AsyncSession, credit_code: str) -> list[VerifiedLicence]:
    return list(
        (
            await session.execute(select(VerifiedLicence).where(VerifiedLicence.holder_credit_code == credit_code))
        ).scalars()
    )


async def verified_licence(session: AsyncSession, fact_id: str) -> VerifiedLicence | None:
    return await session.get(VerifiedLicence, fact_id)


async def verified_enterprise_records(session: AsyncSession, credit_code: str) -> list[VerifiedEnterprise]:
    return list(
        (
            await session.execute(
                select(VerifiedEnterprise)
                .where(VerifiedEnterprise.credit_code == credit_code)
                .execution_options(populate_existing=True)
            )
        ).scalars()
    )


async def live_contracts_of_worker(session: AsyncSession, worker_id: str) -> list[Contract]:
    return list(
        (
            await session.execute(
                select(Contract).where(Contract.worker_id == worker_id, Contract.status.in_(LIVE_CONTRACT))
            )
        ).scalars()
    )


async def live_contracts_through(
    session: AsyncSession, credit_code: str, kinds: tuple[str, ...]
) -> list[tuple[Contract, Enterprise]]:
    rows = await session.execute(
        select(Contract, Enterprise)
        .join(Enterprise, Enterprise.id == Contract.enterprise_id)
        .where(Enterprise.credit_code == credit_code, Enterprise.kind.in_(kinds), Contract.status.in_(LIVE_CONTRACT))
    )
    return [(c, e) for c, e in rows.all()]


async def contract_with_enterprise(
    session: AsyncSession, contract_id: str
) -> tuple[Contract | None, Enterprise | None]:
    c = await session.get(Contract, contract_id)
    return c, (await session.get(Enterprise, c.enterprise_id) if c is not None else None)


async def lock_findings_on_facts(session: AsyncSession, contract_id: str, specs: list[FindingSpec]) -> None:
    """Serialise "is there a finding on (rule, contract, fact) yet?" until commit: a fact's consumer and a
    sent contract's check (two instances may run them side by side) would each miss the other's
    uncommitted finding and both raise it."""
    await lock_keys(
        session,
        "contracts-finding-on-fact",
        [f"{spec.rule}:{contract_id}:{spec.evidence['fact_id']}" for spec in specs],
    )


async def finding_on_fact_exists(session: AsyncSession, rule: str, subject_id: str, fact_id: str) -> bool:
    """One finding per contract and department fact (a redelivered or repeated statement adds none)."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(Finding)
            .where(
                Finding.rule == rule, Finding.subject_id == subject_id, Finding.evidence["fact_id"].astext == fact_id
            )
        )
    ) > 0


async def record_liability(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await bulk.insert_new(session, LiabilityShift, rows, key=["contract_id", "fact_id"])


# ---------------------------------------------------------------------------------------------
# Drafting a contract, the busiest write: everything it reads in one statement, everything it
# writes in one more (no session: a single statement is atomic, so no BEGIN and COMMIT round trips)
# ---------------------------------------------------------------------------------------------
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
       (select {_record(IdempotencyRecord, "k")} from idempotency_keys k where k.principal = $4 and k.key = $5)
"""


async def draft_facts(
    conn: Any, registration_id: str, enterprise_id: str, idempotency: IdempotentRequest | None
) -> DraftFacts:
    reg, ent, terms, licences, records, insurance, stored = await conn.fetchrow(
        _DRAFT_FACTS,
        registration_id,
        enterprise_id,
        list(ACTIVE_CONTRACT),
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
    )


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
