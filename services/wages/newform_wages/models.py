"""The wages service's tables (the common ones — outbox, inbox, idempotency keys, findings,
deadlines — come from libs/common's migration branch)."""

from __future__ import annotations

from newform_common.db import service_base

ServiceModel = service_base()
