"""M10 on the rule and algorithm register: consulted before publication, published, in effect only after
notice. Pure functions over plain data; the notice period is policy data."""

from __future__ import annotations

from datetime import date

from newform_common.findings import FindingSpec, RuleDef, Severity
from newform_common.policy import get_policy

#: The rules M10 names (平台进入退出、订单分配、计件单价、抽成比例、报酬构成及支付、工作时间、奖惩).
RULE_TOPICS = (
    "platform_entry_exit",
    "order_allocation",
    "piece_rates",
    "commission_ratio",
    "pay_composition",
    "working_hours",
    "rewards_penalties",
)

#: The rule ids this module emits (`newform_contracts.rules.RULES` gathers every aggregate's).
RULES: tuple[RuleDef, ...] = (
    RuleDef("M10.effective_before_publication", "finding", "rule in effect before its publication"),
    RuleDef("M10.effective_without_notice", "finding", "rule in effect on its publication day, without notice"),
    RuleDef(
        "M10.no_consultation",
        "finding",
        "rule changed without consulting the union or worker representatives before publication",
    ),
    RuleDef("M8.indicator_delivery_time_too_short", "finding", "a delivery time limit shorter than the policy allows"),
    RuleDef("M8.indicator_on_time_target_too_strict", "finding", "an on-time-rate target above the policy's limit"),
    RuleDef("M8.indicator_online_target_too_strict", "finding", "an online-rate target above the policy's limit"),
    RuleDef("M8.indicator_late_penalty_too_high", "finding", "a penalty per late order above the policy's limit"),
)

#: M8's safety indicators: (indicator, policy parameter, "min" | "max", rule id, what it says in Chinese).
SAFETY_INDICATORS = (
    (
        "min_delivery_time_limit_minutes",
        "safety.indicators.min_delivery_time_limit_minutes",
        "min",
        "M8.indicator_delivery_time_too_short",
        "平台规则设定的配送时限短于安全要求",
    ),
    (
        "on_time_rate_target_percent",
        "safety.indicators.max_on_time_rate_target_percent",
        "max",
        "M8.indicator_on_time_target_too_strict",
        "平台规则设定的准时率考核指标过严（最严算法）",
    ),
    (
        "online_rate_target_percent",
        "safety.indicators.max_online_rate_target_percent",
        "max",
        "M8.indicator_online_target_too_strict",
        "平台规则设定的在线率考核指标过严",
    ),
    (
        "late_penalty_fen",
        "safety.indicators.max_late_penalty_fen",
        "max",
        "M8.indicator_late_penalty_too_high",
        "平台规则对超时订单的处罚过重",
    ),
)


def safety_indicator_findings(indicators: dict[str, int], *, topic: str, effective_on: date) -> list[FindingSpec]:
    """M8: a rule's indicators that endanger safety (不得制定损害劳动者安全健康的考核指标, 宁政办〔2022〕41号 item 8;
    不得将"最严算法"作为考核要求…适当放宽配送时限, 国市监网监发〔2021〕38号), each against its parameter on the
    day the rule takes effect."""
    found = []
    policy = get_policy()
    for name, parameter, bound, rule, summary in SAFETY_INDICATORS:
        value = indicators.get(name)
        if value is None:
            continue
        limit = policy.value_with_source(parameter, effective_on)
        if (value < limit.value) if bound == "min" else (value > limit.value):
            found.append(
                FindingSpec(
                    "M8",
                    rule,
                    Severity.high,
                    summary,
                    {
                        "topic": topic,
                        "indicator": name,
                        "value": value,
                        "limit": limit.value,
                        "parameter": parameter,
                        "parameter_source": limit.source,
                        "effective_on": effective_on.isoformat(),
                    },
                    fact_on=effective_on,
                )
            )
    return found


def rule_notice_findings(
    *, topic: str, published_on: date, effective_on: date, consulted: bool, consulted_on: date | None = None
) -> list[FindingSpec]:
    """M10: a rule change is consulted on with the union or worker representatives before it is
    published (充分听取…意见建议，将结果公示并告知劳动者), published, and takes effect only after the
    workers had notice (`rule_register.min_notice_days` after publication)."""
    found = []
    notice_days = (effective_on - published_on).days
    evidence = {"topic": topic, "published_on": published_on.isoformat(), "effective_on": effective_on.isoformat()}
    if effective_on < published_on:
        found.append(
            FindingSpec(
                "M10", "M10.effective_before_publication", Severity.medium, "平台规则或算法在公示前已生效", evidence
            )
        )
    else:
        minimum = get_policy().value("rule_register.min_notice_days", published_on)
        if notice_days < minimum:
            found.append(
                FindingSpec(
                    "M10",
                    "M10.effective_without_notice",
                    Severity.medium,
                    "平台规则或算法公示当日即生效，未给劳动者告知期",
                    {**evidence, "notice_days": notice_days, "min_notice_days": minimum},
                )
            )
    late = consulted and consulted_on is not None and consulted_on > published_on
    if not consulted or late:
        found.append(
            FindingSpec(
                "M10",
                "M10.no_consultation",
                Severity.medium,
                "平台规则或算法调整未在公示前经工会或劳动者代表协商",
                {
                    "topic": topic,
                    "consulted_on": consulted_on.isoformat() if late and consulted_on is not None else None,
                    "published_on": published_on.isoformat(),
                    "reason": "consulted after publication" if late else "no consultation",
                },
            )
        )
    return found
