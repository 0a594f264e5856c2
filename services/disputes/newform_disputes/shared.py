"""What the aggregates' use cases share: the clock (now, today), rejects and day checks, the dispute
bodies and who may act for them, and the event a clock that ran out publishes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from newform_common import clock
from newform_common.auth import Principal, Role
from newform_common.deadlines import Deadline
from newform_common.errors import Forbidden, PolicyViolation, Unprocessable
from newform_common.findings import FindingRef, Violation
from newform_common.policy import business_date

from .events import ClockExpired

#: Departments whose mediation organisations accept cases, keep the roster and assign mediators:
#: the court (特邀调解), HRSS (labour mediation and arbitration), the union, justice (people's mediation).
MEDIATION_BODIES = ("court", "hrss", "union", "justice")
#: The labour arbitration committee sits with HRSS.
ARBITRATION_BODIES = ("hrss",)
#: The department that answers for a mediation body named by no one (HRSS guides labour dispute
#: mediation: 劳动争议调解仲裁法 art. 8; 人力资源社会保障部令第17号 art. 5) — a judgement call, RULES.md.
DEFAULT_MEDIATION_BODY = "hrss"


def now() -> datetime:
    return clock.now()


def today() -> date:
    return business_date(now())


def reject(violation: Violation | None) -> None:
    if violation is not None:
        raise PolicyViolation(violation.detail, measure=violation.measure, rule=violation.rule)


def not_in_future(day: date, what: str) -> None:
    if day > today():
        raise Unprocessable(f"{what} ({day.isoformat()}) is in the future", slug="date-in-future")


def require_body(principal: Principal, bodies: Sequence[str]) -> None:
    """Admins, or a department token of one of `bodies`."""
    if principal.role == Role.admin:
        return
    if principal.role == Role.department and principal.department in bodies:
        return
    raise Forbidden(f"Only {', '.join(bodies)} or an administrator may do this")


def clock_expired(deadline: Deadline, platform_id: str, worker_id: str, finding: FindingRef | None) -> ClockExpired:
    return ClockExpired(
        kind=deadline.kind,
        subject_id=deadline.subject_id,
        platform_id=platform_id,
        worker_id=worker_id,
        due_at=deadline.due_at,
        finding_id=finding.finding_id if finding else None,
    )
