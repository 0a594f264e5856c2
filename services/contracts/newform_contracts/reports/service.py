"""The employment report (M4, M19): per enterprise and month, the contracts and agreements in force,
in a documented, stable format (JSON or CSV) — what the HRSS reporting system receives.

Format version 1. One line per contract or agreement that was signed (status signed, terminated
or expired) and was in force during the period: its term overlaps the period and, if terminated,
it was terminated on or after the period's first day (Asia/Shanghai). Fields, in this order (CSV header = these names):
"""

from __future__ import annotations

import csv
import io
import re
from calendar import monthrange
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.errors import Unprocessable
from newform_common.policy import business_date

from ..models import ContractStatus, Enterprise
from ..pii import Pii, masked
from . import repository

FORMAT_VERSION = "1"

#: (field, description) — never reorder or rename within a format version; add at the end.
FIELDS: list[tuple[str, str]] = [
    ("format_version", "report format version"),
    ("period", "reporting month, YYYY-MM"),
    ("enterprise_id", "contracting enterprise id"),
    ("enterprise_name", "contracting enterprise name"),
    ("enterprise_credit_code", "unified social credit code of the contracting enterprise"),
    ("platform_id", "the platform the work is done through"),
    ("contract_id", "contract or agreement id"),
    ("worker_id", "pseudonymous worker id (the same on every platform)"),
    ("worker_name", "worker's name (masked unless revealed)"),
    ("worker_id_number", "worker's resident ID number (masked unless revealed)"),
    ("engagement_type", "labor_contract | work_agreement | civil"),
    ("part_time", "true | false"),
    ("occupation", "occupation code"),
    ("district", "district code"),
    ("start_date", "first day of the term"),
    ("end_date", "last day of the term (empty: open-ended)"),
    ("status", "signed | terminated | expired"),
    ("pay_basis", "monthly_salary | hourly | piece_rate | commission | mixed"),
    ("pay_period", "hour | day | week | month"),
    ("pay_day", "agreed pay day"),
    ("base_pay_fen", "base pay in fen (empty if none)"),
    ("commission_ratio_percent", "platform commission ratio (empty if none)"),
    ("hours_arrangement", "standard | comprehensive | flexible | part_time"),
    ("work_injury_insurance", "true | false"),
    ("occupational_injury_protection", "true | false"),
    ("accident_insurance", "true | false"),
    ("document_sha256", "SHA-256 of the signed document"),
    ("worker_signed_at", "when the worker signed (RFC 3339)"),
    ("enterprise_signed_at", "when the enterprise signed (RFC 3339)"),
    ("termination_reason", "reason, if terminated"),
]
FIELD_NAMES = [name for name, _ in FIELDS]

__doc__ += "\n".join(f"- `{name}`: {desc}" for name, desc in FIELDS)


def period_bounds(period: str) -> tuple[date, date]:
    if not re.fullmatch(r"[1-9]\d{3}-(0[1-9]|1[0-2])", period):  # year 0000 does not exist
        raise Unprocessable("period must be a month, YYYY-MM", slug="bad-period")
    year, month = int(period[:4]), int(period[5:])
    if year < 1:  # year 0 matches the pattern but no calendar has it
        raise Unprocessable("period must be a month of year 0001 or later, YYYY-MM", slug="bad-period")
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


async def employment_rows(
    session: AsyncSession, pii: Pii, enterprise: Enterprise, period: str, *, reveal: bool
) -> list[dict]:
    first, last = period_bounds(period)
    contracts = await repository.signed_contracts_overlapping(session, enterprise.id, first, last)
    # A terminated contract is in force until its termination, not until its original end date.
    terminated = [c.id for c, _, _ in contracts if c.status == ContractStatus.terminated]
    ended_on = {cid: business_date(at) for cid, at in (await repository.terminated_at(session, terminated)).items()}
    contracts = [row for row in contracts if row[0].id not in ended_on or ended_on[row[0].id] >= first]
    ids = [c.id for c, _, _ in contracts]
    signed_at = {(r.contract_id, r.signer): r.signed_at.isoformat() for r in await repository.evidence_of(session, ids)}
    rows = []
    for c, reg, worker in contracts:
        name = pii.decrypt(reg.name_encrypted, "registrations.name")
        id_number = pii.decrypt(worker.id_number_encrypted, "workers.id_number")
        if not reveal:
            name, id_number = masked("name", name), masked("id_number", id_number)
        t = c.terms
        ins = t.get("insurance", {})
        rows.append(
            {
                "format_version": FORMAT_VERSION,
                "period": period,
                "enterprise_id": enterprise.id,
                "enterprise_name": enterprise.name,
                "enterprise_credit_code": enterprise.credit_code,
                "platform_id": c.platform_id,
                "contract_id": c.id,
                "worker_id": c.worker_id,
                "worker_name": name,
                "worker_id_number": id_number,
                "engagement_type": c.engagement_type,
                "part_time": c.part_time,
                "occupation": c.occupation,
                "district": c.district,
                "start_date": c.start_date.isoformat(),
                "end_date": c.end_date.isoformat() if c.end_date else None,
                "status": c.status,
                "pay_basis": t.get("pay_basis"),
                "pay_period": t.get("pay_period"),
                "pay_day": t.get("pay_day"),
                "base_pay_fen": t.get("base_pay_fen"),
                "commission_ratio_percent": t.get("commission_ratio_percent"),
                "hours_arrangement": t.get("hours_arrangement"),
                "work_injury_insurance": bool(ins.get("work_injury")),
                "occupational_injury_protection": bool(ins.get("occupational_injury")),
                "accident_insurance": bool(ins.get("accident")),
                "document_sha256": c.document_sha256,
                "worker_signed_at": signed_at.get((c.id, "worker")),
                "enterprise_signed_at": signed_at.get((c.id, "enterprise")),
                "termination_reason": c.termination_reason,
            }
        )
    return rows


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELD_NAMES, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: ("true" if v is True else "false" if v is False else "" if v is None else v) for k, v in row.items()}
        )
    return out.getvalue()
