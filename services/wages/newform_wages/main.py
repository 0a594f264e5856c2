"""The wages service: `uvicorn newform_wages.main:create_app --factory --port 8002`."""

from __future__ import annotations

from fastapi import FastAPI

from newform_common.app import create_service_app
from newform_common.findings import findings_router

from . import events  # noqa: F401  (registers the event types)
from .config import Settings
from .router import router
from .safety.service import DEADLINE_HANDLERS as SAFETY_CLOCKS
from .statements.clocks import DEADLINE_HANDLERS
from .statements.service import rejudge_pending_premiums

DESCRIPTION = """Pay statements, working time, arrears and related-unit credit (M6, M7, M19, M20).

Platforms report pay statements (工资支付记录) and work sessions one by one or in batches of up to
10,000 lines (JSON lines, CSV with Chinese or English headers, or JSON); each line is checked alone
and each bad line gets its own error. Engagements come from contracts' events; a statement for an
engagement not known yet is kept (pending) and judged when the engagement arrives. Money is integer
fen; dates are Asia/Shanghai business dates. See services/wages/README.md and RULES.md.
"""

TAGS = [
    {"name": "statements", "description": "Pay statements, single and batch (M6)"},
    {"name": "sessions", "description": "Work sessions and working time across platforms (M7)"},
    {"name": "quotas", "description": "Labour quotas per post (M7)"},
    {
        "name": "related units",
        "description": "Agencies, outsourcers and franchisees that pay their own staff (M6, M19)",
    },
    {"name": "workers", "description": "A worker's reports of unpaid or short pay (M6)"},
    {"name": "findings", "description": "Breaches found in accepted facts"},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings=settings,
        title="newform wages",
        description=DESCRIPTION,
        routers=[router, findings_router()],
        openapi_tags=TAGS,
        deadline_handlers={**DEADLINE_HANDLERS, **SAFETY_CLOCKS},
        # a year's holiday schedule loaded: the premium questions that waited for it
        schedule_hooks=(rejudge_pending_premiums,),
    )
