"""A contract's findings: held while it is a draft (a draft the platform discards never becomes an alert),
raised when it is sent — judged as on the drafting day — withdrawn when it is discarded (RULES.md, "When
a finding becomes an alert")."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.findings import FindingSpec, Severity, findings_of, raise_finding
from newform_common.policy import PolicyNotInForce, get_policy

from .. import shared
from ..models import HELD_ALLOWED, Contract, HeldFinding, HeldStatus, new_id
from . import repository
from .schemas import ContractFindingRef


def hold_findings(
    contract: repository.ContractRow, specs: list[FindingSpec | None], *, judged_on: date
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
            observed_at=shared.now(),
            status=HeldStatus.held,
        )
        for spec in specs
        if spec is not None
    ]


async def raise_held_findings(session: AsyncSession, c: Contract) -> int:
    """The contract was sent to the worker: its held findings become findings and alerts now, judged
    as on the drafting day."""
    raised = 0
    for held in await repository.held_findings(session, c.id, for_update=True):
        if HeldStatus.raised not in HELD_ALLOWED[HeldStatus(held.status)]:
            continue
        spec = FindingSpec(held.measure, held.rule, Severity(held.severity), held.summary, held.evidence)
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
        held.status, held.finding_id = HeldStatus.raised, ref.finding_id
        raised += 1
    return raised


async def withdraw_held_findings(session: AsyncSession, contract_id: str) -> int:
    withdrawn = 0
    for held in await repository.held_findings(session, contract_id, for_update=True):
        if HeldStatus.withdrawn in HELD_ALLOWED[HeldStatus(held.status)]:
            held.status, withdrawn = HeldStatus.withdrawn, withdrawn + 1
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
    refs += [held_ref(h, c.engagement_type) for h in held if h.status != HeldStatus.raised]
    return refs
