"""M1/M2: the engagement type the facts suggest, and the finding when the declared one protects less.

Pure functions over plain data (劳社部发〔2005〕12号 art. 1; 人社部发〔2021〕56号)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from newform_common.findings import FindingSpec, RuleDef, Severity

EngagementType = Literal["labor_contract", "work_agreement", "civil"]

#: Strength of the protection an engagement type gives the worker (M1, M2).
STRENGTH: dict[str, int] = {"civil": 0, "work_agreement": 1, "labor_contract": 2}

#: The rule ids this module emits (`newform_contracts.rules.RULES` gathers every aggregate's).
RULES: tuple[RuleDef, ...] = (
    RuleDef("M1.misclassification", "finding", "declared type weaker than the facts' labour relationship"),
    RuleDef("M2.misclassification", "finding", "declared civil where the facts call for a work agreement"),
)


@dataclass(frozen=True)
class EngagementFacts:
    enterprise_sets_rules_and_discipline: bool
    enterprise_controls_schedule: bool
    enterprise_sets_pay: bool
    work_is_core_business: bool
    worker_may_refuse_orders: bool
    worker_bears_profit_and_loss: bool
    worker_works_elsewhere: bool


@dataclass(frozen=True)
class CriterionResult:
    name: str
    met: bool
    reason: str


@dataclass(frozen=True)
class Classification:
    suggested_type: EngagementType
    criteria: list[CriterionResult]
    measure: str


def classify(facts: EngagementFacts) -> Classification:
    """M1/M2: suggest the engagement type from the facts (劳社部发〔2005〕12号 art. 1; 人社部发〔2021〕56号).


    Weighed as the two texts do. The 2005 standard's elements carry a labour relationship: the
    enterprise's rules and management apply to the worker, it arranges the paid work (sets the pay),
    and the work is part of its business. Autonomy weakens it only where 56号 says so — the worker
    has strong autonomy over the work arrangement (较强的工作安排自主权): sets own schedule AND either
    may refuse orders or works for others. Declining orders alone, under the platform's schedule,
    rules and pay, is still a labour relationship. `civil` when the worker runs an own business
    (bears profit and loss, sets own prices, outside the enterprise's management); otherwise
    `work_agreement` (the platform manages the labour process, 56号's 不完全符合确立劳动关系情形).
    """
    f = facts
    criteria = [
        CriterionResult(
            "rules_and_management",
            f.enterprise_sets_rules_and_discipline,
            "企业的劳动规章制度适用于劳动者，劳动者受其劳动管理"
            if f.enterprise_sets_rules_and_discipline
            else "劳动者不受企业规章制度和劳动纪律约束",
        ),
        CriterionResult(
            "schedule_control",
            f.enterprise_controls_schedule,
            "企业决定工作时间和在线时长" if f.enterprise_controls_schedule else "劳动者自主决定工作时间和在线时长",
        ),
        CriterionResult(
            "pay_set_by_enterprise",
            f.enterprise_sets_pay,
            "企业决定报酬和服务价格" if f.enterprise_sets_pay else "劳动者自主定价",
        ),
        CriterionResult(
            "core_business",
            f.work_is_core_business,
            "劳动者提供的劳动是企业业务的组成部分" if f.work_is_core_business else "所提供的劳动不属于企业主营业务",
        ),
        CriterionResult(
            "no_right_to_refuse_orders",
            not f.worker_may_refuse_orders,
            "劳动者不能拒绝派单" if not f.worker_may_refuse_orders else "劳动者可以自主拒单",
        ),
        CriterionResult(
            "no_own_business_risk",
            not f.worker_bears_profit_and_loss,
            "劳动者不承担经营盈亏" if not f.worker_bears_profit_and_loss else "劳动者自负盈亏，自主经营",
        ),
        CriterionResult(
            "works_only_here",
            not f.worker_works_elsewhere,
            "劳动者未在其他平台或单位工作"
            if not f.worker_works_elsewhere
            else "劳动者同时在其他平台或单位工作（非全日制用工可有多个用人单位）",
        ),
    ]
    # The 2005 standard's elements: management, pay (paid work arranged by the enterprise), core business.
    elements = f.enterprise_sets_rules_and_discipline and f.enterprise_sets_pay and f.work_is_core_business
    # 56号: strong autonomy over the work arrangement — own schedule plus freedom to refuse or to work for others.
    strong_autonomy = not f.enterprise_controls_schedule and (f.worker_may_refuse_orders or f.worker_works_elsewhere)
    own_business = (
        f.worker_bears_profit_and_loss
        and not f.enterprise_sets_pay
        and not f.enterprise_sets_rules_and_discipline
        and not f.enterprise_controls_schedule
    )
    if elements and not strong_autonomy and not f.worker_bears_profit_and_loss:
        return Classification("labor_contract", criteria, "M1")
    if own_business:
        return Classification("civil", criteria, "M2")
    return Classification("work_agreement", criteria, "M2")


def misclassification(declared: str, classification: Classification) -> FindingSpec | None:
    """M1/M2 finding: the declared type gives less protection than the facts call for."""
    suggested = classification.suggested_type
    if STRENGTH[declared] >= STRENGTH[suggested]:
        return None
    measure = "M1" if suggested == "labor_contract" else "M2"
    return FindingSpec(
        measure,
        f"{measure}.misclassification",
        Severity.high,
        f"用工形式疑似错误认定：申报为{_TYPE_ZH[declared]}，依事实应为{_TYPE_ZH[suggested]}",
        {
            "declared_type": declared,
            "suggested_type": suggested,
            "criteria_met": [c.name for c in classification.criteria if c.met],
        },
    )


_TYPE_ZH = {"labor_contract": "劳动合同", "work_agreement": "书面用工协议", "civil": "民事协议"}
