"""The OpenAPI document is a product: stable operationIds, a tag on every operation, examples on
every request body."""

from __future__ import annotations

from pathlib import Path

import pytest

from newform_common.auth import generate_keypair
from newform_contracts.config import Settings
from newform_contracts.main import create_app

from ..kit.openapi_examples import examples_in, schema_errors

COMMITTED = Path(__file__).with_name("operation_ids.txt")


@pytest.fixture(scope="module")
def openapi() -> dict:
    private, public = generate_keypair()
    settings = Settings(
        database_url="postgresql+asyncpg://unused@127.0.0.1:1/unused", jwt_public_key=public, signing_key=private
    )
    return create_app(settings).openapi()


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield path, method, op


def test_operation_ids_are_stable(openapi):
    ids = sorted(op["operationId"] for _, _, op in operations(openapi))
    assert len(ids) == len(set(ids))
    # Adding an operation is compatible; removing or renaming one breaks every generated SDK.
    missing = set(COMMITTED.read_text().split()) - set(ids)
    assert not missing, f"operationIds removed or renamed (breaks generated SDKs): {sorted(missing)}"


def test_every_operation_has_a_tag_and_a_summary(openapi):
    for path, method, op in operations(openapi):
        assert op.get("tags"), f"{method} {path} has no tag"
        assert op.get("summary"), f"{method} {path} has no summary"
    declared = {t["name"] for t in openapi["tags"]}
    assert {t for _, _, op in operations(openapi) for t in op["tags"]} <= declared


def _resolve(doc: dict, schema: dict) -> list[dict]:
    if "$ref" in schema:
        return [doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]]
    return [s for part in schema.get("anyOf", []) for s in _resolve(doc, part)] or [schema]


def test_every_request_body_has_an_example(openapi):
    bodies = 0
    for path, method, op in operations(openapi):
        content = op.get("requestBody", {}).get("content", {})
        for media in content.values():
            for schema in _resolve(openapi, media["schema"]):
                if schema.get("type") == "null":
                    continue
                bodies += 1
                assert schema.get("examples") or schema.get("example"), f"{method} {path}: no example"
    assert bodies >= 9


def test_writes_document_their_problem_responses(openapi):
    for path, method, op in operations(openapi):
        if method == "post" and path.startswith("/v1/") and "requestBody" in op:
            assert "422" in op["responses"] and "401" in op["responses"], f"{method} {path}"


# ---------------------------------------------------------------------------------------------
# Examples are checked against their schemas (issue 8 item 19); test_api sends each request example
# ---------------------------------------------------------------------------------------------
def test_every_example_validates_against_its_schema(openapi):
    checked = 0
    for where, schema, example in examples_in(openapi):
        assert schema_errors(openapi, schema, example) == [], where
        checked += 1
    assert checked >= 13


def test_the_checker_catches_what_issue_8_found(openapi):
    platform = openapi["components"]["schemas"]["PlatformCreate"]
    good = platform["examples"][0]
    assert schema_errors(openapi, platform, {**good, "credit_code": "91630100MA7XYZ0013"})  # Z is not allowed
    worker = openapi["components"]["schemas"]["WorkerCreate"]
    assert schema_errors(openapi, worker, {**worker["examples"][0], "id_number": "630102199001011236"})
    assert schema_errors(openapi, worker, {k: v for k, v in worker["examples"][0].items() if k != "phone"})


def test_the_shared_vocabulary_is_an_enum_built_from_the_policy_data(openapi):
    from newform_common import vocabulary

    schemas = openapi["components"]["schemas"]
    assert schemas["PlatformCreate"]["properties"]["district"]["enum"] == list(vocabulary.codes("districts"))
    assert schemas["WorkerCreate"]["properties"]["occupation"]["enum"] == list(vocabulary.codes("occupations"))
    assert schemas["ContractCreate"]["properties"]["engagement_type"]["enum"] == list(
        vocabulary.codes("engagement_types")
    )
    assert "huangyuan" in vocabulary.codes("districts") and "courier" in vocabulary.codes("occupations")
