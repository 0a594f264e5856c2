"""Drafting a contract (M1–M5, M9): the rules on a new draft, judged on what `repository.draft_facts` read
in one statement; writes nothing — the router saves the draft, its first transition, its held findings,
its event and the idempotency record in one more (`repository.save_draft`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from newform_common.auth import Principal
from newform_common.collective import binding_over
from newform_common.errors import Conflict, NotFound, PolicyViolation
from newform_common.findings import FindingSpec
from newform_common.policy import get_policy
from newform_common.scope import visibility

from .. import events as ev
from .. import shared
from ..classification.rules import Classification, misclassification
from ..classification.service import classify
from ..models import ContractStatus, RegistrationStatus, new_id
from ..pii import Pii, encrypt_document
from ..schemas import RowWith
from ..verified import rules as verified
from . import repository, rules, terms
from .evidence import document_hash
from .findings import held_ref, hold_findings
from .schemas import ContractCreate, ContractPublic


def _terms_facts(body: ContractCreate, occupation: str) -> terms.TermsFacts:
    t = body.terms
    free_text = "\n".join(x for x in (t.other_terms, t.rest_rules, body.document_text) if x)
    return terms.TermsFacts(
        pay_period=t.pay_period,
        pay_interval_days=t.pay_interval_days,
        deposit_fen=t.deposit_fen,
        worker_fees_fen=t.worker_fees_fen,
        eligibility_conditions=tuple(
            terms.Condition(c.attribute.strip(), c.requirement.strip()) for c in t.eligibility_conditions
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
    if reg.status == RegistrationStatus.cancelled:
        raise Conflict("The worker's registration with this platform is cancelled")
    drafted_on = shared.today()
    occupation = body.occupation or reg.occupation
    facts_of_terms = _terms_facts(body, occupation)
    _refuse_forbidden_terms(facts_of_terms, body, enterprise.kind, drafted_on)

    classification = classify(body.engagement_facts)
    # The place of work routes (the worker may live outside Xining): the contracting enterprise's district.
    district = body.district or enterprise.district
    at = shared.now()
    contract = _contract_row(body, reg, enterprise, classification, occupation, district, pii, at)
    specs = _findings(body, enterprise, facts, classification, facts_of_terms)
    # 劳动合同法 art. 55: the piece rates against the collective contracts binding on some day of the term
    bound = binding_over(
        facts.collectives, enterprise.platform_id, occupation, district, body.start_date, body.end_date
    )
    specs += terms.collective_standard_undercut(body.engagement_type, occupation, body.terms.piece_rates, bound)
    transition = repository.ContractTransitionRow(
        contract_id=contract.id, from_status=None, to_status=ContractStatus.draft, actor=principal.key, at=at
    )
    # Held until the contract is sent: a draft the platform discards raises no alert (RULES.md).
    held = hold_findings(contract, specs, judged_on=drafted_on)
    # A new draft has no signers and no raised findings; its held ones as a read lists them, by id.
    findings = [held_ref(h, body.engagement_type) for h in sorted(held, key=lambda h: h.id)]
    public = ContractPublic.model_validate(RowWith(contract, signed_by=[], findings=findings))
    return Draft(contract, transition, held, _drafted_event(contract, body, at), public)


def _refuse_forbidden_terms(facts: terms.TermsFacts, body: ContractCreate, enterprise_kind: str, on: date) -> None:
    """A forbidden clause refuses the whole draft (422 naming the measure and rule, nothing stored)."""
    violations = terms.contract_rejects(
        facts, enterprise_kind=enterprise_kind, engagement_type=body.engagement_type, on=on, part_time=body.part_time
    )
    if violations:
        first = violations[0]
        policy = get_policy()
        # After the measures lapse, a refusal resting on them alone says so (policy_basis.provisional).
        listed = [
            {**asdict(v), "provisional": policy.rule_basis(v.rule, on, body.engagement_type).provisional}
            for v in violations
        ]
        raise PolicyViolation(
            first.detail,
            measure=first.measure,
            rule=first.rule,
            violations=listed,
            provisional=listed[0]["provisional"],
        )


def _contract_row(
    body: ContractCreate,
    reg: repository.RegistrationRow,
    enterprise: repository.EnterpriseRow,
    classification: Classification,
    occupation: str,
    district: str,
    pii: Pii,
    at: datetime,
) -> repository.ContractRow:
    return repository.ContractRow(
        id=new_id("ctr"),
        platform_id=enterprise.platform_id,
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
        status=ContractStatus.draft,
        created_at=at,
        updated_at=at,
    )


def _findings(
    body: ContractCreate,
    enterprise: repository.EnterpriseRow,
    facts: repository.DraftFacts,
    classification: Classification,
    facts_of_terms: terms.TermsFacts,
) -> list[FindingSpec | None]:
    """The findings on the draft (M1, M3, M5, M9), judged on the departments' facts where they hold them."""
    partner = rules.PartnerFacts(
        kind=enterprise.kind,
        dispatch_licence_number=enterprise.dispatch_licence_number,
        dispatch_licence_valid_until=enterprise.dispatch_licence_valid_until,
        qualified=enterprise.qualified,
    )
    insurance = rules.Insurance(**body.terms.insurance.model_dump())
    # Verified beats declared (verified/): where a department holds the fact, the rules judge by it.
    partner, judged_insurance, sources = verified.overlay(
        enterprise,
        partner,
        insurance,
        body.start_date,
        licences=facts.licences,
        records=facts.enterprise_records,
        enrolments=facts.insurance,
    )
    return verified.cite(
        [
            misclassification(body.engagement_type, classification),
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
            terms.suspicious_terms_text(facts_of_terms.free_text),
        ],
        sources,
    )


def _drafted_event(contract: repository.ContractRow, body: ContractCreate, at: datetime) -> ev.ContractDrafted:
    """`contracts.contract.drafted.v1`: what the platform declared (the insurance too, not the judged one)."""
    declared = rules.Insurance(**body.terms.insurance.model_dump())
    return ev.ContractDrafted(
        contract_id=contract.id,
        worker_id=contract.worker_id,
        platform_id=contract.platform_id,
        enterprise_id=contract.enterprise_id,
        engagement_type=contract.engagement_type,
        part_time=contract.part_time,
        occupation=contract.occupation,
        district=contract.district,
        start_date=contract.start_date,
        end_date=contract.end_date,
        pay_period=body.terms.pay_period,
        insurance=ev.InsuranceFlags(**asdict(declared)),
        drafted_at=at,
        pay_schedule=body.terms.pay_schedule,
        hours_arrangement=body.terms.hours_arrangement,
    )
