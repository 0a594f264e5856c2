"""M7.collective_bad_weather_allowance_below, judged when a statement is judged (intake, or its engagement
arrived), again when a warning of the engagement's district is stated, amended or lifted, and again when a
collective contract comes into force over statements already judged (warnings and contracts may be recorded
after the statement). One finding per statement (`judgements`: rule, statement, platform), so any order and any
redelivery raise it once. In the caller's transaction."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import clock
from newform_common.collective import Collective, binding
from newform_common.findings import FindingSpec, raise_finding
from newform_common.policy import business_date

from .. import repository as shared
from ..safety import repository as safety_repo
from ..safety.penalties import Period, period_span
from ..safety.rules import Window
from . import bad_weather
from . import repository as repo

log = logging.getLogger(__name__)

INSUFFICIENT_FACTS = Counter(
    "newform_wages_bad_weather_allowance_insufficient_facts_total",
    "Statements bound to a collective bad-weather allowance, with a qualifying warning in their period but no "
    "work sessions of the engagement (not judged)",
)


def _window(w: dict[str, Any]) -> Window:
    return Window(
        w["warning_id"], w["reference"], w["district"], w["level"], w["hazard"], w["starts_at"], w["ends_at"],
        w["cancelled_at"],
    )  # fmt: skip


def _span(row: dict[str, Any]) -> tuple[datetime, datetime]:
    return period_span(Period(row["id"], row["line_id"], row["contract_id"], row["period_start"], row["period_end"]))


async def judge_statement(
    session: AsyncSession, row: dict[str, Any], engagement: dict[str, Any], collectives: Sequence[Collective]
) -> int:
    """One judged statement against the collective contracts of its platform (`collectives`): 1 when a finding
    was raised now."""
    bound = binding(
        collectives, engagement["platform_id"], engagement["occupation"], engagement["district"], row["period_end"]
    )
    fact = bad_weather.AllowanceStatement(
        row["id"], row["period_start"], row["period_end"], row.get("bad_weather_allowance_fen")
    )
    if bad_weather.standard(bound) is None or fact.bad_weather_allowance_fen is None:
        return 0
    starts, ends = _span(row)
    windows = [
        _window(w) for w in await safety_repo.warnings_overlapping(session, engagement["district"], starts, ends)
    ]
    counted, _ = bad_weather.levels(row["period_end"])
    worked = None
    if bad_weather.qualifying(windows, counted):
        found = await repo.engagement_sessions(session, row, starts, ends)
        worked = [bad_weather.Worked(s, e) for s, e in found]
    judged = bad_weather.judge(fact, bound, windows, worked)
    if judged.outcome == bad_weather.Outcome.insufficient_facts:
        INSUFFICIENT_FACTS.inc()
        log.info("statement %s: a bad-weather warning in its period but no work sessions; not judged", row["id"])
    if judged.finding is None:
        return 0
    return await _raise(session, row, engagement, judged.finding)


async def _raise(session: AsyncSession, row: dict[str, Any], engagement: dict[str, Any], spec: FindingSpec) -> int:
    key = (bad_weather.RULE, row["id"], row["platform_id"])
    if not await shared.claim_judgements(session, [key], clock.now()):
        return 0  # raised before (another warning, the contract again, a redelivery)
    subject = {"statement_id": row["id"], "line_id": row["line_id"], "contract_id": row["contract_id"]}
    await raise_finding(
        session,
        FindingSpec(spec.measure, spec.rule, spec.severity, spec.summary, {**spec.evidence, **subject}, spec.fact_on),
        subject_type="statement",
        subject_id=row["id"],
        platform_id=row["platform_id"],
        enterprise_id=engagement["enterprise_id"],
        worker_id=row["worker_id"],
        occupation=engagement["occupation"],
        district=engagement["district"],
        engagement_type=engagement["engagement_type"],
    )
    return 1


async def judge_statements(session: AsyncSession, judged: list[tuple[dict[str, Any], dict[str, Any]]]) -> int:
    """Statements just judged (with their engagements): the findings raised."""
    cache: dict[str, list[Collective]] = {}
    raised = 0
    for row, engagement in judged:
        platform_id = engagement["platform_id"]
        if platform_id not in cache:
            cache[platform_id] = await repo.collectives_of_platform(session, platform_id)
        raised += await judge_statement(session, row, engagement, cache[platform_id])
    return raised


async def judge_warning(session: AsyncSession, window: Window) -> int:
    """A warning as now stated: the district's judged statements whose period meets its window, judged again."""
    last = business_date(window.end - timedelta(microseconds=1)) if window.end else None
    first = business_date(window.starts_at)
    rows = await repo.allowance_statements_in_district(session, window.district, first, last or first.max)
    return await judge_statements(session, [(row, row) for row in rows])


async def judge_collective(session: AsyncSession, collective: Collective) -> int:
    """A collective contract come into force: the judged statements of its platforms whose period ends while it
    binds, judged against it (and the platform's other contracts)."""
    if not collective.bad_weather_allowance_fen_per_day:
        return 0
    raised = 0
    for platform_id in sorted(collective.platform_ids):
        rows = await repo.allowance_statements_of_platform(
            session, platform_id, collective.binds_from, collective.binds_until
        )
        raised += await judge_statements(session, [(row, row) for row in rows])
    return raised
