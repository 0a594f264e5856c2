"""Builders of the wages world: new workers and platforms, statement and session lines.

Contracts' events the wages consumer reads come from the one typed feed (`tests/kit/feed.py`)."""

from __future__ import annotations

import secrets
from typing import Any

from newform_common.testing import resident_id, worker_id_of


def new_worker() -> str:
    return worker_id_of(resident_id())


def new_platform() -> str:
    return "p" + secrets.token_hex(5)


def statement(line_id: str, contract_id: str, worker_id: str, **kw: Any) -> dict[str, Any]:
    """A lawful March 2024 monthly statement unless overridden."""
    line = {
        "line_id": line_id,
        "contract_id": contract_id,
        "worker_id": worker_id,
        "period_start": "2024-03-01",
        "period_end": "2024-03-31",
        "due_date": "2024-04-10",
        "gross_fen": 300_000,
        "base_fen": 300_000,
        "normal_hours": 168,
        "paid_fen": 300_000,
        "paid_on": "2024-04-08",
        "payment_method": "bank",
    }
    line.update(kw)
    return line


def session_line(line_id: str, worker_id: str, start: str, end: str, **kw: Any) -> dict[str, Any]:
    return {"line_id": line_id, "worker_id": worker_id, "started_at": start, "ended_at": end, **kw}
