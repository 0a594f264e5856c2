"""HTTP only: parse, authorise, call the use case, shape the response."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from newform_common.app import SessionDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import NotFound, problem_responses
from newform_common.idempotency import HONOURS_KEY, idempotent
from newform_common.pagination import Page, PageParams, page_of, page_params

from . import repository as repo
from . import service
from .models import Certificate, CertificationBody
from .schemas import (
    BodyCreate,
    BodyPublic,
    BudgetPublic,
    BudgetSet,
    CertificateCreate,
    CertificatePublic,
    ClaimCreate,
    ClaimPublic,
    CourseCreate,
    CoursePublic,
    Decision,
    District,
    EnrolmentCreate,
    EnrolmentPublic,
    PaymentCreate,
    ProviderCreate,
    ProviderPublic,
)

router = APIRouter(prefix="/v1")

Anyone = Annotated[Principal, require()]
Department = Annotated[Principal, require(Role.department, Role.admin)]
Paging = Annotated[PageParams, Depends(page_params)]
Id = Annotated[str, Path(max_length=64)]
WRITE = problem_responses(401, 403, 404, 409, 422)
READ = problem_responses(401, 403, 404)


def body_public(b: CertificationBody) -> BodyPublic:
    return BodyPublic(body_id=b.id, name=b.name, credit_code=b.credit_code, scope=b.scope, active=b.active)


# -- catalogue of who trains and who certifies ----------------------------------------------------------
@router.post(
    "/providers",
    tags=["providers"],
    status_code=201,
    response_model=ProviderPublic,
    responses=WRITE,
    summary="Register a training provider: an institution, or an enterprise training its own workers",
)
async def register_provider(body: ProviderCreate, request: Request, session: SessionDep, principal: Department):
    service.require_reviewer(principal)

    async def produce():
        return ProviderPublic.model_validate(await service.register_provider(session, body))

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/providers",
    tags=["providers"],
    response_model=Page[ProviderPublic],
    responses=READ,
    summary="Training providers and what they are accredited to train",
)
async def list_providers(session: SessionDep, principal: Anyone, params: Paging):
    rows = await repo.providers_page(session, params)
    return page_of([ProviderPublic.model_validate(p) for p in rows], params, lambda p: [p.provider_id])


@router.post(
    "/certification-bodies",
    tags=["providers"],
    status_code=201,
    response_model=BodyPublic,
    responses=WRITE,
    summary="Recognise a skill-level certification body and what it may certify (M13)",
)
async def register_certification_body(body: BodyCreate, request: Request, session: SessionDep, principal: Department):
    service.require_reviewer(principal)

    async def produce():
        return body_public(await service.register_body(session, body))

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/certification-bodies",
    tags=["providers"],
    response_model=Page[BodyPublic],
    responses=READ,
    summary="Recognised certification bodies",
)
async def list_certification_bodies(session: SessionDep, principal: Anyone, params: Paging):
    rows = await repo.certification_bodies_page(session, params)
    return page_of([body_public(b) for b in rows], params, lambda b: [b.body_id])


# -- courses and enrolment ----------------------------------------------------------------------------------
@router.post(
    "/courses",
    tags=["courses"],
    status_code=201,
    response_model=CoursePublic,
    responses=WRITE,
    summary="A course of a provider (occupation, level, place, dates)",
)
async def create_course(
    body: CourseCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[
        Principal, require(Role.training_body, Role.platform, Role.enterprise, Role.department, Role.admin)
    ],
):
    async def produce():
        return CoursePublic.model_validate(await service.create_course(session, principal, body))

    return await idempotent(request, session, principal, body, produce)


@router.get("/courses", tags=["courses"], response_model=Page[CoursePublic], responses=READ, summary="Courses")
async def list_courses(
    session: SessionDep,
    principal: Anyone,
    params: Paging,
    occupation: Annotated[str | None, Query(max_length=32)] = None,
    district: District | None = None,
):
    rows = await repo.courses_page(session, params, occupation=occupation, district=district)
    return page_of([CoursePublic.model_validate(c) for c in rows], params, lambda c: [c.course_id])


@router.post(
    "/courses/{course_id}/enrolments",
    tags=["courses"],
    status_code=201,
    response_model=EnrolmentPublic,
    responses=WRITE,
    summary="Enrol: a worker enrols themselves, an enterprise its workers",
)
async def enrol(
    course_id: Id,
    body: EnrolmentCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Role.worker, Role.platform, Role.enterprise)],
):
    async def produce():
        return EnrolmentPublic.model_validate(await service.enrol(session, principal, course_id, body.worker_id))

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/enrolments",
    tags=["courses"],
    response_model=Page[EnrolmentPublic],
    responses=READ,
    summary="Enrolments (a worker sees their own, an enterprise those it made, hrss all, a district government "
    "its district's courses')",
)
async def list_enrolments(
    session: SessionDep,
    principal: Anyone,
    params: Paging,
    course_id: Annotated[str | None, Query(max_length=64)] = None,
):
    rows = await repo.visible_enrolments_page(session, principal, params, course_id=course_id)
    return page_of([EnrolmentPublic.model_validate(e) for e in rows], params, lambda e: [e.enrolment_id])


# -- certificates -------------------------------------------------------------------------------------------
def certificate_public(cert: Certificate, principal: Principal) -> CertificatePublic:
    view = CertificatePublic.model_validate(cert)
    if not (principal.role in (Role.department, Role.regulator, Role.admin) or principal.worker_id == cert.worker_id):
        view.worker_id = None  # verifying a number does not reveal whose it is
    return view


@router.post(
    "/certificates",
    tags=["certificates"],
    status_code=201,
    response_model=CertificatePublic,
    responses=WRITE,
    summary="Issue a certificate (a recognised certification body, with its own token)",
)
async def issue_certificate(
    body: CertificateCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Role.training_body)],
):
    async def produce():
        return certificate_public(await service.issue_certificate(session, principal, body), principal)

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/certificates/{certificate_number}",
    tags=["certificates"],
    response_model=CertificatePublic,
    responses=READ,
    summary="Verify a certificate by its number",
)
async def verify_certificate(certificate_number: Id, session: SessionDep, principal: Anyone):
    cert = await repo.certificate(session, certificate_number)
    if cert is None:
        raise NotFound(f"No certificate {certificate_number!r} is on record")
    return certificate_public(cert, principal)


# -- claims -------------------------------------------------------------------------------------------------
@router.post(
    "/claims",
    tags=["claims"],
    status_code=201,
    response_model=ClaimPublic,
    responses=WRITE,
    summary="Claim a skills subsidy: a worker for themselves, an enterprise for a worker it trained",
    description="Refused (422, with the M13 rule) when the certificate is outside the claim window, the "
    "training place is not the worker's household-registration, residence or job-seeking "
    "place, the person already had this occupation and level or a higher one, or the yearly "
    "limit is reached. A second claim on a certificate, by any channel, is refused with "
    "409 naming the first claim, and the attempt is kept for hrss (a finding).",
)
async def submit_claim(
    body: ClaimCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Role.worker, Role.platform, Role.enterprise)],
):
    async def produce():
        outcome = await service.submit_claim(session, principal, body)
        return outcome if isinstance(outcome, service.DuplicateClaim) else ClaimPublic.model_validate(outcome)

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/claims",
    tags=["claims"],
    response_model=Page[ClaimPublic],
    responses=READ,
    summary="Claims (a worker sees theirs, an enterprise its own, hrss all, a district government its own)",
)
async def list_claims(
    session: SessionDep, principal: Anyone, params: Paging, status: Annotated[str | None, Query(max_length=16)] = None
):
    rows = await repo.visible_claims_page(session, principal, params, status=status)
    return page_of([ClaimPublic.model_validate(c) for c in rows], params, lambda c: [c.claim_id])


@router.get("/claims/{claim_id}", tags=["claims"], response_model=ClaimPublic, responses=READ, summary="One claim")
async def get_claim(claim_id: Id, session: SessionDep, principal: Anyone):
    # Locked as before the move to the repository: a read waits for a decision or payment under way.
    return ClaimPublic.model_validate(await repo.visible_claim(session, principal, claim_id, for_update=True))


@router.post(
    "/claims/{claim_id}/decision",
    tags=["claims"],
    response_model=ClaimPublic,
    responses=WRITE,
    summary="hrss approves (drawing on the district's budget, or queued) or rejects with a reason",
    **HONOURS_KEY,
)
async def decide_claim(claim_id: Id, body: Decision, request: Request, session: SessionDep, principal: Department):
    async def produce():
        claim = await repo.visible_claim(session, principal, claim_id, for_update=True)
        return ClaimPublic.model_validate(await service.decide(session, principal, claim, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/claims/{claim_id}/payment",
    tags=["claims"],
    response_model=ClaimPublic,
    responses=WRITE,
    summary="Record the payment of an approved subsidy",
    **HONOURS_KEY,
)
async def record_payment(
    claim_id: Id, body: PaymentCreate, request: Request, session: SessionDep, principal: Department
):
    async def produce():
        claim = await repo.visible_claim(session, principal, claim_id, for_update=True)
        claim = await service.record_payment(session, principal, claim, body.payment_reference)
        return ClaimPublic.model_validate(claim)

    return await idempotent(request, session, principal, body, produce, status_code=200)


# -- budgets ------------------------------------------------------------------------------------------------
@router.put(
    "/budgets/{district}/{year}",
    tags=["budgets"],
    response_model=BudgetPublic,
    responses=WRITE,
    summary="Set a district's yearly subsidy budget; queued approved claims are funded in order",
)
async def set_budget(
    district: District,
    year: Annotated[int, Path(ge=2022, le=2100)],
    body: BudgetSet,
    session: SessionDep,
    principal: Department,
):
    service.require_reviewer(principal)
    return BudgetPublic.model_validate(await service.set_budget(session, district, year, body))


@router.get(
    "/budgets",
    tags=["budgets"],
    response_model=list[BudgetPublic],
    responses=READ,
    summary="Budgets and what is committed",
)
async def list_budgets(
    session: SessionDep, principal: Anyone, year: Annotated[int | None, Query(ge=2022, le=2100)] = None
):
    return [BudgetPublic.model_validate(b) for b in await repo.visible_budgets(session, principal, year=year)]
