"""The legal clocks of a dispute, as pure functions over business dates (Asia/Shanghai).

Every period is counted by the one rule of the kit (`newform_common.calendar.period_end`): from the
day after its start, in calendar or working days, and a period whose last day is a rest day or a
holiday ends on the first working day after it (民法典 arts. 201, 203; 人力资源社会保障部令第33号
art. 84). A `Period` is what the durable clock stores (`deadlines.schedule_period`), so a suspension,
an extension or a newly loaded holiday schedule counts it again by the same rule; `*_due` gives its
last day. Figures come from the policy in force on the day the period starts, never from literals.

One module for every aggregate's periods, at the top of the package: complaints, mediation, the
roster and arbitration all start clocks from it, the kinds name the handlers of clocks that run out
(`handlers.DEADLINE_HANDLERS`), and the calendar cases (CAL-*) read it as one calendar. Running the
durable clocks (start, extend, stop) is `timers.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from newform_common import calendar
from newform_common.findings import Violation
from newform_common.policy import PolicyNotInForce, business_date, get_policy

# Clock kinds (one live clock per kind and subject).
COMPLAINT_REPLY = "disputes.complaint_reply"
MEDIATION_ACCEPTANCE = "disputes.mediation_acceptance"
MEDIATION_LIMIT = "disputes.mediation_limit"
MEDIATOR_REASSIGNMENT = "disputes.mediator_reassignment"
AGREEMENT_FULFILMENT = "disputes.agreement_fulfilment"
ARBITRATION_ACCEPTANCE = "disputes.arbitration_acceptance"
ARBITRATION_AWARD = "disputes.arbitration_award"


#: A clock entered after its period ran out keeps the law's last day here (its due time is the end
#: of the day of entry: see `timers.start`).
LEGAL_LAST_DAY = "last_day"


def last_day_of(deadline: Any) -> date:
    """The last day a durable clock stands for: the law's (kept for a clock entered late), else the
    business day its due time ends (`end_of_business_day`)."""
    kept = (deadline.data or {}).get(LEGAL_LAST_DAY)
    if kept:
        return date.fromisoformat(kept)
    return business_date(deadline.due_at - timedelta(microseconds=1))


@dataclass(frozen=True)
class Period:
    """A legal period: `days` (calendar or working) counted from the day after `start`."""

    start: date
    days: int
    unit: calendar.PeriodUnit = calendar.CALENDAR_DAYS

    def end(self) -> calendar.PeriodEnd:
        return calendar.period_end(self.start, self.days, self.unit)

    @property
    def last_day(self) -> date:
        return self.end().last_day


def _days(name: str, on: date) -> int:
    return int(get_policy().value(name, on=on))


def reply_period(filed_on: date) -> Period:
    """M10: the platform answers a complaint within the reply time from the day it was filed."""
    return Period(filed_on, _days("disputes.negotiation_reply_days", filed_on))


def reply_due(filed_on: date) -> date:
    return reply_period(filed_on).last_day


def mediation_acceptance_period(received_on: date) -> Period:
    """M18: a mediation application is accepted within 3 working days of receipt (人力资源社会保障部令
    第17号), counted on Asia/Shanghai working days (statutory holidays and the yearly schedule)."""
    return Period(
        received_on, _days("disputes.in_company_mediation.accept_working_days", received_on), calendar.WORKING_DAYS
    )


def mediation_acceptance_due(received_on: date) -> date:
    return mediation_acceptance_period(received_on).last_day


def mediation_limit_period(accepted_on: date, extension_days: int = 0) -> Period:
    """M18: mediation ends 15 days after acceptance (+ the agreed extension): the one-stop mediation
    of new-form workers' disputes (人社厅发〔2024〕4号), before it the law's 15 days (art. 14)."""
    try:
        limit = _days("disputes.one_stop_mediation.limit_days", accepted_on)
    except PolicyNotInForce:
        limit = _days("disputes.mediation_limit_days", accepted_on)
    return Period(accepted_on, limit + extension_days)


def mediation_limit(accepted_on: date, extension_days: int = 0) -> date:
    return mediation_limit_period(accepted_on, extension_days).last_day


def mediation_waiting_period(received_on: date) -> Period:
    """M18 (劳动争议调解仲裁法 art. 14(3)): no agreement within 15 days of the mediation body's
    **receipt** of the application and a party may apply for arbitration — whether or not the body
    accepted it, however long the mediation itself may run."""
    return Period(received_on, _days("disputes.mediation_limit_days", received_on))


def arbitration_open_from(received_on: date) -> date:
    """The first day a worker whose mediation application was received on `received_on` may apply
    for arbitration without the mediation's end (the day after the 15-day period)."""
    return mediation_waiting_period(received_on).last_day + timedelta(days=1)


def mediator_reassignment_period(on: date) -> Period:
    """M18 (roster kept current): an open case left without a fit mediator gets one within the
    policy's working days (`disputes.roster.reassign_working_days`)."""
    return Period(on, _days("disputes.roster.reassign_working_days", on), calendar.WORKING_DAYS)


def mediation_extension_violation(
    accepted_on: date, days: int, *, already_extended: bool, worker_consents: bool, enterprise_consents: bool
) -> Violation | None:
    """M18: mediation is extended once, by at most the policy's days, with both parties' consent."""
    try:
        most = _days("disputes.one_stop_mediation.extension_days", accepted_on)
    except PolicyNotInForce:  # before the one-stop rules: the law sets no extension of its own
        most = 0
    if already_extended:
        return Violation("M18", "M18.mediation_extension_once", "Mediation may be extended only once")
    if not 1 <= days <= most:
        return Violation(
            "M18", "M18.mediation_extension_limit", f"Mediation may be extended by 1 to {most} days, not {days}"
        )
    if not (worker_consents and enterprise_consents):
        return Violation(
            "M18",
            "M18.mediation_extension_consent",
            "Extending mediation needs both the worker's and the enterprise's consent",
        )
    return None


def arbitration_acceptance_period(received_on: date) -> Period:
    """M18 (劳动争议调解仲裁法 art. 29; 令第33号 art. 30): the committee accepts or refuses within 5
    days of receiving the application."""
    return Period(received_on, _days("disputes.arbitration.accept_decision_days", received_on))


def arbitration_acceptance_due(received_on: date) -> date:
    return arbitration_acceptance_period(received_on).last_day


def award_period(accepted_on: date, *, extension_days: int = 0, suspended_days: int = 0) -> Period:
    """M18 (art. 43): the award is due 45 days after acceptance, + the approved extension; suspended
    days do not count."""
    limit = _days("disputes.arbitration_limit_days", accepted_on)
    return Period(accepted_on, limit + extension_days + suspended_days)


def award_due(accepted_on: date, *, extension_days: int = 0, suspended_days: int = 0) -> date:
    return award_period(accepted_on, extension_days=extension_days, suspended_days=suspended_days).last_day


def restart_reasons(on: date) -> list[str]:
    """M18: facts that restart the award clock from their day (人力资源社会保障部令第33号 art. 46)."""
    return list(get_policy().value("disputes.arbitration.clock_pauses", on=on)["restarts_on"])


def award_extension_violation(accepted_on: date, days: int, *, already_extended: bool) -> Violation | None:
    """M18: the award limit is extended once, by at most the policy's days (written approval)."""
    most = _days("disputes.arbitration_extension_days", accepted_on)
    if already_extended:
        return Violation("M18", "M18.award_extension_once", "The award limit may be extended only once")
    if not 1 <= days <= most:
        return Violation(
            "M18", "M18.award_extension_limit", f"The award limit may be extended by 1 to {most} days, not {days}"
        )
    return None


@dataclass(frozen=True)
class Limitation:
    """M18 (劳动争议调解仲裁法 art. 27): when the time to apply for arbitration runs out."""

    runs_from: date | None
    ends_on: date | None
    expired: bool
    interrupted_on: date | None = None


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one: the period ends on 28 February (民法典 art. 202)
        return day.replace(year=day.year + years, day=28)


def _year_end(runs_from: date, years: int) -> date:
    """The anniversary is the last day (民法典 art. 202), moved past a rest day or holiday (art. 203)."""
    anniversary = _add_years(runs_from, years)
    return calendar.period_end(runs_from, (anniversary - runs_from).days).last_day


def limitation(
    applied_on: date,
    knew_of_breach_on: date,
    *,
    unpaid_pay_during_employment: bool = False,
    employment_ended_on: date | None = None,
    interruptions: Iterable[date] = (),
) -> Limitation:
    """The 1-year limitation on a claim, from when the worker knew of the breach (art. 27(1)).

    Interrupted (art. 27(2)) by the worker asserting the right against the other party, asking a
    body for relief (a complaint, a mediation application) or the other party agreeing to perform:
    an interruption inside the running period starts it afresh from that day; one after it ran out
    revives nothing. Unpaid pay during an employment that has not ended has no limit; once it ends,
    the year runs from the end (art. 27(4)).
    """
    years = _days("disputes.arbitration.limitation_years", applied_on)
    if unpaid_pay_during_employment:
        if employment_ended_on is None:
            return Limitation(runs_from=None, ends_on=None, expired=False)
        runs_from = employment_ended_on
    else:
        runs_from = knew_of_breach_on
    ends_on, interrupted = _year_end(runs_from, years), None
    for day in sorted(set(interruptions)):
        if runs_from < day <= min(ends_on, applied_on):
            runs_from, interrupted = day, day
            ends_on = _year_end(runs_from, years)
    return Limitation(runs_from=runs_from, ends_on=ends_on, expired=applied_on > ends_on, interrupted_on=interrupted)


def award_final_limit_fen(on: date) -> int:
    """M18 (art. 47(1)): an item of the award up to this amount is final for the employer."""
    policy = get_policy()
    months = int(policy.value("disputes.award_final.max_claim_minimum_wage_months", on=on))
    return months * int(policy.value("pay.minimum_wage.monthly_fen", on=on))
