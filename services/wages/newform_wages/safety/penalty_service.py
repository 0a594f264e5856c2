"""M8: lateness penalties during a warning window, judged when a statement is judged (intake, or its engagement
arrived) and again when a warning of the engagement's district is stated, amended or lifted (warnings can be
recorded after the statement). One finding per deduction (`judgements`: rule, statement#index, platform), so
any order and any redelivery raise it once. In the caller's transaction."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import clock
from newform_common.findings import raise_finding
from newform_common.policy import business_date

from .. import repository as shared
from . import penalties
from . import repository as repo
from .models import WeatherWarning
from .rules import Window

log = logging.getLogger(__name__)

INSUFFICIENT_FACTS = Counter(
    "newform_wages_penalty_insufficient_facts_total",
    "Judgements of an untimed lateness penalty on a period only partly inside a warning (no finding raised)",
)


def penalties_of(row: dict[str, Any]) -> list[penalties.Penalty]:
    """A stored statement's deductions (JSON: reason, amount_fen, incurred_at as ISO text or absent)."""
    return [
        penalties.Penalty(
            i,
            d["reason"],
            d["amount_fen"],
            datetime.fromisoformat(d["incurred_at"]) if d.get("incurred_at") else None,
        )
        for i, d in enumerate(row["deductions"])
    ]


def _candidates(row: dict[str, Any]) -> list[penalties.Penalty]:
    period_reasons = penalties.lateness_reasons(row["period_start"])
    return [
        p
        for p in penalties_of(row)
        if p.reason in period_reasons
        or (p.incurred_at is not None and p.reason in penalties.lateness_reasons(business_date(p.incurred_at)))
    ]


_WINDOW_FIELDS = ("warning_id", "reference", "district", "level", "hazard", "starts_at", "ends_at", "cancelled_at")


def _window(w: dict[str, Any]) -> Window:
    return Window(
        w["warning_id"], w["reference"], w["district"], w["level"], w["hazard"], w["starts_at"], w["ends_at"],
        w["cancelled_at"],
    )  # fmt: skip


async def judge_statement(session: AsyncSession, row: dict[str, Any], engagement: dict[str, Any]) -> int:
    """A judged statement's lateness penalties against its engagement district's warnings; findings raised."""
    candidates = _candidates(row)
    if not candidates:
        return 0
    period = penalties.Period(row["id"], row["line_id"], row["contract_id"], row["period_start"], row["period_end"])
    start, end = penalties.period_span(period)
    times = [p.incurred_at for p in candidates if p.incurred_at is not None]
    # a timed penalty at t meets the windows open at t: the span reaches just past the latest
    span_start, span_end = min([start, *times]), max([end, *(t + timedelta(seconds=1) for t in times)])
    found = await repo.warnings_overlapping(session, engagement["district"], span_start, span_end)
    windows = [_window(w) for w in found]
    raised = 0
    for penalty in candidates:
        judged = penalties.judge_penalty(penalty, period, windows)
        if judged.outcome == penalties.Outcome.insufficient_facts:
            INSUFFICIENT_FACTS.inc()
            log.info("statement %s deduction %d: untimed penalty, period partly in a warning", row["id"], penalty.index)
        if judged.finding is None:
            continue
        key = (judged.finding.rule, f"{row['id']}#{penalty.index}", row["platform_id"])
        if not await shared.claim_judgements(session, [key], clock.now()):
            continue  # raised before (another warning, a redelivery)
        await raise_finding(
            session,
            judged.finding,
            subject_type="statement_deduction",
            subject_id=key[1],
            platform_id=row["platform_id"],
            enterprise_id=engagement["enterprise_id"],
            worker_id=row["worker_id"],
            occupation=engagement["occupation"],
            district=engagement["district"],
            engagement_type=engagement["engagement_type"],
        )
        raised += 1
    return raised


async def judge_statements(session: AsyncSession, judged: list[tuple[dict[str, Any], dict[str, Any]]]) -> int:
    """Statements just judged (with their engagements): the findings raised."""
    return sum([await judge_statement(session, row, engagement) for row, engagement in judged])


async def judge_warning(session: AsyncSession, warning: WeatherWarning) -> int:
    """A warning as now stated: the district's judged statements it may concern, judged again (a finding
    already raised for a deduction is not raised twice)."""
    window = _window({c: getattr(warning, c) for c in _WINDOW_FIELDS})
    reasons = sorted(penalties.lateness_reasons(business_date(warning.starts_at)))
    rows = await repo.statements_with_penalties(session, warning.district, reasons, (window.starts_at, window.end))
    return sum([await judge_statement(session, row, row) for row in rows])
