"""The complaints' checks (M10, M20), as pure functions over plain data: the categories, masking, the
reply time's finding and escalation to the departments."""

from __future__ import annotations

from datetime import date

from newform_common.findings import FindingSpec, Severity
from newform_common.policy import get_policy


def categories(on: date) -> dict[str, str]:
    """Complaint categories (code → Chinese name) in force on `on`."""
    return dict(get_policy().value("disputes.complaint.categories", on=on))


def identity_masked(category: str, wants_masked: bool, on: date) -> bool:
    """M10: the complainant is hidden from the platform when they ask and the category allows it
    (a pay claim cannot be remedied without knowing whose pay)."""
    return wants_masked and category in get_policy().value("disputes.complaint.masked_categories", on=on)


def escalation_measure(category: str, on: date) -> str:
    """M20: the measure under which an escalated complaint becomes an enforcement clue."""
    return str(get_policy().value("disputes.escalation.measure_by_category", on=on)[category])


def reply_overdue(category: str, reply_due_on: date) -> FindingSpec:
    return FindingSpec(
        "M10",
        "M10.complaint_reply_overdue",
        Severity.medium,
        f"平台未在答复期限（{reply_due_on.isoformat()}）内答复劳动者投诉",
        {"category": category, "reply_due_on": reply_due_on.isoformat()},
    )


def complaint_escalated(category: str, on: date, *, reply_overdue: bool, answered: bool) -> FindingSpec:
    measure = escalation_measure(category, on)
    name = categories(on).get(category, category)
    return FindingSpec(
        measure,
        f"{measure}.complaint_escalated",
        Severity.medium,
        f"劳动者就“{name}”投诉向主管部门反映（执法线索）",
        {"category": category, "platform_answered": answered, "reply_overdue": reply_overdue},
    )
