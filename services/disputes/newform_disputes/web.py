"""The workers' page (M20's online complaint channel): one small mobile-first page in Simplified
Chinese, served by this service with no external assets. The page calls this service's JSON API
with the worker's bearer token (kept in the tab's sessionStorage, sent as a header — no cookie, so
no cross-site request can act for the worker)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

WEB = Path(__file__).parent / "web"
# Only this origin's own files; no inline script; no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


def _file(name: str, media_type: str) -> Response:
    return Response((WEB / name).read_bytes(), media_type=media_type, headers=SECURITY_HEADERS)


@router.get("/")
async def worker_page() -> Response:
    return _file("worker.html", "text/html; charset=utf-8")


@router.get("/static/worker.js")
async def worker_script() -> Response:
    return _file("worker.js", "text/javascript; charset=utf-8")


@router.get("/static/worker.css")
async def worker_style() -> Response:
    return _file("worker.css", "text/css; charset=utf-8")
