"""The departments service's OpenAPI document: its examples fit their schemas (check digits included), and
every write route of every kind of fact answers problems as problem+json."""

from __future__ import annotations

from newform_common.auth import generate_keypair
from newform_departments.config import Settings
from newform_departments.main import create_app
from newform_departments.rules import KINDS

from ..kit.openapi_examples import examples_in, schema_errors


def test_examples_fit_and_every_kind_has_its_write_and_batch_routes():
    _, public = generate_keypair()
    doc = create_app(
        Settings(database_url="postgresql+asyncpg://unused@127.0.0.1:1/unused", jwt_public_key=public)
    ).openapi()
    checked = [where for where, _, _ in examples_in(doc)]
    assert any("InsuranceEnrolmentIn" in w for w in checked), checked
    for where, schema, example in examples_in(doc):
        assert schema_errors(doc, schema, example) == [], where
    for segment in KINDS.values():
        for path in (f"/v1/{segment}", f"/v1/{segment}/batches"):
            responses = doc["paths"][path]["post"]["responses"]
            assert {"403", "422"} <= set(responses), path
            assert "application/problem+json" in responses["403"]["content"], path
    assert doc["paths"]["/v1/audit"]["get"]["operationId"] == "list_audit"
