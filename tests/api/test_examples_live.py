"""Every request example in the committed OpenAPI documents is accepted by the live API: sent as
the body of its operation, under every role, it never fails validation (it may meet 403 for a role,
404 for an id the example names, a policy rule — but never a 422 `validation` or a 5xx)."""

from __future__ import annotations

import json
import re

import pytest

from newform_common.testing import TokenFactory, app_client, unique_name
from newform_contracts.main import create_app as create_contracts_app
from newform_gateway.main import create_app as create_gateway_app
from newform_local import apidocs

from ..kit.contracts import make_settings, migrate
from ..kit.gateway import gateway_settings, migrated_database

ROLES = [
    ("admin", {}),
    ("regulator", {}),
    ("platform", {"platform_id": "meituan"}),
    ("department", {"department": "hrss"}),
    ("worker", {}),
]


def examples(doc: dict):
    """(method, path, example body) of every operation whose request body schema has an example."""
    schemas = doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            media = op.get("requestBody", {}).get("content", {}).get("application/json")
            if not media:
                continue
            ref = media["schema"].get("$ref") or next(
                (s["$ref"] for s in media["schema"].get("anyOf", []) if "$ref" in s), None
            )
            schema = schemas[ref.rsplit("/", 1)[1]] if ref else media["schema"]
            # Path parameters name something that does not exist, in their declared type.
            unknown = {
                p["name"]: "999999" if p.get("schema", {}).get("type") == "integer" else "x_unknown"
                for p in op.get("parameters", [])
                if p.get("in") == "path"
            }
            concrete = re.sub(r"\{([^}]+)\}", lambda m, unknown=unknown: unknown.get(m.group(1), "x_unknown"), path)
            for example in schema.get("examples", []) + ([schema["example"]] if "example" in schema else []):
                yield method, concrete, example


async def check_examples(client, doc: dict, tokens: TokenFactory) -> int:
    reached = 0
    for method, path, example in examples(doc):
        past_auth = False
        for role, scope in ROLES:
            subject = "w_" + "a" * 26 if role == "worker" else unique_name(role)
            headers = tokens.headers(role, subject=subject, **scope)
            response = await client.request(method.upper(), path, json=example, headers=headers)
            assert response.status_code < 500, (method, path, role, response.text)
            body = response.json() if response.headers.get("content-type", "").endswith("json") else {}
            assert not str(body.get("type", "")).endswith("/validation"), (method, path, role, json.dumps(body))
            past_auth |= response.status_code not in (401, 403)
        assert past_auth, f"{method} {path}: no role reached the operation"
        reached += 1
    return reached


@pytest.fixture(scope="module")
def tokens() -> TokenFactory:
    return TokenFactory.generate()


async def test_the_contracts_request_examples_are_accepted(new_database, kafka, tokens):
    url = new_database("contracts")
    await migrate(url)
    settings = make_settings(url, kafka.bootstrap_servers, tokens.public_pem, run_relay=False)
    doc = json.loads((apidocs.default_api_dir() / "openapi" / "contracts.json").read_text())
    async with app_client(create_contracts_app(settings)) as client:
        assert await check_examples(client, doc, tokens) >= 9


async def test_the_gateway_request_examples_are_accepted(new_database, kafka, tokens):
    prefix = unique_name("gex").replace("_", "")
    settings = gateway_settings(
        prefix, await migrated_database(new_database), kafka.bootstrap_servers, tokens.public_pem, run_deliverer=False
    )
    doc = json.loads((apidocs.default_api_dir() / "openapi" / "gateway.json").read_text())
    async with app_client(create_gateway_app(settings)) as client:
        assert await check_examples(client, doc, tokens) >= 3
