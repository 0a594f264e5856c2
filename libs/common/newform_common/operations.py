"""The operations routes every service serves (health, readiness, metrics, its keys, its events'
AsyncAPI document), and the figures readiness reports: the measures in force, the calendar."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from . import calendar, schedules
from . import policy as policy_module
from .auth import TokenVerifier
from .events import asyncapi_document
from .kafka import kafka_reachable
from .policy import Policy, PolicyNotInForce, get_policy
from .settings import ServiceSettings


def policy_check(on: date | None = None) -> tuple[bool, str]:
    """Whether the municipal measures apply today and for how long; the operator's early warning.

    Still ok once they have lapsed without a successor (the service serves every request: facts are
    judged under the laws in force, rules resting only on the measures provisionally); the message
    and ``measures_state`` say so. Not ok (``degraded``) only when no version of them applies at all."""
    policy = get_policy()
    on = on or policy_module.business_today()
    try:
        status = policy.measures_status(on)
    except PolicyNotInForce as exc:
        return False, f"no municipal measures apply today: {exc}"
    v = status.version
    if status.provisional:
        return True, (
            f"the measures {v.document} ({v.id}) lapsed after {v.valid_until.isoformat()}; rules resting "
            "only on them run provisionally until the successor is loaded (NEWFORM_POLICY_DIR)"
        )
    return True, f"{v.id} in force; the measures expire in {policy_days_remaining(policy, on)} days"


def measures_state(on: date | None = None) -> dict[str, Any]:
    """The measures for /readyz: version applied, whether lapsed and since when (machine-readable)."""
    on = on or policy_module.business_today()
    try:
        status = get_policy().measures_status(on)
    except PolicyNotInForce:
        return {"version": None, "lapsed": False, "provisional": False}
    v = status.version
    return {
        "version": v.id,
        "document": v.document,
        "valid_until": v.valid_until.isoformat(),
        "lapsed": status.provisional,
        "provisional": status.provisional,
    }


def policy_days_remaining(policy: Policy | None = None, on: date | None = None) -> int:
    """Days until the measures' last loaded version lapses (negative: lapsed that many days ago)."""
    policy = policy or get_policy()
    on = on or policy_module.business_today()
    series = policy.measures_series
    versions = policy.series()[series] if series else policy.versions()
    return (max(v.valid_until for v in versions) - on).days


class JsonWebKey(BaseModel):
    kty: str = Field(description="OKP")
    crv: str = Field(description="Ed25519")
    x: str = Field(description="The public key, base64url")
    kid: str = Field(description="Key id: the RFC 7638 thumbprint, as in a token's `kid` header")
    alg: str = "EdDSA"
    use: str = "sig"


class JsonWebKeySet(BaseModel):
    keys: list[JsonWebKey]


def operations_router(settings: ServiceSettings, version: str) -> APIRouter:
    """Health, readiness, metrics, JWKS and AsyncAPI: the same five routes in every service."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @router.get(
        "/readyz",
        summary="Readiness: database reachable; Kafka reported",
        responses={503: {"description": "The database is unreachable"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        return await readiness(request, settings)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics_endpoint() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @router.get(
        "/.well-known/jwks.json",
        response_model=JsonWebKeySet,
        summary="The public keys that verify bearer tokens here (JWKS, RFC 7517), by key id",
    )
    async def jwks(request: Request) -> dict[str, Any]:
        verifier: TokenVerifier = request.app.state.token_verifier
        return verifier.jwks()

    @router.get("/asyncapi.json", summary="AsyncAPI 3.0 document of this service's events")
    async def asyncapi() -> dict[str, Any]:
        return asyncapi_document(settings.service_name, version=version)

    return router


async def readiness(request: Request, settings: ServiceSettings) -> JSONResponse:
    """Only the database gates readiness: with Kafka down, writes still commit to the outbox and are
    published later, so taking the service out of rotation would lose availability for nothing.
    Kafka's state is reported for operators and alerting. The calendar never makes a service unready:
    without a year's schedule it answers provisionally; its state is an early warning for the operator
    (60 days before the schedules run out)."""
    checks: dict[str, str] = {}
    try:
        await request.app.state.db.ping()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; the reason is for the operator
        checks["database"] = f"unreachable: {type(exc).__name__}"
    kafka_ok = await kafka_reachable(settings.kafka_bootstrap_servers)
    checks["kafka"] = "ok" if kafka_ok else "unreachable (events wait in the outbox)"
    policy_ok, checks["policy"] = policy_check()
    calendar_ok, checks["calendar"] = schedules.coverage_check()
    covered_until, days_left = calendar.coverage()
    ready = checks["database"] == "ok"
    status = "ready" if ready and kafka_ok and policy_ok else ("degraded" if ready else "not ready")
    return JSONResponse(
        {
            "status": status,
            "checks": checks,
            "measures": measures_state(),
            "calendar": {
                "covered_until": covered_until.isoformat(),
                "days_left": days_left,
                "warning": not calendar_ok,
            },
        },
        status_code=200 if ready else 503,
    )
