"""Bulk uploads to the wages service: pay statements and work sessions as CSV or JSON lines.

Hand-written because generators drop them: `POST /v1/statements/batches` and `/v1/sessions/batches`
take a raw `text/csv` or `application/x-ndjson` body (up to 10,000 lines), which
openapi-python-client cannot express (it keeps the `application/json` variant only).

    from newform_sdk.wages import AuthenticatedClient
    from newform_sdk import bulk

    client = AuthenticatedClient("http://127.0.0.1:8002", token=PLATFORM_TOKEN)
    batch = bulk.upload_statements(client, Path("march.csv"))              # format from the suffix
    batch = bulk.upload_sessions(client, [{"line_id": "s-1", ...}, ...])   # dicts → JSON lines
    for error in batch["errors"]:                                          # each bad line its own error
        print(error["line"], error["field"], error["message"])

The answer is the service's `BatchPublic` as a dict (`accepted`, `duplicates`, `rejected`,
`pending`, `errors`, …). A request the service refuses as a whole (401, 413 over 10,000 lines, 415,
422 …) raises `BulkUploadError` carrying the RFC 9457 problem. Lines are identified by `line_id`:
re-sending a line already stored is a duplicate, never a second record; pass `idempotency_key` to
replay a whole upload safely (the same key answers with the first batch).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import httpx

Format = Literal["csv", "jsonl"]
CONTENT_TYPES: dict[str, str] = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
SUFFIXES: dict[str, str] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
PATHS = {"statements": "/v1/statements/batches", "sessions": "/v1/sessions/batches"}
#: The service's limit per upload (more is refused with 413).
MAX_LINES = 10_000

Lines = str | bytes | os.PathLike | Iterable[Mapping[str, Any]]


class BulkUploadError(Exception):
    """The service refused the upload as a whole; `problem` is its RFC 9457 body."""

    def __init__(self, status: int, problem: dict[str, Any]):
        self.status = status
        self.problem = problem
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail') or problem.get('type', '')}")


def _json_default(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode(lines: Lines, format: Format | None = None) -> tuple[bytes, str]:
    """The body and Content-Type for `lines`: a file path (format from its suffix), CSV or JSON-lines
    text (format given, or guessed: a first line starting with `{` is JSON lines), or dicts (JSON lines)."""
    if isinstance(lines, os.PathLike):
        path = Path(lines)
        format = format or SUFFIXES.get(path.suffix.lower())
        if format is None:
            raise ValueError(f"{path.name}: say format='csv' or 'jsonl' (suffix not .csv/.jsonl/.ndjson)")
        body = path.read_bytes()
    elif isinstance(lines, str | bytes):
        body = lines.encode() if isinstance(lines, str) else lines
        if format is None:
            first = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
            format = "jsonl" if first == b"{" else "csv"
    else:
        if format not in (None, "jsonl"):
            raise ValueError("records are sent as JSON lines; pass text or a file for CSV")
        format = "jsonl"
        body = "".join(json.dumps(dict(line), ensure_ascii=False, default=_json_default) + "\n"
                       for line in lines).encode()
    if format not in CONTENT_TYPES:
        raise ValueError(f"format must be one of {sorted(CONTENT_TYPES)}, not {format!r}")
    return body, CONTENT_TYPES[format]


def _headers(content_type: str, idempotency_key: str | None, request_id: str | None) -> dict[str, str]:
    headers = {"Content-Type": content_type, "Accept": "application/json"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    if request_id:
        headers["X-Request-ID"] = request_id
    return headers


def _answer(response: httpx.Response) -> dict[str, Any]:
    if response.status_code in (200, 201):
        return response.json()
    try:
        problem = response.json()
    except ValueError:
        problem = {"status": response.status_code, "title": response.reason_phrase, "detail": response.text[:500]}
    raise BulkUploadError(response.status_code, problem if isinstance(problem, dict) else {"detail": problem})


def _sync(client: Any) -> httpx.Client:
    """A generated `Client`/`AuthenticatedClient` (base URL and token set) or an `httpx.Client`."""
    return client if isinstance(client, httpx.Client) else client.get_httpx_client()


def _async(client: Any) -> httpx.AsyncClient:
    return client if isinstance(client, httpx.AsyncClient) else client.get_async_httpx_client()


def _upload(kind: str, client: Any, lines: Lines, format: Format | None, idempotency_key: str | None,
            request_id: str | None) -> dict[str, Any]:
    body, content_type = encode(lines, format)
    return _answer(_sync(client).post(PATHS[kind], content=body,
                                      headers=_headers(content_type, idempotency_key, request_id)))


async def _upload_async(kind: str, client: Any, lines: Lines, format: Format | None, idempotency_key: str | None,
                        request_id: str | None) -> dict[str, Any]:
    body, content_type = encode(lines, format)
    response = await _async(client).post(PATHS[kind], content=body,
                                         headers=_headers(content_type, idempotency_key, request_id))
    return _answer(response)


def upload_statements(client: Any, lines: Lines, *, format: Format | None = None, idempotency_key: str | None = None,
                      request_id: str | None = None) -> dict[str, Any]:
    """Upload pay statements (`StatementIn` per line); the batch's counts and per-line errors."""
    return _upload("statements", client, lines, format, idempotency_key, request_id)


def upload_sessions(client: Any, lines: Lines, *, format: Format | None = None, idempotency_key: str | None = None,
                    request_id: str | None = None) -> dict[str, Any]:
    """Upload work sessions (`SessionIn` per line); the batch's counts and per-line errors."""
    return _upload("sessions", client, lines, format, idempotency_key, request_id)


async def upload_statements_async(client: Any, lines: Lines, *, format: Format | None = None,
                                  idempotency_key: str | None = None, request_id: str | None = None) -> dict[str, Any]:
    return await _upload_async("statements", client, lines, format, idempotency_key, request_id)


async def upload_sessions_async(client: Any, lines: Lines, *, format: Format | None = None,
                                idempotency_key: str | None = None, request_id: str | None = None) -> dict[str, Any]:
    return await _upload_async("sessions", client, lines, format, idempotency_key, request_id)


def get_batch(client: Any, batch_id: str) -> dict[str, Any]:
    """A batch again, by id (`GET /v1/batches/{batch_id}`)."""
    return _answer(_sync(client).get(f"/v1/batches/{batch_id}", headers={"Accept": "application/json"}))
