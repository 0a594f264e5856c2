"""The gateway's routers, in the order they are mounted: the published OpenAPI document lists paths in
this order, so it is kept exactly (overview, alerts, platforms, enterprises, workers, credit records,
webhooks, tokens, the source slices' routes, credit listings and exports, then the calendar); the
dashboard's pages after them."""

from __future__ import annotations

from fastapi import APIRouter

from . import calendar_view, slices
from .alerts import page as alerts_page
from .alerts import router as alerts_router
from .credit import router as credit_router
from .measures import page as measures_page
from .measures import router as measures_router
from .overview import page as overview_page
from .overview import router as overview_router
from .platforms import page as platforms_page
from .platforms import router as platforms_router
from .tokens import token_router
from .web import signin
from .webhooks import router as webhooks_router

API_ROUTERS: list[APIRouter] = [
    overview_router.router,  # /v1/overview
    alerts_router.router,  # /v1/alerts…
    platforms_router.router,  # /v1/platforms…
    slices.CONTRACTS.router,  # /v1/enterprises
    overview_router.workers_router,  # /v1/workers/{worker_id}/timeline
    credit_router.records_router,  # /v1/credit-records
    webhooks_router.router,  # /v1/webhooks…
    token_router,  # /oauth/token
    *slices.api_routers(),  # /v1/disputes…, /v1/training…, /v1/wages…, /v1/department-facts…
    credit_router.router,  # /v1/credit-listings…, /v1/credit-exports, /v1/credit-records/{record_id}/end
    measures_router.router,  # /v1/measures
]

PAGE_ROUTERS: list[APIRouter] = [
    signin.router,  # /signin (the identity provider, or a pasted token in development), /signout
    overview_page.page_router,  # /, /workers
    alerts_page.page_router,  # /alerts and its forms
    platforms_page.page_router,  # /platforms
    *slices.page_routers(),  # /disputes, /training, /wages, /departments
    measures_page.page_router,  # /measures
]

ROUTERS: list[APIRouter] = [*API_ROUTERS, *PAGE_ROUTERS, *calendar_view.routers]

OPENAPI_TAGS = [
    {"name": "overview", "description": "City-wide counts and trends"},
    {"name": "alerts", "description": "Alerts from findings, routed to the responsible departments (M16, M20)"},
    {"name": "platforms", "description": "Platforms, enterprises and scorecards"},
    {"name": "workers", "description": "Pseudonymous worker timelines"},
    {"name": "credit", "description": "Credit records (M6, M19)"},
    {
        "name": "webhooks",
        "description": "Alerts pushed to a URL, signed (Standard Webhooks): departments get the "
        "alerts routed to them, platforms the alerts about them; managed, "
        "with a delivery log and redelivery, by the subscriber",
    },
    {"name": "wages", "description": "Pay compliance, arrears and working time (M6, M7), from the wages service"},
    {"name": "disputes", "description": "Complaints, mediation and arbitration figures; escalations (M10, M18, M20)"},
    {"name": "measures", "description": "Which measures (M1–M20) the system implements, where, and where it points"},
]
