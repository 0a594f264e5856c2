"""The wages service: `uvicorn newform_wages.main:create_app --factory --port 8002`."""

from __future__ import annotations

from fastapi import FastAPI

from newform_common.app import create_service_app
from newform_common.findings import findings_router

from . import events  # noqa: F401  (registers the event types)
from .config import Settings
from .router import router
from .service import DEADLINE_HANDLERS

DESCRIPTION = """pay statements, working time, arrears and related-unit credit (M6, M7, M19, M20)"""

TAGS = [
    {"name": "findings", "description": "Breaches found in accepted facts"},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(settings=settings, title="newform wages", description=DESCRIPTION,
                              routers=[router, findings_router()], openapi_tags=TAGS,
                              deadline_handlers=DEADLINE_HANDLERS)
