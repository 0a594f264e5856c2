"""A worker's report of unpaid or short pay (M6), reconciled at once against the platform's statements for
the period: what differs is a finding (`M6.pay_report_unresolved`), and the report is published."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.errors import Unprocessable
from newform_common.findings import FindingRef, FindingSpec, raise_finding
from newform_common.ids import new_id
from newform_common.outbox import record
from newform_common.policy import business_today, get_policy

from ..engagements.repository import engagement as engagement_of_contract
from ..events import PayReportReconciled
from ..rules import Severity
from . import repository as repo
from .models import PayReportOutcome
from .schemas import PayReportCreate


def _differences(rows: list[dict[str, Any]], body: PayReportCreate) -> list[dict[str, Any]]:
    """What the worker's account and the platform's statements disagree on."""
    differences: list[dict[str, Any]] = []
    if not rows:
        differences.append({"kind": "missing_statement", "detail": "the platform reported no statement for the period"})
    net_due = sum(max(0, r["gross_fen"] - r["deductions_fen"]) for r in rows)
    paid = sum(r["paid_fen"] for r in rows)
    if rows and net_due != body.expected_fen:
        differences.append(
            {"kind": "amount_differs", "statement_net_due_fen": net_due, "worker_expected_fen": body.expected_fen}
        )
    if rows and paid != body.received_fen:
        differences.append(
            {"kind": "paid_amount_differs", "statement_paid_fen": paid, "worker_received_fen": body.received_fen}
        )
    if body.received_fen < max(body.expected_fen, net_due):
        differences.append({"kind": "short_paid", "owed_fen": max(body.expected_fen, net_due) - body.received_fen})
    late = [r for r in rows if r["paid_on"] and r["paid_on"] > r["due_date"]]
    if body.received_on and rows and body.received_on > max(r["due_date"] for r in rows):
        late = late or rows
    if late:
        differences.append({"kind": "paid_late", "statements": [r["id"] for r in late]})
    return differences


async def _raise_unresolved(
    session: AsyncSession,
    worker_id: str,
    body: PayReportCreate,
    report_id: str,
    rows: list[dict[str, Any]],
    differences: list[dict[str, Any]],
) -> FindingRef:
    engagement = await engagement_of_contract(session, rows[0]["contract_id"]) if rows else None
    spec = FindingSpec(
        "M6",
        "M6.pay_report_unresolved",
        Severity.medium,
        f"劳动者报告 {body.period_start.isoformat()} 至 {body.period_end.isoformat()} "
        "工资未付或少付，"
        f"与平台工资记录不符（{'、'.join(d['kind'] for d in differences)}）",
        {"report_id": report_id, "differences": differences, "statements": [r["id"] for r in rows]},
    )
    return await raise_finding(
        session,
        spec,
        subject_type="pay_report",
        subject_id=report_id,
        platform_id=body.platform_id,
        worker_id=worker_id,
        enterprise_id=engagement["enterprise_id"] if engagement else None,
        occupation=engagement["occupation"] if engagement else None,
        district=engagement["district"] if engagement else None,
        engagement_type=engagement["engagement_type"] if engagement else None,
    )


async def reconcile_pay_report(session: AsyncSession, worker_id: str, body: PayReportCreate):
    """A worker's report against the platform's statements for the period: what differs is a finding."""
    if body.period_end < body.period_start:
        raise Unprocessable("period_end is before period_start", slug="invalid-period")
    if body.received_on is not None and body.received_on > business_today():
        raise Unprocessable(f"received_on {body.received_on} is in the future", slug="invalid-date")
    get_policy().measures_status(body.period_start)  # 422 before the measures
    rows = await repo.worker_statements_in_period(
        session, worker_id, body.platform_id, body.period_start, body.period_end
    )
    differences = _differences(rows, body)
    outcome = (PayReportOutcome.unresolved if differences else PayReportOutcome.resolved).value
    report_id = new_id("pr")
    finding = await _raise_unresolved(session, worker_id, body, report_id, rows, differences) if differences else None
    await repo.record_pay_report(
        session,
        {
            "id": report_id,
            "worker_id": worker_id,
            "platform_id": body.platform_id,
            "period_start": body.period_start,
            "period_end": body.period_end,
            "expected_fen": body.expected_fen,
            "received_fen": body.received_fen,
            "received_on": body.received_on,
            "note": body.note,
            "outcome": outcome,
            "differences": differences,
            "finding_id": finding.finding_id if finding else None,
            "reported_at": datetime.now(UTC),
        },
    )
    record(
        session,
        PayReportReconciled(
            report_id=report_id,
            worker_id=worker_id,
            platform_id=body.platform_id,
            period_start=body.period_start,
            period_end=body.period_end,
            outcome=outcome,
            differences=[d["kind"] for d in differences],
        ),
    )
    return report_id, outcome, differences, finding
