"""training.* events into the subsidy read models — set-based: one statement per table per batch.

The regulator's questions (M13): subsidies paid by occupation, level, district and channel; each
district's budget used; refused claims by reason; how many of a platform's workers were trained.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.consumed import consumes
from newform_common.policy import business_date

from ...projections.base import Context, EventData, Projection, Typed
from . import repository


# -- the gateway's reading of training's v1 events (services/training/newform_training/events.py) ------
@consumes("training.certificate.issued.v1")
class CertificateIssued(EventData):
    certificate_number: str
    worker_id: str
    body_id: str
    occupation: str
    level: int
    issued_on: date
    provider_id: str | None = None


class ClaimFacts(EventData):
    claim_id: str
    certificate_number: str
    worker_id: str
    channel: str
    payee: str
    provider_id: str | None = None
    platform_id: str | None = None
    occupation: str
    level: int
    district: str
    amount_fen: int
    status: str
    at: AwareDatetime


@consumes("training.claim.submitted.v1")
class ClaimSubmitted(ClaimFacts):
    pass


@consumes("training.claim.approved.v1")
class ClaimApproved(ClaimFacts):
    pass


@consumes("training.claim.rejected.v1")
class ClaimRejected(ClaimFacts):
    reason: str
    rule: str | None = None


@consumes("training.claim.paid.v1")
class ClaimPaid(ClaimFacts):
    payment_reference: str


def _claim_row(d: ClaimFacts) -> dict[str, Any]:
    return dict(
        claim_id=d.claim_id,
        certificate_number=d.certificate_number,
        worker_id=d.worker_id,
        channel=d.channel,
        payee=d.payee,
        platform_id=d.platform_id,
        provider_id=d.provider_id,
        occupation=d.occupation,
        level=d.level,
        district=d.district,
        amount_fen=d.amount_fen,
        status=d.status,
        reason=None,
        rule=None,
        year=None,
        submitted_at=None,
        decided_at=None,
        paid_at=None,
        updated_at=d.at,
    )


async def apply(session: AsyncSession, events: list[Typed[Any]], ctx: Context) -> None:
    """Fold each claim's events of the batch in order (the last status wins; each time set once)."""
    certificates: list[dict] = []
    claims: dict[str, dict] = {}
    for t in events:
        d = t.data
        if isinstance(d, CertificateIssued):
            certificates.append(
                dict(
                    certificate_number=d.certificate_number,
                    worker_id=d.worker_id,
                    body_id=d.body_id,
                    occupation=d.occupation,
                    level=d.level,
                    issued_on=d.issued_on,
                    provider_id=d.provider_id,
                )
            )
            continue
        row = claims.get(d.claim_id)
        if row is None:
            row = claims[d.claim_id] = _claim_row(d)
        row["status"], row["updated_at"] = d.status, d.at
        if isinstance(d, ClaimSubmitted):
            row["submitted_at"], row["year"] = d.at, business_date(d.at).year
        elif isinstance(d, ClaimRejected):
            row["reason"], row["rule"], row["decided_at"] = d.reason, d.rule, d.at
            if d.status == "refused":  # a duplicate refused at submission: it was never submitted
                row["submitted_at"], row["year"] = d.at, business_date(d.at).year
        elif isinstance(d, ClaimApproved):
            row["decided_at"] = row["decided_at"] or d.at
        elif isinstance(d, ClaimPaid):
            row["paid_at"] = d.at
    await repository.write_batch(session, certificates, list(claims.values()))


PROJECTION = Projection(
    service="training",
    model_list=(CertificateIssued, ClaimSubmitted, ClaimApproved, ClaimRejected, ClaimPaid),
    apply=apply,
)
