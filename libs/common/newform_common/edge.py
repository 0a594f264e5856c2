"""Input no database can store, refused at the edge of every service with one rule.

PostgreSQL refuses a NUL character in text and jsonb, and a bigint holds −2^63 … 2^63−1; a request
carrying either used to pass validation and fail in the database as a 500. `EdgeGuardMiddleware`
answers 422 `unstorable-input` (RFC 9457) before any handler runs, for every service:

- a NUL (raw, or `\\u0000` in JSON) in the path, the query or the body of any text upload (JSON, JSON
  lines, CSV, form);
- an integer outside the 64-bit range in a JSON or JSON-lines body.

Why a middleware and not a validator per field: one place covers every string and integer field of
every service, present and future, including those a generator adds later.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote_to_bytes

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import PROBLEM_MEDIA_TYPE, Unprocessable
from .redaction import mask_id_numbers

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: A JSON `\u0000` escape not itself escaped (an odd run of backslashes before `u0000`).
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
#: A JSON number of 19 digits or more (after `:`, `[` or `,`): the only place a 64-bit overflow can be.
#: A pre-filter (a string holding ", 1234…" passes it too): the parse decides.
_LONG_NUMBER = re.compile(rb"[:\[,]\s*-?\d{19,}")
_CHECKED_METHODS = {"POST", "PUT", "PATCH"}


class _OutOfRange(ValueError):
    pass


def _int64(text: str) -> int:
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        raise _OutOfRange(text)
    return value


def unstorable(body: bytes, content_type: str) -> str | None:
    """Why the database could not store this body (None: nothing found)."""
    # `in` first: the regex has no literal prefix to search for and walks every byte of a 5 MB upload.
    if b"\x00" in body or (b"\\u0000" in body and _ESCAPED_NUL.search(body)):
        return "a NUL character (U+0000) cannot be stored in any field"
    if "json" in content_type and _LONG_NUMBER.search(body):  # no 19-digit number, no 64-bit overflow
        documents = body.splitlines() if "ndjson" in content_type or "jsonl" in content_type else [body]
        for document in documents:
            try:
                json.loads(document, parse_int=_int64)
            except _OutOfRange as exc:
                return f"the integer {str(exc)[:40]} is outside the 64-bit range (−2^63 … 2^63−1)"
            except ValueError:  # not JSON: the endpoint's own validation says what is wrong
                continue
    return None


class EdgeGuardMiddleware:
    """ASGI middleware: 422 for a path, query or body no service could store (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        raw_path = scope.get("raw_path") or scope["path"].encode()
        if b"\x00" in unquote_to_bytes(raw_path) or b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
            return await self._refuse(scope, receive, send, "a NUL character (U+0000) in the URL")
        if scope["method"] not in _CHECKED_METHODS:
            return await self.app(scope, receive, send)
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        content_type = dict(scope.get("headers") or []).get(b"content-type", b"").decode("latin-1").lower()
        reason = unstorable(body, content_type)
        if reason is not None:
            return await self._refuse(scope, receive, send, reason)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, reason: str) -> None:
        problem = Unprocessable(
            f"The request cannot be stored: {reason}. Nothing was changed.",
            title="Unstorable input",
            slug="unstorable-input",
        )
        path = mask_id_numbers(scope["path"].replace("\x00", "%00"))  # no ID number echoed (redaction.py)
        await JSONResponse(problem.body(path), status_code=problem.status, media_type=PROBLEM_MEDIA_TYPE)(
            scope, receive, send
        )
