"""Domain events: small immutable facts, their registry, and their CloudEvents envelope.

An event class declares its versioned type (`contracts.agreement.signed.v1`) and which field
orders it on Kafka (`key_field`, usually the worker's pseudonymous id). On the wire an event is
CloudEvents 1.0 in Kafka binary mode: the attributes are `ce_*` headers and the value is the JSON
data. A change that would break a consumer gets a new type version (see `is_backward_compatible`).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict

from .version import project_version

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    key_field: ClassVar[str]
    subject_field: ClassVar[str | None] = None

    def partition_key(self) -> str:
        return str(getattr(self, self.key_field))

    def subject(self) -> str | None:
        name = self.subject_field or self.key_field
        value = getattr(self, name, None)
        return None if value is None else str(value)


E = TypeVar("E", bound=DomainEvent)


class EventRegistry:
    def __init__(self) -> None:
        self._by_type: dict[str, type[DomainEvent]] = {}

    def register(self, cls: type[E]) -> type[E]:
        existing = self._by_type.get(cls.event_type)
        if existing is not None and existing is not cls:
            raise ValueError(f"event type {cls.event_type} registered twice")
        self._by_type[cls.event_type] = cls
        return cls

    def model_for(self, event_type: str) -> type[DomainEvent] | None:
        return self._by_type.get(event_type)

    def types(self, service: str | None = None) -> list[str]:
        """Registered types, all or those one service publishes (`<service>.…`)."""
        return sorted(t for t in self._by_type if service is None or t.split(".", 1)[0] == service)

    def json_schemas(self, service: str | None = None) -> dict[str, dict[str, Any]]:
        """The JSON Schema of each event type's data (what a consumer may rely on)."""
        return {t: self._by_type[t].model_json_schema() for t in self.types(service)}


registry = EventRegistry()


def event_type(type_: str, *, key: str, subject: str | None = None) -> Callable[[type[E]], type[E]]:
    """Class decorator: `@event_type("contracts.agreement.signed.v1", key="worker_id")`."""
    parts = type_.split(".")
    if len(parts) < 3 or not parts[-1].startswith("v") or not parts[-1][1:].isdigit():
        raise ValueError(f"event type {type_!r} must look like '<service>.<aggregate>.<verb>.v<N>'")

    def decorate(cls: type[E]) -> type[E]:
        cls.event_type = type_
        cls.key_field = key
        cls.subject_field = subject
        if key not in cls.model_fields:
            raise ValueError(f"{cls.__name__} has no key field {key!r}")
        return registry.register(cls)

    return decorate


@dataclass(frozen=True)
class Envelope:
    """A CloudEvent as it travels: attributes plus JSON data, and its Kafka key."""

    id: str
    source: str
    type: str
    time: datetime
    key: str
    data: dict[str, Any]
    subject: str | None = None
    specversion: str = SPEC_VERSION
    datacontenttype: str = CONTENT_TYPE
    extra_headers: dict[str, str] = field(default_factory=dict)
    # Where a consumer read it (None for an envelope not read from Kafka).
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None

    @classmethod
    def of(cls, event: DomainEvent, *, source: str, time: datetime | None = None) -> Envelope:
        return cls(
            id=str(uuid.uuid4()),
            source=source,
            type=event.event_type,
            time=time or datetime.now(UTC),
            key=event.partition_key(),
            subject=event.subject(),
            data=event.model_dump(mode="json"),
        )

    @property
    def service(self) -> str:
        return self.type.split(".", 1)[0]

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        headers = {
            "ce_specversion": self.specversion,
            "ce_id": self.id,
            "ce_source": self.source,
            "ce_type": self.type,
            "ce_time": self.time.isoformat(),
            "content-type": self.datacontenttype,
        }
        if self.subject is not None:
            headers["ce_subject"] = self.subject
        headers.update(self.extra_headers)
        return [(k, v.encode()) for k, v in headers.items()]

    def kafka_value(self) -> bytes:
        return json.dumps(self.data, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_kafka(
        cls,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
        *,
        topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
    ) -> Envelope:
        """Parse a binary-mode CloudEvent; raises `MalformedEvent` (with the reason) when it is not one.

        Everything a consumer writes (inbox, event log) is checked here first, so that a poison event
        fails before anything is written and never in the middle of a transaction: each attribute
        is UTF-8, free of NUL, within its column's bound (`ATTRIBUTE_LIMITS`), the time has an
        offset, the data is a JSON object without NaN or NUL characters (PostgreSQL's jsonb refuses
        both)."""
        h: dict[str, str] = {}
        for name, raw in headers:
            if not (name.startswith("ce_") or name == "content-type"):
                continue  # not a CloudEvents attribute: not read, not kept
            if raw is None:
                raise MalformedEvent(f"header {name} has no value")
            try:
                h[name] = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise MalformedEvent(f"header {name} is not UTF-8") from exc
        missing = [a for a in ("ce_id", "ce_source", "ce_type", "ce_specversion") if not h.get(a)]
        if missing:
            raise MalformedEvent(f"missing CloudEvents headers: {', '.join(missing)}")
        if h["ce_specversion"] != SPEC_VERSION:
            raise MalformedEvent(f"unsupported specversion {h['ce_specversion'][:20]!r}")
        try:
            key_text = (key or b"").decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedEvent("key is not UTF-8") from exc
        for name, text_ in [*h.items(), ("key", key_text)]:
            limit = ATTRIBUTE_LIMITS.get(name, EXTENSION_LIMIT)
            if len(text_) > limit:
                raise MalformedEvent(f"{name} is {len(text_)} characters long (at most {limit})")
            if "\x00" in text_:
                raise MalformedEvent(f"{name} contains a NUL character")
        if not EVENT_TYPE.match(h["ce_type"]):
            raise MalformedEvent(f"ce_type {h['ce_type']!r} is not '<service>.<name>…' (lower case, dots)")
        try:
            time = datetime.fromisoformat(h["ce_time"]) if "ce_time" in h else datetime.now(UTC)
        except ValueError as exc:
            raise MalformedEvent(f"unreadable ce_time: {exc}") from exc
        if time.tzinfo is None:
            raise MalformedEvent("ce_time has no UTC offset")
        data = _json_object(value)
        known = {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "content-type"}
        return cls(
            id=h["ce_id"],
            source=h["ce_source"],
            type=h["ce_type"],
            time=time,
            key=key_text,
            subject=h.get("ce_subject"),
            data=data,
            extra_headers={k: v for k, v in h.items() if k not in known},
            topic=topic,
            partition=partition,
            offset=offset,
        )

    def decode(self, reg: EventRegistry = registry) -> DomainEvent:
        model = reg.model_for(self.type)
        if model is None:
            raise MalformedEvent(f"unknown event type {self.type}")
        return model.model_validate(self.data)


class MalformedEvent(ValueError):
    pass


#: Bounds of the attributes a consumer stores (the inbox's and the gateway event log's columns).
ATTRIBUTE_LIMITS = {
    "ce_id": 64,
    "ce_type": 200,
    "ce_source": 200,
    "ce_subject": 200,
    "key": 200,
    "ce_specversion": 10,
    "ce_time": 64,
    "content-type": 100,
}
#: Any other `ce_*` extension attribute.
EXTENSION_LIMIT = 1000
#: `<service>.<aggregate>.<verb>.v<N>` in general; the service part is at most 100 characters (a column).
EVENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}(\.[a-z0-9_-]+)+$")


def _json_object(value: bytes | None) -> dict[str, Any]:
    if not value:
        return {}
    try:
        data = orjson.loads(value)  # refuses NaN, infinite numbers, invalid UTF-8 and runaway nesting
    except orjson.JSONDecodeError as exc:
        raise MalformedEvent(f"unreadable event data (not JSON): {str(exc)[:200]}") from exc
    if not isinstance(data, dict):
        raise MalformedEvent("event data is not a JSON object")
    if b"\\u0000" in value and _has_nul(data):  # JSON writes NUL only as \u0000: look only then
        raise MalformedEvent("event data contains a NUL character")
    return data


def _has_nul(node: Any) -> bool:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def is_backward_compatible(
    old: dict[str, Any],
    new: dict[str, Any],
    *,
    old_root: dict[str, Any] | None = None,
    new_root: dict[str, Any] | None = None,
) -> list[str]:
    """Reasons why consumers of `old` would break on data valid under `new` (empty: compatible).

    The whole schema is compared, nested objects, array items and `$ref`s included (resolved in
    `old_root`/`new_root`, by default the schemas themselves, so their `$defs`). Compatible: adding
    optional properties, narrowing (dropping `null`, fewer enum values). Breaking: removing or
    retyping a property, a new required property, a required property becoming optional, a type
    that accepts more (a new enum value, a new alternative), a changed `const` or `format`.
    """
    problems: list[str] = []
    _compare(old, new, old_root or old, new_root or new, "", problems, 0)
    return problems


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 50:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"cannot resolve {ref!r}: only references inside the document are supported")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **extra}
        seen += 1
    return schema


def _alternatives(schema: dict[str, Any]) -> list[dict[str, Any]] | None:
    for key in ("anyOf", "oneOf"):
        if key in schema:
            alternatives: list[dict[str, Any]] = schema[key]
            return alternatives
    if isinstance(schema.get("type"), list):
        return [{**schema, "type": t} for t in schema["type"]]
    return None


def _label(schema: dict[str, Any]) -> str:
    if "const" in schema:
        return f"const {schema['const']!r}"
    if "enum" in schema:
        return f"enum {schema['enum']}"
    return str(schema.get("type", "any"))


def _compare(
    old: dict[str, Any],
    new: dict[str, Any],
    old_root: dict[str, Any],
    new_root: dict[str, Any],
    where: str,
    problems: list[str],
    depth: int,
) -> None:
    if depth > 40:  # a recursive schema: deep enough to have seen every distinct shape
        return
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    name = f"property {where!r}" if where else "the event"
    old_alts, new_alts = _alternatives(old), _alternatives(new)
    if old_alts is not None or new_alts is not None:
        olds = old_alts if old_alts is not None else [old]
        for alt in new_alts if new_alts is not None else [new]:
            # Each shape the new schema allows must be one some old alternative accepts.
            trials = []
            for candidate in olds:
                found: list[str] = []
                _compare(candidate, alt, old_root, new_root, where, found, depth + 1)
                trials.append(found)
                if not found:
                    break
            else:
                best = min(trials, key=len) if trials else []
                if len(olds) == 1 and best:
                    problems.extend(best)
                else:
                    problems.append(f"{name} now also accepts {_label(_resolve(alt, new_root))}")
        return
    if "type" in old and "type" in new and old["type"] != new["type"]:
        problems.append(f"{name} changed type {old['type']} -> {new['type']}")
        return
    if "const" in old and new.get("const", new.get("enum")) != old["const"] and new.get("enum") != [old["const"]]:
        problems.append(f"{name} changed const {old['const']!r} -> {new.get('const', new.get('enum'))!r}")
    if "enum" in old:
        allowed = new.get("enum", [new["const"]] if "const" in new else None)
        if allowed is None:
            problems.append(f"{name} is no longer limited to {old['enum']}")
        else:
            added = [v for v in allowed if v not in old["enum"]]
            if added:
                problems.append(f"{name} gained enum values {added}")
    if old.get("format") != new.get("format") and "format" in old:
        problems.append(f"{name} changed format {old.get('format')} -> {new.get('format')}")
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for prop, spec in old_props.items():
        path = f"{where}.{prop}" if where else prop
        if prop not in new_props:
            problems.append(f"property {path!r} removed")
        else:
            _compare(spec, new_props[prop], old_root, new_root, path, problems, depth + 1)
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    for prop in sorted(new_required - old_required):
        problems.append(f"property {(where + '.' if where else '') + prop!r} became required")
    for prop in sorted(old_required - new_required):
        if prop in new_props:
            problems.append(f"property {(where + '.' if where else '') + prop!r} is no longer required")
    if "items" in old and "items" in new:
        _compare(old["items"], new["items"], old_root, new_root, f"{where}[]", problems, depth + 1)


def _hoist_definitions(schema: dict[str, Any], shared: dict[str, Any], owner: str) -> dict[str, Any]:
    """Move a model schema's `$defs` into the document's `components.schemas` and point its refs
    there, so every `$ref` resolves inside the AsyncAPI document (`#/$defs/X` would point to the
    document root). A name two models define differently is kept apart by prefixing the owner."""
    defs = schema.get("$defs", {})
    renames: dict[str, str] = {}
    for name, definition in defs.items():
        target = name
        if name in shared and shared[name] != _rewrite_refs(definition, renames | {name: name}):
            target = f"{owner}_{name}"
        renames[name] = target
    for name, definition in defs.items():
        shared[renames[name]] = _rewrite_refs(definition, renames)
    body = {k: v for k, v in schema.items() if k != "$defs"}
    rewritten: dict[str, Any] = _rewrite_refs(body, renames)
    return rewritten


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/"):
                name = v[len("#/$defs/") :]
                out[k] = f"#/components/schemas/{renames.get(name, name)}"
            else:
                out[k] = _rewrite_refs(v, renames)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, renames) for v in node]
    return node


def open_to_new_fields(node: Any) -> Any:
    """The schema a consumer validates with: without `additionalProperties: false`.

    Our models forbid unknown fields when *we* build an event (a typo fails at once), but the published
    contract must let a consumer accept the next minor release's new optional field: the versioning
    policy calls that compatible, and a consumer validating with a closed schema would reject it."""
    if isinstance(node, dict):
        return {k: open_to_new_fields(v) for k, v in node.items() if not (k == "additionalProperties" and v is False)}
    if isinstance(node, list):
        return [open_to_new_fields(v) for v in node]
    return node


def asyncapi_document(service: str, reg: EventRegistry = registry, version: str | None = None) -> dict[str, Any]:
    """AsyncAPI 3.0 description of the events one service publishes, from the event models. Every
    `$ref` resolves inside the document (the models' `$defs` become `components.schemas`); payloads
    are open to new fields (`open_to_new_fields`)."""
    if version is None:
        version = project_version()
    topic = f"{service}.events"
    messages = {}
    schemas: dict[str, Any] = {}
    for t in reg.types(service):
        model = reg.model_for(t)
        assert model is not None
        name = t.replace(".", "_")
        messages[name] = {
            "name": t,
            "title": model.__name__,
            "summary": (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else t,
            "contentType": CONTENT_TYPE,
            "payload": _hoist_definitions(open_to_new_fields(model.model_json_schema()), schemas, model.__name__),
            "bindings": {"kafka": {"key": {"type": "string", "description": f"the event's {model.key_field}"}}},
            "headers": {
                "type": "object",
                "required": ["ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time"],
                "properties": {
                    "ce_type": {"const": t},
                    "ce_id": {"type": "string"},
                    "ce_source": {"type": "string"},
                    "ce_specversion": {"const": SPEC_VERSION},
                    "ce_time": {"type": "string", "format": "date-time"},
                    "ce_subject": {"type": "string"},
                },
            },
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": f"newform {service} events", "version": version},
        "channels": {
            topic: {"address": topic, "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in messages}}
        },
        "operations": {
            f"publish_{service}_events": {
                "action": "send",
                "channel": {"$ref": f"#/channels/{topic}"},
            }
        },
        "components": {"messages": messages, **({"schemas": dict(sorted(schemas.items()))} if schemas else {})},
    }


def write_event_schemas(service: str, directory: str | os.PathLike[str]) -> list[Path]:
    """Write one committed `<type>.json` per event type `service` publishes (run after adding a type)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for type_, schema in registry.json_schemas(service).items():
        path = directory / f"{type_}.json"
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        written.append(path)
    return written
