"""Every header a route's code reads is declared by its OpenAPI operation (issue 24, defect 3:
`X-Purpose` was required by the departments' fact reads but declared nowhere, so generated SDK calls
got `400 purpose-required`).

For every operation of the six services, the test reads the source of the endpoint, of its
dependencies and of the project functions they call (a few levels deep): each
`headers.get("…")` / `headers["…"]` (a literal or a module constant such as `PURPOSE_HEADER`) and each
`Header(alias=…)` is a header the operation reads; the operation's OpenAPI parameters must name it.
Headers the HTTP machinery itself defines are left out (Authorization is the security scheme;
Accept and Content-Type are content negotiation).
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest

from newform_common.testing import TEST_PII_SECRET, TokenFactory

SERVICES = ("contracts", "departments", "disputes", "gateway", "training", "wages")
STANDARD = {"authorization", "accept", "content-type", "content-length", "host"}
# a header read: `headers.get("X")`, `headers["X"]` — not `response.headers["Link"] = …`, which answers one
READ = re.compile(r"""headers(?:\.get\(|\[)\s*(?:"([^"]+)"|'([^']+)'|([A-Z_][A-Z0-9_]*)\b)(?!\s*\]\s*=(?!=))""")
HEADER_PARAM = re.compile(r"""Header\([^)]*alias\s*=\s*(?:"([^"]+)"|([A-Z_][A-Z0-9_]*))""")
CALL = re.compile(r"\b([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?\(")
DEPTH = 4


def _app(service: str):
    settings_cls = importlib.import_module(f"newform_{service}.config").Settings
    extra: dict[str, Any] = {}
    if "signing_key" in settings_cls.model_fields:
        from newform_common.auth import generate_keypair

        extra["signing_key"] = generate_keypair()[0]
    settings = settings_cls(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        jwt_public_key=TokenFactory.generate().public_pem,
        pii_secret=TEST_PII_SECRET,
        run_relay=False,
        run_deadlines=False,
        **extra,
    )
    return importlib.import_module(f"newform_{service}.main").create_app(settings)


def _routes(routes) -> Iterator[Any]:
    for route in routes:
        if hasattr(route, "effective_candidates"):
            yield from _routes(route.effective_candidates())
        elif getattr(route, "dependant", None) is not None:
            yield route


def _project_function(obj: Any) -> bool:
    obj = inspect.unwrap(obj) if callable(obj) else obj
    return inspect.isfunction(obj) and (obj.__module__ or "").startswith("newform_")


def _headers_read(fn: Any, seen: set[Any], depth: int = 0) -> set[str]:
    fn = inspect.unwrap(fn)
    if fn in seen or not _project_function(fn):
        return set()
    seen.add(fn)
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        return set()
    scope = {
        **fn.__globals__,
        **dict(zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__ or ()), strict=False)),
    }
    found: set[str] = set()
    for match in [*READ.finditer(source), *HEADER_PARAM.finditer(source)]:
        literal = next((g for g in match.groups()[:-1] if g), None)
        name = literal if literal is not None else scope.get(match.groups()[-1])
        if isinstance(name, str):
            found.add(name)
    if depth < DEPTH:
        for head, attr in CALL.findall(source):
            target = scope.get(head)
            if attr:
                target = getattr(target, attr, None) if inspect.ismodule(target) else None
            if target is not None and _project_function(target):
                found |= _headers_read(target, seen, depth + 1)
    return found


def _dependency_calls(dependant) -> Iterator[Any]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _dependency_calls(dep)


def _declared(schema: dict[str, Any], op: dict[str, Any]) -> set[str]:
    names = set()
    for param in op.get("parameters", []):
        if "$ref" in param:
            param = schema["components"]["parameters"][param["$ref"].rsplit("/", 1)[-1]]
        if param.get("in") == "header":
            names.add(param["name"].lower())
    return names


@pytest.mark.parametrize("service", SERVICES)
def test_every_header_a_route_reads_is_declared(service):
    app = _app(service)
    schema = app.openapi()
    undeclared = []
    checked = 0
    for route in _routes(app.router.routes):
        if not getattr(route, "include_in_schema", False) or route.path not in schema["paths"]:
            continue
        seen: set[Any] = set()
        read = _headers_read(route.endpoint, seen)
        for call in _dependency_calls(route.dependant):
            read |= _headers_read(call, seen)
        read = {h.lower() for h in read} - STANDARD
        for method in route.methods - {"HEAD"}:
            op = schema["paths"][route.path][method.lower()]
            checked += 1
            missing = read - _declared(schema, op)
            if missing:
                undeclared.append(f"{method} {route.path}: {sorted(missing)}")
    assert checked
    assert not undeclared, "headers read but not declared:\n" + "\n".join(undeclared)


def test_the_departments_fact_reads_declare_x_purpose_as_required():
    schema = _app("departments").openapi()
    for path in ("/v1/facts", "/v1/facts/{fact_id}"):
        params = [p for p in schema["paths"][path]["get"]["parameters"] if p.get("name") == "X-Purpose"]
        assert params and params[0]["required"] is True and params[0]["in"] == "header", path
    writes = [
        op
        for path, item in schema["paths"].items()
        for m, op in item.items()
        if m == "post" and any(p.get("name") == "X-Purpose" for p in op["parameters"])
    ]
    assert writes and all(
        not p.get("required") for op in writes for p in op["parameters"] if p.get("name") == "X-Purpose"
    )
