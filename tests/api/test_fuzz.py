"""Property-based fuzzing of every service against its own OpenAPI document: no input answers 5xx.

Issue 24, defect 10: a NUL character in an id and an integer beyond 64 bits reached PostgreSQL and
answered 500. The kit refuses both at the edge (`newform_common.edge.EdgeGuardMiddleware`); this module
checks the rule holds for every operation of the six services, present and future:

- each service runs in-process (its lifespan, a fresh migrated PostgreSQL database, Kafka consumers on
  this module's own topics; relay, deadlines and deliverer off, so a run stays small and repeatable);
- schemathesis generates requests from the document the service itself serves (`/openapi.json`),
  `MAX_EXAMPLES` valid and as many invalid ones an operation, derandomized (the same cases every run),
  with a token of a role the operation accepts (read from the route's `require(...)` dependency),
  checked by `not_a_server_error`;
- targeted strategies replay the reported cases (NUL in `enterprise_id` and `contract_id`, an
  `awarded_fen` above 2^63−1, single and batch) and assert the edge's 422.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi as schemathesis_asgi

from newform_common import registry
from newform_common.auth import Role
from newform_common.kafka import ensure_topics
from newform_common.migrations import upgrade
from newform_common.testing import TEST_PII_SECRET, TokenFactory, credit_code, resident_id, worker_id_of

#: Every registered service: a new one is fuzzed with no edit here.
SERVICES = tuple(sorted(registry.installed_names()))
#: Cases an operation; NEWFORM_FUZZ_EXAMPLES raises it for a deeper run by hand (the suite keeps 8: ~1 min).
MAX_EXAMPLES = int(os.environ.get("NEWFORM_FUZZ_EXAMPLES", "8"))
#: Valid requests (they reach the database) and invalid ones (they must be refused with a 4xx, not crash
#: a handler); NEWFORM_FUZZ_MODES=positive (or negative) for one kind only.
MODES = [GenerationMode(m) for m in os.environ.get("NEWFORM_FUZZ_MODES", "positive,negative").split(",")]
PLATFORM = "fuzzplat"
# schemathesis' strategies draw from `random` internally; derandomized runs are repeatable regardless.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
#: The role a token is minted for, among those an operation accepts: the writers first (they reach the
#: database most), oversight last.
PREFERENCE = (
    Role.platform,
    Role.department,
    Role.mediator,
    Role.training_body,
    Role.worker,
    Role.enterprise,
    Role.worker_channel,
    Role.regulator,
    Role.admin,
)


def _settings(service: str, url: str, bootstrap: str, tokens: TokenFactory, prefix: str, tmp: Path):
    config = importlib.import_module(f"newform_{service}.config")
    fields = config.Settings.model_fields
    extra: dict[str, Any] = {}
    for name, field in fields.items():  # every topic a service reads: this module's own, empty ones
        if name.endswith("_topic") and name != "calendar_topic" and isinstance(field.default, str) and field.default:
            extra[name] = f"{prefix}-{field.default}"
    if "consumer_group" in fields:  # the gateway's one group
        extra["consumer_group"] = f"{prefix}-{service}"
    if service == "gateway":
        # Token issuance configured (unconfigured, `/oauth/token` answers 503 by design): one client.
        from newform_gateway.tokens import add_client

        clients = tmp / "clients.toml"
        add_client(clients, client_id="fuzz-backend", role="platform", platform_id=PLATFORM)
        extra |= {
            "topic_pattern": rf"^{prefix}-[a-z0-9_-]+\.events$",
            "run_deliverer": False,
            "token_signing_key": tokens.private_pem,
            "clients_file": clients,
        }
    if "signing_key" in fields:
        from newform_common.auth import generate_keypair

        extra["signing_key"] = generate_keypair()[0]
    return config.Settings(
        database_url=url,
        kafka_bootstrap_servers=bootstrap,
        jwt_public_key=tokens.public_pem,
        pii_secret=TEST_PII_SECRET,
        run_relay=False,
        run_deadlines=False,
        rate_limit_per_minute=0,
        service_name=f"{prefix}-{service}",
        **extra,
    )


@pytest.fixture(scope="module", params=SERVICES)
def fuzzed(request, new_database, kafka, tokens, tmp_path_factory) -> Iterator[tuple[str, Any, Any]]:
    """(service, app, schema): the app started by schemathesis' in-process ASGI client, stopped after."""
    service = request.param
    prefix = f"fz{uuid.uuid4().hex[:8]}"
    url = new_database(service)
    upgrade(f"newform_{service}", url)
    settings = _settings(service, url, kafka.bootstrap_servers, tokens, prefix, tmp_path_factory.mktemp(prefix))
    topics = [
        getattr(settings, name)
        for name in type(settings).model_fields
        if name.endswith("_topic") and getattr(settings, name, "").startswith(prefix)
    ]
    asyncio.run(ensure_topics(kafka.bootstrap_servers, [*topics, f"{prefix}-{service}.events"]))
    app = importlib.import_module(f"newform_{service}.main").create_app(settings)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    try:
        yield service, app, schema
    finally:
        schemathesis_asgi.shutdown_lifespans()


def _routes(routes) -> Iterator[Any]:
    """Every endpoint route, through FastAPI's included routers (resolved lazily since 0.160)."""
    for route in routes:
        if hasattr(route, "effective_candidates"):
            yield from _routes(route.effective_candidates())
        elif getattr(route, "dependant", None) is not None:
            yield route


def _allowed_roles(app, method: str, path: str) -> set[Role] | None:
    """The roles the route's `require(...)` dependency lets in (all roles when it names none; None: no
    token needed)."""
    for route in _routes(app.router.routes):
        if route.path == path and method in route.methods:
            stack = [route.dependant]
            while stack:
                dependant = stack.pop()
                call = dependant.call
                code = getattr(call, "__code__", None)
                if code is not None and "allowed" in code.co_freevars and call.__closure__:
                    allowed = call.__closure__[code.co_freevars.index("allowed")].cell_contents
                    return set(allowed) or set(Role)
                stack.extend(dependant.dependencies)
            return None
    raise AssertionError(f"no route serves {method} {path}")


def _headers(tokens: TokenFactory, role: Role | None) -> dict[str, str]:
    match role:
        case None:
            return {}
        case Role.platform:
            return tokens.headers(role, subject=f"backend-{PLATFORM}", platform_id=PLATFORM)
        case Role.department:
            return tokens.headers(role, subject="hrss-1", department="hrss") | {"X-Purpose": "fuzzing"}
        case Role.worker:
            return tokens.headers(role, subject=worker_id_of(resident_id()))
        case Role.enterprise:
            return tokens.headers(role, subject=f"ent-{credit_code()}", platform_id=PLATFORM)
        case _:
            return tokens.headers(role, subject=f"fuzz-{role}")


FUZZ_SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _operation(schema, method: str, path: str):
    return schema[path][method]


def _headers_for(app, tokens: TokenFactory, operation) -> tuple[Role | None, dict[str, str]]:
    roles = _allowed_roles(app, operation.method.upper(), operation.path)
    role = next((r for r in PREFERENCE if r in roles), None) if roles else None
    return role, _headers(tokens, role)


def _no_server_error(strategy, headers: dict[str, str], statuses: Counter[int], expect: str | None = None) -> None:
    """Send `MAX_EXAMPLES` cases drawn from `strategy`; fail on the first 5xx (schemathesis' check), or on
    an answer other than the problem type `expect` when one is given."""

    @FUZZ_SETTINGS
    @given(case=strategy)
    def run(case) -> None:
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error], headers=headers)
        if expect is not None:
            assert response.json().get("type", "").endswith(f"/{expect}"), response.text

    run()


def test_no_operation_answers_5xx(fuzzed, tokens):
    service, app, schema = fuzzed
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        role, headers = _headers_for(app, tokens, operation)

        try:
            for mode in MODES:
                _no_server_error(operation.as_strategy(mode), headers, statuses)
        except Exception as exc:  # noqa: BLE001 — every operation runs; the failures are listed together
            failures.append(f"{operation.method.upper()} {operation.path} as {role}: {str(exc)[:1500]}")
    assert not failures, f"{service}: {len(failures)} operation(s) answered 5xx or failed:\n" + "\n\n".join(failures)
    # The tokens open the operations: some requests got through to a handler's success.
    assert sum(n for status, n in statuses.items() if status < 300) > 0, (service, statuses)


# ---------------------------------------------------------------------------------------------
# The reported cases, as strategies: schemathesis' valid request with one field made unstorable
# ---------------------------------------------------------------------------------------------
def _with_nul(text: str) -> str:
    return text[: len(text) // 2] + "\x00" + text[len(text) // 2 :]


NUL_TEXT = st.text(max_size=20).map(_with_nul)
BEYOND_INT64 = st.integers(min_value=2**63, max_value=2**80)


def _set(field: str):
    def into(pair):
        case, value = pair
        case.body = {**case.body, field: value}
        return case

    return into


def _batch_of(field: str):
    def into(triple):
        case, items, value = triple
        case.body = {"items": [{**item.body, field: value} for item in items]}
        return case

    return into


def _targeted(schema, service: str):
    """(label, strategy of a case) for the cases issue 24 reported, in `service`."""
    if service == "contracts":
        op = _operation(schema, "POST", "/v1/contracts")
        yield "NUL in enterprise_id", op, st.tuples(op.as_strategy(), NUL_TEXT).map(_set("enterprise_id"))
    elif service == "wages":
        op = _operation(schema, "POST", "/v1/statements")
        yield "NUL in contract_id", op, st.tuples(op.as_strategy(), NUL_TEXT).map(_set("contract_id"))
    elif service == "departments":
        single = _operation(schema, "POST", "/v1/case-outcomes")
        batch = _operation(schema, "POST", "/v1/case-outcomes/batches")
        yield (
            "awarded_fen beyond 2^63-1",
            single,
            st.tuples(single.as_strategy(), BEYOND_INT64).map(_set("awarded_fen")),
        )
        # The batch's items are the single operation's valid bodies (the batch schema says only "objects").
        yield (
            "awarded_fen beyond 2^63-1 in a batch",
            batch,
            st.tuples(
                batch.as_strategy(),
                st.lists(single.as_strategy(), min_size=1, max_size=3),
                BEYOND_INT64,
            ).map(_batch_of("awarded_fen")),
        )


@pytest.mark.parametrize("fuzzed", ["contracts", "departments", "wages"], indirect=True)
def test_the_reported_unstorable_inputs_are_refused_at_the_edge(fuzzed, tokens):
    service, app, schema = fuzzed
    seen = 0
    for label, operation, strategy in _targeted(schema, service):
        _, headers = _headers_for(app, tokens, operation)

        statuses: Counter[int] = Counter()
        _no_server_error(strategy, headers, statuses, expect="unstorable-input")
        assert set(statuses) == {422}, (label, statuses)  # the edge's refusal, every time
        seen += 1
    assert seen
