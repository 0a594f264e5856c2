"""The measures' coverage table as the API answers it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Status = Literal["implemented", "partly", "points"]


class MeasureCoverage(BaseModel):
    id: str
    title_zh: str
    title_en: str
    status: Status
    where: list[str]
    rules: list[str]
    gap_en: str | None = None
    gap_zh: str | None = None
    points_en: str | None = None
    points_zh: str | None = None
