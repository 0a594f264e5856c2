"""M8 in bad weather: contracts keeps the emergency department's warnings (departments.events) and the
platforms' declared responses, and runs one response clock per warning and platform concerned.

A warning that calls for a response (orange, red: `safety.weather_warning.response_levels`) starts a clock
(`newform_common.deadlines`) for every platform engaging workers in the district (a live contract there),
due `response_within_minutes` after the window starts; a response cancels it; a clock that fires raises
`M8.weather_no_response` routed by M8's units and the district's government. An amendment moves the clocks;
a lifting or downgrade before they are due stops them. In the caller's transaction (never commits)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import deadlines
from newform_common.deadlines import Deadline
from newform_common.errors import NotFound, Unprocessable
from newform_common.findings import FindingRef, raise_finding
from newform_common.ids import new_id
from newform_common.outbox import record
from newform_common.policy import business_date

from .. import events as ev
from .. import shared
from ..consumed import WeatherWarningIssued
from ..models import WeatherResponse, WeatherWarning
from ..schemas import RowWith
from . import repository as repo
from . import rules
from .schemas import WeatherResponseCreate, WeatherResponsePublic, WeatherWarningPublic

#: One clock per (warning, platform): due when the platform's response is.
RESPONSE_CLOCK = "contracts.weather_response_due"


def _clock_subject(warning_id: str, platform_id: str) -> str:
    return f"{warning_id}:{platform_id}"[:100]


def as_rule_warning(w: WeatherWarning) -> rules.Warning:
    return rules.Warning(
        w.warning_id, w.reference, w.district, w.level, w.hazard, w.starts_at, w.ends_at, w.cancelled_at, w.observed_at
    )


async def warning_stated(session: AsyncSession, event: WeatherWarningIssued) -> None:
    """A warning stated, amended or lifted: the copy keeps the highest version; the clocks follow it."""
    await repo.lock_warning(session, event.fact_id)
    row = await repo.warning(session, event.fact_id, for_update=True)
    if row is not None and row.version >= event.version:
        return  # a redelivery or an older statement: what is held is newer
    if row is None:
        row = WeatherWarning(warning_id=event.fact_id, version=0)
        session.add(row)
    row.reference, row.version, row.district, row.level = event.reference, event.version, event.district, event.level
    row.hazard, row.source, row.observed_at = event.hazard, event.source, event.observed_at
    row.starts_at, row.ends_at, row.cancelled_at = event.starts_at, event.ends_at, event.cancelled_at
    row.updated_at = shared.now()
    warning = as_rule_warning(row)
    platforms = await repo.platforms_in_district(session, row.district, business_date(warning.starts_at))
    answered = await repo.responding_platforms(session, row.warning_id)
    runs = rules.clock_runs(warning)
    due = rules.response_due(warning)
    for platform_id in platforms:
        subject = _clock_subject(row.warning_id, platform_id)
        if runs and platform_id not in answered:
            data = {"warning_id": row.warning_id, "platform_id": platform_id}
            await deadlines.schedule(session, RESPONSE_CLOCK, subject, due, data=data)
        else:
            await deadlines.cancel(session, RESPONSE_CLOCK, subject)


async def response_overdue(session: AsyncSession, deadline: Deadline) -> None:
    """The response clock fired: no response declared for the warning by then."""
    warning_id, platform_id = deadline.data["warning_id"], deadline.data["platform_id"]
    row = await repo.warning(session, warning_id)
    if row is None or platform_id in await repo.responding_platforms(session, warning_id):
        return
    warning = as_rule_warning(row)
    if not rules.clock_runs(warning):
        return
    await raise_finding(
        session,
        rules.no_response(warning, deadline.due_at),
        subject_type="weather_warning",
        subject_id=warning_id,
        platform_id=platform_id,
        district=row.district,
        observed_at=deadline.due_at,
    )


DEADLINE_HANDLERS = {RESPONSE_CLOCK: response_overdue}


async def declare_response(
    session: AsyncSession, platform_id: str, body: WeatherResponseCreate
) -> tuple[WeatherResponse, list[FindingRef]]:
    """A platform's response to a warning: recorded, published, its clock stopped."""
    now = shared.now()
    taken_at = body.taken_at or now
    if taken_at > now:
        raise Unprocessable("taken_at lies in the future", slug="invalid-date-range")
    await repo.lock_warning(session, body.warning_id)
    row = await repo.warning(session, body.warning_id)
    if row is None:
        raise NotFound(f"No weather warning {body.warning_id} is known here (yet)")
    if body.rule_notice_id and await repo.rule_notice_of(session, body.rule_notice_id, platform_id) is None:
        raise Unprocessable(
            f"No rule notice {body.rule_notice_id} of this platform in the register", slug="unknown-rule-notice"
        )
    response = WeatherResponse(
        id=new_id("wr"),
        warning_id=row.warning_id,
        platform_id=platform_id,
        dispatch=body.dispatch,
        completion_time_extended_minutes=body.completion_time_extended_minutes,
        rule_notice_id=body.rule_notice_id,
        note=body.note,
        taken_at=taken_at,
        declared_at=now,
    )
    session.add(response)
    await deadlines.cancel(session, RESPONSE_CLOCK, _clock_subject(row.warning_id, platform_id))
    record(
        session,
        ev.WeatherResponseDeclared(
            response_id=response.id,
            warning_id=row.warning_id,
            warning_reference=row.reference,
            district=row.district,
            level=row.level,
            platform_id=platform_id,
            dispatch=body.dispatch,
            completion_time_extended_minutes=body.completion_time_extended_minutes,
            rule_notice_id=body.rule_notice_id,
            taken_at=taken_at,
            declared_at=now,
        ),
    )
    refs = []
    spec = rules.without_measure(as_rule_warning(row), body.dispatch, body.completion_time_extended_minutes)
    if spec is not None:
        refs.append(
            await raise_finding(
                session,
                spec,
                subject_type="weather_response",
                subject_id=response.id,
                platform_id=platform_id,
                district=row.district,
                observed_at=now,
            )
        )
    return response, refs


def response_public(r: WeatherResponse, findings: list[FindingRef]) -> WeatherResponsePublic:
    return WeatherResponsePublic.model_validate(RowWith(r, findings=findings))


def warning_public(w: WeatherWarning) -> WeatherWarningPublic:
    warning = as_rule_warning(w)
    due: datetime | None = rules.response_due(warning) if rules.needs_response(warning) else None
    return WeatherWarningPublic.model_validate(RowWith(w, response_due=due))
