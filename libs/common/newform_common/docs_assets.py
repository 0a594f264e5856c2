"""The API documentation pages (`/docs`: Swagger UI, `/redoc`: Redoc) with every asset served by the
service itself. FastAPI's defaults load their scripts from public CDNs and Google Fonts: on a
government network without internet the pages stay blank.

The files come from npm (`swagger-ui-dist`, `redoc`; `npm ci`, never committed), looked for in
`NEWFORM_DOCS_ASSETS_DIR` (a folder holding `swagger-ui-dist/` and `redoc/`, what the image copies),
then in the checkout's `node_modules`. Only the named files are served (no directory listing, no
traversal). Without them the pages say how to install them instead of loading from the internet.
"""

from __future__ import annotations

import html
import logging
import os
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse

from .errors import NotFound
from .fonts import CSS_PATH, FAMILY
from .version import repo_root

log = logging.getLogger(__name__)

ASSETS_PATH = "/docs-assets"
#: The files a page needs, by the name served: (package folder, file in it, media type).
FILES = {
    "swagger-ui-bundle.js": ("swagger-ui-dist", "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": ("swagger-ui-dist", "swagger-ui.css", "text/css"),
    "favicon-32x32.png": ("swagger-ui-dist", "favicon-32x32.png", "image/png"),
    "redoc.standalone.js": ("redoc", "bundles/redoc.standalone.js", "text/javascript"),
}


@lru_cache(maxsize=2)
def assets_dir() -> Path | None:
    candidates = []
    if os.environ.get("NEWFORM_DOCS_ASSETS_DIR"):
        candidates.append(Path(os.environ["NEWFORM_DOCS_ASSETS_DIR"]))
    root = repo_root()
    if root is not None:
        candidates.append(root / "node_modules")
    for candidate in candidates:
        if all((candidate / package / name).is_file() for package, name, _ in FILES.values()):
            return candidate
    return None


def _missing() -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><meta charset=utf-8><title>API documentation</title>"
        "<p>The documentation pages' files are not installed on this server (run <code>npm ci</code>, "
        "or set NEWFORM_DOCS_ASSETS_DIR). The API description itself is at "
        "<a href=/openapi.json>/openapi.json</a>.</p>",
        status_code=503,
    )


def mount_docs(app: FastAPI) -> None:
    """`/docs`, `/docs/oauth2-redirect`, `/redoc` and their files, for an app made with docs_url=None."""
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    async def swagger_ui() -> HTMLResponse:
        if assets_dir() is None:
            return _missing()
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @router.get("/docs/oauth2-redirect")
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @router.get("/redoc")
    async def redoc() -> HTMLResponse:
        if assets_dir() is None:
            return _missing()
        return get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{app.title} — API",
            redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
            with_google_fonts=False,
        )

    @router.get(ASSETS_PATH + "/{name}")
    async def asset(name: str) -> FileResponse:
        directory = assets_dir()
        if directory is None or name not in FILES:
            raise NotFound(f"No documentation file {name}")
        package, path, media_type = FILES[name]
        return FileResponse(
            directory / package / path, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
        )

    if assets_dir() is None:
        log.warning("swagger-ui-dist/redoc not found (npm ci, or NEWFORM_DOCS_ASSETS_DIR): /docs and /redoc say so")
    app.include_router(router)


#: The front page's look: the served Chinese font first (machines without a CJK font), a large link for workers.
FRONT_PAGE_STYLE = (
    f"body{{font:16px/1.6 '{FAMILY}',system-ui,sans-serif;margin:2rem auto;max-width:36rem;padding:0 1rem;"
    "color:#1a1a1a}a{color:#0b4f9c}a.main{display:block;padding:.9rem 1rem;margin:1rem 0;"
    "background:#0b4f9c;color:#fff;border-radius:.5rem;text-decoration:none;font-size:1.15rem}"
)


def mount_front_page(app: FastAPI, worker_app_url: str) -> None:
    """`/` for a service without a page of its own: in Chinese, where each kind of visitor goes. A
    worker who types a service's address is sent on to the one workers' app (issue 21) rather than
    left at an API; integrators get the API documents. Registered after the service's routers, so a
    service's own `/` (the gateway's dashboard) wins."""
    router = APIRouter(include_in_schema=False)
    title = html.escape(app.title)
    app_link = html.escape(worker_app_url, quote=True)

    @router.get("/", response_class=HTMLResponse)
    async def front_page() -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><html lang=zh-CN><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>{title}</title><link rel=stylesheet href='{CSS_PATH}'><style>{FRONT_PAGE_STYLE}</style>"
            f"<h1>{title}</h1>"
            f"<a class=main id=worker-app href='{app_link}'>"
            "劳动者请进入「劳动者服务」：合同、工资与工时、投诉与调解、技能培训</a>"
            "<p>平台企业与部门对接：<a href=/docs>接口文档</a>（<a href=/openapi.json>OpenAPI</a>，"
            "<a href=/asyncapi.json>AsyncAPI</a>）。</p>"
        )

    app.include_router(router)
