"""Response body of the employment report (JSON; the CSV has the same fields)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class EmploymentReport(BaseModel):
    format_version: str
    enterprise_id: str
    period: str
    fields: list[str]
    rows: list[dict[str, Any]]
