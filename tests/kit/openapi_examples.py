"""Checking the examples of an OpenAPI document against their schemas (issue 8 item 19): the JSON
Schema keywords FastAPI emits for the services' models, plus the identifiers' check digits."""

from __future__ import annotations

import re
from datetime import date, datetime

from newform_common.identity import InvalidIdentifier, validate_credit_code, validate_resident_id


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield path, method, op


def schema_errors(doc: dict, schema: dict, value, where: str = "$") -> list[str]:
    """Why `value` does not fit `schema` (empty: it fits). No dependency needed for this subset."""
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
