"""The legal clocks of a dispute, as pure functions over business dates (Asia/Shanghai).

Each returns the last day on which the act is still in time; the durable clock
(`newform_common.deadlines`) runs out at the end of that day (`end_of_business_day`). Figures come
from the policy in force on the day the clock starts, never from literals. Days are calendar days,
as the laws count them (劳动争议调解仲裁法 art. 14, 43; 人力资源社会保障部令第33号 art. 46).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from newform_common import holidays
from newform_common.findings import Violation
from newform_common.policy import PolicyNotInForce, get_policy

# Clock kinds (one live clock per kind and subject).
COMPLAINT_REPLY = "disputes.complaint_reply"
MEDIATION_ACCEPTANCE = "disputes.mediation_acceptance"
MEDIATION_LIMIT = "disputes.mediation_limit"
AGREEMENT_FULFILMENT = "disputes.agreement_fulfilment"
ARBITRATION_ACCEPTANCE = "disputes.arbitration_acceptance"
ARBITRATION_AWARD = "disputes.arbitration_award"


def _days(name: str, on: date) -> int:
    return int(get_policy().value(name, on=on))


def reply_due(filed_on: date) -> date:
    """M10: the platform answers a complaint within the reply time from the day it was filed."""
    return filed_on + timedelta(days=_days("disputes.negotiation_reply_days", filed_on))


def mediation_acceptance_due(received_on: date) -> date:
    """M18: a mediation application is accepted within 3 working days of receipt (人力资源社会保障部令
    第17号), counted on Asia/Shanghai working days (statutory holidays and adjusted rest days)."""
    left, day = _days("disputes.in_company_mediation.accept_working_days", received_on), received_on
    while left > 0:
        day += timedelta(days=1)
        if holidays.is_working_day(day):
            left -= 1
    return day


def mediation_limit(accepted_on: date, extension_days: int = 0) -> date:
    """M18: mediation ends 15 days after acceptance (+ the agreed extension): the one-stop mediation
    of new-form workers' disputes (人社厅发〔2024〕4号), before it the law's 15 days (art. 14)."""
    try:
        limit = _days("disputes.one_stop_mediation.limit_days", accepted_on)
    except PolicyNotInForce:
        limit = _days("disputes.mediation_limit_days", accepted_on)
    return accepted_on + timedelta(days=limit + extension_days)


def mediation_extension_violation(accepted_on: date, days: int, *, already_extended: bool,
                                  worker_consents: bool, enterprise_consents: bool) -> Violation | None:
    """M18: mediation is extended once, by at most the policy's days, with both parties' consent."""
    try:
        most = _days("disputes.one_stop_mediation.extension_days", accepted_on)
    except PolicyNotInForce:  # before the one-stop rules: the law sets no extension of its own
        most = 0
    if already_extended:
        return Violation("M18", "M18.mediation_extension_once", "Mediation may be extended only once")
    if not 1 <= days <= most:
        return Violation("M18", "M18.mediation_extension_limit",
                         f"Mediation may be extended by 1 to {most} days, not {days}")
    if not (worker_consents and enterprise_consents):
        return Violation("M18", "M18.mediation_extension_consent",
                         "Extending mediation needs both the worker's and the enterprise's consent")
    return None


def arbitration_acceptance_due(received_on: date) -> date:
    """M18: the arbitration committee accepts or refuses within 5 days of receiving the application."""
    return received_on + timedelta(days=_days("disputes.arbitration.accept_decision_days", received_on))


def award_due(accepted_on: date, *, extension_days: int = 0, suspended_days: int = 0) -> date:
    """M18: the award is due 45 days after acceptance, + the approved extension; suspension does not count."""
    limit = _days("disputes.arbitration_limit_days", accepted_on)
    return accepted_on + timedelta(days=limit + extension_days + suspended_days)


def restart_reasons(on: date) -> list[str]:
    """M18: facts that restart the award clock from their day (人力资源社会保障部令第33号 art. 46)."""
    return list(get_policy().value("disputes.arbitration.clock_pauses", on=on)["restarts_on"])


def award_extension_violation(accepted_on: date, days: int, *, already_extended: bool) -> Violation | None:
    """M18: the award limit is extended once, by at most the policy's days (written approval)."""
    most = _days("disputes.arbitration_extension_days", accepted_on)
    if already_extended:
        return Violation("M18", "M18.award_extension_once", "The award limit may be extended only once")
    if not 1 <= days <= most:
        return Violation("M18", "M18.award_extension_limit",
                         f"The award limit may be extended by 1 to {most} days, not {days}")
    return None


@dataclass(frozen=True)
class Limitation:
    """M18 (劳动争议调解仲裁法 art. 27): when the time to apply for arbitration runs out."""

    runs_from: date | None
    ends_on: date | None
    expired: bool


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one: the period ends on 28 February
        return day.replace(year=day.year + years, day=28)


def limitation(applied_on: date, knew_of_breach_on: date, *, unpaid_pay_during_employment: bool = False,
               employment_ended_on: date | None = None) -> Limitation:
    """The 1-year limitation on a claim, from when the worker knew of the breach.

    Unpaid pay during an employment that has not ended has no limit; once it ends, the year runs from
    the end.
    """
    years = _days("disputes.arbitration.limitation_years", applied_on)
    if unpaid_pay_during_employment:
        if employment_ended_on is None:
            return Limitation(runs_from=None, ends_on=None, expired=False)
        runs_from = employment_ended_on
    else:
        runs_from = knew_of_breach_on
    ends_on = _add_years(runs_from, years)
    return Limitation(runs_from=runs_from, ends_on=ends_on, expired=applied_on > ends_on)


def award_final_limit_fen(on: date) -> int:
    """M18 (art. 47): claims up to this total make the award final for the employer."""
    policy = get_policy()
    months = int(policy.value("disputes.award_final.max_claim_minimum_wage_months", on=on))
    return months * int(policy.value("pay.minimum_wage.monthly_fen", on=on))


def award_final_for_employer(claims_fen: list[int], on: date) -> bool:
    """Each claim not above 12 × the monthly minimum wage: the award binds the employer at once."""
    limit = award_final_limit_fen(on)
    return bool(claims_fen) and all(0 <= c <= limit for c in claims_fen)
