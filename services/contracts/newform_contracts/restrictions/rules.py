"""M5 on account restrictions: a listed reason and a notice before the restriction takes effect.

Pure functions over plain data; the list of reasons is policy data."""

from __future__ import annotations

from datetime import date, datetime

from newform_common.findings import FindingSpec, RuleDef, Severity
from newform_common.policy import business_today, get_policy

from ..models import RegistrationStatus

#: The rule ids this module emits (`newform_contracts.rules.RULES` gathers every aggregate's).
RULES: tuple[RuleDef, ...] = (
    RuleDef("M5.restriction_without_listed_reason", "finding", "restriction for a reason not on the published list"),
    RuleDef(
        "M5.restriction_without_notice", "finding", "restriction without notice to the worker before it took effect"
    ),
)


def restriction_reasons(on: date | None = None) -> dict[str, str]:
    """The published list of reasons for which a platform may restrict or cancel a worker's registration
    (M5: 不得无正当理由限制或注销劳动者的平台注册); policy data `fair_access.restriction_reasons`. A
    restriction on any other reason is a finding. Served at GET /v1/account-restrictions/reasons."""
    reasons: dict[str, str] = get_policy().value("fair_access.restriction_reasons", on or business_today())
    return reasons


#: Reasons the worker asked for himself: no notice is owed to the person who asked.
WORKER_REQUESTED_REASONS = frozenset({"worker_request"})


def notice_given_before(notice_given_at: datetime | None, effective_at: datetime) -> bool:
    """Notice counts only if it came strictly before the restriction took effect (告知 then act)."""
    return notice_given_at is not None and notice_given_at < effective_at


def restriction_findings(reason_code: str, notice_given: bool, on: date | None = None) -> list[FindingSpec]:
    """M5: a restriction or cancellation needs a listed reason and a notice to the worker before it
    takes effect — except at the worker's own request (his request is his notice)."""
    found = []
    if reason_code not in restriction_reasons(on):
        found.append(
            FindingSpec(
                "M5",
                "M5.restriction_without_listed_reason",
                Severity.medium,
                "平台限制或注销劳动者账号的理由不在公布的理由清单内",
                {"reason_code": reason_code},
            )
        )
    if not notice_given and reason_code not in WORKER_REQUESTED_REASONS:
        found.append(
            FindingSpec(
                "M5",
                "M5.restriction_without_notice",
                Severity.medium,
                "平台限制或注销劳动者账号前未告知劳动者",
                {"reason_code": reason_code},
            )
        )
    return found


def status_after_lift(actions_in_effect: list[str]) -> RegistrationStatus:
    """A registration's status once a restriction is lifted, from the actions of those still in
    effect: a cancellation still in effect keeps it cancelled; a restriction alone, restricted; none,
    active (M5). Lifting a wrongful cancellation must not leave the worker cancelled because an
    earlier, lighter restriction is still running."""
    if "cancel" in actions_in_effect:
        return RegistrationStatus.cancelled
    if "restrict" in actions_in_effect:
        return RegistrationStatus.restricted
    return RegistrationStatus.active
