"""Domain events without I/O: registry, CloudEvents envelope, schema compatibility, AsyncAPI."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime

import jsonschema
import pytest
from pydantic import ValidationError

from newform_common.events import (
    DomainEvent,
    Envelope,
    EventRegistry,
    MalformedEvent,
    asyncapi_document,
    event_type,
    is_backward_compatible,
)
from newform_common.findings import FindingRaised, Severity


@event_type("testsvc.thing.happened.v1", key="worker_id")
class ThingHappened(DomainEvent):
    """Something happened to a worker."""

    worker_id: str
    amount_fen: int
    note: str | None = None


def test_events_are_immutable_and_strict():
    event = ThingHappened(worker_id="w_1", amount_fen=100)
    with pytest.raises(ValidationError):
        event.amount_fen = 5  # type: ignore[misc]
    with pytest.raises(ValidationError):
        ThingHappened(worker_id="w_1", amount_fen=1, unexpected="x")


def test_envelope_round_trips_through_kafka_binary_mode():
    event = ThingHappened(worker_id="w_1", amount_fen=100, note="工资")
    envelope = Envelope.of(event, source="/newform/testsvc", time=datetime(2026, 11, 1, 8, 0, tzinfo=UTC))
    headers = dict(envelope.kafka_headers())
    assert headers["ce_type"] == b"testsvc.thing.happened.v1"
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_subject"] == b"w_1"
    back = Envelope.from_kafka(envelope.key.encode(), envelope.kafka_value(), envelope.kafka_headers())
    assert back == envelope
    assert back.decode() == event


def test_malformed_messages_are_rejected_with_a_reason():
    with pytest.raises(MalformedEvent, match="missing CloudEvents headers"):
        Envelope.from_kafka(b"k", b"{}", [("ce_type", b"x")])
    good = Envelope.of(ThingHappened(worker_id="w", amount_fen=1), source="/s")
    with pytest.raises(MalformedEvent, match="unreadable"):
        Envelope.from_kafka(b"k", b"{oops", good.kafka_headers())
    with pytest.raises(MalformedEvent, match="not a JSON object"):
        Envelope.from_kafka(b"k", b"[1]", good.kafka_headers())


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"ce_id": b"x" * 65}, "ce_id is 65 characters long"),
        ({"ce_type": b"testsvc." + b"t" * 200}, "ce_type is 208 characters long"),
        ({"ce_source": b"/" * 201}, "ce_source is 201 characters long"),
        ({"ce_subject": b"s" * 201}, "ce_subject is 201 characters long"),
        ({"ce_id": b""}, "missing CloudEvents headers: ce_id"),
        ({"ce_id": b"a\x00b"}, "ce_id contains a NUL"),
        ({"ce_source": b"/s\xff"}, "ce_source is not UTF-8"),
        ({"ce_type": b"Not A Type"}, "ce_type 'Not A Type' is not"),
        ({"ce_time": b"2026-11-01T08:00:00"}, "ce_time has no UTC offset"),
        ({"ce_time": b"yesterday"}, "unreadable ce_time"),
    ],
)
def test_every_attribute_is_bounded_and_checked_before_anything_is_written(change, reason):
    good = Envelope.of(ThingHappened(worker_id="w", amount_fen=1), source="/s")
    headers = dict(good.kafka_headers()) | change
    with pytest.raises(MalformedEvent, match=reason):
        Envelope.from_kafka(b"k", good.kafka_value(), list(headers.items()))


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        (b"k" * 201, b"{}", "key is 201 characters long"),
        (b"\xff", b"{}", "key is not UTF-8"),
        (b"k", b'{"a": NaN}', "not JSON"),
        (b"k", b'{"a": 1e999}', "not JSON"),
        (b"k", b'{"a": ["x\\u0000"]}', "NUL character"),
        (b"k", b"\xff\xfe", "not JSON"),
        (b"k", b"[" * 100_000, "not JSON"),
    ],
)
def test_keys_and_data_a_database_would_refuse_are_malformed(key, value, reason):
    good = Envelope.of(ThingHappened(worker_id="w", amount_fen=1), source="/s")
    with pytest.raises(MalformedEvent, match=reason):
        Envelope.from_kafka(key, value, good.kafka_headers())


def test_event_types_must_be_versioned_and_registered_once():
    with pytest.raises(ValueError, match="must look like"):
        event_type("testsvc.unversioned", key="worker_id")
    registry = EventRegistry()
    registry.register(ThingHappened)
    with pytest.raises(ValueError, match="registered twice"):

        class Impostor(DomainEvent):
            worker_id: str

        Impostor.event_type = ThingHappened.event_type
        registry.register(Impostor)


def test_breaking_schema_changes_are_detected():
    old = ThingHappened.model_json_schema()

    class AddsOptional(DomainEvent):
        worker_id: str
        amount_fen: int
        note: str | None = None
        district: str | None = None

    class RemovesField(DomainEvent):
        worker_id: str
        note: str | None = None

    class Retypes(DomainEvent):
        worker_id: str
        amount_fen: str
        note: str | None = None

    class AddsRequired(DomainEvent):
        worker_id: str
        amount_fen: int
        note: str | None = None
        district: str

    assert is_backward_compatible(old, AddsOptional.model_json_schema()) == []
    assert is_backward_compatible(old, RemovesField.model_json_schema()) == ["property 'amount_fen' removed"]
    assert "changed type" in is_backward_compatible(old, Retypes.model_json_schema())[0]
    assert is_backward_compatible(old, AddsRequired.model_json_schema()) == ["property 'district' became required"]


def test_asyncapi_document_lists_a_services_events():
    doc = asyncapi_document("testsvc")
    assert doc["asyncapi"].startswith("3.")
    assert "testsvc.events" in doc["channels"]
    message = doc["components"]["messages"]["testsvc_thing_happened_v1"]
    assert message["name"] == "testsvc.thing.happened.v1"
    assert message["payload"]["properties"]["amount_fen"]["type"] == "integer"


def test_findings_must_name_a_real_measure_and_rule():
    base = dict(
        finding_id="f1",
        severity=Severity.high,
        summary="押金",
        subject_type="contract",
        subject_id="c1",
        observed_at=datetime.now(UTC),
    )
    FindingRaised(measure="M5", rule="M5.no_deposit", **base)
    with pytest.raises(ValidationError):
        FindingRaised(measure="M21", rule="M21.x", **base)
    with pytest.raises(ValidationError):
        FindingRaised(measure="M5", rule="no_deposit", **base)


@pytest.mark.parametrize("service", ["contracts", "wages", "disputes", "training", "departments", "gateway"])
def test_a_published_event_schema_accepts_a_new_optional_field(service):
    """A consumer validating with the published (AsyncAPI) schema keeps working when the next minor
    release adds a field: the versioning policy's promise, for every event of every service."""
    importlib.import_module(f"newform_{service}.main")  # registers the service's event types
    document = asyncapi_document(service)
    for name, message in document["components"]["messages"].items():
        schema = {**message["payload"], "components": document["components"]}
        validator = jsonschema.Draft202012Validator(schema)
        assert '"additionalProperties": false' not in json.dumps(message["payload"]), name
        sample = {
            p: _sample(s, document)
            for p, s in message["payload"].get("properties", {}).items()
            if p in message["payload"].get("required", [])
        }
        validator.validate(sample)
        validator.validate({**sample, "a_field_of_the_next_release": "x"})  # what a closed schema refused


def _sample(schema: dict, document: dict):
    """A value valid under `schema` (enough for the required fields of an event)."""
    if "$ref" in schema:
        return _sample(document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], document)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return _sample(schema[key][0], document)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            return "2026-12-06T10:00:00+08:00"
        if fmt == "date":
            return "2026-12-06"
        return "x" * max(1, schema.get("minLength", 1))
    if kind == "integer":
        return max(0, schema.get("minimum", 0))
    if kind == "number":
        return 0
    if kind == "boolean":
        return False
    if kind == "array":
        return [_sample(schema["items"], document)] * schema.get("minItems", 0) if "items" in schema else []
    if kind == "object":
        return {
            p: _sample(s, document) for p, s in schema.get("properties", {}).items() if p in schema.get("required", [])
        }
    return None
