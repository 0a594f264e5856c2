"""Use cases: check a department's fact, store it under its natural key, publish it, audit it.

Never commits: the request's session (or a consumer's / a pull run's transaction) does. A fact is the
department's latest statement under (kind, department, reference): the same statement again changes
nothing and publishes nothing; a different one (a correction, a revocation) is version + 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import clock
from newform_common.auth import Principal
from newform_common.deadlines import DeadlineHandler
from newform_common.errors import Forbidden, Unprocessable
from newform_common.identity import (
    InvalidIdentifier,
    PiiCipher,
    pseudonym,
    pseudonym_key,
    validate_credit_code,
    validate_resident_id,
)
from newform_common.ids import new_id
from newform_common.observability import request_id_var
from newform_common.outbox import record
from newform_common.policy import BUSINESS_TZ, business_date

from . import events as ev
from . import repository as repo
from . import rules
from .models import AuditEntry, Fact, Outcome, SubjectType
from .schemas import (
    BatchLine,
    BatchPublic,
    CaseOutcomeIn,
    DispatchLicenceIn,
    EnterpriseRecordIn,
    FactIn,
    FactPublic,
    HouseholdRegistrationIn,
    InspectionResultIn,
    InsuranceEnrolmentIn,
    JobSeekingRegistrationIn,
    LineError,
    WeatherWarningIn,
)

#: Clocks this service runs (`kind` → handler), fired by the kit's deadline worker.
DEADLINE_HANDLERS: dict[str, DeadlineHandler] = {}

INPUT_MODELS: dict[str, type[FactIn]] = {
    "insurance_enrolment": InsuranceEnrolmentIn,
    "dispatch_licence": DispatchLicenceIn,
    "enterprise_record": EnterpriseRecordIn,
    "inspection_result": InspectionResultIn,
    "case_outcome": CaseOutcomeIn,
    "household_registration": HouseholdRegistrationIn,
    "job_seeking_registration": JobSeekingRegistrationIn,
    "weather_warning": WeatherWarningIn,
}


def now() -> datetime:
    return clock.now()  # the one process clock (tests can stand on another day)


@dataclass
class Pii:
    """Keys derived from the PII secret: the pseudonymous worker id and the encrypted ID number."""

    secret: str

    def __post_init__(self) -> None:
        self.cipher = PiiCipher(self.secret)
        self.key = pseudonym_key(self.secret)

    def worker_id(self, id_number: str) -> str:
        return pseudonym("worker", id_number, self.key)

    def encrypt_id_number(self, id_number: str) -> str:
        return self.cipher.encrypt(id_number, context="facts.id_number")


class Refused(Exception):
    """One fact cannot be stored; `refusal` says why (a whole request's 403/422, or a batch line's error)."""

    def __init__(self, refusal: rules.Refusal):
        super().__init__(refusal.message)
        self.refusal = refusal


@dataclass
class Prepared:
    """A checked fact, ready to store: subject columns and the kind's own fields."""

    kind: str
    department: str
    reference: str
    observed_at: datetime | None
    worker_id: str | None = None
    id_number: str | None = None
    credit_code: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    body: dict[str, Any] = field(default_factory=dict)

    def content(self) -> dict[str, Any]:
        """What makes two statements the same (the department's time aside)."""
        return jsonable_encoder(
            {
                "worker_id": self.worker_id,
                "credit_code": self.credit_code,
                "valid_from": self.valid_from,
                "valid_until": self.valid_until,
                "body": self.body,
            }
        )


def _resident_id(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return validate_resident_id(value, field=name)
    except InvalidIdentifier as exc:
        raise Refused(rules.Refusal("invalid-identifier", str(exc), name)) from exc


def _credit_code(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return validate_credit_code(value, field=name)
    except InvalidIdentifier as exc:
        raise Refused(rules.Refusal("invalid-identifier", str(exc), name)) from exc


def prepare(kind: str, department: str | None, item: FactIn, pii: Pii) -> Prepared:
    """Scope, identifiers and date ranges; raises `Refused` before anything is written."""
    refusal = rules.outside_scope(department, kind, item.model_dump()) or rules.date_ranges(kind, item)
    if refusal is None and isinstance(item, InspectionResultIn):
        refusal = rules.order_to_pay(item, business_date(item.observed_at or now()))
    if refusal:
        raise Refused(refusal)
    body = item.model_dump(mode="json", exclude={"reference", "observed_at", "id_number"})
    fact = Prepared(kind, department, item.reference, item.observed_at, body=body)
    id_number = _resident_id(getattr(item, "id_number", None), "id_number")
    if id_number:
        fact.id_number, fact.worker_id = id_number, pii.worker_id(id_number)
        body["worker_id"] = fact.worker_id
    if isinstance(item, InsuranceEnrolmentIn):
        body["employer_credit_code"] = _credit_code(item.employer_credit_code, "employer_credit_code")
        fact.credit_code = body["employer_credit_code"]
        fact.valid_from, fact.valid_until = item.start_date, item.end_date
    elif isinstance(item, DispatchLicenceIn):
        fact.credit_code = body["holder_credit_code"] = _credit_code(item.holder_credit_code, "holder_credit_code")
        fact.valid_from = item.valid_from
        fact.valid_until = rules.licence_valid_until(item.valid_until, item.revoked_on)
        body["licence_number"] = item.reference
        body["effective_until"] = fact.valid_until.isoformat()
    elif isinstance(item, EnterpriseRecordIn):
        fact.credit_code = body["credit_code"] = _credit_code(item.credit_code, "credit_code")
        fact.valid_from, fact.valid_until = item.valid_from, item.valid_until
    elif isinstance(item, InspectionResultIn):
        fact.credit_code = body["employer_credit_code"] = _credit_code(
            item.employer_credit_code, "employer_credit_code"
        )
        fact.valid_from = item.inspected_on
    elif isinstance(item, CaseOutcomeIn):
        fact.credit_code = body["employer_credit_code"] = _credit_code(
            item.employer_credit_code, "employer_credit_code"
        )
        fact.valid_from = item.decided_on
    elif isinstance(item, HouseholdRegistrationIn):
        # Valid while registered there: the last day is the day before the move.
        fact.valid_from = item.registered_on
        fact.valid_until = date.fromordinal(item.moved_out_on.toordinal() - 1) if item.moved_out_on else None
    elif isinstance(item, JobSeekingRegistrationIn):
        fact.valid_from, fact.valid_until = item.registered_on, item.ended_on
    elif isinstance(item, WeatherWarningIn):
        # Dates to find it by (business days); the window itself, zone-aware, stays in the body, in Xining's
        # zone so that the same instant stated with another offset is the same statement.
        for name in ("starts_at", "ends_at", "cancelled_at"):
            at = getattr(item, name)
            body[name] = at.astimezone(BUSINESS_TZ).isoformat() if at is not None else None
        ends = min((t for t in (item.ends_at, item.cancelled_at) if t is not None), default=None)
        fact.valid_from = business_date(item.starts_at)
        fact.valid_until = business_date(ends) if ends is not None and ends >= item.starts_at else None
    return fact


def _event(fact: Fact) -> ev._Fact:
    cls = ev.EVENTS_BY_KIND[fact.kind]
    data = {k: v for k, v in fact.body.items() if k in cls.model_fields}
    return cls(
        fact_id=fact.id,
        subject_key=fact.worker_id or fact.credit_code or fact.reference,
        department=fact.department,
        reference=fact.reference,
        version=fact.version,
        observed_at=fact.observed_at,
        recorded_at=fact.recorded_at,
        **data,
    )


def acting_department(principal: Principal) -> str | None:
    """Who acted, as the audit names it: a district government is one of seven (`county:chengxi`), never
    the shared `county`."""
    if principal.department and principal.district:
        return f"{principal.department}:{principal.district}"[:32]
    return principal.department


def audit(session: AsyncSession, principal: Principal, action: str, what: str, purpose: str) -> None:
    session.add(
        AuditEntry(
            at=now(),
            principal=principal.key,
            role=str(principal.role),
            department=acting_department(principal),
            action=action,
            what=what[:200],
            purpose=purpose,
            request_id=request_id_var.get(),
        )
    )


async def store_many(
    session: AsyncSession,
    pii: Pii,
    facts: list[Prepared],
    *,
    actor: Principal | None = None,
    purpose: str | None = None,
) -> list[tuple[Fact, Outcome]]:
    """Insert, update (version + 1) or leave alone each fact under its natural key — set-based: one
    statement claims the new keys, one reads and locks them all, the changes flush together — with an
    event per new or changed statement and an audit row per write. References are unique in `facts`."""
    if not facts:
        return []
    at = now()
    # Subjects first (their advisory locks), then the fact rows: the consumer takes a subject's lock and then
    # the rows of its unlinked facts, so the other order deadlocks with it on a fact being corrected.
    known = await repo.known_subjects(
        session, [f.worker_id for f in facts if f.worker_id], [f.credit_code for f in facts if f.credit_code]
    )
    await repo.claim_natural_keys(
        session,
        [
            {
                "id": new_id("fct"),
                "kind": f.kind,
                "department": f.department,
                "reference": f.reference,
                "body": {},
                "observed_at": f.observed_at or at,
                "recorded_at": at,
                "version": 0,
            }
            for f in facts
        ],
    )
    rows = await repo.facts_for_update(session, [(f.kind, f.department, f.reference) for f in facts])
    results: list[tuple[Fact, Outcome]] = []
    for fact in facts:
        row = rows[(fact.kind, fact.department, fact.reference)]
        if (
            row.version > 0
            and Prepared(
                row.kind,
                row.department,
                row.reference,
                None,
                row.worker_id,
                None,
                row.credit_code,
                row.valid_from,
                row.valid_until,
                row.body,
            ).content()
            == fact.content()
        ):
            results.append((row, Outcome.unchanged))
            continue
        results.append((row, Outcome.created if row.version == 0 else Outcome.updated))
        row.version += 1
        row.worker_id, row.credit_code = fact.worker_id, fact.credit_code
        row.id_number_encrypted = pii.encrypt_id_number(fact.id_number) if fact.id_number else None
        row.valid_from, row.valid_until, row.body = fact.valid_from, fact.valid_until, fact.body
        row.observed_at, row.recorded_at = fact.observed_at or at, at
        if row.linked_at is None and (
            (SubjectType.worker, fact.worker_id) in known or (SubjectType.enterprise, fact.credit_code) in known
        ):
            row.linked_at = at
    await session.flush()
    for row, status in results:
        if status != Outcome.unchanged:
            record(session, _event(row))
        if actor is not None:
            audit(
                session,
                actor,
                "write",
                f"{row.kind} {row.id} ({row.reference}) {status}",
                purpose or f"record {row.kind}",
            )
    return results


async def store(
    session: AsyncSession, pii: Pii, fact: Prepared, *, actor: Principal | None = None, purpose: str | None = None
) -> tuple[Fact, Outcome]:
    """One fact (see `store_many`)."""
    [result] = await store_many(session, pii, [fact], actor=actor, purpose=purpose)
    return result


def public(row: Fact, status: Outcome | None = None) -> FactPublic:
    fields = {k: v for k, v in row.body.items() if k != "worker_id"}
    return FactPublic(
        fact_id=row.id,
        kind=row.kind,
        department=row.department,
        reference=row.reference,
        worker_id=row.worker_id,
        credit_code=row.credit_code,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        fields=fields,
        observed_at=row.observed_at,
        recorded_at=row.recorded_at,
        version=row.version,
        linked=row.linked_at is not None,
        status=status.value if status is not None else None,
    )


def _problem(refusal: rules.Refusal) -> Exception:
    errors = [
        {"loc": ["body", refusal.field] if refusal.field else ["body"], "msg": refusal.message, "type": refusal.type}
    ]
    if refusal.type == "outside-department-scope":
        return Forbidden(refusal.message, slug=refusal.type, errors=errors)
    return Unprocessable(refusal.message, slug=refusal.type, errors=errors)


async def record_one(
    session: AsyncSession, pii: Pii, principal: Principal, kind: str, item: FactIn, purpose: str | None = None
) -> FactPublic:
    try:
        fact = prepare(kind, principal.department, item, pii)
    except Refused as exc:
        raise _problem(exc.refusal) from exc
    row, status = await store(session, pii, fact, actor=principal, purpose=purpose)
    return public(row, status)


def _validation_error(exc: ValidationError) -> tuple[str | None, str]:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ()))
    return loc or None, f"{loc}: {first['msg']}" if loc else first["msg"]


async def record_batch(
    session: AsyncSession,
    pii: Pii,
    principal: Principal,
    kind: str,
    items: list[dict[str, Any]],
    purpose: str | None = None,
) -> BatchPublic:
    """Each item checked on its own: good lines are stored, each bad line gets its own error."""
    model = INPUT_MODELS[kind]
    accepted: list[BatchLine] = []
    errors: list[LineError] = []
    counts = dict.fromkeys(Outcome, 0)
    seen: set[str] = set()
    prepared: list[tuple[int, Prepared]] = []
    for line, given in enumerate(items, start=1):
        reference = given.get("reference") if isinstance(given, dict) else None
        try:
            item = model.model_validate(given)
        except ValidationError as exc:
            name, message = _validation_error(exc)
            errors.append(LineError(line=line, reference=reference, field=name, message=message, type="invalid-line"))
            continue
        if item.reference in seen:
            errors.append(
                LineError(
                    line=line,
                    reference=item.reference,
                    field="reference",
                    type="duplicate-line",
                    message=f"reference {item.reference} appears twice in this batch",
                )
            )
            continue
        seen.add(item.reference)
        try:
            prepared.append((line, prepare(kind, principal.department, item, pii)))
        except Refused as exc:
            r = exc.refusal
            errors.append(LineError(line=line, reference=item.reference, field=r.field, message=r.message, type=r.type))
    stored = await store_many(session, pii, [fact for _, fact in prepared], actor=principal, purpose=purpose)
    for (line, _), (row, status) in zip(prepared, stored, strict=True):
        counts[status] += 1
        accepted.append(BatchLine(line=line, fact_id=row.id, status=status.value))
    errors.sort(key=lambda e: e.line)
    return BatchPublic(
        kind=kind,
        lines=len(items),
        rejected=len(errors),
        accepted=accepted,
        errors=errors,
        **{outcome.value: n for outcome, n in counts.items()},
    )


# -- subjects as they appear (contracts.events, `handlers.on_contracts_events`) ------------------------------
async def subjects_registered(session: AsyncSession, subjects: list[tuple[SubjectType, str, datetime]]) -> None:
    """Workers or enterprises registered in the system (type, key, when): remember them, and link the facts
    kept for them — one statement per table for the whole batch."""
    await repo.remember_subjects(session, subjects)


def model_for(kind: str) -> type[BaseModel]:
    return INPUT_MODELS[kind]
