"""M8: lateness penalties deducted for work during a bad-weather warning, as pure functions of a statement's
deductions and the warnings of its engagement's district. The measures (宁政办〔2022〕41号 item 8) ask for
延长服务完成时限 in bad weather and the national guidance (国市监网监发〔2021〕38号) to relax delivery time
limits: a penalty for lateness incurred inside an orange or red window (`safety.penalty_during_warning.levels`)
punishes the very delay the measures ask platforms to allow.

A deduction is a lateness penalty when its reason is one of `safety.penalty_during_warning.reasons`. With its
`incurred_at` it is judged at that instant against each window (`starts_at` ≤ t < the earlier of `ends_at`
and `cancelled_at`; an open window has no end yet). Without one, all we know is that it was incurred in the
statement's period: a finding only when the whole period (its business days, Beijing time) lies inside the
union of qualifying windows; a period only partly covered is *insufficient facts* — the penalty may have been
incurred outside the warning — and is counted, never raised (RULES.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from newform_common import weather
from newform_common.findings import FindingSpec, RuleDef, Severity
from newform_common.policy import BUSINESS_TZ, PolicyNotInForce, business_date, get_policy

from .rules import Window

RULES: tuple[RuleDef, ...] = (
    RuleDef(
        "M8.penalty_during_warning",
        "finding",
        "A lateness (delivery-time or punctuality) penalty deducted for a time inside an orange or red "
        "bad-weather warning of the engagement's district",
    ),
)


class Outcome(StrEnum):
    """What judging one deduction found (the words are logged and counted, not published)."""

    not_a_lateness_penalty = "not_a_lateness_penalty"
    outside = "outside"
    during_warning = "during_warning"
    insufficient_facts = "insufficient_facts"


@dataclass(frozen=True)
class Penalty:
    """One deduction of a statement: its place in the list (the finding's subject), reason, amount and when
    it was incurred (None: not stated)."""

    index: int
    reason: str
    amount_fen: int
    incurred_at: datetime | None


@dataclass(frozen=True)
class Period:
    """The statement the deduction is on (evidence and the untimed judgement)."""

    statement_id: str
    line_id: str
    contract_id: str
    period_start: date
    period_end: date


@dataclass(frozen=True)
class Judged:
    outcome: Outcome
    finding: FindingSpec | None = None


def period_span(period: Period) -> tuple[datetime, datetime]:
    """The period's business days as instants: from its first day's midnight to the midnight after its last
    (Beijing time, the business time zone)."""
    start = datetime.combine(period.period_start, time(0), BUSINESS_TZ)
    return start, datetime.combine(period.period_end + timedelta(days=1), time(0), BUSINESS_TZ)


def lateness_reasons(on: date) -> frozenset[str]:
    """The lateness reasons on `on`; none before the measures (a statement of 2021 is not judged under M8)."""
    try:
        return frozenset(get_policy().value("safety.penalty_during_warning.reasons", on))
    except PolicyNotInForce:
        return frozenset()


def _qualifying(windows: Sequence[Window], on: date) -> list[Window]:
    """The windows at the levels that count on `on`, with a real span (lifted before its start: none)."""
    levels = set(get_policy().value("safety.penalty_during_warning.levels", on))
    return [w for w in windows if w.level in levels and (w.end is None or w.end > w.starts_at)]


def _contains(w: Window, t: datetime) -> bool:
    return w.starts_at <= t and (w.end is None or t < w.end)


def covering(windows: Sequence[Window], start: datetime, end: datetime) -> list[Window] | None:
    """The windows whose union covers [start, end) without a gap (in order), else None."""
    reached, used = start, []
    for w in sorted(windows, key=lambda w: w.starts_at):
        if w.starts_at > reached:
            break
        if w.end is None or w.end > reached:
            used.append(w)
            reached = end if w.end is None else max(reached, w.end)
        if reached >= end:
            return used
    return None


def judge_penalty(penalty: Penalty, period: Period, windows: Sequence[Window]) -> Judged:
    """One deduction against the warnings of its engagement's district (any level; the policy picks)."""
    on = business_date(penalty.incurred_at) if penalty.incurred_at else period.period_start
    if penalty.reason not in lateness_reasons(on):
        return Judged(Outcome.not_a_lateness_penalty)
    qualifying = _qualifying(windows, on)
    if penalty.incurred_at is not None:
        inside = [w for w in qualifying if _contains(w, penalty.incurred_at)]
        if not inside:
            return Judged(Outcome.outside)
        return Judged(Outcome.during_warning, _finding(penalty, period, inside, "incurred_at", on))
    start, end = period_span(period)
    covered = covering(qualifying, start, end)
    if covered is not None:
        return Judged(Outcome.during_warning, _finding(penalty, period, covered, "whole_period", on))
    if any(w.starts_at < end and (w.end is None or w.end > start) for w in qualifying):
        return Judged(Outcome.insufficient_facts)
    return Judged(Outcome.outside)


def _finding(penalty: Penalty, period: Period, windows: list[Window], basis: str, on: date) -> FindingSpec:
    policy = get_policy()
    levels = policy.value_with_source("safety.penalty_during_warning.levels", on)
    worst = weather.severest(windows, lambda w: w.level)
    when = (
        f"于{penalty.incurred_at.astimezone(BUSINESS_TZ):%Y-%m-%d %H:%M}"
        if penalty.incurred_at
        else f"在整个结算周期（{period.period_start}至{period.period_end}）均处于预警期内"
    )
    return FindingSpec(
        "M8",
        "M8.penalty_during_warning",
        Severity.high,
        f"{weather.describe(worst.level, worst.hazard)}期间扣除超时/准时率"
        f"罚款 {penalty.amount_fen / 100:.2f} 元（{when}），未按要求放宽配送时限",
        {
            "statement_id": period.statement_id,
            "line_id": period.line_id,
            "contract_id": period.contract_id,
            "period_start": period.period_start.isoformat(),
            "period_end": period.period_end.isoformat(),
            "deduction_index": penalty.index,
            "reason": penalty.reason,
            "amount_fen": penalty.amount_fen,
            "incurred_at": penalty.incurred_at.isoformat() if penalty.incurred_at else None,
            "basis": basis,
            "warnings": [
                {
                    "warning_id": w.warning_id,
                    "reference": w.reference,
                    "level": w.level,
                    "hazard": w.hazard,
                    "starts_at": w.starts_at.isoformat(),
                    "window_end": w.end.isoformat() if w.end else None,
                }
                for w in windows
            ],
            "district": worst.district,
            "levels": levels.value,
            "parameter_source": levels.source,
            "source": "emergency",
        },
        fact_on=on,
    )
