"""A Chinese web font served by the service itself, so pages render Chinese on machines without a CJK
font (government networks are often offline: no CDN).

Noto Sans SC (SIL Open Font License) comes from npm's `@fontsource/noto-sans-sc`, fetched by the
build (`npm ci`; the Docker image copies the regular and bold woff2 files), never committed. Its
~100 woff2 slices each cover a `unicode-range`, so a browser downloads only the slices holding
the characters a page uses (a few hundred KB for a dashboard page, not the 8 MB of the family).

Every service serves `GET /fonts/noto-sans-sc.css` (the @font-face rules, pointing here) and
`GET /fonts/noto-sans-sc/<slice>.woff2`; a page links the CSS and names `"Noto Sans SC"` first in
its `font-family`. The files are looked for in `NEWFORM_FONT_DIR`, then in the checkout's
`node_modules/@fontsource/noto-sans-sc`. Without them the CSS is empty (pages fall back to the
system's fonts) and a warning is logged.
"""

from __future__ import annotations

import logging
import os
import re
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, Response

from .errors import NotFound
from .version import repo_root

log = logging.getLogger(__name__)

FAMILY = "Noto Sans SC"
CSS_PATH = "/fonts/noto-sans-sc.css"
FILES_PATH = "/fonts/noto-sans-sc"
WEIGHTS = (400, 700)
_SLICE = re.compile(r"^noto-sans-sc-[0-9a-z]+-(400|700)-normal\.woff2$")
_URLS = re.compile(r"src: url\(\./files/([^)]+\.woff2)\) format\('woff2'\)(, url\([^)]+\) format\('woff'\))?;")


def font_dir() -> Path | None:
    candidates = []
    if os.environ.get("NEWFORM_FONT_DIR"):
        candidates.append(Path(os.environ["NEWFORM_FONT_DIR"]))
    root = repo_root()
    if root is not None:
        candidates.append(root / "node_modules" / "@fontsource" / "noto-sans-sc")
    for candidate in candidates:
        if all((candidate / f"{w}.css").exists() for w in WEIGHTS) and (candidate / "files").is_dir():
            return candidate
    return None


@lru_cache(maxsize=4)
def stylesheet(directory: Path | None) -> str:
    """The @font-face rules of the served weights, woff2 only, with URLs under FILES_PATH."""
    if directory is None:
        return f"/* {FAMILY} is not installed on this server (npm ci, or NEWFORM_FONT_DIR): system fonts apply */\n"
    parts = []
    for weight in WEIGHTS:
        css = (directory / f"{weight}.css").read_text()
        parts.append(_URLS.sub(lambda m: f"src: url({FILES_PATH}/{m.group(1)}) format('woff2');", css))
    return "".join(parts)


font_router = APIRouter(include_in_schema=False)


@font_router.get(CSS_PATH)
async def font_stylesheet() -> Response:
    return Response(
        stylesheet(font_dir()), media_type="text/css; charset=utf-8", headers={"Cache-Control": "public, max-age=86400"}
    )


@font_router.get(FILES_PATH + "/{name}")
async def font_slice(name: str) -> FileResponse:
    directory = font_dir()
    # Only the slice names of the served weights: no other file of the folder, no path traversal.
    if directory is None or not _SLICE.match(name) or not (directory / "files" / name).is_file():
        raise NotFound(f"No font file {name}")
    return FileResponse(
        directory / "files" / name,
        media_type="font/woff2",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


def mount_fonts(app: FastAPI) -> None:
    if font_dir() is None:
        log.warning("%s not found (run `npm ci`, or set NEWFORM_FONT_DIR): pages use the system's fonts", FAMILY)
    app.include_router(font_router)
