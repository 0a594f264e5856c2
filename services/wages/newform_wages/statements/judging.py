"""Judging a stored (or about to be stored) statement of a known engagement: the rules' view of the row,
the agreed pay day as its due date, every M6 rule with the arrears' M20 and M19 companions, and the
findings raised (one debt, one case). Used at intake, when a pending statement's engagement arrives,
by the arrears clocks and when a year's holiday schedule is loaded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.collective import Collective, binding
from newform_common.findings import FindingRef, FindingSpec, raise_finding

from ..engagements.models import ENDED
from ..engagements.rules import agreed_pay_day, engagement_of, pay_period_of
from . import repository as repo
from . import rules

ARREARS_RULES = ("M6.wage_arrears", "M20.wage_arrears_enforcement", "M19.related_unit_arrears")


def statement_fact(row: dict[str, Any]) -> rules.Statement:
    """The rules' view of a stored statement row (or of a row about to be stored; built once per row)."""
    fact = row.get("_fact")
    if fact is None:
        fact = row["_fact"] = _fact_of(row)
    return fact


def _fact_of(row: dict[str, Any]) -> rules.Statement:
    return rules.Statement(
        period_start=row["period_start"],
        period_end=row["period_end"],
        due_date=row["due_date"],
        gross_fen=row["gross_fen"],
        base_fen=row["base_fen"],
        piece_fen=row["piece_fen"],
        overtime_fen=row["overtime_fen"],
        rest_day_fen=row["rest_day_fen"],
        holiday_fen=row["holiday_fen"],
        allowances_fen=row["allowances_fen"],
        deductions=tuple(rules.Deduction(d["reason"], d["amount_fen"]) for d in row["deductions"]),
        normal_minutes=row["normal_minutes"],
        overtime_minutes=row["overtime_minutes"],
        rest_day_minutes=row["rest_day_minutes"],
        holiday_minutes=row["holiday_minutes"],
        night_minutes=row["night_minutes"],
        paid_fen=row["paid_fen"],
        paid_on=row["paid_on"],
        payment_method=row["payment_method"],
        piece_orders=row.get("piece_orders", 0),
        night_allowance_fen=row.get("night_allowance_fen", 0),
        premium_days=tuple(
            rules.PremiumDay(
                date.fromisoformat(p["date"]),
                p["minutes"],
                date.fromisoformat(p["time_off_on"]) if p.get("time_off_on") else None,
            )
            for p in row["premium_days"]
        ),
    )


def judge(
    row: dict[str, Any],
    engagement: dict[str, Any],
    units: dict[str, dict[str, Any]],
    today: date,
    collectives: Sequence[Collective] = (),
) -> list[FindingSpec]:
    """Every rule on a statement of a known engagement (arrears also for the unit and enforcement), and the
    standards of the collective contracts of its platform (`collectives`) binding on its period end. A
    premium question waiting for the year's schedule is noted on the row (`pending_schedule`), never a
    refusal: `rejudge_pending_premiums` judges it when the schedule is loaded."""
    fact, e = statement_fact(row), engagement_of(engagement)
    row["pending_schedule"] = [d.isoformat() for d in rules.pending_premium_days(fact)] if e.labour_relationship else []
    specs = rules.judge_statement(fact, e, today)
    bound = binding(
        collectives, engagement["platform_id"], engagement["occupation"], engagement["district"], fact.period_end
    )
    specs += rules.check_collective_standards(fact, engagement["occupation"], bound)
    return with_arrears_companions(specs, engagement, units)


def apply_agreed_pay_day(row: dict[str, Any], engagement: dict[str, Any]) -> None:
    """The contract's agreed pay day is the statement's due date (工资支付暂行规定 art. 7; the measures
    item 6 按约定时间): arrears only after the end of that day, whatever the line declared (RULES.md)."""
    schedule = engagement.get("pay_schedule")
    due = row["due_date"]
    if schedule:
        _, period_end = pay_period_of(engagement["pay_period"], schedule, row["period_end"])
        agreed = agreed_pay_day(schedule, period_end)
        if agreed is not None and agreed >= row["period_end"]:
            due = agreed
    last = engagement["end_date"]
    if last is not None and due > last and (engagement["status"] in ENDED or row["period_end"] >= last):
        due = max(last, row["period_end"])  # 工资支付暂行规定 art. 9: paid at once when employment ends
    if due != row["due_date"]:
        row["due_date"] = due
        row.pop("_fact", None)


def with_arrears_companions(
    specs: list[FindingSpec], engagement: dict[str, Any], units: dict[str, dict[str, Any]]
) -> list[FindingSpec]:
    """Arrears also go to the enforcement channel (M20). A related unit's arrears carry the unit's
    credit code (its credit record, M6); when the platform is entrusted to pay for the unit, an M19
    finding names the platform too (its credit record)."""
    out = []
    unit = units.get(engagement["enterprise_id"])
    for spec in specs:
        if spec.rule != "M6.wage_arrears":
            out.append(spec)
            continue
        if unit is not None:
            spec = FindingSpec(
                spec.measure,
                spec.rule,
                spec.severity,
                spec.summary,
                {
                    **spec.evidence,
                    "related_unit_id": unit["enterprise_id"],
                    "unit_name": unit["name"],
                    "credit_code": unit["credit_code"],
                    "platform_entrusted_to_pay": unit["platform_entrusted_to_pay"],
                },
            )
        out += [spec, rules.enforcement_of(spec)]
        if unit is not None and unit["platform_entrusted_to_pay"]:
            out.append(rules.related_unit_arrears(spec, unit))
    return out


async def raise_statement_findings(
    session: AsyncSession, row: dict[str, Any], engagement: dict[str, Any], specs: list[FindingSpec], today: date
) -> list[FindingRef]:
    """The statement's findings; arrears only when no case is open for a debt of the engagement over the
    same days (one debt, one case: the period clock may have noticed it first). Callers hold
    `repository.lock_arrears` for the contract when arrears are among the specs."""
    if any(spec.rule in ARREARS_RULES for spec in specs):
        await session.flush()  # findings raised earlier in this transaction are seen
        if await repo.arrears_raised(session, row["contract_id"], row["period_start"], row["period_end"]):
            specs = [spec for spec in specs if spec.rule not in ARREARS_RULES]
    refs = []
    for spec in specs:
        # a related unit's arrears name the unit as the enterprise; the entrusted platform's credit comes
        # from the M19 finding, which names the platform
        enterprise = (
            engagement["platform_id"] if spec.rule == "M19.related_unit_arrears" else engagement["enterprise_id"]
        )
        evidence_subject = {"statement_id": row["id"], "line_id": row["line_id"], "contract_id": row["contract_id"]}
        spec = FindingSpec(spec.measure, spec.rule, spec.severity, spec.summary, {**spec.evidence, **evidence_subject})
        refs.append(
            await raise_finding(
                session,
                spec,
                subject_type="statement",
                subject_id=row["id"],
                platform_id=engagement["platform_id"],
                enterprise_id=enterprise,
                worker_id=row["worker_id"],
                occupation=engagement["occupation"],
                district=engagement["district"],
                judged_on=today,
                engagement_type=engagement["engagement_type"],
            )
        )
    return refs
