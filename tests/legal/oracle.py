"""The oracle: the cases of shared/legal/cases.md (beside the checkout, as in CI), read from the file
itself so that a test cites the law's answer word for word and a changed case shows in the test."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from newform_common.policy import BUSINESS_TZ

CASES_FILE = Path(__file__).resolve().parents[2].parent / "shared" / "legal" / "cases.md"
_ROW = re.compile(r"^\| ((?:CAL|W|K|D|T|V|X)-\d+) \| (.*) \| (.*) \| (.*) \|$", re.M)


@dataclass(frozen=True)
class Case:
    id: str
    facts: str
    answer: str
    source: str


def load() -> dict[str, Case]:
    text = CASES_FILE.read_text(encoding="utf-8")
    return {m.group(1): Case(m.group(1), *(part.strip() for part in m.groups()[1:])) for m in _ROW.finditer(text)}


CASES = load()


def on(day: str, hour: int = 10) -> datetime:
    """A moment of a business day (Asia/Shanghai), for `clock.frozen_at` and firing clocks."""
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=BUSINESS_TZ)
