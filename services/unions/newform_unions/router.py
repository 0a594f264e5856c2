"""HTTP only: the aggregates' routers in a fixed order (the OpenAPI document's order)."""

from __future__ import annotations

from fastapi import APIRouter

from .collective_contracts.router import router as collective_contracts
from .consultations.router import router as consultations
from .membership.router import router as membership
from .organisations.router import router as organisations

router = APIRouter(prefix="/v1")
for part in (organisations, membership, consultations, collective_contracts):
    router.include_router(part)
