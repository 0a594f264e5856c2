"""The operators' own CRD schemas, for offline validation of their custom resources.

kubernetes-validate bundles only the built-in kinds, and no package on PyPI or npm ships the
Strimzi or CloudNativePG CRDs, so `crds/` holds the operators' CRD files as released (unmodified;
sources and versions in crds/README.md). Each served version's `openAPIV3Schema` is turned into a
JSON Schema the way the API server reads it, then made strict as kubernetes-validate's strict mode
is: an object that lists its properties accepts no other field unless it says
`x-kubernetes-preserve-unknown-fields` (the API server would prune such a field silently, or refuse it
with `--validate=strict`: a misspelt field never takes effect either way).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CRD_DIR = Path(__file__).parent / "crds"


def _strict(node: Any) -> Any:
    """OpenAPI v3 (Kubernetes' structural schema) → strict JSON Schema."""
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {
        k: _strict(v)
        for k, v in node.items()
        if k
        not in (
            "x-kubernetes-validations",
            "x-kubernetes-list-type",
            "x-kubernetes-list-map-keys",
            "x-kubernetes-map-type",
            "nullable",
            "x-kubernetes-int-or-string",
            "x-kubernetes-preserve-unknown-fields",
            "x-kubernetes-embedded-resource",
        )
    }
    if "properties" in out:
        out["properties"] = {k: _strict(v) for k, v in node["properties"].items()}
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if (
        (out.get("type") == "object" or "properties" in out)
        and "properties" in out
        and "additionalProperties" not in out
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@dataclass
class CrdSchemas:
    schemas: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (apiVersion, kind) → schema
    sources: dict[tuple[str, str], str] = field(default_factory=dict)

    def knows(self, doc: dict[str, Any]) -> bool:
        return (doc.get("apiVersion"), doc.get("kind")) in self.schemas or self.group_known(doc)

    def group_known(self, doc: dict[str, Any]) -> bool:
        group = str(doc.get("apiVersion", "")).split("/")[0]
        return any(api.split("/")[0] == group for api, _ in self.schemas)


@cache
def load() -> CrdSchemas:
    crds = CrdSchemas()
    for path in sorted(CRD_DIR.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if not version.get("served", True):
                    continue
                key = (f"{group}/{version['name']}", kind)
                crds.schemas[key] = _strict(version["schema"]["openAPIV3Schema"])
                crds.sources[key] = path.name
    return crds


CRDS = load()


def validate_custom(doc: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless `doc` is valid under its operator's CRD (strict); a
    resource of an operator's group whose kind or version the CRDs do not serve fails too."""
    key = (doc.get("apiVersion"), doc.get("kind"))
    schema = CRDS.schemas.get(key)
    if schema is None:
        raise jsonschema.ValidationError(
            f"{key[1]} {key[0]}: no such served kind/version in the operators' CRDs ({sorted(CRDS.schemas)})"
        )
    jsonschema.Draft7Validator(schema).validate(doc)
