"""The unions service: `uvicorn newform_unions.main:create_app --factory --port 8006`.

The consumers of the topics its registry line names are built by the kit (`newform_common.wiring`)
from `handlers.py`: nothing to wire here.
"""

from __future__ import annotations

from fastapi import FastAPI

from newform_common.app import create_service_app
from newform_common.findings import findings_router

from . import events  # noqa: F401  (registers the event types)
from .config import Settings
from .router import router
from .service import DEADLINE_HANDLERS

DESCRIPTION = """Trade unions for new-form workers (宁政办〔2022〕41号 M17, M10): union organisations (单独建会,
联合建会, 行业建会, 区域建会) kept by the union department; online membership (互联网+工会), one membership per
person at a time, counted (never listed) for platforms; the union's consultation on platforms' rules and
algorithms, with the platform's reply on a clock (劳动合同法 art. 4); collective contracts with structured
terms, submitted to hrss within 10 days of signing and in force unless hrss objects within 15 days of
receipt (劳动合同法 art. 54; 集体合同规定 arts. 42, 47). Every state change is published on `unions.events`."""

TAGS = [
    {"name": "unions", "description": "Union organisations and what they cover"},
    {"name": "membership", "description": "Online membership, transfers, and coverage per platform"},
    {"name": "consultations", "description": "Consultation on platform rules and algorithms (M10)"},
    {
        "name": "collective contracts",
        "description": "Collective contracts: signed, submitted, reviewed by hrss, in force",
    },
    {"name": "findings", "description": "Breaches found in accepted facts"},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings=settings,
        title="newform unions",
        description=DESCRIPTION,
        routers=[router, findings_router()],
        openapi_tags=TAGS,
        deadline_handlers=DEADLINE_HANDLERS,
    )
