"""Use cases of what unions consumes, and the clocks it runs (`DEADLINE_HANDLERS`).

The aggregates' own use cases are in their packages (`organisations/`, `membership/`,
`consultations/`, `collective_contracts/`); queries are the repository's; clocks go through
`newform_common.deadlines`, never through SQL of their own.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.deadlines import DeadlineHandler
from newform_common.events import Envelope

from . import repository as repo
from .collective_contracts import service as contracts
from .consultations import service as consultations
from .consumed import AccountRestricted, RestrictionLifted, RuleNoticePublished, WorkerRegistered

#: Clocks this service runs (`kind` → handler), fired by the kit's deadline worker.
DEADLINE_HANDLERS: dict[str, DeadlineHandler] = {
    consultations.REPLY_CLOCK: consultations.reply_overdue,
    contracts.SUBMISSION_CLOCK: contracts.submission_overdue,
    contracts.REVIEW_CLOCK: contracts.review_period_over,
    contracts.EXPIRY_CLOCK: contracts.expired,
}


async def record_worker_registration(session: AsyncSession, envelope: Envelope) -> None:
    """A worker registered with a platform (coverage's denominator; who may join through it)."""
    e = WorkerRegistered.of(envelope)
    await repo.save_registrations(
        session,
        [
            {
                "registration_id": e.registration_id,
                "worker_id": e.worker_id,
                "platform_id": e.platform_id,
                "occupation": e.occupation,
                "residence_district": e.residence_district,
                "registered_at": e.registered_at,
            }
        ],
    )
    await repo.refresh_registration(session, e.worker_id, e.platform_id)


async def record_account_restriction(session: AsyncSession, envelope: Envelope) -> None:
    """A platform restricted or cancelled a worker's account: a cancelled registration no longer counts
    (coverage, joining) until the cancellation is lifted; a restricted one still does."""
    e = AccountRestricted.of(envelope)
    await repo.save_restriction(
        session,
        {
            "restriction_id": e.restriction_id,
            "worker_id": e.worker_id,
            "platform_id": e.platform_id,
            "action": e.action,
        },
    )
    await repo.refresh_registration(session, e.worker_id, e.platform_id)


async def record_restriction_lift(session: AsyncSession, envelope: Envelope) -> None:
    """A restriction or cancellation was lifted (M5): a registration with no other cancellation in effect
    counts again (coverage, joining); the lift of a mere restriction changes nothing here."""
    e = RestrictionLifted.of(envelope)
    await repo.save_restriction(
        session,
        {
            "restriction_id": e.restriction_id,
            "worker_id": e.worker_id,
            "platform_id": e.platform_id,
            "lifted_at": e.lifted_at,
        },
    )
    await repo.refresh_registration(session, e.worker_id, e.platform_id)


async def record_rule_version(session: AsyncSession, envelope: Envelope) -> None:
    """A platform published a rule version (M10): kept, and judged against the union's consultations."""
    e = RuleNoticePublished.of(envelope)
    facts = {
        "notice_id": e.notice_id,
        "platform_id": e.platform_id,
        "topic": e.topic,
        "version": e.version,
        "consulted": e.consulted,
        "published_on": e.published_on,
        "effective_on": e.effective_on,
    }
    await consultations.rule_version_published(session, facts, envelope.time)
