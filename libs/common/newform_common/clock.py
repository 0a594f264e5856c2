"""The one clock every service asks: `now()` (aware, UTC) and `today()` (the Asia/Shanghai business date).

Why a module and not `datetime.now()` at each call: legal judgement depends on "today" (a clock due,
the measures lapsed, a year without a holiday schedule), and the suite must be able to stand on
2026-12-29 or 2027-03-01 and see what a user would see then. `frozen_at(moment)` (tests) moves the
whole process's clock; outside it, the real time. `NEWFORM_FAKE_NOW` (an RFC 3339 time with offset)
does the same for a whole process, for a demonstration stack; it is refused outside development.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone

BUSINESS_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

_offset: timedelta | None = None


def _env_offset() -> timedelta | None:
    fake = os.environ.get("NEWFORM_FAKE_NOW")
    if not fake:
        return None
    if os.environ.get("NEWFORM_DEV") not in ("1", "true", "yes"):
        raise RuntimeError("NEWFORM_FAKE_NOW is for development stacks only (set NEWFORM_DEV=1)")
    moment = datetime.fromisoformat(fake)
    if moment.tzinfo is None:
        raise ValueError("NEWFORM_FAKE_NOW needs an offset, e.g. 2026-12-29T09:00:00+08:00")
    return moment - datetime.now(UTC)


_offset = _env_offset()


def now() -> datetime:
    """The current time, aware (UTC); moved by `frozen_at` or NEWFORM_FAKE_NOW."""
    real = datetime.now(UTC)
    return real + _offset if _offset is not None else real


def today() -> date:
    """Today's business date in Asia/Shanghai."""
    return now().astimezone(BUSINESS_TZ).date()


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Within the block the process's clock reads `moment` (and runs on from it). For tests."""
    global _offset
    if moment.tzinfo is None:
        raise ValueError("frozen_at needs an aware datetime")
    previous, _offset = _offset, moment - datetime.now(UTC)
    try:
        yield
    finally:
        _offset = previous
