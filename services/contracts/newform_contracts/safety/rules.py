"""M8 in bad weather, on platforms' responses to the emergency department's warnings: pure functions of the
warning, the responses and the policy (宁政办〔2022〕41号 item 8: 强化恶劣天气等特殊情形下的劳动保护，采取限制发单、
延长服务完成时限等措施; 国市监网监发〔2021〕38号: 适当放宽配送时限). Figures are policy data
(`safety.weather_warning.*`), never literals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from newform_common import weather
from newform_common.findings import FindingSpec, RuleDef, Severity
from newform_common.policy import business_date, get_policy

RULES: tuple[RuleDef, ...] = (
    RuleDef(
        "M8.weather_no_response",
        "finding",
        "no response declared in time after an orange or red bad-weather warning started",
    ),
    RuleDef(
        "M8.weather_response_without_measure",
        "finding",
        "a response to an orange or red warning that neither limited dispatch nor extended completion times",
    ),
)


@dataclass(frozen=True)
class Warning:
    """A warning as the rules read it (contracts' copy of the emergency department's fact)."""

    warning_id: str
    reference: str
    district: str
    level: str
    hazard: str
    starts_at: datetime
    ends_at: datetime | None
    cancelled_at: datetime | None
    observed_at: datetime

    @property
    def window_end(self) -> datetime | None:
        return weather.window_end(self.ends_at, self.cancelled_at)

    def evidence(self) -> dict[str, Any]:
        return {
            "warning_id": self.warning_id,
            "warning_reference": self.reference,
            "district": self.district,
            "level": self.level,
            "hazard": self.hazard,
            "starts_at": self.starts_at.isoformat(),
            "window_end": self.window_end.isoformat() if self.window_end else None,
            "fact_date": business_date(self.starts_at).isoformat(),
            "source": "emergency",
        }


def needs_response(warning: Warning) -> bool:
    """Whether the warning's level calls for a declared response (`safety.weather_warning.response_levels`)."""
    return warning.level in get_policy().value("safety.weather_warning.response_levels", warning.starts_at)


def response_due(warning: Warning) -> datetime:
    """When the response is due: `response_within_minutes` after the window starts, or after the department
    recorded the warning if that was later (a platform cannot answer a warning before it is stated)."""
    minutes = get_policy().value("safety.weather_warning.response_within_minutes", warning.starts_at)
    return max(warning.starts_at, warning.observed_at) + timedelta(minutes=minutes)


def clock_runs(warning: Warning) -> bool:
    """A response clock runs for a warning that calls for one and was not lifted (or did not end) before the
    response was due: a window closed before then asks nothing more."""
    end = warning.window_end
    return needs_response(warning) and (end is None or end > response_due(warning))


def no_response(warning: Warning, due: datetime) -> FindingSpec:
    minutes = get_policy().value("safety.weather_warning.response_within_minutes", warning.starts_at)
    return FindingSpec(
        "M8",
        "M8.weather_no_response",
        Severity.high,
        f"恶劣天气{weather.LEVEL_ZH.get(warning.level, warning.level)}预警开始后{minutes}分钟内"
        "平台未申报限制发单或延长服务完成时限等应对措施",
        {**warning.evidence(), "response_due": due.isoformat(), "response_within_minutes": minutes},
    )


def without_measure(warning: Warning, dispatch: str, extended_minutes: int) -> FindingSpec | None:
    """A response to a warning that calls for one, which neither limited nor suspended dispatch nor extended
    completion times: the measures name those two measures."""
    if not needs_response(warning) or dispatch != "unchanged" or extended_minutes > 0:
        return None
    return FindingSpec(
        "M8",
        "M8.weather_response_without_measure",
        Severity.medium,
        "平台对恶劣天气预警的应对既未限制发单，也未延长服务完成时限",
        {**warning.evidence(), "dispatch": dispatch, "completion_time_extended_minutes": extended_minutes},
    )
