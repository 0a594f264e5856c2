"""The contracts service: `uvicorn newform_contracts.main:create_app --factory --port 8001`."""

from __future__ import annotations

from fastapi import FastAPI

from newform_common.app import create_service_app
from newform_common.findings import findings_router

from . import events  # noqa: F401  (registers the event types)
from .config import Settings
from .contracts.evidence import Sealer
from .contracts.service import DEADLINE_HANDLERS as CONTRACT_CLOCKS
from .pii import Pii
from .router import router
from .safety.service import DEADLINE_HANDLERS as SAFETY_CLOCKS
from .verified.service import DEADLINE_HANDLERS as VERIFIED_CLOCKS

DESCRIPTION = """Where platform backends declare who works for them and on what terms (宁政办〔2022〕41号 M1–M5,
M8, M9, M10): platforms and their cooperating enterprises, workers (pseudonymous, personal data encrypted and
masked), engagement classification, contracts and agreements with sealed signature evidence, account
restrictions, the rule and algorithm register, and the employment report. Forbidden clauses are refused
with a problem naming the measure and rule; other breaches are accepted and raised as findings
(`contracts.finding.raised.v1`). Every state change is published on `contracts.events`."""

TAGS = [
    {"name": "enterprises", "description": "Platforms (registered by the regulator) and their partners (M3)"},
    {"name": "workers", "description": "Worker registrations; personal data encrypted, masked, audited when revealed"},
    {"name": "classification", "description": "Engagement type from the facts (M1, M2)"},
    {"name": "contracts", "description": "Contracts and agreements: draft → sent → signed → terminated | expired"},
    {"name": "signatures", "description": "Signatures and their sealed evidence (M4)"},
    {"name": "account restrictions", "description": "Restricting or cancelling a registration (M5)"},
    {"name": "rule register", "description": "Rules and algorithms, every version, consultation (M10)"},
    {"name": "reports", "description": "Employment report for HRSS (M4, M19)"},
    {"name": "bad weather", "description": "Warnings from the emergency department, platforms' responses (M8)"},
    {"name": "findings", "description": "Breaches found in accepted facts"},
    {"name": "audit", "description": "Reads of unmasked personal data"},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(
        settings=settings,
        title="newform contracts",
        description=DESCRIPTION,
        routers=[router, findings_router()],
        openapi_tags=TAGS,
        deadline_handlers={**CONTRACT_CLOCKS, **VERIFIED_CLOCKS, **SAFETY_CLOCKS},
    )
    app.state.pii = Pii(settings.pii_secret)
    app.state.sealer = Sealer(settings.signing_private_key())
    return app
