"""The roster's use cases (M18: dynamic management; court and labour rosters linked): add and keep
mediators current, hand a leaving mediator's open cases to the best fit, and the roster as read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.errors import Unprocessable
from newform_common.ids import new_id

from .. import clocks, timers
from ..complaints import rules as complaint_rules
from ..models import Case, Mediator
from ..shared import now, today
from . import repository, rules
from .schemas import MediatorCreate, MediatorPublic, MediatorUpdate, Reassignment


def _check_specialties(specialties: Sequence[str]) -> None:
    unknown = sorted(set(specialties) - set(complaint_rules.categories(today())))
    if unknown:
        raise Unprocessable(f"Unknown specialties {unknown} (use complaint categories)", slug="unknown-specialty")


async def add_mediator(session: AsyncSession, body: MediatorCreate) -> Mediator:
    _check_specialties(body.specialties)
    at = now()
    mediator = Mediator(
        id=new_id("med"),
        name=body.name,
        organisation=body.organisation,
        source=body.source,
        specialties=list(body.specialties),
        rosters=sorted(set(body.rosters)),
        conflicts=list(body.conflicts),
        term_from=body.term_from,
        term_until=body.term_until,
        active=True,
        created_at=at,
        updated_at=at,
    )
    session.add(mediator)
    return mediator


async def update_mediator(
    session: AsyncSession, mediator: Mediator, body: MediatorUpdate
) -> tuple[Mediator, list[Reassignment]]:
    changes = body.model_dump(exclude_unset=True)
    if changes.get("specialties") is not None:
        _check_specialties(changes["specialties"])
    if changes.get("term_until") is not None and changes["term_until"] < mediator.term_from:
        raise Unprocessable("term_until is before the term started", slug="term-before-start")
    for name, value in changes.items():
        if value is not None:
            setattr(mediator, name, sorted(set(value)) if name == "rosters" else value)
    mediator.updated_at = now()
    return mediator, await _reassign_cases_of(session, mediator)


async def best_mediator(
    session: AsyncSession, case: Case, on: date, *, excluding: str | None = None
) -> Mediator | None:
    """Fit (active, in term, no conflict, on the track's roster), then specialty in the case's
    category, then the lightest load."""
    candidates = [
        m for m in await repository.active_mediators(session) if m.id != excluding and rules.unfit(m, case, on) is None
    ]
    if not candidates:
        return None
    load = await repository.open_cases_of(session, [m.id for m in candidates])
    return min(candidates, key=lambda m: (case.category not in m.specialties, load.get(m.id, 0), m.id))


async def _reassign_cases_of(session: AsyncSession, mediator: Mediator) -> list[Reassignment]:
    """M18 (the roster kept current): a mediator who no longer fits an open case of theirs (deactivated,
    term ended, a conflict now known) leaves it; the best fit takes it over at once. With no one fit,
    the case is flagged and a mediation body must assign one within the policy's working days
    (`disputes.mediator_reassignment` clock; if it runs out, a finding about the body)."""
    on = today()
    done: list[Reassignment] = []
    for case in await repository.open_cases_assigned(session, mediator.id):
        if rules.unfit(mediator, case, on) is None:
            continue
        successor = await best_mediator(session, case, on, excluding=mediator.id)
        if successor is not None:
            case.mediator_id, case.mediator_needed_since = successor.id, None
            await session.flush()  # the next case's choice counts this one's load
            done.append(Reassignment(case_id=case.id, mediator_id=successor.id))
            continue
        period = clocks.mediator_reassignment_period(on)
        case.mediator_id, case.mediator_needed_since = None, on
        await timers.start(session, clocks.MEDIATOR_REASSIGNMENT, case.id, period)
        done.append(Reassignment(case_id=case.id, mediator_id=None, needed_by=period.last_day))
    return done


async def mediator_views(session: AsyncSession, rows: list[Mediator]) -> list[MediatorPublic]:
    load = await repository.open_cases_of(session, [m.id for m in rows])
    views = [MediatorPublic.model_validate(m) for m in rows]
    for view in views:
        view.open_cases = load.get(view.mediator_id, 0)
    return views
