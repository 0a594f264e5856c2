"""The unions service's tables, and beside each aggregate's table its states as a `StrEnum` with
the allowed transitions as data (`ALLOWED: dict[State, frozenset[State]]`). The common tables
(outbox, inbox, idempotency keys, findings, deadlines) come from libs/common's migration branch."""

from __future__ import annotations

from newform_common.db import service_base

ServiceModel = service_base()
