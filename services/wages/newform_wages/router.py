"""The service's routes: each aggregate's router, its operations listed in the order the published API
document has always listed them (`api/openapi/wages.json` keeps the order its routes are added in)."""

from __future__ import annotations

from fastapi import APIRouter

from .batches.router import router as batches
from .quotas.router import router as quotas
from .related_units.router import router as related_units
from .sessions.router import router as sessions
from .statements.router import router as statements

#: Operation ids (endpoint function names) in the published order.
PUBLISHED_ORDER = (
    "upload_statements",
    "upload_sessions",
    "get_batch",
    "create_statement",
    "list_statements",
    "get_statement",
    "record_payment",
    "create_session",
    "list_sessions",
    "worker_hours",
    "declare_quota",
    "assess_quota",
    "register_related_unit",
    "list_related_units",
    "get_early_warnings",
    "report_pay",
)


def _in_published_order(*routers: APIRouter) -> APIRouter:
    routes = {route.name: route for r in routers for route in r.routes}
    if set(routes) != set(PUBLISHED_ORDER):
        raise RuntimeError(f"routes and PUBLISHED_ORDER differ: {sorted(set(routes) ^ set(PUBLISHED_ORDER))}")
    combined = APIRouter()
    combined.routes.extend(routes[name] for name in PUBLISHED_ORDER)
    return combined


router = _in_published_order(statements, sessions, batches, quotas, related_units)
