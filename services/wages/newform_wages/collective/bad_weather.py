"""M7.collective_bad_weather_allowance_below, as pure functions (劳动合同法 art. 55: an individual's pay may not be
below the collective contract's standard; the measures item 7: 恶劣天气…通过集体协商…给予补贴). A collective
contract binding the statement (`newform_common.collective` `binding`, on the period end, as the other
collective checks) agrees `bad_weather_allowance_fen_per_day`; a **bad-weather day** is a business day (Beijing
time) of the period on which one of the engagement's work sessions overlaps a warning window of the
engagement's district at a level of `collective.bad_weather_allowance.levels` (the window as last stated:
`starts_at` to the earlier of `ends_at` and `cancelled_at`, open without either). Owed: days × the per-day
standard; the statement's `bad_weather_allowance_fen` below it is a finding.

Honest about facts: a statement that does not state the allowance (stored before wages kept it) is not
judged; a period with qualifying warnings but **no sessions** of the engagement is *insufficient facts* —
absence of data never raises a finding (RULES.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from newform_common import weather
from newform_common.collective import Collective
from newform_common.findings import FindingSpec, RuleDef, Severity
from newform_common.policy import PolicyNotInForce, business_date, get_policy

from ..safety.rules import Window

RULE = "M7.collective_bad_weather_allowance_below"

RULES: tuple[RuleDef, ...] = (
    RuleDef(
        RULE,
        "finding",
        "A statement's bad-weather allowance below the days worked inside a bad-weather warning × the per-day "
        "allowance a binding collective contract agrees",
    ),
)

LEVELS_PARAMETER = "collective.bad_weather_allowance.levels"


class Outcome(StrEnum):
    """What judging one statement found (logged and counted, not published)."""

    not_bound = "not_bound"
    not_stated = "not_stated"
    no_bad_weather = "no_bad_weather"
    insufficient_facts = "insufficient_facts"
    paid = "paid"
    below = "below"


@dataclass(frozen=True)
class Worked:
    """One work session of the engagement (its instants, timezone-aware)."""

    started_at: datetime
    ended_at: datetime


@dataclass(frozen=True)
class AllowanceStatement:
    statement_id: str
    period_start: date
    period_end: date
    bad_weather_allowance_fen: int | None  # None: not stated (a statement stored before wages kept it)


@dataclass(frozen=True)
class Judged:
    outcome: Outcome
    finding: FindingSpec | None = None


def levels(on: date) -> tuple[tuple[str, ...], str]:
    """The warning levels whose days count, and the parameter's source, on `on`."""
    try:
        p = get_policy().value_with_source(LEVELS_PARAMETER, on)
        return tuple(p.value), p.source
    except PolicyNotInForce:  # a period before the parameter (or the measures): nothing counts
        return (), ""


def qualifying(windows: Sequence[Window], counted: Sequence[str]) -> list[Window]:
    """The windows at a counted level with a real span (lifted before its start: none)."""
    return [w for w in windows if w.level in counted and (w.end is None or w.end > w.starts_at)]


def bad_weather_days(
    windows: Sequence[Window], worked: Sequence[Worked], start: date, end: date
) -> dict[date, list[Window]]:
    """The business days from `start` through `end` on which a session overlaps a window, with the windows."""
    days: dict[date, list[Window]] = {}
    for s in worked:
        for w in windows:
            lo = max(s.started_at, w.starts_at)
            hi = s.ended_at if w.end is None else min(s.ended_at, w.end)
            if hi <= lo:
                continue
            day, last = max(business_date(lo), start), min(business_date(hi - timedelta(microseconds=1)), end)
            while day <= last:
                if w not in days.setdefault(day, []):
                    days[day].append(w)
                day += timedelta(days=1)
    return dict(sorted(days.items()))


def standard(bound: Sequence[Collective]) -> tuple[Collective, int] | None:
    """The binding contract agreeing the highest per-day allowance (each binds; the highest decides)."""
    agreed = [(c, c.bad_weather_allowance_fen_per_day) for c in bound if c.bad_weather_allowance_fen_per_day]
    if not agreed:
        return None
    contract, per_day = max(agreed, key=lambda a: a[1] or 0)
    return contract, per_day or 0


def judge(
    s: AllowanceStatement, bound: Sequence[Collective], windows: Sequence[Window], worked: Sequence[Worked] | None
) -> Judged:
    """One statement against the collective contracts binding it (`bound`), the warnings of its engagement's
    district meeting its period and the engagement's sessions (None: not looked up, because no window
    counts)."""
    agreed = standard(bound)
    if agreed is None:
        return Judged(Outcome.not_bound)
    if s.bad_weather_allowance_fen is None:
        return Judged(Outcome.not_stated)
    counted, source = levels(s.period_end)
    windows = qualifying(windows, counted)
    if not windows:
        return Judged(Outcome.no_bad_weather)
    if not worked:
        return Judged(Outcome.insufficient_facts)
    days = bad_weather_days(windows, worked, s.period_start, s.period_end)
    contract, per_day = agreed
    owed = len(days) * per_day
    if s.bad_weather_allowance_fen >= owed:
        return Judged(Outcome.paid if days else Outcome.no_bad_weather)
    return Judged(Outcome.below, _finding(s, contract, per_day, days, counted, source))


def _finding(
    s: AllowanceStatement,
    contract: Collective,
    per_day: int,
    days: dict[date, list[Window]],
    counted: Sequence[str],
    source: str,
) -> FindingSpec:
    owed = len(days) * per_day
    used = list(dict.fromkeys(w for ws in days.values() for w in ws))
    worst = weather.severest(used, lambda w: w.level)
    paid = s.bad_weather_allowance_fen or 0
    warning_zh = weather.LEVEL_ZH.get(worst.level, worst.level) + weather.HAZARD_ZH.get(worst.hazard, worst.hazard)
    return FindingSpec(
        "M7",
        RULE,
        Severity.medium,
        f"{warning_zh}等预警期间出勤 {len(days)} 天，"
        f"恶劣天气补贴 {paid / 100:.2f} 元，低于集体合同约定的 {owed / 100:.2f} 元（{per_day / 100:.2f} 元/天）",
        {
            "collective_contract_id": contract.collective_contract_id,
            "collective_term": "bad_weather_allowance_fen_per_day",
            "agreed_bad_weather_allowance_fen_per_day": per_day,
            "bad_weather_days": [d.isoformat() for d in days],
            "days": len(days),
            "bad_weather_allowance_fen": paid,
            "owed_fen": owed,
            "shortfall_fen": owed - paid,
            "period_start": s.period_start.isoformat(),
            "period_end": s.period_end.isoformat(),
            "warnings": [
                {
                    "warning_id": w.warning_id,
                    "reference": w.reference,
                    "level": w.level,
                    "hazard": w.hazard,
                    "starts_at": w.starts_at.isoformat(),
                    "window_end": w.end.isoformat() if w.end else None,
                }
                for w in used
            ],
            "district": worst.district,
            "levels": list(counted),
            "parameter_source": source,
            "legal_source": "劳动合同法 第五十五条",
            "measure_source": "宁政办〔2022〕41号 第七项",
        },
        fact_on=s.period_start,
    )
