"""The service's HTTP routes: each aggregate's router (each under `/v1` itself, so a route's own path —
the operation an idempotency key is scoped to — is its full path), in the order the published
document lists them (complaints, roster, cases, arbitration)."""

from __future__ import annotations

from fastapi import APIRouter

from .arbitration.router import router as arbitration_router
from .cases.router import router as cases_router
from .complaints.router import router as complaints_router
from .roster.router import router as roster_router

router = APIRouter()
for aggregate in (complaints_router, roster_router, cases_router, arbitration_router):
    router.include_router(aggregate)
