"""What the aggregates' use cases share: the process clock and the refusal of a bad identifier.

One clock for every use case (`shared.now()`, `shared.today()`, called through the module): a test stands
the whole service on another day with `monkeypatch.setattr(shared, "today", ...)`, as it did when every
use case was in one module."""

from __future__ import annotations

from datetime import date, datetime

from newform_common import clock
from newform_common.errors import Unprocessable
from newform_common.identity import InvalidIdentifier


def now() -> datetime:
    return clock.now()  # the one process clock (tests can stand on another day)


def today() -> date:
    return clock.today()  # the business date (Asia/Shanghai) of the one process clock


def invalid_identifier(exc: InvalidIdentifier) -> Unprocessable:
    """A credit code, ID number or mobile number that fails its check, as a 422 naming the field."""
    return Unprocessable(
        str(exc), slug="invalid-identifier", errors=[{"loc": ["body", exc.field], "msg": str(exc), "type": exc.reason}]
    )
