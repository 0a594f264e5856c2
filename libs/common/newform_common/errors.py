"""RFC 9457 problem details, for every error a service returns.

Raise `Problem` (or a subclass) anywhere; handlers turn it, HTTP errors, validation errors and
unexpected exceptions into `application/problem+json`. A policy violation names its measure and
rule. Unexpected exceptions become a bare 500 problem: no stack trace leaves the service.
"""

from __future__ import annotations

import logging
from typing import Any

from asyncpg.exceptions import CannotConnectNowError, DeadlockDetectedError, LockNotAvailableError, SerializationError
from asyncpg.exceptions import DataError as AsyncpgDataError
from asyncpg.exceptions import InterfaceError as AsyncpgInterfaceError
from asyncpg.exceptions import PostgresConnectionError as AsyncpgConnectionError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DataError as SQLDataError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from .policy import PolicyNotInForce
from .redaction import mask_id_numbers

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
# A problem's `type` is a relative URI reference, `/problems/<slug>` (RFC 9457 §3.1.1 allows it: it is
# resolved against the request's URI). Why not the absolute URI on the government domain it used to be:
# nothing served that domain, so the type led nowhere; every service serves the whole catalogue at its
# own `/problems/{slug}` (see `problem_types`), and each API has a host of its own in the ingress, so the
# resolved type is a page that exists wherever the API is reached (production host, local port, a test
# server) with no gateway route to keep in step. Clients match on the slug (the path's last segment),
# which is the same from every service.
TYPE_BASE = "/problems/"


class ProblemDetail(BaseModel):
    """The body of every error response (RFC 9457)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "type": TYPE_BASE + "policy-violation",
                "title": "Policy violation",
                "status": 422,
                "detail": "A deposit may not be charged to the worker",
                "measure": "M5",
                "rule": "M5.no_deposit",
            }
        },
    )

    type: str = Field(
        description="The problem type: a URI reference, `/problems/<slug>`, resolved against the "
        "request's URI; GET it for what the type means (`GET /problems` lists them all)"
    )
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    measure: str | None = Field(None, description="The policy measure (M1–M20) a violation breaks")
    rule: str | None = Field(None, description="The rule id within that measure")
    errors: list[dict[str, Any]] | None = Field(None, description="Field errors, for validation problems")


class Problem(Exception):
    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        status: int | None = None,
        title: str | None = None,
        slug: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail or self.title)
        self.detail = detail
        if status is not None:
            self.status = status
        if title is not None:
            self.title = title
        if slug is not None:
            self.slug = slug
        self.headers = headers
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": TYPE_BASE + self.slug, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        body.update({k: v for k, v in self.extra.items() if v is not None})
        return body


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict"


class Unprocessable(Problem):
    status, slug, title = 422, "unprocessable", "Unprocessable request"


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Unauthorized"

    def __init__(self, detail: str | None = None, **kw: Any):
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="newform"'}, **kw)


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "Forbidden"


class PolicyViolation(Problem):
    """A fact the policy forbids; rejected, nothing stored."""

    status, slug, title = 422, "policy-violation", "Policy violation"

    def __init__(self, detail: str, *, measure: str, rule: str, **extra: Any):
        super().__init__(detail, measure=measure, rule=rule, **extra)


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    # An ID number a caller put in the path, or a detail naming the id it did not find, is echoed back
    # only masked: problems travel into clients' logs and screens (issue 24, 11; redaction.py).
    body = problem.body(mask_id_numbers(str(request.url.path)) if request else None)
    if isinstance(body.get("detail"), str):
        body["detail"] = mask_id_numbers(body["detail"])
    return JSONResponse(
        body,
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


_HTTP_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    429: "Too many requests",
}


def install_problem_handlers(app: FastAPI) -> None:
    """Every error a service can meet answers as RFC 9457 problem+json (`PROBLEM_HANDLERS`)."""
    for kind, handler in PROBLEM_HANDLERS:
        app.add_exception_handler(kind, handler)


async def _problem(request: Request, exc: Problem) -> JSONResponse:
    return problem_response(exc, request)


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    title = _HTTP_TITLES.get(exc.status_code, "Error")
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    problem = Problem(
        str(exc.detail) if exc.detail else None,
        status=exc.status_code,
        title=title,
        slug=title.lower().replace(" ", "-"),
        headers=headers or None,
    )
    return problem_response(problem, request)


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
    first = errors[0] if errors else None
    detail = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}" if first else "invalid request"
    problem = Problem(detail, status=422, title="Validation failed", slug="validation", errors=errors)
    return problem_response(problem, request)


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable on %s %s: %s", request.method, mask_id_numbers(request.url.path), exc)
    problem = Problem(
        "The service's database is unavailable; retry shortly (with the same Idempotency-Key).",
        status=503,
        title="Service unavailable",
        slug="unavailable",
        headers={"Retry-After": "5"},
    )
    return problem_response(problem, request)


async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
    if _is_bad_value(exc):
        # A value the database cannot take (e.g. a number beyond its column's range): bad input.
        problem = Problem(
            "A value is out of range or of the wrong form for its field",
            status=422,
            title="Validation failed",
            slug="validation",
        )
        return problem_response(problem, request)
    if is_transient_conflict(exc):
        # The request lost a lock race (PostgreSQL ended it to break a deadlock, say) and changed
        # nothing: the same request again will go through.
        log.info("transient conflict on %s %s: %s", request.method, mask_id_numbers(request.url.path), exc.orig)
        problem = Problem(
            "The request met a concurrent change of the same data and changed nothing; retry it "
            "(with the same Idempotency-Key).",
            status=409,
            title="Concurrent change",
            slug="concurrent-change",
            headers={"Retry-After": "1"},
        )
        return problem_response(problem, request)
    return await (_unavailable if _is_outage(exc) else _unexpected)(request, exc)


async def _policy_not_in_force(request: Request, exc: PolicyNotInForce) -> JSONResponse:
    if exc.predates:  # the client's fact is older than the policy: it cannot be judged under it
        problem = Problem(
            f"No version of the policy covers this fact's date: {exc}",
            status=422,
            title="Policy not in force",
            slug="policy-not-in-force",
        )
    else:  # the successor version has not been loaded: the operator's gap, so retry later
        log.error("no policy version in force: %s (load the successor into NEWFORM_POLICY_DIR)", exc)
        problem = Problem(
            "No version of the policy is in force for this date yet; the operators have been "
            "alerted to load the successor version",
            status=503,
            title="Policy not in force",
            slug="policy-not-in-force",
            headers={"Retry-After": "3600"},
        )
    return problem_response(problem, request)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, mask_id_numbers(request.url.path))
    problem = Problem(
        "An internal error occurred; it has been logged.",
        status=500,
        title="Internal server error",
        slug="internal",
    )
    return problem_response(problem, request)


#: Exception → its problem answer. A refused connection (server down) is not wrapped by SQLAlchemy;
#: "cannot connect now" is the server starting or stopping.
PROBLEM_HANDLERS: tuple[tuple[type[Exception], Any], ...] = (
    (Problem, _problem),
    (StarletteHTTPException, _http),
    (RequestValidationError, _validation),
    (DBAPIError, _database),
    (ConnectionError, _unavailable),
    (CannotConnectNowError, _unavailable),
    (PolicyNotInForce, _policy_not_in_force),
    (Exception, _unexpected),
)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts on this path (Starlette names only the first route it matched)."""
    return [
        method
        for method in ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in request.app.router.routes
        )
    ]


def _is_bad_value(exc: DBAPIError) -> bool:
    """SQL state class 22 (data exception) from the server, or asyncpg refusing to encode a value."""
    return (
        isinstance(exc, SQLDataError)
        or isinstance(exc.orig, AsyncpgDataError)
        or isinstance(getattr(exc.orig, "__cause__", None), AsyncpgDataError)
    )


def is_transient_conflict(exc: BaseException) -> bool:
    """Whether `exc`, or what caused it, is a lost lock race that a retry resolves: a deadlock broken by
    the server, a serialization failure, a lock not had within the session's `lock_timeout`."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DeadlockDetectedError | SerializationError | LockNotAvailableError):
            return True
        current = current.__cause__ or current.__context__ or getattr(current, "orig", None)
    return False


def _is_outage(exc: DBAPIError) -> bool:
    """A lost or refused database connection, as opposed to an error in the statement itself."""
    return (
        exc.connection_invalidated
        or isinstance(exc, OperationalError | InterfaceError)
        or isinstance(exc.orig, OSError | CannotConnectNowError)
    )


def is_database_outage(exc: BaseException) -> bool:
    """Whether `exc`, or anything that caused it, is a lost or refused database connection — through
    SQLAlchemy or straight from asyncpg (the set-based writes use the driver's connection)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and _is_outage(current):
            return True
        if isinstance(
            current, OSError | CannotConnectNowError | AsyncpgConnectionError | ConnectionError | TimeoutError
        ):
            return True
        if isinstance(current, AsyncpgInterfaceError) and "closed" in str(current):  # "connection is closed"
            return True
        current = current.__cause__ or current.__context__
    return False


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the problem+json errors a route can return."""
    descriptions = {
        400: "Bad request",
        401: "Missing, invalid or expired token",
        403: "Not allowed for this token",
        404: "Not found",
        409: "Conflict with the current state",
        422: "Validation failed or policy violation",
    }
    return {
        code: {
            "model": ProblemDetail,
            "description": descriptions.get(code, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}},
        }
        for code in codes
    }


_STANDARD_DESCRIPTIONS = {
    "400": "Bad request: a body that cannot be parsed, or a cursor this API did not issue",
    "401": "Missing, invalid or expired token",
    "403": "Not allowed for this token's role or scope",
    "422": "Validation failed or policy violation",
    "503": "Database unavailable: retry later with the same Idempotency-Key",
}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Make the OpenAPI document say what the service does: every 4xx/5xx is problem+json, and the
    errors every operation can produce (auth, validation, cursors, outages) are listed."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ProblemDetail"] = ProblemDetail.model_json_schema(ref_template="#/components/schemas/{model}")
    problem = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}}
    for path, item in schema.get("paths", {}).items():
        for op in item.values():
            responses = op.setdefault("responses", {})
            parameters = op.get("parameters", [])
            wanted = set()
            if op.get("security"):
                wanted |= {"401", "403"}
            if parameters or op.get("requestBody"):
                wanted.add("422")
            if op.get("requestBody") or any(p.get("name") == "cursor" for p in parameters):
                wanted.add("400")  # an unparseable body, a cursor this API did not issue
            if path.startswith("/v1/"):
                wanted.add("503")
            for code in sorted(wanted):  # sorted: the committed document must not depend on hash order
                responses.setdefault(code, {"description": _STANDARD_DESCRIPTIONS[code]})
            for code, response in responses.items():
                if code[:1] in ("4", "5"):
                    response["content"] = problem
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema
