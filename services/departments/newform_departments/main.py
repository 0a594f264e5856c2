"""The departments service: `uvicorn newform_departments.main:create_app --factory --port 8005`."""

from __future__ import annotations

from fastapi import FastAPI

from newform_common.app import create_service_app
from newform_common.findings import findings_router

from . import events  # noqa: F401  (registers the event types)
from .adapters import PullScheduler
from .config import Settings
from .notices.router import router as notices_router
from .router import pii_of, router
from .service import DEADLINE_HANDLERS as FACT_CLOCKS
from .stations.router import router as stations_router
from .stations.service import DEADLINE_HANDLERS as STATION_CLOCKS

DESCRIPTION = """The facts that decide many findings are held by government departments, not by platforms:
whether a worker is enrolled in work-injury insurance (M9), whether a dispatch agency's licence is valid and
an enterprise registered and qualified (M3), how a labour inspection, an arbitration or a lawsuit ended
(M18, M20). Departments state them here with their own tokens, each only what its registry holds; every
fact carries its source department, reference number and time, is idempotent under its natural key and is
published on `departments.events`, where the judging services use it in place of a platform's declaration.
Every department write and every read is audited."""

TAGS = [
    {"name": "insurance-enrolments", "description": "Social-insurance enrolment per worker and type (hrss, medins)"},
    {"name": "dispatch-licences", "description": "Labour-dispatch licences (hrss)"},
    {"name": "enterprise-records", "description": "Enterprise registration status and qualification (market)"},
    {"name": "inspection-results", "description": "Labour-inspection results on arrears and overtime (hrss)"},
    {"name": "case-outcomes", "description": "Arbitration (hrss) and court (court) outcomes"},
    {"name": "facts", "description": "Reading verified facts (audited)"},
    {"name": "audit", "description": "Who wrote or read what, when and why"},
    {"name": "pull sources", "description": "Departments' systems the service pulls facts from"},
    {"name": "rest-stations", "description": "Rest stations for outdoor workers (M14): registry, near me, reports"},
    {
        "name": "notices",
        "description": "Notices for workers: employment services (M11), insurance (M12), schooling and culture (M15)",
    },
    {"name": "findings", "description": "Breaches found in accepted facts"},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    async def on_startup(app: FastAPI) -> None:
        app.state.pull = PullScheduler(app.state.db, pii_of(settings.pii_secret), settings.pull_sources)
        await app.state.pull.start()

    async def on_shutdown(app: FastAPI) -> None:
        await app.state.pull.stop()

    return create_service_app(
        settings=settings,
        title="newform departments",
        description=DESCRIPTION,
        routers=[router, stations_router, notices_router, findings_router()],
        openapi_tags=TAGS,
        deadline_handlers={**FACT_CLOCKS, **STATION_CLOCKS},
        on_startup=on_startup,
        on_shutdown=on_shutdown,
    )
