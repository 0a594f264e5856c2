"""M8 in bad weather for the dashboard: each warning the emergency department stated (departments' events), the
platforms' declared responses (contracts' events) and which platforms declared nothing by the due time
(contracts' response clock: its `M8.weather_no_response` finding), with the M8 findings about the warning
counted (every M8 finding names its warning in its evidence).

Who sees it: the regulator and admin; the units the policy routes M8 to (`routing.departments.M8`), a
district government its own district only. The response due time is contracts' definition
(`safety.weather_warning.response_within_minutes` after the later of the window's start and the warning's
recording, for the levels of `safety.weather_warning.response_levels`), recomputed from the same policy."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal, Role
from newform_common.errors import Forbidden, Unprocessable
from newform_common.policy import BUSINESS_TZ, PolicyNotInForce, business_today, get_policy

from ...alerts import routing
from . import repository
from .models import DepartmentWeatherWarning
from .schemas import NoResponseRow, WeatherDistrictRow, WeatherResponseRow, WeatherWarningRow, WeatherWarningsView

MEASURE = "M8"


@dataclass(frozen=True)
class WeatherFilters:
    district: str | None = None
    level: str | None = None
    hazard: str | None = None
    since: date | None = None  # windows meeting these business days (Beijing time)
    until: date | None = None
    limit: int = 100


def scope(principal: Principal, district: str | None) -> str | None:
    """The district the caller may see (None: all). 403 for a department M8 does not route to, or a district
    government asking for another district."""
    if principal.role in (Role.regulator, Role.admin):
        return district
    key = routing.department_key(principal)
    units = get_policy().departments_for_measure(MEASURE, business_today())
    if principal.role != Role.department or key is None or principal.department not in units:
        raise Forbidden("Bad-weather warnings (M8) are open to the regulator and to M8's responsible units")
    if principal.department == routing.COUNTY:
        if district and district != principal.district:
            raise Forbidden("A district government sees the warnings of its own district")
        return principal.district
    return district


def check(filters: WeatherFilters) -> None:
    """Filters that cannot be answered are refused (422 problem), never answered with an empty list."""
    districts = get_policy().districts(business_today())
    if filters.district and filters.district not in districts:
        raise Unprocessable(f"Unknown district {filters.district!r}", slug="unknown-district")
    if filters.since and filters.until and filters.since > filters.until:
        raise Unprocessable("since is after until", slug="invalid-date-range")


def _day(d: date | None, after: bool = False) -> datetime | None:
    if d is None:
        return None
    return datetime.combine(d + timedelta(days=1) if after else d, time(0), BUSINESS_TZ)


def window_end(w: DepartmentWeatherWarning) -> datetime | None:
    ends = [t for t in (w.ends_at, w.cancelled_at) if t is not None]
    return min(ends) if ends else None


def response_due(w: DepartmentWeatherWarning) -> datetime | None:
    """Contracts' due time for a declared response (None: the level asks for none, or no measures then)."""
    policy = get_policy()
    try:
        if w.level not in policy.value("safety.weather_warning.response_levels", w.starts_at):
            return None
        minutes = policy.value("safety.weather_warning.response_within_minutes", w.starts_at)
    except PolicyNotInForce:
        return None
    return max(w.starts_at, w.observed_at) + timedelta(minutes=minutes)


async def weather_view(session: AsyncSession, principal: Principal, filters: WeatherFilters) -> WeatherWarningsView:
    check(filters)
    district = scope(principal, filters.district)
    warnings = await repository.weather_warnings(
        session,
        district=district,
        level=filters.level,
        hazard=filters.hazard,
        window=(_day(filters.since), _day(filters.until, after=True)),
        limit=filters.limit,
    )
    ids = [w.warning_id for w in warnings]
    responses = await repository.weather_responses(session, ids) if ids else []
    missing = await repository.no_response_alerts(session, ids) if ids else []
    findings = await repository.m8_findings(session, ids) if ids else {}
    rows = [_row(w, responses, missing, findings.get(w.warning_id, {})) for w in warnings]
    totals: Counter[str] = Counter()
    for r in rows:
        totals.update(r.findings)
    return WeatherWarningsView(items=rows, districts=_districts(rows), findings=dict(sorted(totals.items())))


def _row(w: DepartmentWeatherWarning, responses: list, missing: list, findings: dict[str, int]) -> WeatherWarningRow:
    due = response_due(w)
    return WeatherWarningRow(
        warning_id=w.warning_id,
        reference=w.reference,
        department=w.department,
        district=w.district,
        level=w.level,
        hazard=w.hazard,
        starts_at=w.starts_at,
        ends_at=w.ends_at,
        cancelled_at=w.cancelled_at,
        window_end=window_end(w),
        source=w.source,
        version=w.version,
        observed_at=w.observed_at,
        response_required=due is not None,
        response_due_at=due,
        responses=[
            WeatherResponseRow(
                response_id=r.response_id,
                platform_id=r.platform_id,
                dispatch=r.dispatch,
                completion_time_extended_minutes=r.completion_time_extended_minutes,
                rule_notice_id=r.rule_notice_id,
                taken_at=r.taken_at,
                declared_at=r.declared_at,
                in_time=None if due is None else r.declared_at <= due,
            )
            for r in responses
            if r.warning_id == w.warning_id
        ],
        not_responded=[
            NoResponseRow(platform_id=a.platform_id or "", response_due_at=due, alert_id=a.alert_id)
            for a in missing
            if a.subject_id == w.warning_id
        ],
        findings=dict(sorted(findings.items())),
        findings_total=sum(findings.values()),
    )


def _districts(rows: list[WeatherWarningRow]) -> list[WeatherDistrictRow]:
    out = []
    for district in sorted({r.district for r in rows}):
        mine = [r for r in rows if r.district == district]
        out.append(
            WeatherDistrictRow(
                district=district,
                warnings=len(mine),
                by_level=dict(Counter(r.level for r in mine)),
                responses=sum(len(r.responses) for r in mine),
                not_responded=sum(len(r.not_responded) for r in mine),
                findings=sum(r.findings_total for r in mine),
            )
        )
    return out
