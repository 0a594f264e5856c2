"""The gateway's OpenAPI examples fit their schemas: every required field present (issue 8 item 19)."""

from __future__ import annotations

from newform_common.auth import generate_keypair
from newform_gateway.config import Settings
from newform_gateway.main import create_app

from ..kit.openapi_examples import examples_in, schema_errors


def test_every_example_in_the_gateway_document_fits_its_schema():
    _, public = generate_keypair()
    doc = create_app(
        Settings(database_url="postgresql+asyncpg://unused@127.0.0.1:1/unused", jwt_public_key=public)
    ).openapi()
    checked = [where for where, _, _ in examples_in(doc)]
    assert {"components.AlertPublic", "components.AlertDetail"} <= set(checked)
    for where, schema, example in examples_in(doc):
        assert schema_errors(doc, schema, example) == [], where
