"""The OpenAPI document is a product: stable operationIds, a tag on every operation, examples on
every request body."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest

from newform_common.auth import generate_keypair
from newform_common.identity import InvalidIdentifier, validate_credit_code, validate_resident_id
from newform_contracts.config import Settings
from newform_contracts.main import create_app

COMMITTED = Path(__file__).with_name("operation_ids.txt")


@pytest.fixture(scope="module")
def openapi() -> dict:
    private, public = generate_keypair()
    settings = Settings(database_url="postgresql+asyncpg://unused@127.0.0.1:1/unused", jwt_public_key=public,
                        signing_key=private)
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
def schema_errors(doc: dict, schema: dict, value, where: str = "$") -> list[str]:
    """The JSON Schema keywords FastAPI emits for these models, checked (no dependency needed)."""
    if "$ref" in schema:
        return schema_errors(doc, doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], value, where)
    if "anyOf" in schema:
        options = [schema_errors(doc, s, value, where) for s in schema["anyOf"]]
        return [] if any(not o for o in options) else [f"{where}: matches no anyOf option: {options}"]
    errors = []
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    kind = schema.get("type")
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = kind is None or isinstance(value, kinds[kind])
    if not ok:
        return [f"{where}: {value!r} is not of type {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
            errors.append(f"{where}: length of {value!r} out of bounds")
        fmt = schema.get("format")
        try:
            if fmt == "date":
                date.fromisoformat(value)
            elif fmt == "date-time":
                assert datetime.fromisoformat(value).utcoffset() is not None
        except (ValueError, AssertionError):
            errors.append(f"{where}: {value!r} is not a {fmt}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < schema.get("minimum", value) or value > schema.get("maximum", value):
            errors.append(f"{where}: {value!r} out of range")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{where}: fewer than {schema['minItems']} items")
        for i, item in enumerate(value):
            errors += schema_errors(doc, schema.get("items", {}), item, f"{where}[{i}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        errors += [f"{where}: required {name!r} missing" for name in schema.get("required", []) if name not in value]
        for name, item in value.items():
            if name in properties:
                errors += schema_errors(doc, properties[name], item, f"{where}.{name}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{where}: {name!r} is not allowed")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += schema_errors(doc, schema["additionalProperties"], item, f"{where}.{name}")
        # Identifiers are checked like the API does: the pattern alone lets a wrong check digit through.
        for name, check in (("credit_code", validate_credit_code), ("id_number", validate_resident_id)):
            if isinstance(value.get(name), str):
                try:
                    check(value[name])
                except InvalidIdentifier as exc:
                    errors.append(f"{where}.{name}: {exc}")
    return errors


def examples_in(doc: dict):
    """(where, schema, example) for every example in the document: components and media types."""
    for name, schema in doc["components"]["schemas"].items():
        for example in schema.get("examples", []) + ([schema["example"]] if "example" in schema else []):
            yield f"components.{name}", schema, example
    for path, method, op in operations(doc):
        media = [("request", m) for m in op.get("requestBody", {}).get("content", {}).values()]
        media += [(status, m) for status, r in op.get("responses", {}).items() for m in r.get("content", {}).values()]
        for status, m in media:
            found = list(m.get("examples", {}).values()) if isinstance(m.get("examples"), dict) else []
            for example in [e.get("value") for e in found] + ([m["example"]] if "example" in m else []):
                yield f"{method} {path} {status}", m.get("schema", {}), example


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
        vocabulary.codes("engagement_types"))
    assert "huangyuan" in vocabulary.codes("districts") and "courier" in vocabulary.codes("occupations")
