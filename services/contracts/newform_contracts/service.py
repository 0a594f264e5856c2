"""Use cases: rules + state change + outbox record + findings, in the request's transaction (never
commits); reads go through `repository`. Also the responses that are more than a row: masked personal
data, signers, findings."""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import clock, deadlines
from newform_common.auth import Principal, Role
from newform_common.errors import Conflict, Forbidden, NotFound, PolicyViolation, Unprocessable
from newform_common.findings import FindingRef, findings_of, raise_finding
from newform_common.identity import (
    InvalidIdentifier,
    PiiDecryptError,
    validate_credit_code,
    validate_mobile,
    validate_resident_id,
)
from newform_common.outbox import record
from newform_common.policy import PolicyNotInForce, business_date, get_policy
from newform_common.scope import PLATFORM_ROLES, visibility

from . import events as ev
from . import repository, rules, verified
from .evidence import Sealer, document_hash, record_body, verify
from .models import (
    AccountRestriction,
    Contract,
    ContractTransition,
    Enterprise,
    EvidenceRecord,
    HeldFinding,
    Registration,
    RestrictionAppeal,
    RuleNotice,
    new_id,
)
from .pii import Pii, decrypt_document, encrypt_document, masked
from .schemas import (
    AppealCreate,
    ContractCreate,
    ContractFindingRef,
    ContractPublic,
    EngagementFactsIn,
    PartnerCreate,
    PlatformCreate,
    RestrictionCreate,
    RestrictionPublic,
    RowWith,
    RuleNoticeCreate,
    RuleNoticePublic,
    SignatureCreate,
    WorkerCreate,
    WorkerPublic,
)


def now() -> datetime:
    return clock.now()  # the one process clock (tests can stand on another day)


def today() -> date:
    return clock.today()  # the business date (Asia/Shanghai) of the one process clock


def _invalid(exc: InvalidIdentifier) -> Unprocessable:
    return Unprocessable(
        str(exc), slug="invalid-identifier", errors=[{"loc": ["body", exc.field], "msg": str(exc), "type": exc.reason}]
    )


# ---------------------------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------------------------
def hold_findings(
    contract: repository.ContractRow, specs: list[rules.FindingSpec | None], *, judged_on: date
) -> list[repository.HeldFindingRow]:
    """Findings on a draft are held, not raised: a draft the platform discards never becomes an alert."""
    return [
        repository.HeldFindingRow(
            id=new_id("hfd"),
            contract_id=contract.id,
            measure=spec.measure,
            rule=spec.rule,
            severity=spec.severity.value,
            summary=spec.summary,
            evidence=spec.evidence,
            judged_on=judged_on,
            observed_at=now(),
            status="held",
        )
        for spec in specs
        if spec is not None
    ]


async def raise_held_findings(session: AsyncSession, c: Contract) -> int:
    """The contract was sent to the worker: its held findings become findings and alerts now, judged
    as on the drafting day."""
    raised = 0
    for held in await repository.held_findings(session, c.id, for_update=True):
        if held.status != "held":
            continue
        spec = rules.FindingSpec(held.measure, held.rule, rules.Severity(held.severity), held.summary, held.evidence)
        ref = await raise_finding(
            session,
            spec,
            subject_type="contract",
            subject_id=c.id,
            platform_id=c.platform_id,
            enterprise_id=c.enterprise_id,
            worker_id=c.worker_id,
            occupation=c.occupation,
            district=c.district,
            judged_on=held.judged_on,
            engagement_type=c.engagement_type,
        )
        held.status, held.finding_id = "raised", ref.finding_id
        raised += 1
    return raised


async def withdraw_held_findings(session: AsyncSession, contract_id: str) -> int:
    withdrawn = 0
    for held in await repository.held_findings(session, contract_id, for_update=True):
        if held.status == "held":
            held.status, withdrawn = "withdrawn", withdrawn + 1
    return withdrawn


def held_ref(h: HeldFinding, engagement_type: str | None) -> ContractFindingRef:
    """A held finding as the contract shows it; `provisional` as it will be raised (judged on the drafting day)."""
    try:
        basis = get_policy().rule_basis(h.rule, h.judged_on, engagement_type)
    except PolicyNotInForce:
        basis = None
    return ContractFindingRef(
        finding_id=h.id,
        measure=h.measure,
        rule=h.rule,
        severity=h.severity,
        status=h.status,
        provisional=bool(basis and basis.provisional),
    )


async def contract_findings(session: AsyncSession, c: Contract) -> list[ContractFindingRef]:
    """A contract's findings: raised ones (the findings table) and those still held or withdrawn."""
    refs = [ContractFindingRef(**f.model_dump(), status="raised") for f in await findings_of(session, c.id)]
    held = await repository.held_findings(session, c.id)
    refs += [held_ref(h, c.engagement_type) for h in held if h.status != "raised"]
    return refs


# ---------------------------------------------------------------------------------------------
# Enterprises
# ---------------------------------------------------------------------------------------------
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
        raise _invalid(exc) from exc
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
        registered_at=now(),
    )
    session.add(e)
    record(session, _enterprise_event(e))
    return e


async def register_partner(session: AsyncSession, platform_id: str, body: PartnerCreate) -> Enterprise:
    try:
        credit_code = validate_credit_code(body.credit_code)
    except InvalidIdentifier as exc:
        raise _invalid(exc) from exc
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
        registered_at=now(),
    )
    session.add(e)
    record(session, _enterprise_event(e))
    return e


# ---------------------------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------------------------
async def register_worker(session: AsyncSession, pii: Pii, platform_id: str, body: WorkerCreate) -> Registration:
    try:
        id_number = validate_resident_id(body.id_number, field="id_number")
        phone = validate_mobile(body.phone, field="phone")
    except InvalidIdentifier as exc:
        raise _invalid(exc) from exc
    worker_id = pii.worker_id(id_number)
    at = now()
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


# ---------------------------------------------------------------------------------------------
# Classification and contracts
# ---------------------------------------------------------------------------------------------
def classify(facts: EngagementFactsIn) -> rules.Classification:
    return rules.classify(rules.EngagementFacts(**facts.model_dump()))


def _terms_facts(body: ContractCreate, occupation: str) -> rules.TermsFacts:
    t = body.terms
    free_text = "\n".join(x for x in (t.other_terms, t.rest_rules, body.document_text) if x)
    return rules.TermsFacts(
        pay_period=t.pay_period,
        pay_interval_days=t.pay_interval_days,
        deposit_fen=t.deposit_fen,
        worker_fees_fen=t.worker_fees_fen,
        eligibility_conditions=tuple(
            rules.Condition(c.attribute.strip(), c.requirement.strip()) for c in t.eligibility_conditions
        ),
        exclusivity=t.exclusivity,
        free_text=free_text,
        engagement_type=body.engagement_type,
        part_time=body.part_time,
        occupation=occupation,
    )


@dataclass(frozen=True)
class Draft:
    """A drafted contract as `repository.save_draft` writes it, and as the caller gets it back."""

    contract: repository.ContractRow
    transition: repository.ContractTransitionRow
    held: list[repository.HeldFindingRow]
    event: ev.ContractDrafted
    public: ContractPublic


def draft_contract(principal: Principal, body: ContractCreate, facts: repository.DraftFacts, pii: Pii) -> Draft:
    """The rules on a new draft, judged on what `repository.draft_facts` read; writes nothing (the
    caller saves the draft, its transition, held findings and event in one statement)."""
    platform_id = principal.platform_id
    reg = facts.registration
    if reg is None or not visibility(principal).allows(platform_id=reg.platform_id, worker_id=reg.worker_id):
        raise NotFound(f"No worker registration {body.registration_id!r}")
    enterprise = facts.enterprise
    if enterprise is None or enterprise.platform_id != platform_id:
        raise NotFound(f"No enterprise {body.enterprise_id!r} cooperating with this platform")
    if reg.status == "cancelled":
        raise Conflict("The worker's registration with this platform is cancelled")
    drafted_on = today()
    occupation = body.occupation or reg.occupation
    terms = _terms_facts(body, occupation)
    violations = rules.contract_rejects(
        terms,
        enterprise_kind=enterprise.kind,
        engagement_type=body.engagement_type,
        on=drafted_on,
        part_time=body.part_time,
    )
    if violations:
        first = violations[0]
        policy = get_policy()
        # After the measures lapse, a refusal resting on them alone says so (policy_basis.provisional).
        listed = [
            {**asdict(v), "provisional": policy.rule_basis(v.rule, drafted_on, body.engagement_type).provisional}
            for v in violations
        ]
        raise PolicyViolation(
            first.detail,
            measure=first.measure,
            rule=first.rule,
            violations=listed,
            provisional=listed[0]["provisional"],
        )

    classification = classify(body.engagement_facts)
    # The place of work routes (the worker may live outside Xining): the contracting enterprise's district.
    district = body.district or enterprise.district
    at = now()
    contract = repository.ContractRow(
        id=new_id("ctr"),
        platform_id=platform_id,
        enterprise_id=enterprise.id,
        registration_id=reg.id,
        worker_id=reg.worker_id,
        engagement_type=body.engagement_type,
        suggested_type=classification.suggested_type,
        part_time=body.part_time,
        occupation=occupation,
        district=district,
        start_date=body.start_date,
        end_date=body.end_date,
        terms=body.terms.model_dump(mode="json"),
        engagement_facts=body.engagement_facts.model_dump(mode="json"),
        document_text=encrypt_document(pii, body.document_text),
        document_sha256=document_hash(body.document_text),
        status="draft",
        created_at=at,
        updated_at=at,
    )

    partner = rules.PartnerFacts(
        kind=enterprise.kind,
        dispatch_licence_number=enterprise.dispatch_licence_number,
        dispatch_licence_valid_until=enterprise.dispatch_licence_valid_until,
        qualified=enterprise.qualified,
    )
    insurance = rules.Insurance(**body.terms.insurance.model_dump())
    # Verified beats declared (verified.py): where a department holds the fact, the rules judge by it.
    partner, judged_insurance, sources = verified.overlay(
        enterprise,
        partner,
        insurance,
        body.start_date,
        licences=facts.licences,
        records=facts.enterprise_records,
        enrolments=facts.insurance,
    )
    specs = verified.cite(
        [
            rules.misclassification(body.engagement_type, classification),
            rules.dispatch_licence_invalid(partner, body.start_date),
            rules.unqualified_partner(partner),
            *rules.insurance_findings(body.engagement_type, enterprise.kind, judged_insurance),
            # Overlap is judged against the worker's other active full-time labour contracts (any platform).
            rules.overlapping_full_time_contract(
                body.engagement_type,
                body.part_time,
                rules.Span(body.start_date, body.end_date),
                [rules.Span(s, e) for s, e in facts.full_time_terms],
            ),
            rules.suspicious_terms_text(terms.free_text),
        ],
        sources,
    )
    transition = repository.ContractTransitionRow(
        contract_id=contract.id, from_status=None, to_status="draft", actor=principal.key, at=at
    )
    event = ev.ContractDrafted(
        contract_id=contract.id,
        worker_id=contract.worker_id,
        platform_id=platform_id,
        enterprise_id=enterprise.id,
        engagement_type=contract.engagement_type,
        part_time=contract.part_time,
        occupation=occupation,
        district=district,
        start_date=contract.start_date,
        end_date=contract.end_date,
        pay_period=body.terms.pay_period,
        insurance=ev.InsuranceFlags(**asdict(insurance)),
        drafted_at=at,
        pay_schedule=body.terms.pay_schedule,
        hours_arrangement=body.terms.hours_arrangement,
    )
    # Held until the contract is sent: a draft the platform discards raises no alert (RULES.md).
    held = hold_findings(contract, specs, judged_on=drafted_on)
    # A new draft has no signers and no raised findings; its held ones as a read lists them, by id.
    findings = [held_ref(h, body.engagement_type) for h in sorted(held, key=lambda h: h.id)]
    public = ContractPublic.model_validate(RowWith(contract, signed_by=[], findings=findings))
    return Draft(contract, transition, held, event, public)


async def contract_public(session: AsyncSession, c: Contract) -> ContractPublic:
    """The contract row with who has signed it and its findings."""
    return ContractPublic.model_validate(
        RowWith(c, signed_by=await repository.signers(session, c.id), findings=await contract_findings(session, c))
    )


def _transition_fields(c: Contract, at: datetime) -> dict:
    return {
        "contract_id": c.id,
        "worker_id": c.worker_id,
        "platform_id": c.platform_id,
        "enterprise_id": c.enterprise_id,
        "engagement_type": c.engagement_type,
        "at": at,
    }


ALLOWED = {
    "draft": {"sent", "discarded"},
    "sent": {"signed"},
    "signed": {"terminated", "expired"},
    "terminated": set(),
    "expired": set(),
    "discarded": set(),
}


def _move(session: AsyncSession, c: Contract, to: str, actor: str, at: datetime, reason: str | None = None) -> None:
    if to not in ALLOWED[c.status]:
        raise Conflict(
            f"A {c.status} contract cannot become {to}", slug="illegal-transition", status_from=c.status, status_to=to
        )
    session.add(
        ContractTransition(contract_id=c.id, from_status=c.status, to_status=to, actor=actor, reason=reason, at=at)
    )
    c.status = to
    c.updated_at = at


async def load_contract(
    session: AsyncSession, principal: Principal, contract_id: str, *, for_update: bool = False
) -> Contract:
    c = await repository.contract(session, contract_id, for_update=for_update)
    if c is None or not visibility(principal).allows(platform_id=c.platform_id, worker_id=c.worker_id):
        raise NotFound(f"No contract {contract_id!r}")
    return c


async def send_contract(session: AsyncSession, principal: Principal, contract_id: str) -> Contract:
    c = await load_contract(session, principal, contract_id, for_update=True)
    at = now()
    _move(session, c, "sent", principal.key, at)
    record(session, ev.ContractSent(**_transition_fields(c, at)))
    await raise_held_findings(session, c)
    return c


async def discard_contract(session: AsyncSession, principal: Principal, contract_id: str, reason: str) -> Contract:
    """A draft never sent is abandoned: its provisional findings are withdrawn (never alerts)."""
    c = await load_contract(session, principal, contract_id, for_update=True)
    at = now()
    _move(session, c, "discarded", principal.key, at, reason)
    withdrawn = await withdraw_held_findings(session, c.id)
    record(session, ev.ContractDiscarded(**_transition_fields(c, at), withdrawn_findings=withdrawn))
    return c


def document_text(pii: Pii, c: Contract) -> str:
    try:
        return decrypt_document(pii, c.document_text)
    except PiiDecryptError as exc:
        raise Conflict(
            "The stored document does not authenticate: it was altered outside the service", slug="document-integrity"
        ) from exc


async def sign_contract(
    session: AsyncSession, principal: Principal, sealer: Sealer, contract_id: str, body: SignatureCreate
) -> EvidenceRecord:
    c = await load_contract(session, principal, contract_id, for_update=True)
    # M4: consent is the worker's own act. Only the worker's token signs as the worker, and the
    # signature records when the service received it, not a time the caller claims.
    if body.signer == "worker" and principal.worker_id != c.worker_id:
        raise Forbidden("Only the worker, with their own worker token, can sign as the worker", slug="not-the-worker")
    if body.signer == "enterprise" and principal.role not in PLATFORM_ROLES:
        raise Forbidden("Only the platform or enterprise can sign as the enterprise")
    if c.status != "sent":
        raise Conflict(f"Only a sent contract can be signed; this one is {c.status}", slug="illegal-transition")
    existing = await repository.evidence_records(session, c.id)
    if any(r.signer == body.signer for r in existing):
        raise Conflict(f"The {body.signer} has already signed this contract")
    signed_at = now() if body.signer == "worker" else min(body.signed_at or now(), now())
    seq = len(existing) + 1
    previous = existing[-1].record_hash if existing else None
    content = record_body(
        contract_id=c.id,
        seq=seq,
        document_sha256=c.document_sha256,
        signer=body.signer,
        intent=body.intent,
        signed_at=signed_at,
        previous_hash=previous,
    )
    record_hash, seal = sealer.seal(content)
    evidence = EvidenceRecord(
        id=new_id("sig"),
        contract_id=c.id,
        seq=seq,
        document_sha256=c.document_sha256,
        signer=body.signer,
        intent=body.intent,
        signed_at=signed_at,
        previous_hash=previous,
        record_hash=record_hash,
        seal=seal,
        key_id=sealer.key_id,
    )
    session.add(evidence)
    signers = sorted({r.signer for r in existing} | {body.signer})
    if signers == ["enterprise", "worker"]:
        at = now()
        _move(session, c, "signed", principal.key, at)
        record(
            session,
            ev.ContractSigned(**_transition_fields(c, at), document_sha256=c.document_sha256, signed_by=signers),
        )
        if c.end_date is not None:
            await deadlines.schedule(session, CONTRACT_END, c.id, deadlines.end_of_business_day(c.end_date))
        await _watch_declared_licence(session, c)
    return evidence


async def verify_evidence(session: AsyncSession, sealer: Sealer, c: Contract, pii: Pii) -> list[str]:
    records = []
    for r in await repository.evidence_records(session, c.id):
        body = record_body(
            contract_id=r.contract_id,
            seq=r.seq,
            document_sha256=r.document_sha256,
            signer=r.signer,
            intent=r.intent,
            signed_at=r.signed_at,
            previous_hash=r.previous_hash,
        )
        records.append({**body, "record_hash": r.record_hash, "seal": r.seal})
    try:
        text_as_stored = decrypt_document(pii, c.document_text)
    except PiiDecryptError:
        text_as_stored = None
    problems = verify(
        document_text=text_as_stored or "",
        document_sha256=c.document_sha256,
        records=records,
        public_key=sealer.public_key,
    )
    if text_as_stored is None:
        problems.insert(0, "the stored document does not authenticate (altered outside the service)")
    if c.status in ("signed", "terminated", "expired") and len(records) < 2:
        problems.append("the contract is marked signed but lacks a party's signature record")
    return problems


async def terminate_contract(
    session: AsyncSession, principal: Principal, contract_id: str, reason: str, at: datetime | None
) -> Contract:
    c = await load_contract(session, principal, contract_id, for_update=True)
    at = at or now()
    if c.status == "signed":
        await _check_termination_order(session, c, at)
    _move(session, c, "terminated", principal.key, at, reason)
    c.termination_reason = reason
    record(session, ev.ContractTerminated(**_transition_fields(c, at), reason=reason))
    await deadlines.cancel(session, CONTRACT_END, c.id)
    await deadlines.cancel(session, DECLARED_LICENCE_LAPSE, c.id)
    return c


async def _check_termination_order(session: AsyncSession, c: Contract, at: datetime) -> None:
    """A termination follows the fact it ends — the contract's signing: not before its last signature.
    (Before the start date is possible: a signed contract rescinded before work begins, 协商一致解除;
    the employment report then never counts it.)"""
    last_signed = await repository.last_signed_at(session, c.id)
    if last_signed is not None and at < last_signed:
        problem = f"terminated_at {at.isoformat()} is before the contract was signed ({last_signed.isoformat()})"
        raise Unprocessable(
            problem,
            slug="date-out-of-order",
            errors=[{"loc": ["body", "terminated_at"], "msg": problem, "type": "date_order"}],
        )


#: The clock that ends a signed contract on its end date (a deadline, fired once; never on a read).
CONTRACT_END = "contracts.contract_end"


async def expire_contract(session: AsyncSession, deadline: deadlines.Deadline) -> None:
    """Deadline handler: a signed contract whose end date has passed becomes expired, with its event."""
    c = await repository.contract(session, deadline.subject_id, for_update=True)
    if c is None or c.status != "signed":
        return  # terminated in the meantime (its clock is normally cancelled with it)
    at = now()
    _move(session, c, "expired", "system:expiry", at, "end date passed")
    record(session, ev.ContractExpired(**_transition_fields(c, at)))


#: The clock on a dispatch agency's declared licence running out during a signed contract (M3): on its
#: first invalid day the platform becomes liable and the finding is raised (verified.py does the same
#: for a licence hrss reports revoked or expired).
DECLARED_LICENCE_LAPSE = "contracts.declared_licence_lapse"


def _partner_facts(enterprise) -> rules.PartnerFacts:
    return rules.PartnerFacts(
        kind=enterprise.kind,
        dispatch_licence_number=enterprise.dispatch_licence_number,
        dispatch_licence_valid_until=enterprise.dispatch_licence_valid_until,
        qualified=enterprise.qualified,
    )


async def _watch_declared_licence(session: AsyncSession, c: Contract) -> None:
    enterprise = await repository.enterprise(session, c.enterprise_id)
    if enterprise is None:
        return
    invalid_from = rules.licence_lapses_during(_partner_facts(enterprise), c.start_date, c.end_date)
    if invalid_from is not None:
        await deadlines.schedule(
            session,
            DECLARED_LICENCE_LAPSE,
            c.id,
            deadlines.end_of_business_day(invalid_from - timedelta(days=1)),
            data={"licence_valid_until": enterprise.dispatch_licence_valid_until.isoformat()},
        )


async def declared_licence_lapsed(session: AsyncSession, deadline: deadlines.Deadline) -> None:
    """Deadline handler: the declared licence's first invalid day began during a live contract."""
    c = await repository.contract(session, deadline.subject_id, for_update=True)
    if c is None or c.status != "signed":
        return
    enterprise = await repository.enterprise(session, c.enterprise_id)
    if await repository.verified_licences_of(session, enterprise.credit_code):
        return  # verified beats declared: hrss's licences decide the days (verified.licence_lapsed)
    partner = _partner_facts(enterprise)
    invalid_from = rules.licence_lapses_during(partner, c.start_date, c.end_date)
    if invalid_from is None or deadlines.end_of_business_day(invalid_from - timedelta(days=1)) > deadline.due_at:
        return  # the licence was renewed meanwhile: no lapse (or a later clock)
    await raise_finding(
        session,
        rules.dispatch_licence_lapsed(partner, invalid_from, c.start_date),
        subject_type="contract",
        subject_id=c.id,
        platform_id=c.platform_id,
        enterprise_id=c.enterprise_id,
        worker_id=c.worker_id,
        occupation=c.occupation,
        district=c.district,
    )


DEADLINE_HANDLERS = {CONTRACT_END: expire_contract, DECLARED_LICENCE_LAPSE: declared_licence_lapsed}


async def expire_due_now(db) -> list[str]:
    """Fires every contract-end clock now due (the deadline worker does it anyway): the expired ids.
    Only this kind: the operator asked for expiries, not for the service's other clocks."""
    return [d.subject_id for d in await deadlines.fire_due(db, {CONTRACT_END: expire_contract})]


# ---------------------------------------------------------------------------------------------
# Account restrictions (M5)
# ---------------------------------------------------------------------------------------------
async def place_of_work(session: AsyncSession, reg: Registration) -> str | None:
    """Where the worker works for this platform: his latest contract's district, else the platform's."""
    district = await repository.latest_contract_district(session, reg.id)
    if district:
        return district
    platform = await repository.enterprise(session, reg.platform_id)
    return platform.district if platform else None


async def restrict_account(
    session: AsyncSession, principal: Principal, body: RestrictionCreate
) -> tuple[AccountRestriction, list[FindingRef]]:
    # Row-locked before its status is checked: two restrictions side by side both passed the check, and one
    # committed after a cancellation reopened the account as "restricted".
    await repository.registration_for_update(session, body.registration_id)
    reg = await repository.visible_registration(session, principal, body.registration_id)
    if reg.status == "cancelled":
        raise Conflict("The worker's registration is already cancelled")
    for name, value in (("effective_at", body.effective_at), ("notice_given_at", body.notice_given_at)):
        if value is not None and value.utcoffset() is None:
            raise Unprocessable(f"{name} needs a timezone offset (RFC 3339)")
    notice_given = rules.notice_given_before(body.notice_given_at, body.effective_at)
    notice_days = (business_date(body.effective_at) - business_date(body.notice_given_at)).days if notice_given else 0
    reason_listed = body.reason_code in rules.restriction_reasons(today())
    r = AccountRestriction(
        id=new_id("rst"),
        registration_id=reg.id,
        worker_id=reg.worker_id,
        platform_id=reg.platform_id,
        action=body.action,
        reason_code=body.reason_code,
        reason_listed=reason_listed,
        reason_text=body.reason_text,
        notice_given_at=body.notice_given_at,
        notice_days=notice_days,
        effective_at=body.effective_at,
        created_at=now(),
    )
    session.add(r)
    reg.status = "cancelled" if body.action == "cancel" else "restricted"
    record(
        session,
        ev.AccountRestricted(
            restriction_id=r.id,
            worker_id=r.worker_id,
            platform_id=r.platform_id,
            action=body.action,
            reason_code=r.reason_code,
            reason_listed=reason_listed,
            notice_days=notice_days,
            effective_at=r.effective_at,
        ),
    )
    refs = []
    district = await place_of_work(session, reg)
    for spec in rules.restriction_findings(body.reason_code, notice_given, today()):
        refs.append(
            await raise_finding(
                session,
                spec,
                subject_type="account_restriction",
                subject_id=r.id,
                platform_id=r.platform_id,
                worker_id=r.worker_id,
                occupation=reg.occupation,
                district=district,
                judged_on=today(),
            )
        )
    return r, refs


async def load_restriction(
    session: AsyncSession, principal: Principal, restriction_id: str, *, for_update: bool = False
) -> AccountRestriction:
    """The restriction if the caller may see it: its platform, the worker himself (worker token), the
    departments — and a worker channel (12333 and the like), which files appeals on a worker's behalf
    with the restriction id the worker gives it."""
    r = await repository.restriction(session, restriction_id, for_update=for_update)
    if r is None or not (
        principal.role == Role.worker_channel
        or visibility(principal).allows(platform_id=r.platform_id, worker_id=r.worker_id)
    ):
        raise NotFound(f"No account restriction {restriction_id!r}")
    return r


def restriction_public(r: AccountRestriction, findings: list[FindingRef]) -> RestrictionPublic:
    """The restriction row with its status (lifted or in effect) and its findings."""
    return RestrictionPublic.model_validate(
        RowWith(r, status="lifted" if r.lifted_at else "in_effect", findings=findings)
    )


async def restriction_public_of(session: AsyncSession, r: AccountRestriction) -> RestrictionPublic:
    return restriction_public(r, await findings_of(session, r.id))


async def appeal_restriction(
    session: AsyncSession, principal: Principal, restriction_id: str, body: AppealCreate
) -> RestrictionAppeal:
    """The worker contests a restriction (M5; M10's 申诉机制): recorded, published for the platform
    and the departments. One open appeal per restriction."""
    r = await load_restriction(session, principal, restriction_id, for_update=True)
    if r.lifted_at is not None:
        raise Conflict("This restriction has been lifted; there is nothing to appeal", slug="restriction-lifted")
    open_appeal = await repository.open_appeal_id(session, r.id)
    if open_appeal:
        raise Conflict(f"An appeal against this restriction is already open: {open_appeal}", appeal_id=open_appeal)
    a = RestrictionAppeal(
        id=new_id("apl"),
        restriction_id=r.id,
        worker_id=r.worker_id,
        platform_id=r.platform_id,
        grounds=body.grounds,
        submitted_by=principal.key,
        submitted_at=now(),
        status="open",
    )
    session.add(a)
    record(
        session,
        ev.RestrictionAppealed(
            appeal_id=a.id,
            restriction_id=r.id,
            worker_id=r.worker_id,
            platform_id=r.platform_id,
            submitted_at=a.submitted_at,
        ),
    )
    return a


async def lift_restriction(
    session: AsyncSession, principal: Principal, restriction_id: str, reason: str
) -> AccountRestriction:
    """The platform (or the regulator, after an appeal or an inspection) lifts a restriction or
    cancellation: the registration is active again and open appeals are closed."""
    r = await load_restriction(session, principal, restriction_id, for_update=True)
    if r.lifted_at is not None:
        raise Conflict("This restriction has already been lifted", slug="restriction-lifted")
    at = now()
    r.lifted_at, r.lifted_by, r.lift_reason = at, principal.key, reason
    reg = await repository.registration_for_update(session, r.registration_id)
    later = await repository.other_unlifted_restrictions(session, r.registration_id, r.id)
    if not later:
        reg.status = "active"
    for a in await repository.appeals(session, r.id):
        if a.status == "open":
            a.status, a.closed_at = "closed", at
    record(
        session,
        ev.RestrictionLifted(
            restriction_id=r.id,
            worker_id=r.worker_id,
            platform_id=r.platform_id,
            lifted_by_role=str(principal.role),
            lifted_at=at,
        ),
    )
    return r


# ---------------------------------------------------------------------------------------------
# Rule and algorithm register (M10)
# ---------------------------------------------------------------------------------------------
async def publish_rule_notice(
    session: AsyncSession, platform_id: str, body: RuleNoticeCreate
) -> tuple[RuleNotice, list[FindingRef]]:
    await repository.lock_rule_notice_topic(session, platform_id, body.topic)  # see repository
    latest = await repository.latest_notice_version(session, platform_id, body.topic)
    consulted = body.consultation is not None
    n = RuleNotice(
        id=new_id("rn"),
        platform_id=platform_id,
        topic=body.topic,
        version=(latest or 0) + 1,
        title=body.title,
        content=body.content,
        consultation=body.consultation.model_dump(mode="json") if consulted else None,
        consulted=consulted,
        published_on=body.published_on,
        effective_on=body.effective_on,
        created_at=now(),
    )
    session.add(n)
    record(
        session,
        ev.RuleNoticePublished(
            notice_id=n.id,
            platform_id=platform_id,
            topic=n.topic,
            version=n.version,
            consulted=consulted,
            published_on=n.published_on,
            effective_on=n.effective_on,
        ),
    )
    refs = []
    for spec in rules.rule_notice_findings(
        topic=n.topic,
        published_on=n.published_on,
        effective_on=n.effective_on,
        consulted=consulted,
        consulted_on=body.consultation.consulted_on if consulted else None,
    ):
        refs.append(
            await raise_finding(
                session, spec, subject_type="rule_notice", subject_id=n.id, platform_id=platform_id, judged_on=today()
            )
        )
    return n, refs


def notice_public(n: RuleNotice, findings: list[FindingRef]) -> RuleNoticePublic:
    """The notice row with its findings."""
    return RuleNoticePublic.model_validate(RowWith(n, findings=findings))


async def notice_public_of(session: AsyncSession, n: RuleNotice) -> RuleNoticePublic:
    return notice_public(n, await findings_of(session, n.id))


def diff_notices(a: RuleNotice, b: RuleNotice) -> dict:
    changes = []
    for name in ("title", "content", "consultation", "consulted", "published_on", "effective_on"):
        before, after = getattr(a, name), getattr(b, name)
        if before != after:
            changes.append({"field": name, "before": before, "after": after})
    content_diff = "".join(
        difflib.unified_diff(
            a.content.splitlines(keepends=True),
            b.content.splitlines(keepends=True),
            fromfile=f"v{a.version}",
            tofile=f"v{b.version}",
        )
    )
    return {
        "platform_id": a.platform_id,
        "topic": a.topic,
        "from_version": a.version,
        "to_version": b.version,
        "changes": changes,
        "content_diff": content_diff,
    }
