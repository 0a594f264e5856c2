"""API conventions every service shares: problem+json errors, auth, idempotency, pagination, ops."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from newform_common.auth import mint_token
from newform_common.outbox import OutboxRow
from newform_common.settings import ServiceSettings
from newform_common.testing import TokenFactory, app_client, unique_name

from .sample_service import Note, create_tables, make_app

PLATFORM = "meituan"
NOTES = f"/v1/platforms/{PLATFORM}/notes"


@pytest.fixture(scope="module")
async def client(postgres, tokens):
    name = unique_name("api")
    postgres.create_database(name)
    url = postgres.url(name)
    engine = create_async_engine(url)
    await create_tables(engine)
    await engine.dispose()
    # Kafka is not needed for these conventions; the relay is off so nothing waits on a broker.
    settings = ServiceSettings(
        service_name="sample",
        database_url=url,
        kafka_bootstrap_servers="127.0.0.1:1",
        jwt_public_key=tokens.public_pem,
        run_relay=False,
    )
    async with app_client(make_app(settings, with_consumer=False)) as c:
        c.database_url = url
        yield c


async def rows(url: str, model) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(select(func.count()).select_from(model))).scalar_one()
    finally:
        await engine.dispose()


def auth(tokens, platform=PLATFORM, role="platform"):
    return tokens.headers(role, platform_id=platform)


@pytest.mark.parametrize(
    "request_args",
    [
        {"json": {"worker_id": "w\x00x", "text": "x"}},
        {"content": b'{"worker_id": "w_1", "text": "a\\u0000b"}', "headers": {"content-type": "application/json"}},
        {
            "content": b'{"worker_id": "w_1", "text": "x", "deposit_fen": 9223372036854775808}',
            "headers": {"content-type": "application/json"},
        },
        {
            "content": b'{"worker_id": "w_1", "text": "x", "deposit_fen": 99999999999999999999999}',
            "headers": {"content-type": "application/json"},
        },
        {
            "content": b'{"worker_id": "w_1", "text": "x"}\n{"deposit_fen": 9223372036854775808}\n',
            "headers": {"content-type": "application/x-ndjson"},
        },
        {"content": b"worker_id,text\nw_1,a\x00b\n", "headers": {"content-type": "text/csv"}},
    ],
)
async def test_input_no_database_can_store_is_refused_at_the_edge(client, tokens, request_args):
    """A NUL character or an integer beyond 64 bits, in any field of any service: 422, nothing stored."""
    before = await rows(client.database_url, Note)
    headers = {**auth(tokens), **request_args.pop("headers", {})}
    response = await client.post(NOTES, headers=headers, **request_args)
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("/unstorable-input")
    assert response.headers["content-type"] == "application/problem+json"
    assert await rows(client.database_url, Note) == before


async def test_a_nul_in_the_url_is_refused_and_a_backslash_before_u0000_is_text(client, tokens):
    for url in (f"/v1/platforms/{PLATFORM}%00/notes", f"{NOTES}?cursor=%00"):
        response = await client.get(url, headers=auth(tokens))
        assert response.status_code == 422 and response.json()["type"].endswith("/unstorable-input"), url
        assert "\x00" not in response.text
    text = await client.post(
        NOTES,
        headers={**auth(tokens), "content-type": "application/json"},
        content=b'{"worker_id": "w_1", "text": "C:\\\\u0000 is a path"}',
    )
    assert text.status_code == 201, text.text  # an escaped backslash and the letters u0000: storable text
    fits = await client.post(
        NOTES, headers=auth(tokens), json={"worker_id": "w_1", "text": "x", "deposit_fen": 2**63 - 1}
    )
    assert fits.status_code != 422 or "unstorable" not in fits.text


async def test_validation_errors_are_problem_json_and_store_nothing(client, tokens):
    before = await rows(client.database_url, Note)
    response = await client.post(NOTES, headers=auth(tokens), json={"worker_id": "", "text": "x"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["title"] == "Validation failed" and body["status"] == 422
    assert body["errors"][0]["loc"] == ["body", "worker_id"]
    malformed = await client.post(
        NOTES, headers={**auth(tokens), "content-type": "application/json"}, content=b"{not json"
    )
    assert malformed.status_code == 422 and malformed.headers["content-type"] == "application/problem+json"
    assert await rows(client.database_url, Note) == before


async def test_policy_violation_names_measure_and_rule_and_rolls_back(client, tokens):
    before_notes, before_outbox = await rows(client.database_url, Note), await rows(client.database_url, OutboxRow)
    response = await client.post(NOTES, headers=auth(tokens), json={"worker_id": "w", "text": "x", "deposit_fen": 1})
    assert response.status_code == 422
    body = response.json()
    assert body["measure"] == "M5" and body["rule"] == "M5.no_deposit"
    assert body["type"].endswith("/policy-violation")
    assert await rows(client.database_url, Note) == before_notes
    assert await rows(client.database_url, OutboxRow) == before_outbox


async def test_missing_invalid_and_expired_tokens_are_401(client, tokens):
    missing = await client.get(NOTES)
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    assert missing.headers["content-type"] == "application/problem+json"
    garbage = await client.get(NOTES, headers={"Authorization": "Bearer not-a-jwt"})
    assert garbage.status_code == 401
    expired = mint_token(
        tokens.private_pem,
        role="platform",
        subject="p",
        platform_id=PLATFORM,
        now=datetime.now(UTC) - timedelta(hours=2),
        ttl=timedelta(hours=1),
    )
    response = await client.get(NOTES, headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    foreign_key = TokenFactory.generate()
    forged = await client.get(NOTES, headers=foreign_key.headers("regulator"))
    assert forged.status_code == 401


async def test_wrong_role_or_scope_is_403(client, tokens):
    other_platform = await client.get(NOTES, headers=auth(tokens, platform="didi"))
    assert other_platform.status_code == 403
    wrong_role = await client.post(
        NOTES, headers=tokens.headers("department", department="hrss"), json={"worker_id": "w", "text": "x"}
    )
    assert wrong_role.status_code == 403
    assert wrong_role.json()["title"] == "Forbidden"


async def test_idempotency_key_replays_the_first_response(client, tokens):
    headers = {**auth(tokens), "Idempotency-Key": unique_name("k")}
    first = await client.post(NOTES, headers=headers, json={"worker_id": "w_idem", "text": "one"})
    before = await rows(client.database_url, Note)
    again = await client.post(NOTES, headers=headers, json={"worker_id": "w_idem", "text": "one"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await rows(client.database_url, Note) == before
    different = await client.post(NOTES, headers=headers, json={"worker_id": "w_idem", "text": "two"})
    assert different.status_code == 422 and different.json()["type"].endswith("idempotency-key-reuse")
    assert await rows(client.database_url, Note) == before


async def test_cursor_pagination_walks_every_item_once(client, tokens):
    platform = unique_name("plat")
    headers = auth(tokens, platform=platform)
    created = []
    for i in range(7):
        r = await client.post(
            f"/v1/platforms/{platform}/notes", headers=headers, json={"worker_id": "w", "text": str(i)}
        )
        created.append(r.json()["id"])
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"/v1/platforms/{platform}/notes", headers=headers, params=params)).json()
        seen += [n["id"] for n in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == created
    bad = await client.get(f"/v1/platforms/{platform}/notes", headers=headers, params={"cursor": "%%%"})
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"


async def test_a_value_beyond_the_databases_range_is_422_not_500(client, tokens):
    response = await client.get(f"{NOTES}/{2**40}", headers=auth(tokens))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_unknown_route_and_method_are_problem_json(client, tokens):
    missing = await client.get("/v1/nowhere", headers=auth(tokens))
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


async def test_operations_endpoints(client):
    assert (await client.get("/healthz")).json()["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    # the measures' state, in words and as data (lapsed after 2026-12-21 until a successor is loaded)
    assert "xining-2022-41" in ready.json()["checks"]["policy"] and ready.json()["measures"]["version"]
    metrics = await client.get("/metrics")
    assert "newform_http_requests_total" in metrics.text
    assert "newform_policy_days_remaining " in metrics.text  # the operators' early warning
    assert (await client.get("/healthz")).headers["x-request-id"]
    assert "newform_calendar_days_covered " in metrics.text  # the holiday schedules' early warning
    assert ready.json()["calendar"]["covered_until"] and "calendar" in ready.json()["checks"]


async def test_a_callers_request_id_is_kept_only_when_it_is_a_plausible_id(client):
    kept = await client.get("/healthz", headers={"X-Request-ID": "req-42.abc"})
    assert kept.headers["x-request-id"] == "req-42.abc"
    for odd in ("x" * 65, "two words", "line\tbreak"):
        replaced = await client.get("/healthz", headers={"X-Request-ID": odd})
        assert replaced.headers["x-request-id"] != odd and len(replaced.headers["x-request-id"]) == 32


async def test_openapi_has_stable_operation_ids_and_problem_schema(client):
    spec = (await client.get("/openapi.json")).json()
    ops = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {"create_note", "list_notes", "get_note", "healthz", "readyz"} <= ops
    assert "ProblemDetail" in spec["components"]["schemas"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    # OAuth 2.0 client credentials beside it, so Swagger UI and SDKs fetch tokens themselves
    oauth2 = spec["components"]["securitySchemes"]["OAuth2ClientCredentials"]
    assert oauth2["type"] == "oauth2" and oauth2["flows"]["clientCredentials"]["tokenUrl"].endswith("/oauth/token")
    create = spec["paths"]["/v1/platforms/{platform_id}/notes"]["post"]
    assert create["security"] == [{"HTTPBearer": []}, {"OAuth2ClientCredentials": []}]


async def test_openapi_documents_every_error_as_problem_json(client):
    spec = (await client.get("/openapi.json")).json()
    create = spec["paths"]["/v1/platforms/{platform_id}/notes"]["post"]["responses"]
    assert {"400", "401", "403", "422", "503"} <= set(create)
    for path in spec["paths"].values():
        for op in path.values():
            for code, response in op["responses"].items():
                if code[0] in "45":
                    assert list(response["content"]) == ["application/problem+json"], (code, response)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


async def test_405_names_every_method_of_the_path(client, tokens):
    response = await client.delete(NOTES, headers=auth(tokens))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


async def test_the_docs_pages_load_nothing_from_the_internet(client):
    """A government network without internet still shows /docs and /redoc: every script, style and
    font the pages name is served here."""
    for page in ("/docs", "/redoc"):
        html = (await client.get(page)).text
        urls = re.findall(r"""(?:src|href|url)\s*[=:(]\s*['"]?([^'" )>]+)""", html)
        assert urls, page
        for url in urls:
            assert not url.startswith(("http:", "https:", "//")), (page, url)
            if url.startswith("/docs-assets/"):
                asset = await client.get(url)
                assert asset.status_code == 200 and len(asset.content) > 100, url
        assert "fonts.googleapis" not in html and "cdn.jsdelivr" not in html
    assert (await client.get("/docs-assets/../pyproject.toml")).status_code == 404


async def test_the_front_page_sends_workers_to_their_app_and_integrators_to_the_documents(client):
    page = await client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "lang=zh-CN" in page.text and "href='http://127.0.0.1:8000/app/'" in page.text
    assert "href=/docs" in page.text and "/" not in (await client.get("/openapi.json")).json()["paths"]
