"""Builders of the wages world: new workers and platforms, statement and session lines.

Contracts' events the wages consumer reads come from the one typed feed (`tests/kit/feed.py`)."""

from __future__ import annotations

import secrets
from typing import Any

from newform_common.testing import resident_id, worker_id_of
from newform_wages.config import Settings as WagesSettings


def wages_settings_for(prefix: str, url: str, bootstrap: str, public_pem: str, **overrides: Any) -> WagesSettings:
    """Settings of a wages service on this test's topics (`<prefix>-*.events`): its relay quick, its deadline
    worker out of the way (a test drives the clocks), contracts' events from `<prefix>-contracts.events`."""
    return WagesSettings(
        **{
            "service_name": f"{prefix}-wages",
            "database_url": url,
            "kafka_bootstrap_servers": bootstrap,
            "jwt_public_key": public_pem,
            "relay_poll_interval_s": 0.2,
            "deadline_poll_interval_s": 3600,
            "contracts_topic": f"{prefix}-contracts.events",
            **overrides,
        }
    )


#: The gateway's pay figures of a platform (`:p`) per month, folded from its statement lines (wage_statements):
#: what `GET /v1/wages/compliance` answers from its totals (wage_totals) must equal them, in its order.
PAY_FIGURES_FROM_LINES = (
    "select platform_id, to_char(period_end, 'YYYY-MM') as month, count(*) as statements, "
    "count(*) filter (where status = 'judged') as judged, count(*) filter (where status = 'pending') as pending, "
    "count(*) filter (where minimum_wage_met) as minimum_wage_met, "
    "count(*) filter (where status = 'judged' and paid_fen >= net_due_fen and paid_on <= due_date) as paid_on_time, "
    "count(*) filter (where jsonb_array_length(rules_broken) > 0) as with_breaches, "
    "sum(net_due_fen)::bigint as net_due_fen, sum(paid_fen)::bigint as paid_fen "
    "from wage_statements where platform_id = :p group by 1, 2 order by 2 desc, 1"
)


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
