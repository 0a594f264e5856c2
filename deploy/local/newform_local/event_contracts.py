"""Development-side checks of the event contracts between services: every consumer model
(`newform_common.consumed.ConsumedEvent`) against the producer's committed JSON Schema. The runtime
never loads another service's package; the tests and `newform api check` do, here."""

from __future__ import annotations

import importlib
import importlib.resources
import json
from typing import Any

from newform_common.consumed import ConsumedEvent


def consumer_models(service_package: str) -> list[type[ConsumedEvent]]:
    """Every consumer model a service package declares in its `consumed` module (if it has one)."""
    try:
        module = importlib.import_module(f"{service_package}.consumed")
    except ModuleNotFoundError:
        return []
    return [
        v
        for v in vars(module).values()
        if isinstance(v, type)
        and issubclass(v, ConsumedEvent)
        and v is not ConsumedEvent
        and getattr(v, "event_type", None)
    ]


def committed_schema(event_type: str) -> dict[str, Any] | None:
    """The producer's committed JSON Schema of `event_type` (`newform_<producer>/event_schemas/`)."""
    producer = event_type.split(".", 1)[0]
    try:
        path = importlib.resources.files(f"newform_{producer}") / "event_schemas" / f"{event_type}.json"
    except ModuleNotFoundError:
        return None
    return json.loads(path.read_text()) if path.is_file() else None


def _json_types(spec: dict[str, Any], defs: dict[str, Any]) -> set[str]:
    """The JSON types a schema property admits ('object' for refs, anyOf unioned)."""
    if "$ref" in spec:
        target = defs.get(spec["$ref"].rsplit("/", 1)[-1], {})
        return _json_types(target, defs) if target else {"object"}
    if "anyOf" in spec:
        return set().union(*(_json_types(s, defs) for s in spec["anyOf"]))
    if "enum" in spec:
        return {type_name(v) for v in spec["enum"]}
    if "const" in spec:
        return {type_name(spec["const"])}
    kind = spec.get("type")
    if isinstance(kind, list):
        return set(kind)
    return {kind} if kind else {"any"}


def type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}.get(
        type(value), "object"
    )


def compatibility_problems(model: type[ConsumedEvent], producer: dict[str, Any]) -> list[str]:
    """Why `model` could fail on events valid under the producer's schema (empty: it reads them all)."""
    problems: list[str] = []
    mine = model.model_json_schema()
    my_defs, their_defs = mine.get("$defs", {}), producer.get("$defs", {})
    their_props, their_required = producer.get("properties", {}), set(producer.get("required", []))
    my_required = set(mine.get("required", []))
    for name, spec in mine.get("properties", {}).items():
        if name not in their_props:
            if name in my_required:
                problems.append(f"{model.__name__}.{name}: the producer does not publish it")
            continue
        theirs, ours = _json_types(their_props[name], their_defs), _json_types(spec, my_defs)
        if "any" in ours:
            continue
        if "integer" in theirs and "number" in ours:
            theirs = (theirs - {"integer"}) | {"number"}
        missing = theirs - ours
        if name in my_required and name not in their_required:
            problems.append(f"{model.__name__}.{name}: required here, optional in the producer's schema")
        if missing:
            problems.append(
                f"{model.__name__}.{name}: the producer may send {sorted(missing)}, this model accepts {sorted(ours)}"
            )
    return problems
