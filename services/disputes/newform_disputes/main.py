"""The disputes service: `uvicorn newform_disputes.main:create_app --factory --port 8003`."""

from __future__ import annotations

from fastapi import FastAPI

from newform_common.app import create_service_app
from newform_common.findings import findings_router

from . import events  # noqa: F401  (registers the event types)
from .config import Settings
from .handlers import DEADLINE_HANDLERS
from .router import router
from .web import router as web_router

DESCRIPTION = """Complaints (M10, M20), mediation with a roster of invited mediators, arbitration and
court referral (M18), with the legal clocks as durable deadlines: the reply time, the mediation
limit, agreement fulfilment, arbitration acceptance and the award limit. Workers sign in with a
worker token; the page at `/` is their online complaint channel."""

TAGS = [
    {"name": "complaints", "description": "A worker's complaint, the platform's answer, acceptance or escalation"},
    {"name": "roster", "description": "Invited mediators (court, union, HRSS, people's mediation)"},
    {"name": "cases", "description": "Mediation: acceptance, mediator, sessions, outcome, fulfilment"},
    {"name": "arbitration", "description": "Arbitration and court referral: acceptance, award limit, suspension"},
    {"name": "findings", "description": "Breaches found in accepted facts and clocks run out"},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    return create_service_app(
        settings=settings,
        title="newform disputes",
        description=DESCRIPTION,
        routers=[router, findings_router(), web_router],
        openapi_tags=TAGS,
        deadline_handlers=DEADLINE_HANDLERS,
    )
