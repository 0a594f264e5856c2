"""M8 during a red bad-weather warning, judged on the work sessions platforms report: pure functions of the
minutes worked and the policy (宁政办〔2022〕41号 item 8: 恶劣天气…采取限制发单…等措施). A platform that limits
dispatch in a red warning shows it in its workers' online time in the district; a platform whose workers spent
more than `safety.red_warning.max_activity_share_percent` of their usual minutes there did not limit it.

"Usual" is the average, over the `safety.red_warning.usual_weeks` previous weeks, of the platform's session
minutes in the district in the same hours of the same weekday as the window (the same window moved back by
whole weeks): weekday and hour patterns of delivery work repeat weekly, so a week-aligned baseline compares
like with like. A platform with no usual minutes there has no baseline: it is not judged (said in RULES.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from newform_common import weather
from newform_common.findings import FindingSpec, RuleDef, Severity
from newform_common.policy import business_date, get_policy

RULES: tuple[RuleDef, ...] = (
    RuleDef(
        "M8.work_during_red_warning",
        "finding",
        "Work sessions in a district during a red bad-weather warning above the policy's share of the usual",
    ),
)


@dataclass(frozen=True)
class Window:
    """A red warning's window in its district (wages' copy of the emergency department's fact)."""

    warning_id: str
    reference: str
    district: str
    level: str
    hazard: str
    starts_at: datetime
    ends_at: datetime | None
    cancelled_at: datetime | None

    @property
    def end(self) -> datetime | None:
        return weather.window_end(self.ends_at, self.cancelled_at)


def judged_at(window: Window) -> datetime | None:
    """When the window's sessions are judged: `judge_after_minutes` after it closed (platforms report in
    batches); None for a warning that is not red, still open, or lifted before it started."""
    end = window.end
    if window.level != "red" or end is None or end <= window.starts_at:
        return None
    return end + timedelta(minutes=get_policy().value("safety.red_warning.judge_after_minutes", window.starts_at))


def usual_windows(window: Window) -> list[tuple[datetime, datetime]]:
    """The same hours of the same weekday, one to `usual_weeks` weeks before."""
    assert window.end is not None
    weeks = get_policy().value("safety.red_warning.usual_weeks", window.starts_at)
    return [(window.starts_at - timedelta(weeks=k), window.end - timedelta(weeks=k)) for k in range(1, weeks + 1)]


def work_during_red_warning(window: Window, platform_id: str, minutes: int, usual: list[int]) -> FindingSpec | None:
    """A finding when the platform's session minutes in the window are above the policy's share of its usual
    (the average of `usual`, one figure per previous week); None within it or without a baseline."""
    policy = get_policy()
    limit = policy.value_with_source("safety.red_warning.max_activity_share_percent", window.starts_at)
    average = sum(usual) / len(usual) if usual else 0
    if average <= 0 or minutes * 100 <= limit.value * average:
        return None
    share = round(minutes * 100 / average)
    return FindingSpec(
        "M8",
        "M8.work_during_red_warning",
        Severity.high,
        f"红色恶劣天气预警期间平台在该区的在线作业时长为平常同时段的{share}%，未限制发单",
        {
            "warning_id": window.warning_id,
            "warning_reference": window.reference,
            "district": window.district,
            "hazard": window.hazard,
            "starts_at": window.starts_at.isoformat(),
            "window_end": window.end.isoformat() if window.end else None,
            "minutes": minutes,
            "usual_minutes_by_week": usual,
            "usual_minutes": round(average),
            "share_percent": share,
            "max_share_percent": limit.value,
            "parameter_source": limit.source,
            "platform_id": platform_id,
            "source": "emergency",
        },
        fact_on=business_date(window.starts_at),
    )
