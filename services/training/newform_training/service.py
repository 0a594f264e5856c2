"""Use cases: rules + state change + outbox record, in the request's transaction (never commits).

The queries they need are in `repository.py`; a claim's states and their allowed moves in `models.py`
(`ClaimStatus`, `ALLOWED`), checked here in one place (`move_claim`)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import clock
from newform_common.auth import Principal, Role
from newform_common.deadlines import DeadlineHandler
from newform_common.errors import Conflict, Forbidden, NotFound, PolicyViolation, Problem, Unprocessable
from newform_common.findings import raise_finding
from newform_common.identity import InvalidIdentifier, validate_credit_code
from newform_common.ids import new_id
from newform_common.outbox import record
from newform_common.policy import business_date
from newform_common.states import require_transition

from . import events as ev
from . import repository as repo
from . import rules
from .consumed import HouseholdRegistrationRecorded, JobSeekingRegistrationRecorded, WorkerRegistered
from .models import ALLOWED, Budget, Certificate, CertificationBody, Claim, ClaimStatus, Course, Enrolment, Provider
from .schemas import BodyCreate, BudgetSet, CertificateCreate, ClaimCreate, CourseCreate, Decision, ProviderCreate

#: Clocks this service runs (`kind` → handler), fired by the kit's deadline worker.
DEADLINE_HANDLERS: dict[str, DeadlineHandler] = {}


def now() -> datetime:
    return clock.now()  # the one process clock (tests can stand on another day)


def require_reviewer(principal: Principal) -> None:
    if not rules.is_reviewer(principal):
        raise Forbidden("Only hrss (or an admin) manages training providers, budgets and subsidy decisions")


def _credit_code(value: str) -> str:
    try:
        return validate_credit_code(value)
    except InvalidIdentifier as exc:
        raise Unprocessable(str(exc), slug="invalid-identifier") from exc


# -- providers, bodies, courses ----------------------------------------------------------------------
async def register_provider(session: AsyncSession, body: ProviderCreate) -> Provider:
    code = _credit_code(body.credit_code)
    if body.kind == "enterprise" and not body.platform_id:
        raise Unprocessable("An enterprise provider names the platform it belongs to (platform_id)")
    if await repo.provider(session, body.provider_id) is not None:
        raise Conflict(f"Provider {body.provider_id!r} already exists")
    provider = Provider(
        id=body.provider_id,
        name=body.name,
        kind=body.kind,
        credit_code=code,
        platform_id=body.platform_id,
        district=body.district,
        occupations=list(body.occupations),
        accredited_until=body.accredited_until,
        created_at=now(),
    )
    session.add(provider)
    return provider


async def register_body(session: AsyncSession, body: BodyCreate) -> CertificationBody:
    code = _credit_code(body.credit_code)
    if await repo.certification_body(session, body.body_id) is not None:
        raise Conflict(f"Certification body {body.body_id!r} already exists")
    scope = {s.occupation: sorted(set(s.levels)) for s in body.scope}
    row = CertificationBody(id=body.body_id, name=body.name, credit_code=code, scope=scope, created_at=now())
    session.add(row)
    return row


async def create_course(session: AsyncSession, principal: Principal, body: CourseCreate) -> Course:
    provider = await repo.provider(session, body.provider_id)
    if provider is None:
        raise NotFound(f"No training provider {body.provider_id!r}")
    own = (principal.role == Role.training_body and principal.subject == provider.id) or (
        principal.role in (Role.platform, Role.enterprise) and provider.platform_id == principal.platform_id
    )
    if not (own or rules.is_reviewer(principal)):
        raise Forbidden("A course is created by its provider (or hrss)")
    if body.occupation not in provider.occupations:
        raise Unprocessable(
            f"Provider {provider.id} is not accredited to train {body.occupation}", slug="provider-not-accredited"
        )
    # Accredited on every day of the course, not merely when it is entered (M13: subsidised training is
    # given by an accredited provider; the question is the course's days).
    if provider.accredited_until is not None and body.ends_on > provider.accredited_until:
        raise Unprocessable(
            f"Provider {provider.id} is accredited until {provider.accredited_until.isoformat()}; "
            f"the course runs to {body.ends_on.isoformat()}",
            slug="provider-not-accredited",
        )
    course = Course(
        id=new_id("crs"),
        provider_id=provider.id,
        occupation=body.occupation,
        level=body.level,
        district=body.district,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        created_at=now(),
    )
    session.add(course)
    return course


async def enrol(session: AsyncSession, principal: Principal, course_id: str, worker_id: str | None) -> Enrolment:
    course = await repo.course(session, course_id)
    if course is None:
        raise NotFound(f"No course {course_id!r}")
    provider = await repo.provider(session, course.provider_id)
    if principal.role == Role.worker:
        if worker_id not in (None, principal.worker_id):
            raise Forbidden("A worker enrols only themselves")
        worker_id, by, platform_id = principal.worker_id, "worker", None
    else:
        if provider.kind != "enterprise" or provider.platform_id != principal.platform_id:
            raise Forbidden("An enterprise enrols its workers in its own courses")
        if worker_id is None:
            raise Unprocessable("Name the worker to enrol (worker_id)")
        by, platform_id = "enterprise", principal.platform_id
    enrolment = Enrolment(
        id=new_id("enr"),
        course_id=course.id,
        worker_id=worker_id,
        enrolled_by=by,
        platform_id=platform_id,
        created_at=now(),
    )
    session.add(enrolment)
    record(
        session,
        ev.EnrolmentCreated(
            enrolment_id=enrolment.id,
            course_id=course.id,
            worker_id=worker_id,
            provider_id=course.provider_id,
            occupation=course.occupation,
            level=course.level,
            district=course.district,
            enrolled_by=by,
            platform_id=platform_id,
            at=enrolment.created_at,
        ),
    )
    return enrolment


# -- certificates --------------------------------------------------------------------------------------
async def issue_certificate(session: AsyncSession, principal: Principal, body: CertificateCreate) -> Certificate:
    issuer = await repo.certification_body(session, principal.subject)
    if issuer is None or not issuer.active:
        raise Forbidden("Only a recognised certification body (its own token) issues certificates")
    violation = rules.body_may_certify(issuer.scope, body.occupation, body.level)
    if violation:
        raise PolicyViolation(violation.detail, measure=violation.measure, rule=violation.rule)
    if body.issued_on > business_date(now()):
        raise Unprocessable("issued_on is in the future")
    provider_id = None
    if body.course_id is not None:
        course = await repo.course(session, body.course_id)
        if course is None:
            raise Unprocessable(f"No course {body.course_id!r}", slug="unknown-course")
        if (course.occupation, course.level) != (body.occupation, body.level):
            raise Unprocessable("The certificate's occupation and level differ from the course's")
        if body.issued_on < course.starts_on:
            raise Unprocessable("A certificate cannot predate the course it certifies")
        provider_id = course.provider_id
    if await repo.certificate(session, body.certificate_number) is not None:
        raise Conflict(f"Certificate {body.certificate_number} already exists")
    cert = Certificate(
        number=body.certificate_number,
        worker_id=body.worker_id,
        body_id=issuer.id,
        occupation=body.occupation,
        level=body.level,
        issued_on=body.issued_on,
        course_id=body.course_id,
        created_at=now(),
    )
    session.add(cert)
    record(
        session,
        ev.CertificateIssued(
            certificate_number=cert.number,
            worker_id=cert.worker_id,
            body_id=issuer.id,
            occupation=cert.occupation,
            level=cert.level,
            issued_on=cert.issued_on,
            provider_id=provider_id,
        ),
    )
    return cert


# -- claims ----------------------------------------------------------------------------------------------
def ensure_may_move(claim: Claim, to: ClaimStatus, refusal: str) -> None:
    """409 `illegal-transition` (detail `refusal`) unless `models.ALLOWED` lets the claim become `to`."""
    require_transition(ALLOWED, claim.status, to, "claim", detail=refusal)


def move_claim(claim: Claim, to: ClaimStatus, refusal: str) -> None:
    """The one place a claim's status changes after it is recorded, checked against `models.ALLOWED`."""
    ensure_may_move(claim, to, refusal)
    claim.status = to


def _claim_event(cls, c: Claim, at: datetime, **extra):
    return cls(
        claim_id=c.id,
        certificate_number=c.certificate_number,
        worker_id=c.worker_id,
        channel=c.channel,
        payee=c.payee,
        provider_id=c.provider_id,
        platform_id=c.platform_id,
        occupation=c.occupation,
        level=c.level,
        district=c.training_district,
        amount_fen=c.amount_fen,
        status=ClaimStatus(c.status).value,
        at=at,
        **extra,
    )


class DuplicateClaim(Problem):
    """A second claim on a certificate: refused with the first claim's id, and kept as a fraud signal."""

    status, slug, title = 409, "certificate-already-claimed", "Certificate already claimed"


def _received_at(body: ClaimCreate) -> datetime:
    """When the claim counts from: now, or for a paper claim entered later when it was received (the law
    counts the yearly limit and the claim window from then), which cannot lie in the future."""
    at = now()
    if body.received_at is not None:
        if body.received_at > at:
            raise Unprocessable("received_at is in the future", slug="date-in-future")
        at = body.received_at.astimezone(UTC)
    return at


def _claimant(
    principal: Principal, cert: Certificate, provider: Provider | None
) -> tuple[str, str, str | None, str | None]:
    """Who claims and who is paid: (channel, payee, the provider named, the claiming platform)."""
    if principal.role == Role.worker:
        if cert.worker_id != principal.worker_id:
            raise Forbidden("This certificate belongs to someone else")
        return "worker", "worker", provider.id if provider else None, None
    if not (provider and provider.kind == "enterprise" and provider.platform_id == principal.platform_id):
        raise PolicyViolation(
            "An enterprise claims only for workers it trained in its own course (M13: paid "
            "directly to the enterprise that trained)",
            measure="M13",
            rule="M13.enterprise_did_not_train",
        )
    return "enterprise", "enterprise", provider.id, principal.platform_id


async def _keep_duplicate(
    session: AsyncSession, claim: Claim, first: Claim, facts: rules.Certificate, at: datetime
) -> DuplicateClaim:
    """Across channels and districts the same certificate is paid once. The attempt is kept, born
    `refused` (ClaimStatus.DUPLICATE_REFUSED: never submitted for review), with a finding for hrss, so
    the refusal is a fact and not just an error message."""
    claim.status, claim.first_claim_id = ClaimStatus.DUPLICATE_REFUSED, first.id
    claim.reason = f"certificate {claim.certificate_number} was already claimed as {first.id}"
    session.add(claim)
    record(
        session,
        _claim_event(ev.ClaimRejected, claim, at, reason=claim.reason, rule="M13.certificate_already_claimed"),
    )
    await raise_finding(
        session,
        rules.second_claim_finding(facts, first.id, claim.channel),
        subject_type="certificate",
        subject_id=claim.certificate_number,
        worker_id=claim.worker_id,
        platform_id=first.platform_id or claim.platform_id,
        district=claim.training_district,
        occupation=claim.occupation,
    )
    return DuplicateClaim(
        claim.reason,
        measure="M13",
        rule="M13.certificate_already_claimed",
        first_claim_id=first.id,
        claim_id=claim.id,
    )


async def _eligible_ground(
    session: AsyncSession, facts: rules.Certificate, body: ClaimCreate, on: date
) -> rules.PlaceGround | None:
    """The M13 checks against the person's places and earlier claims: 422 with every rule broken, else
    the ground the training place is eligible on."""
    places = await repo.worker_places(session, facts.worker_id)
    violations, ground = rules.eligibility(
        facts,
        places=rules.WorkerPlaces(
            places.household_region if places else None,
            places.residence_district if places else None,
            body.job_seeking_district,
            await repo.place_facts(session, facts.worker_id),
        ),
        training_district=body.training_district,
        prior=await repo.prior_claims(session, facts.worker_id),
        held_levels=await repo.held_levels(session, facts.worker_id, facts.occupation),
        claimed_fen=body.amount_fen,
        on=on,
    )
    if violations:
        first_violation = violations[0]
        raise PolicyViolation(
            first_violation.detail,
            measure=first_violation.measure,
            rule=first_violation.rule,
            violations=[asdict(v) for v in violations],
        )
    return ground


async def _watch_provider_rate(session: AsyncSession, provider: Provider, at: datetime, on: date) -> None:
    """A finding when claims on one provider's certificates within 30 days first pass the limit."""
    await session.flush()
    await repo.lock_provider_claims(session, provider.id)  # see repository.lock_provider_claims
    count = await repo.provider_claims_since(session, provider.id, repo.thirty_days_before(at))
    spec = rules.provider_rate_finding(provider.id, count, on)
    if spec is not None:
        await raise_finding(session, spec, subject_type="provider", subject_id=provider.id, district=provider.district)


async def submit_claim(session: AsyncSession, principal: Principal, body: ClaimCreate) -> Claim | DuplicateClaim:
    """A worker's claim (paid to the worker) or an enterprise's for a worker it trained (paid to it).

    A second claim on a certificate returns a `DuplicateClaim` problem (409) *and* keeps the attempt."""
    at = _received_at(body)
    on = business_date(at)
    cert = await repo.certificate(session, body.certificate_number)
    if cert is None:
        raise Unprocessable(f"No certificate {body.certificate_number} is on record", slug="unknown-certificate")
    course = await repo.course(session, cert.course_id) if cert.course_id else None
    provider = await repo.provider(session, course.provider_id) if course else None
    channel, payee, payee_provider, platform_id = _claimant(principal, cert, provider)
    if course is not None and body.training_district != course.district:
        raise Unprocessable(f"The course took place in {course.district}, not {body.training_district}")

    await repo.lock_claims_of(session, cert.worker_id)  # see repository.lock_claims_of
    first = await repo.live_claim_on(session, cert.number)
    facts = rules.Certificate(cert.number, cert.worker_id, cert.occupation, cert.level, cert.issued_on)
    claim = Claim(
        id=new_id("clm"),
        certificate_number=cert.number,
        worker_id=cert.worker_id,
        channel=channel,
        payee=payee,
        provider_id=payee_provider,
        platform_id=platform_id,
        occupation=cert.occupation,
        level=cert.level,
        training_district=body.training_district,
        job_seeking_district=body.job_seeking_district,
        amount_fen=rules.subsidy_amount_fen(cert.occupation, cert.level, on),
        year=on.year,
        status=ClaimStatus.SUBMITTED,
        submitted_at=at,
    )
    if first is not None:
        return await _keep_duplicate(session, claim, first, facts, at)

    ground = await _eligible_ground(session, facts, body, on)
    claim.place_basis = ground.as_dict() if ground else None
    session.add(claim)
    record(session, _claim_event(ev.ClaimSubmitted, claim, at, place_basis=claim.place_basis))
    if provider is not None:
        await _watch_provider_rate(session, provider, at, on)
    return claim


async def decide(session: AsyncSession, principal: Principal, claim: Claim, body: Decision) -> Claim:
    require_reviewer(principal)
    refusal = f"Only a submitted claim can be decided; this one is {claim.status}"
    # Open to review while a rejection still is: a submitted claim (a queued one is approved already).
    ensure_may_move(claim, ClaimStatus.REJECTED_ON_REVIEW, refusal)
    at = now()
    claim.decided_at = at
    if body.decision == "reject":
        move_claim(claim, ClaimStatus.REJECTED_ON_REVIEW, refusal)
        claim.reason = body.reason
        record(session, _claim_event(ev.ClaimRejected, claim, at, reason=body.reason))
        return claim
    budget = await repo.budget_for_update(session, claim.training_district, claim.year)
    # First come, first paid: while earlier approved claims wait for this budget, a later one waits behind
    # them, even if it would fit in what remains (a smaller claim must not overtake a larger, older one).
    if (
        budget is not None
        and budget.total_fen - budget.committed_fen >= claim.amount_fen
        and not await repo.has_queued(session, claim.training_district, claim.year)
    ):
        budget.committed_fen += claim.amount_fen
        move_claim(claim, ClaimStatus.APPROVED, refusal)
    else:
        # Beyond the district's remaining budget the claim waits, approved but unfunded; it is funded
        # first come first served when the budget grows. It is not refused.
        move_claim(claim, ClaimStatus.QUEUED, refusal)
        claim.reason = "approved; waiting for the district's subsidy budget"
    record(session, _claim_event(ev.ClaimApproved, claim, at))
    return claim


async def record_payment(session: AsyncSession, principal: Principal, claim: Claim, reference: str) -> Claim:
    require_reviewer(principal)
    move_claim(claim, ClaimStatus.PAID, f"Only an approved, funded claim can be paid; this one is {claim.status}")
    at = now()
    claim.paid_at, claim.payment_reference = at, reference
    record(session, _claim_event(ev.ClaimPaid, claim, at, payment_reference=reference))
    return claim


async def set_budget(session: AsyncSession, district: str, year: int, body: BudgetSet) -> Budget:
    at = now()
    budget = await repo.budget_for_update(session, district, year)
    if budget is None:
        budget = Budget(district=district, year=year, total_fen=body.total_fen, committed_fen=0, updated_at=at)
        session.add(budget)
    elif body.total_fen < budget.committed_fen:
        raise Conflict(
            f"{budget.committed_fen} fen is already committed; the budget cannot be lower",
            slug="budget-below-committed",
        )
    budget.total_fen, budget.updated_at = body.total_fen, at
    for claim in await repo.queued_claims(session, district, year):
        if budget.total_fen - budget.committed_fen < claim.amount_fen:
            break
        budget.committed_fen += claim.amount_fen
        move_claim(claim, ClaimStatus.APPROVED, f"Only a queued claim is funded; this one is {claim.status}")
        claim.reason = None
        record(session, _claim_event(ev.ClaimApproved, claim, at))
    return budget


# -- consumed facts: where workers live and are registered (M13's training places) ------------------------
async def record_worker_places(session: AsyncSession, registrations: list[tuple[WorkerRegistered, datetime]]) -> None:
    """Keep where each registered worker lives (contracts' registrations, each with its event's time),
    one statement per batch."""
    await repo.upsert_worker_places(
        session,
        [
            {
                "worker_id": w.worker_id,
                "household_region": w.household_registration_region,
                "residence_district": w.residence_district,
                "updated_at": at,
            }
            for w, at in registrations
        ],
    )


def _place_fact_row(f: HouseholdRegistrationRecorded | JobSeekingRegistrationRecorded) -> dict:
    if isinstance(f, HouseholdRegistrationRecorded):
        valid_until = f.moved_out_on - timedelta(days=1) if f.moved_out_on else None  # registered until the move
        kind, region_code, district, valid_until = "household_registration", f.region_code, None, valid_until
    else:
        kind, region_code, district, valid_until = "job_seeking_registration", None, f.district, f.ended_on
    return {
        "fact_id": f.fact_id,
        "worker_id": f.worker_id,
        "kind": kind,
        "department": f.department,
        "reference": f.reference,
        "region_code": region_code,
        "district": district,
        "valid_from": f.registered_on,
        "valid_until": valid_until,
        "version": f.version,
        "observed_at": f.observed_at,
    }


async def record_place_facts(
    session: AsyncSession, facts: list[HouseholdRegistrationRecorded | JobSeekingRegistrationRecorded]
) -> None:
    """Public security's household registrations and hrss's job-seeking registrations: the verified facts
    M13's training-place rule rests on (the claim then names them as its ground)."""
    await repo.save_place_facts(session, [_place_fact_row(f) for f in facts])
