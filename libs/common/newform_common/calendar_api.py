"""The calendar's API, mounted by the gateway (the one place a year's schedule is loaded): the
schedules, a day's answer, coverage, and `PUT /v1/calendar/schedules/{year}` for the regulator.
What loading sets off in every service is in `schedules`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, cast

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField

from . import calendar, clock
from .app import SessionDep
from .auth import Principal, Role, require
from .errors import Unprocessable, problem_responses
from .outbox import record
from .schedules import CalendarSchedule, ScheduleLoaded, apply, coverage_check, stored

#: Any signed-in caller may ask what a day is (platforms compute pay, workers read their clocks).
Reader = Annotated[Principal, require(*Role)]


#: The shape of a year's file: the 2026 schedule as bundled (chinesecalendar), its notice named.
EXAMPLE = {
    **cast(calendar.Schedule, calendar.schedule(2026)).as_document(),  # bundled: never None
    "source": "国务院办公厅关于2026年部分节假日安排的通知",
}


class ScheduleDocument(BaseModel):
    """A year's schedule as the State Council publishes it (the file `newform calendar load` reads)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})

    year: int | None = PydanticField(None, description="Optional; must equal the year in the path")
    source: str = PydanticField(max_length=500, description="The notice: number and title")
    published_on: date | None = None
    rest_days: list[date] = PydanticField(
        max_length=120,
        description=(
            "Every rest day of the holiday weeks, statutory holidays included (ordinary weekends need not be listed)"
        ),
    )
    working_days: list[date] = PydanticField(
        default_factory=list, max_length=40, description="Weekend days made working days (调休上班)"
    )


class SchedulePublic(BaseModel):
    year: int
    origin: str = PydanticField(description="bundled (came with the calendar package) or loaded (data)")
    source: str
    published_on: date | None
    rest_days: list[date]
    working_days: list[date]
    statutory_holidays: list[date] = PydanticField(description="By law (放假办法), for reference")
    loaded_by: str | None = None
    loaded_at: datetime | None = None
    recomputed_deadlines: int | None = PydanticField(None, description="Clocks of the gateway recomputed by this load")

    @classmethod
    def of(cls, s: calendar.Schedule, recomputed: int | None = None) -> SchedulePublic:
        return cls(
            year=s.year,
            origin=s.origin,
            source=s.source,
            published_on=s.published_on,
            rest_days=sorted(s.rest_days),
            working_days=sorted(s.working_days),
            statutory_holidays=sorted(calendar.statutory_holidays(s.year)),
            loaded_by=s.loaded_by,
            loaded_at=s.loaded_at,
            recomputed_deadlines=recomputed,
        )


class DayPublic(BaseModel):
    date: date
    kind: calendar.DayKind
    provisional: bool = PydanticField(description="Its year has no State Council schedule yet")


class CoveragePublic(BaseModel):
    covered_until: date
    days_left: int
    warning: bool
    message: str
    years: list[int] = PydanticField(description="Years with a schedule (bundled or loaded)")


#: `/v1/calendar/...`: the schedules, a day's answer, coverage, and loading a year (regulator).
router = APIRouter(prefix="/v1/calendar", tags=["calendar"])


def calendar_router() -> APIRouter:
    """The calendar's routes, for the app that serves them (the gateway)."""
    return router


@router.put(
    "/schedules/{year}",
    response_model=SchedulePublic,
    status_code=201,
    responses={
        200: {"model": SchedulePublic, "description": "The same year loaded again (replaced)"},
        **problem_responses(401, 403, 422),
    },
    summary="Load the State Council's holiday schedule of a year (regulator)",
)
async def load_schedule(
    year: Annotated[int, Path(description="The year, e.g. 2027")],
    body: ScheduleDocument,
    session: SessionDep,
    response: Response,
    principal: Principal = require(Role.regulator, Role.admin),
) -> SchedulePublic:
    """Checks the file (every statutory day a rest day, no date twice, working days on weekends, all
    in the year), stores it with who loaded it and when, recomputes the gateway's clocks, and
    publishes `gateway.calendar.schedule_loaded.v1`: every service recomputes its own clocks and
    judges what waited for the schedule. Loading the same document again changes nothing."""
    if not 1950 <= year <= 2199:
        raise Unprocessable(
            f"{year} is not a year a schedule can be loaded for",
            slug="schedule-invalid",
            title="Invalid holiday schedule",
        )
    document = body.model_dump(mode="json")
    document["year"] = document.get("year") or year
    try:
        schedule = calendar.parse_schedule(document, year=year)
    except calendar.ScheduleInvalid as exc:
        raise Unprocessable(
            "The schedule cannot be the State Council's: " + "; ".join(exc.problems),
            title="Invalid holiday schedule",
            slug="schedule-invalid",
            problems=exc.problems,
        ) from exc
    existing = await session.get(CalendarSchedule, year)
    if existing is not None and existing.as_schedule().as_document() == schedule.as_document():
        response.status_code = 200
        return SchedulePublic.of(existing.as_schedule(), 0)
    at = clock.now()
    changed = await apply(session, schedule, loaded_by=principal.key, loaded_at=at)
    record(
        session,
        ScheduleLoaded(
            year=year,
            source=schedule.source,
            published_on=schedule.published_on,
            rest_days=sorted(schedule.rest_days),
            working_days=sorted(schedule.working_days),
            loaded_by=principal.key,
            loaded_at=at,
        ),
        time=at,
    )
    response.status_code = 200 if existing is not None else 201
    loaded = calendar.schedule(year)
    assert loaded is not None  # apply() installed it
    return SchedulePublic.of(loaded, len(changed))


@router.get(
    "/schedules",
    response_model=list[SchedulePublic],
    responses=problem_responses(401),
    summary="Every year with a schedule: bundled with the package or loaded as data",
)
async def list_schedules(session: SessionDep, principal: Reader) -> list[SchedulePublic]:
    calendar.install(await stored(session))
    years = sorted({*calendar.installed(), *range(2004, clock.today().year + 2)})
    return [SchedulePublic.of(s) for y in years if (s := calendar.schedule(y)) is not None]


@router.get(
    "/days/{day}",
    response_model=DayPublic,
    responses=problem_responses(401, 422),
    summary="What a date is: working day, rest day or statutory holiday, and whether provisional",
)
async def get_day(day: date, principal: Reader) -> DayPublic:
    answer = calendar.day(day)
    return DayPublic(date=answer.date, kind=answer.kind, provisional=answer.provisional)


@router.get(
    "/coverage",
    response_model=CoveragePublic,
    responses=problem_responses(401),
    summary="Until when the loaded schedules cover the calendar (warns 60 days before)",
)
async def get_coverage(principal: Reader) -> CoveragePublic:
    ok, message = coverage_check()
    last, left = calendar.coverage()
    years = sorted(y for y in range(2004, clock.today().year + 3) if calendar.schedule_known(y))
    return CoveragePublic(covered_until=last, days_left=left, warning=not ok, message=message, years=years)
