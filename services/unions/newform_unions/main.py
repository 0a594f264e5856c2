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

DESCRIPTION = "union branches, online membership, consultation on platform rules, collective contracts (M17, M10)"

TAGS = [
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
