"""The service's HTTP API: every aggregate's router, in the order the published document lists them
(tags and paths keep their order, so the OpenAPI document stays the same byte for byte)."""

from __future__ import annotations

from fastapi import APIRouter

from .audit.router import router as audit
from .classification.router import router as classification
from .contracts.router import router as contracts
from .enterprises.router import router as enterprises
from .reports.router import router as reports
from .restrictions.router import router as restrictions
from .rules_register.router import router as rules_register
from .safety.router import router as safety
from .workers.router import router as workers

router = APIRouter()
AGGREGATES = (enterprises, workers, classification, contracts, restrictions, rules_register, reports, audit, safety)
for aggregate in AGGREGATES:
    router.include_router(aggregate)
