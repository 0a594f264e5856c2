"""The committed documents in api/ are the contract integrators build on: they match the code, a
change that breaks them needs a version bump, every reference resolves inside its document and
every example is valid under its own schema."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from newform_common import registry
from newform_local import apidocs

API = apidocs.default_api_dir()


def committed(rel: str) -> dict:
    return json.loads((API / rel).read_text())


def test_the_committed_documents_match_the_code():
    assert apidocs.stale(API) == [], "api/ differs from the code: run `make api` and commit api/"


def test_every_installed_service_and_topic_is_published():
    names = registry.installed_names()
    assert {p.name for p in (API / "openapi").glob("*.json")} == {f"{n}.json" for n in names}
    assert {p.name for p in (API / "asyncapi").glob("*.json")} == {f"{n}.events.json" for n in names}


def test_documents_carry_the_project_version():
    version = apidocs.project_version()
    for path in sorted(API.glob("*/*.json")):
        assert json.loads(path.read_text())["info"]["version"] == version, path.name
    assert f"## {version}" in (API.parent / "CHANGELOG.md").read_text()


def test_no_breaking_change_without_a_version_bump():
    assert apidocs.openapi_breaking_changes(API) == []
    assert apidocs.event_breaking_changes(API) == []


@pytest.fixture
def api_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "api"
    shutil.copytree(API, copy)
    return copy


def test_a_removed_operation_or_response_field_is_a_breaking_change(api_copy):
    path = api_copy / "openapi" / "contracts.json"
    doc = json.loads(path.read_text())
    removed = next(p for p in doc["paths"] if p.startswith("/v1/"))
    del doc["paths"][removed]
    path.write_text(json.dumps(doc))
    problems = apidocs.openapi_breaking_changes(api_copy)
    assert len(problems) == 1 and "contracts.json" in problems[0] and removed in problems[0]
    messages = apidocs.check(api_copy)
    assert any("make api" in m for m in messages)  # the documents no longer match the code
    assert any("bump `version`" in m for m in messages)


def test_a_change_inside_an_event_schemas_definitions_is_caught(api_copy):
    path = api_copy / "asyncapi" / "contracts.events.json"
    doc = json.loads(path.read_text())
    severity = doc["components"]["schemas"]["Severity"]
    severity["enum"] = [*severity["enum"], "critical"]
    insurance = doc["components"]["schemas"]["InsuranceFlags"]
    dropped = next(iter(insurance["properties"]))
    del insurance["properties"][dropped]
    path.write_text(json.dumps(doc))
    problems = apidocs.event_breaking_changes(api_copy)
    assert any("contracts.finding.raised.v1" in p and "critical" in p for p in problems)
    assert any(
        "contracts.contract.drafted.v1" in p and f"insurance.{dropped}" in p and "removed" in p for p in problems
    )


def _refs(node, found):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                found.append(v)
            else:
                _refs(v, found)
    elif isinstance(node, list):
        for v in node:
            _refs(v, found)
    return found


def _pointer(doc: dict, ref: str):
    assert ref.startswith("#/"), f"{ref} points outside the document"
    node = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


@pytest.mark.parametrize("rel", sorted(str(p.relative_to(API)) for p in API.glob("*/*.json")))
def test_every_reference_resolves_inside_its_document(rel):
    doc = committed(rel)
    refs = _refs(doc, [])
    assert refs
    for ref in refs:
        _pointer(doc, ref)  # raises KeyError when it does not resolve


@pytest.mark.parametrize("rel", sorted(str(p.relative_to(API)) for p in API.glob("asyncapi/*.json")))
def test_every_asyncapi_document_is_valid_against_the_asyncapi_specification(rel):
    """What `asyncapi validate` checks, offline: the specification's own JSON Schema (npm @asyncapi/specs)."""
    doc = committed(rel)
    specs = API.parent / "node_modules" / "@asyncapi" / "specs" / "schemas" / f"{doc['asyncapi']}.json"
    assert specs.exists(), "the AsyncAPI specification's schemas are missing: `make tools` (npm ci) fetches them"
    validator = jsonschema.Draft7Validator(json.loads(specs.read_text()))
    assert [e.message for e in validator.iter_errors(doc)] == []
    broken = json.loads(json.dumps(doc))
    next(iter(broken["channels"].values()))["adress"] = "misspelt"
    assert list(validator.iter_errors(broken))  # the check can fail


def _validator(doc: dict, pointer: str) -> jsonschema.Draft202012Validator:
    """A validator for the schema at `pointer`, its `#/…` references resolved in the whole document."""
    resource = Resource.from_contents(doc, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:newform:document", resource)
    return jsonschema.Draft202012Validator({"$ref": f"urn:newform:document{pointer}"}, registry=registry)


@pytest.mark.parametrize("rel", sorted(str(p.relative_to(API)) for p in API.glob("*/*.json")))
def test_every_example_validates_against_its_schema(rel):
    doc = committed(rel)
    checked = 0
    schemas = {
        f"#/components/schemas/{name}": schema for name, schema in doc.get("components", {}).get("schemas", {}).items()
    }
    for name, message in doc.get("components", {}).get("messages", {}).items():
        schemas[f"#/components/messages/{name}/payload"] = message["payload"]
    for name, schema in schemas.items():
        jsonschema.Draft202012Validator.check_schema(schema)
        examples = list(schema.get("examples", [])) + ([schema["example"]] if "example" in schema else [])
        for example in examples:
            errors = [e.message for e in _validator(doc, name).iter_errors(example)]
            assert errors == [], f"{rel}: the example of {name} is invalid: {errors}"
            checked += 1
    if rel.startswith("openapi/contracts"):
        assert checked >= 9


def test_newform_api_check_passes_on_this_checkout():
    result = subprocess.run(
        [sys.executable, "-m", "newform_local.cli", "api", "check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
