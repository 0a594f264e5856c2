"""HTTP only: parse, authorise, call the use case, shape the response."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from newform_common.app import SessionDep
from newform_common.auth import Principal, Role, require
from newform_common.db import Database
from newform_common.errors import Forbidden, NotFound, Unprocessable, problem_responses
from newform_common.idempotency import HONOURS_KEY, answer, idempotent, idempotent_request, replay
from newform_common.outbox import outbox_row
from newform_common.pagination import Page, PageParams, page_of, page_params
from newform_common.responses import FastJSONResponse
from newform_common.scope import visibility

from . import reports, repository, rules, service
from .evidence import Sealer
from .pii import PURPOSE_HEADER, Pii, audit_reveal, authorize_reveal, mask_document
from .schemas import (
    AppealCreate,
    AppealPublic,
    ClassificationPublic,
    ContractCreate,
    ContractDocument,
    ContractPublic,
    DiscardContract,
    EngagementFactsIn,
    EnterprisePublic,
    EvidencePublic,
    EvidenceRecordPublic,
    ExpiryRun,
    LiftCreate,
    PartnerCreate,
    PiiAccessPublic,
    PlatformCreate,
    RestrictionCreate,
    RestrictionPublic,
    RestrictionReason,
    RuleNoticeCreate,
    RuleNoticeDiff,
    RuleNoticePublic,
    SendContract,
    SignatureCreate,
    TerminationCreate,
    TransitionPublic,
    VerificationPublic,
    WorkerCreate,
    WorkerPublic,
)

router = APIRouter(prefix="/v1")

# A worker reads their own registrations, contracts and restrictions across platforms (scope.visibility).
READERS = (Role.platform, Role.worker, Role.regulator, Role.admin, Role.department)
Reader = Annotated[Principal, require(*READERS)]
PlatformCaller = Annotated[Principal, require(Role.platform)]
Oversight = Annotated[Principal, require(Role.regulator, Role.admin)]
# A worker appeals with his own token, or through a worker channel (12333 and the like) on his behalf.
WORKER_SIDE = (Role.worker, Role.worker_channel)
Appellant = Annotated[Principal, require(*WORKER_SIDE)]
AppealReader = Annotated[Principal, require(*READERS, Role.worker_channel)]
Lifter = Annotated[Principal, require(Role.platform, Role.regulator, Role.admin)]
Paging = Annotated[PageParams, Depends(page_params)]
Reveal = Annotated[bool, Query(description="Unmasked personal data (regulator/admin only; audited, needs X-Purpose)")]


def _declares_purpose(
    x_purpose: Annotated[
        str | None,
        Header(
            alias=PURPOSE_HEADER,
            description=(
                "Why unmasked personal data is read, recorded in the audit log; percent-encoded UTF-8 for Chinese. "
                "Required with `reveal=true` (400 `purpose-required` without it)"
            ),
        ),
    ] = None,
) -> None:
    """Declares the header in OpenAPI; `authorize_reveal` reads it (optional here: needed only to reveal)."""


PURPOSE = [Depends(_declares_purpose)]

READ_ERRORS = problem_responses(401, 403, 404)
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 422)


def pii_of(request: Request) -> Pii:
    return request.app.state.pii


def sealer_of(request: Request) -> Sealer:
    return request.app.state.sealer


def _platform_filter(principal: Principal, platform_id: str | None) -> str | None:
    """A list's `platform_id` filter: a platform token may ask only for its own (403 otherwise)."""
    own = visibility(principal).platform_id
    if own is not None and platform_id is not None and platform_id != own:
        raise Forbidden("This token's scope does not cover that platform")
    return platform_id


# ---------------------------------------------------------------------------------------------
# Enterprises
# ---------------------------------------------------------------------------------------------
@router.post(
    "/platforms",
    tags=["enterprises"],
    status_code=201,
    response_model=EnterprisePublic,
    responses=WRITE_ERRORS,
    summary="Register a platform enterprise (regulator or admin)",
)
async def register_platform(body: PlatformCreate, request: Request, session: SessionDep, principal: Oversight):
    async def produce():
        return EnterprisePublic.model_validate(await service.register_platform(session, body))

    return await idempotent(request, session, principal, body, produce)


@router.post(
    "/partners",
    tags=["enterprises"],
    status_code=201,
    response_model=EnterprisePublic,
    responses=WRITE_ERRORS,
    summary="Register a cooperating enterprise of the caller's platform (M3)",
)
async def register_partner(body: PartnerCreate, request: Request, session: SessionDep, principal: PlatformCaller):
    async def produce():
        return EnterprisePublic.model_validate(await service.register_partner(session, principal.platform_id, body))

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/enterprises",
    tags=["enterprises"],
    response_model=Page[EnterprisePublic],
    responses=READ_ERRORS,
    summary="List enterprises (a platform sees itself and its partners)",
)
async def list_enterprises(
    session: SessionDep, principal: Reader, params: Paging, platform_id: str | None = None, kind: str | None = None
):
    rows = await repository.enterprises(
        session, principal, params, platform_id=_platform_filter(principal, platform_id), kind=kind
    )
    return page_of([EnterprisePublic.model_validate(e) for e in rows], params, lambda e: [e.enterprise_id])


@router.get(
    "/enterprises/{enterprise_id}",
    tags=["enterprises"],
    response_model=EnterprisePublic,
    responses=READ_ERRORS,
    summary="Get an enterprise",
)
async def get_enterprise(enterprise_id: str, session: SessionDep, principal: Reader):
    return EnterprisePublic.model_validate(await repository.visible_enterprise(session, principal, enterprise_id))


# ---------------------------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------------------------
@router.post(
    "/workers",
    tags=["workers"],
    status_code=201,
    response_model=WorkerPublic,
    responses=WRITE_ERRORS,
    summary="Register a worker with the caller's platform (ID number and phone validated, encrypted)",
)
async def register_worker(body: WorkerCreate, request: Request, session: SessionDep, principal: PlatformCaller):
    pii = pii_of(request)

    async def produce():
        reg = await service.register_worker(session, pii, principal.platform_id, body)
        return await service.worker_public(session, pii, reg, reveal=False)

    # The idempotency record keeps only a hash of the request; key the PII so it cannot be guessed back.
    fingerprint = {
        **body.model_dump(),
        "id_number": pii.cipher.lookup_hash(body.id_number),
        "phone": pii.cipher.lookup_hash(body.phone),
        "name": pii.cipher.lookup_hash(body.name),
    }
    return await idempotent(request, session, principal, fingerprint, produce)


@router.get(
    "/workers",
    tags=["workers"],
    response_model=Page[WorkerPublic],
    responses=READ_ERRORS,
    summary="List worker registrations (masked)",
)
async def list_workers(
    request: Request,
    session: SessionDep,
    principal: Reader,
    params: Paging,
    platform_id: str | None = None,
    worker_id: str | None = None,
):
    regs = await repository.registrations(
        session, principal, params, platform_id=_platform_filter(principal, platform_id), worker_id=worker_id
    )
    pii = pii_of(request)
    items = [await service.worker_public(session, pii, r, reveal=False) for r in regs]
    return page_of(items, params, lambda w: [w.registration_id])


@router.get(
    "/workers/{registration_id}",
    tags=["workers"],
    response_model=WorkerPublic,
    responses=problem_responses(400, 401, 403, 404),
    summary="Get a worker registration",
    dependencies=PURPOSE,
)
async def get_worker(
    registration_id: str, request: Request, session: SessionDep, principal: Reader, reveal: Reveal = False
):
    reg = await repository.visible_registration(session, principal, registration_id)
    if reveal:
        purpose = authorize_reveal(request, principal)
        audit_reveal(session, principal, purpose, "worker", reg.id, ["name", "id_number", "phone"])
    return await service.worker_public(session, pii_of(request), reg, reveal=reveal)


# ---------------------------------------------------------------------------------------------
# Classification (M1, M2)
# ---------------------------------------------------------------------------------------------
@router.post(
    "/classifications",
    tags=["classification"],
    response_model=ClassificationPublic,
    responses=problem_responses(401, 422),
    summary="Suggest the engagement type from the facts (M1, M2); stores nothing",
)
async def classify_engagement(body: EngagementFactsIn, principal: Annotated[Principal, require()]):
    result = service.classify(body)
    return ClassificationPublic(
        suggested_type=result.suggested_type, measure=result.measure, criteria=[c.__dict__ for c in result.criteria]
    )


# ---------------------------------------------------------------------------------------------
# Contracts (M1–M4, M9)
# ---------------------------------------------------------------------------------------------
@router.post(
    "/contracts/expire-due",
    tags=["contracts"],
    response_model=ExpiryRun,
    responses=problem_responses(401, 403),
    summary="Expire now every signed contract past its end date (admin; the deadline worker does it anyway)",
)
async def expire_due_contracts(request: Request, principal: Annotated[Principal, require(Role.admin)]):
    # The deadline worker does this every few seconds; this is for an operator who will not wait.
    return ExpiryRun(expired=await service.expire_due_now(request.app.state.db))


@router.post(
    "/contracts",
    tags=["contracts"],
    status_code=201,
    response_model=ContractPublic,
    responses=WRITE_ERRORS,
    summary="Draft a contract or agreement; refused on a forbidden clause, flagged on a finding",
)
async def draft_contract(body: ContractCreate, request: Request, principal: PlatformCaller):
    # The busiest write, without a session: one statement reads what the rules need (and a stored
    # answer to the Idempotency-Key), one more writes the contract, its transition, held findings,
    # event and idempotency record, all or none.
    asked = idempotent_request(request, principal, body)
    db: Database = request.app.state.db
    async with db.autocommit() as conn:
        facts = await repository.draft_facts(conn, body.registration_id, body.enterprise_id, asked)
        if asked is not None and facts.stored is not None:
            return replay(asked, facts.stored)
        draft = service.draft_contract(principal, body, facts, pii_of(request))
        content, status_code, _ = answer(request, draft.public)
        await repository.save_draft(
            conn,
            draft.contract,
            draft.transition,
            draft.held,
            outbox_row(db.service, draft.event),
            asked.record(status_code, content) if asked is not None else None,
        )
    db.notify_outbox_committed()
    return FastJSONResponse(content, status_code=status_code)


@router.get(
    "/contracts",
    tags=["contracts"],
    response_model=Page[ContractPublic],
    responses=READ_ERRORS,
    summary="List contracts and agreements",
)
async def list_contracts(
    session: SessionDep,
    principal: Reader,
    params: Paging,
    platform_id: str | None = None,
    worker_id: str | None = None,
    enterprise_id: str | None = None,
    status: str | None = None,
):
    contracts = await repository.contracts(
        session,
        principal,
        params,
        platform_id=_platform_filter(principal, platform_id),
        worker_id=worker_id,
        enterprise_id=enterprise_id,
        status=status,
    )
    items = [await service.contract_public(session, c) for c in contracts]
    return page_of(items, params, lambda c: [c.contract_id])


@router.get(
    "/contracts/{contract_id}",
    tags=["contracts"],
    response_model=ContractPublic,
    responses=READ_ERRORS,
    summary="Get a contract or agreement",
)
async def get_contract(contract_id: str, session: SessionDep, principal: Reader):
    c = await service.load_contract(session, principal, contract_id)
    return await service.contract_public(session, c)


@router.get(
    "/contracts/{contract_id}/document",
    tags=["contracts"],
    response_model=ContractDocument,
    responses=problem_responses(400, 401, 403, 404),
    summary="The contract's document text (ID and mobile numbers masked unless revealed) and its hash",
    dependencies=PURPOSE,
)
async def get_contract_document(
    contract_id: str, request: Request, session: SessionDep, principal: Reader, reveal: Reveal = False
):
    c = await service.load_contract(session, principal, contract_id)
    if reveal:
        purpose = authorize_reveal(request, principal)
        audit_reveal(session, principal, purpose, "contract_document", c.id, ["document_text"])
    text = service.document_text(pii_of(request), c)
    return ContractDocument(
        contract_id=c.id,
        document_text=text if reveal else mask_document(text),
        document_sha256=c.document_sha256,
        revealed=reveal,
    )


@router.get(
    "/contracts/{contract_id}/transitions",
    tags=["contracts"],
    response_model=list[TransitionPublic],
    responses=READ_ERRORS,
    summary="The contract's lifecycle history",
)
async def list_contract_transitions(contract_id: str, session: SessionDep, principal: Reader):
    await service.load_contract(session, principal, contract_id)
    return [TransitionPublic.model_validate(t) for t in await repository.transitions(session, contract_id)]


@router.post(
    "/contracts/{contract_id}/send",
    tags=["contracts"],
    response_model=ContractPublic,
    responses=WRITE_ERRORS,
    summary="Send a drafted contract to the worker for signing",
    **HONOURS_KEY,
)
async def send_contract(
    contract_id: str, request: Request, session: SessionDep, principal: PlatformCaller, body: SendContract | None = None
):
    async def produce():
        c = await service.send_contract(session, principal, contract_id)
        return await service.contract_public(session, c)

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/contracts/{contract_id}/signatures",
    tags=["signatures"],
    status_code=201,
    response_model=EvidenceRecordPublic,
    responses=WRITE_ERRORS,
    summary="Record a party's signature; sealed evidence (M4). Signed once both parties signed",
    description="The worker signs with their own worker token (`signer: worker`; the time recorded "
    "is when the service received it); the platform signs as `enterprise`. A platform "
    "token cannot sign as the worker (403).",
)
async def sign_contract(
    contract_id: str,
    body: SignatureCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Role.platform, Role.enterprise, Role.worker)],
):
    sealer = sealer_of(request)

    async def produce():
        return EvidenceRecordPublic.model_validate(
            await service.sign_contract(session, principal, sealer, contract_id, body)
        )

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/contracts/{contract_id}/evidence",
    tags=["signatures"],
    response_model=EvidencePublic,
    responses=READ_ERRORS,
    summary="The signature evidence chain and the key that seals it",
)
async def get_contract_evidence(contract_id: str, request: Request, session: SessionDep, principal: Reader):
    c = await service.load_contract(session, principal, contract_id)
    records = await repository.evidence_records(session, c.id)
    return EvidencePublic(
        contract_id=c.id,
        document_sha256=c.document_sha256,
        public_key_pem=sealer_of(request).public_pem,
        records=[EvidenceRecordPublic.model_validate(r) for r in records],
    )


@router.post(
    "/contracts/{contract_id}/evidence/verify",
    tags=["signatures"],
    response_model=VerificationPublic,
    responses=READ_ERRORS,
    summary="Verify the document hash and every record's hash, link and seal",
)
async def verify_contract_evidence(contract_id: str, request: Request, session: SessionDep, principal: Reader):
    c = await service.load_contract(session, principal, contract_id)
    problems = await service.verify_evidence(session, sealer_of(request), c, pii_of(request))
    return VerificationPublic(
        contract_id=c.id, valid=not problems, document_sha256=c.document_sha256, problems=problems
    )


@router.post(
    "/contracts/{contract_id}/termination",
    tags=["contracts"],
    response_model=ContractPublic,
    responses=WRITE_ERRORS,
    summary="Terminate a signed contract",
    **HONOURS_KEY,
)
async def terminate_contract(
    contract_id: str, body: TerminationCreate, request: Request, session: SessionDep, principal: PlatformCaller
):
    async def produce():
        if body.terminated_at is not None and body.terminated_at.utcoffset() is None:
            raise Unprocessable("terminated_at needs a timezone offset (RFC 3339)")
        c = await service.terminate_contract(session, principal, contract_id, body.reason, body.terminated_at)
        return await service.contract_public(session, c)

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/contracts/{contract_id}/discard",
    tags=["contracts"],
    response_model=ContractPublic,
    responses=WRITE_ERRORS,
    summary="Discard a draft never sent; its provisional findings are withdrawn (never alerts)",
    **HONOURS_KEY,
)
async def discard_contract(
    contract_id: str, body: DiscardContract, request: Request, session: SessionDep, principal: PlatformCaller
):
    async def produce():
        c = await service.discard_contract(session, principal, contract_id, body.reason)
        return await service.contract_public(session, c)

    return await idempotent(request, session, principal, body, produce, status_code=200)


class EvidenceKey(BaseModel):
    key_id: str
    public_key_pem: str


@router.get(
    "/evidence-key",
    tags=["signatures"],
    response_model=EvidenceKey,
    summary="The public key that verifies evidence seals",
)
async def get_evidence_key(request: Request):
    sealer = sealer_of(request)
    return EvidenceKey(key_id=sealer.key_id, public_key_pem=sealer.public_pem)


# ---------------------------------------------------------------------------------------------
# Account restrictions (M5)
# ---------------------------------------------------------------------------------------------
@router.get(
    "/account-restrictions/reasons",
    tags=["account restrictions"],
    response_model=list[RestrictionReason],
    summary="The published list of reasons for restricting or cancelling a registration (M5)",
)
async def list_restriction_reasons():
    return [RestrictionReason(code=k, label=v) for k, v in rules.restriction_reasons(service.today()).items()]


@router.post(
    "/account-restrictions",
    tags=["account restrictions"],
    status_code=201,
    response_model=RestrictionPublic,
    responses=WRITE_ERRORS,
    summary="Restrict or cancel a worker's registration, with reason and notice (M5)",
)
async def restrict_account(body: RestrictionCreate, request: Request, session: SessionDep, principal: PlatformCaller):
    async def produce():
        r, refs = await service.restrict_account(session, principal, body)
        return service.restriction_public(r, refs)

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/account-restrictions",
    tags=["account restrictions"],
    response_model=Page[RestrictionPublic],
    responses=READ_ERRORS,
    summary="List account restrictions",
)
async def list_account_restrictions(
    session: SessionDep, principal: Reader, params: Paging, platform_id: str | None = None, worker_id: str | None = None
):
    rows = await repository.restrictions(
        session, principal, params, platform_id=_platform_filter(principal, platform_id), worker_id=worker_id
    )
    items = [await service.restriction_public_of(session, r) for r in rows]
    return page_of(items, params, lambda r: [r.restriction_id])


@router.post(
    "/account-restrictions/{restriction_id}/appeals",
    tags=["account restrictions"],
    status_code=201,
    response_model=AppealPublic,
    responses=WRITE_ERRORS,
    summary="The worker appeals against a restriction (a worker channel on his behalf, or his own token)",
)
async def appeal_restriction(
    restriction_id: str, body: AppealCreate, request: Request, session: SessionDep, principal: Appellant
):
    async def produce():
        return AppealPublic.model_validate(await service.appeal_restriction(session, principal, restriction_id, body))

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/account-restrictions/{restriction_id}/appeals",
    tags=["account restrictions"],
    response_model=list[AppealPublic],
    responses=READ_ERRORS,
    summary="Appeals against a restriction",
)
async def list_restriction_appeals(restriction_id: str, session: SessionDep, principal: AppealReader):
    r = await service.load_restriction(session, principal, restriction_id)
    return [AppealPublic.model_validate(a) for a in await repository.appeals(session, r.id)]


@router.post(
    "/account-restrictions/{restriction_id}/lift",
    tags=["account restrictions"],
    response_model=RestrictionPublic,
    responses=WRITE_ERRORS,
    summary="Lift a restriction or cancellation: the registration is active again (platform or regulator)",
    **HONOURS_KEY,
)
async def lift_restriction(
    restriction_id: str, body: LiftCreate, request: Request, session: SessionDep, principal: Lifter
):
    async def produce():
        r = await service.lift_restriction(session, principal, restriction_id, body.reason)
        return await service.restriction_public_of(session, r)

    return await idempotent(request, session, principal, body, produce, status_code=200)


# ---------------------------------------------------------------------------------------------
# Rule and algorithm register (M10)
# ---------------------------------------------------------------------------------------------
@router.post(
    "/rule-notices",
    tags=["rule register"],
    status_code=201,
    response_model=RuleNoticePublic,
    responses=WRITE_ERRORS,
    summary="Publish a new version of a rule or algorithm, with its consultation record (M10)",
)
async def publish_rule_notice(body: RuleNoticeCreate, request: Request, session: SessionDep, principal: PlatformCaller):
    async def produce():
        n, refs = await service.publish_rule_notice(session, principal.platform_id, body)
        return service.notice_public(n, refs)

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/rule-notices",
    tags=["rule register"],
    response_model=Page[RuleNoticePublic],
    responses=READ_ERRORS,
    summary="List rule notices (every version)",
)
async def list_rule_notices(
    session: SessionDep, principal: Reader, params: Paging, platform_id: str | None = None, topic: str | None = None
):
    rows = await repository.rule_notices(
        session, principal, params, platform_id=_platform_filter(principal, platform_id), topic=topic
    )
    items = [await service.notice_public_of(session, n) for n in rows]
    return page_of(items, params, lambda n: [n.notice_id])


def _notice_platform(principal: Principal, platform_id: str | None) -> str | None:
    """The platform whose notices the caller reads; None when its view holds no platform's notices (a
    worker's, say: the list shows it none, so the versions and diffs show it none too — issue 24, 11)."""
    view = visibility(principal)
    scope = view.platform_id
    if scope is not None:
        if platform_id is not None and platform_id != scope:
            raise Forbidden("This token's scope does not cover that platform")
        return scope
    if not platform_id:
        raise Unprocessable("platform_id is required", slug="platform-required")
    return platform_id if view.allows(platform_id=platform_id) else None


Topic = Literal[
    "platform_entry_exit",
    "order_allocation",
    "piece_rates",
    "commission_ratio",
    "pay_composition",
    "working_hours",
    "rewards_penalties",
]


@router.get(
    "/rule-notices/{topic}/versions",
    tags=["rule register"],
    response_model=list[RuleNoticePublic],
    responses=problem_responses(401, 403, 422),
    summary="Every version of a platform's rule on a topic",
)
async def list_rule_notice_versions(
    topic: Topic, session: SessionDep, principal: Reader, platform_id: str | None = None
):
    pid = _notice_platform(principal, platform_id)
    if pid is None:
        return []
    return [await service.notice_public_of(session, n) for n in await repository.notice_versions(session, pid, topic)]


@router.get(
    "/rule-notices/{topic}/diff",
    tags=["rule register"],
    response_model=RuleNoticeDiff,
    responses=problem_responses(401, 403, 404, 422),
    summary="What changed between two versions",
)
async def diff_rule_notice_versions(
    topic: Topic,
    session: SessionDep,
    principal: Reader,
    from_version: Annotated[int, Query(alias="from", ge=1, le=2**31 - 1)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=2**31 - 1)],
    platform_id: str | None = None,
):
    pid = _notice_platform(principal, platform_id)
    found = (
        {}
        if pid is None
        else {n.version: n for n in await repository.notice_versions(session, pid, topic, (from_version, to_version))}
    )
    for v in (from_version, to_version):
        if v not in found:
            raise NotFound(f"No version {v} of {topic}")
    return RuleNoticeDiff(**service.diff_notices(found[from_version], found[to_version]))


# ---------------------------------------------------------------------------------------------
# Employment report (M4, M19)
# ---------------------------------------------------------------------------------------------
class EmploymentReport(BaseModel):
    format_version: str
    enterprise_id: str
    period: str
    fields: list[str]
    rows: list[dict[str, Any]]


@router.get(
    "/reports/employment",
    tags=["reports"],
    response_model=EmploymentReport,
    responses={
        **problem_responses(400, 401, 403, 404, 422),
        200: {
            "content": {"application/json": {}, "text/csv": {}},
            "description": "The report (JSON, or CSV with `format=csv` / `Accept: text/csv`)",
        },
    },
    summary="Employment report of an enterprise for a month (M4, M19), JSON or CSV",
    dependencies=PURPOSE,
)
async def get_employment_report(
    request: Request,
    session: SessionDep,
    principal: Reader,
    enterprise_id: str,
    period: Annotated[
        str, Query(description="Month, YYYY-MM", examples=["2026-11"], pattern=r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$")
    ],
    format: Literal["json", "csv"] | None = None,
    reveal: Reveal = False,
):
    reports.period_bounds(period)
    enterprise = await repository.visible_enterprise(session, principal, enterprise_id)
    if reveal:
        purpose = authorize_reveal(request, principal)
        audit_reveal(
            session,
            principal,
            purpose,
            "employment_report",
            f"{enterprise_id}:{period}",
            ["worker_name", "worker_id_number"],
        )
    rows = await reports.employment_rows(session, pii_of(request), enterprise, period, reveal=reveal)
    wants_csv = format == "csv" or (format is None and "text/csv" in request.headers.get("accept", ""))
    if wants_csv:
        return Response(
            reports.to_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="employment-{enterprise_id}-{period}.csv"'},
        )
    return EmploymentReport(
        format_version=reports.FORMAT_VERSION,
        enterprise_id=enterprise_id,
        period=period,
        fields=reports.FIELD_NAMES,
        rows=rows,
    )


# ---------------------------------------------------------------------------------------------
# Findings and audit
# ---------------------------------------------------------------------------------------------
@router.get(
    "/pii-access-log",
    tags=["audit"],
    response_model=Page[PiiAccessPublic],
    responses=READ_ERRORS,
    summary="Every read of unmasked personal data (regulator or admin)",
)
async def list_pii_access(session: SessionDep, principal: Oversight, params: Paging):
    page = page_of(await repository.pii_accesses(session, params), params, lambda r: [r.id])
    return Page[PiiAccessPublic](
        items=[PiiAccessPublic.model_validate(r) for r in page.items], next_cursor=page.next_cursor
    )
