"""The training service: `uvicorn newform_training.main:create_app --factory --port 8004`."""

from __future__ import annotations

from fastapi import FastAPI

from newform_common.app import create_service_app
from newform_common.findings import findings_router

from . import events  # noqa: F401  (registers the event types)
from .config import Settings
from .router import router
from .service import DEADLINE_HANDLERS

DESCRIPTION = """Skills training for new-form workers (宁政办〔2022〕41号 M13): training providers and recognised
certification bodies, courses and enrolment, certificates verifiable by number, and subsidy claims —
by the worker, or by the enterprise that trained them (paid directly to it) — checked against the
policy and paid once to the right party, within each district's yearly budget. Every state change is
published on `training.events`."""

TAGS = [
    {"name": "providers", "description": "Training providers and recognised certification bodies"},
    {"name": "courses", "description": "Courses and enrolment"},
    {"name": "certificates", "description": "Skill-level certificates, verifiable by number"},
    {"name": "claims", "description": "Subsidy claims: submitted, reviewed by hrss, paid once to the right party"},
    {"name": "budgets", "description": "Yearly subsidy budgets per district"},
    {"name": "findings", "description": "Suspicious patterns raised for hrss (M13)"},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    return create_service_app(
        settings=settings,
        title="newform training",
        description=DESCRIPTION,
        routers=[router, findings_router()],
        openapi_tags=TAGS,
        deadline_handlers=DEADLINE_HANDLERS,
    )
