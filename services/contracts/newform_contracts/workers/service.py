"""Use cases of workers: one pseudonymous `worker_id` per person (keyed hash of the ID number), one
registration per platform; the person's data decrypted and masked for responses."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.errors import Conflict
from newform_common.identity import InvalidIdentifier, validate_mobile, validate_resident_id
from newform_common.outbox import record

from .. import events as ev
from .. import shared
from ..models import Registration, new_id
from ..pii import Pii, masked
from ..schemas import RowWith
from . import repository
from .schemas import WorkerCreate, WorkerPublic


async def register_worker(session: AsyncSession, pii: Pii, platform_id: str, body: WorkerCreate) -> Registration:
    try:
        id_number = validate_resident_id(body.id_number, field="id_number")
        phone = validate_mobile(body.phone, field="phone")
    except InvalidIdentifier as exc:
        raise shared.invalid_identifier(exc) from exc
    worker_id = pii.worker_id(id_number)
    at = shared.now()
    worker = await repository.worker(session, worker_id)
    if worker is None:
        # Insert unless present: the same person registering with another platform at the same moment
        # inserts the same row, and a plain insert would fail (500) once that one commits.
        await repository.add_worker(
            session,
            dict(
                worker_id=worker_id,
                id_number_encrypted=pii.encrypt(id_number, "workers.id_number"),
                id_number_hash=pii.cipher.lookup_hash(id_number),
                household_registration_region=id_number[:6],
                created_at=at,
            ),
        )
        worker = await repository.worker(session, worker_id)
    existing = await repository.registration_id_of(session, worker_id, platform_id)
    if existing:
        raise Conflict(f"This worker is already registered with this platform as {existing}", registration_id=existing)
    reg = Registration(
        id=new_id("reg"),
        worker_id=worker_id,
        platform_id=platform_id,
        name_encrypted=pii.encrypt(body.name, "registrations.name"),
        phone_encrypted=pii.encrypt(phone, "registrations.phone"),
        phone_hash=pii.cipher.lookup_hash(phone),
        occupation=body.occupation,
        household_registration_place=body.household_registration_place,
        residence_district=body.residence_district,
        registered_at=at,
    )
    session.add(reg)
    record(
        session,
        ev.WorkerRegistered(
            worker_id=worker_id,
            registration_id=reg.id,
            platform_id=platform_id,
            occupation=reg.occupation,
            residence_district=reg.residence_district,
            household_registration_region=worker.household_registration_region,
            registered_at=at,
        ),
    )
    return reg


async def worker_public(session: AsyncSession, pii: Pii, reg: Registration, *, reveal: bool) -> WorkerPublic:
    """The registration with the person's data decrypted, masked unless revealed (the caller audits a reveal)."""
    worker = await repository.worker(session, reg.worker_id)
    id_number = pii.decrypt(worker.id_number_encrypted, "workers.id_number")
    name = pii.decrypt(reg.name_encrypted, "registrations.name")
    phone = pii.decrypt(reg.phone_encrypted, "registrations.phone")
    if not reveal:
        id_number, name, phone = masked("id_number", id_number), masked("name", name), masked("phone", phone)
    return WorkerPublic.model_validate(
        RowWith(
            reg,
            name=name,
            id_number=id_number,
            phone=phone,
            household_registration_region=worker.household_registration_region,
        )
    )
