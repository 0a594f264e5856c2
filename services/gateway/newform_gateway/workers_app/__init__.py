"""The workers' app (issue 21): `/app/` (the page), `/app/config.json` (sign-in and API bases) and
`/app/api/<service>/v1/...` (the same-origin pass-through to the services)."""

from fastapi import APIRouter

from . import passthrough, router

ROUTERS: list[APIRouter] = [router.router, passthrough.router]
open_client, close_client = router.open_client, router.close_client
