"""The committed JSON Schemas are the contract with consumers (the gateway): the current models must
stay backward compatible with them; a breaking change must be a new event type version."""

from __future__ import annotations

import json

from newform_common.events import is_backward_compatible
from newform_contracts.events import SCHEMA_DIR, contract_event_types, current_schemas

CATALOGUE = {
    "contracts.enterprise.registered.v1",
    "contracts.worker.registered.v1",
    "contracts.contract.drafted.v1",
    "contracts.contract.sent.v1",
    "contracts.contract.signed.v1",
    "contracts.contract.terminated.v1",
    "contracts.contract.expired.v1",
    "contracts.account.restricted.v1",
    "contracts.rule_notice.published.v1",
    "contracts.finding.raised.v1",
    "contracts.contract.discarded.v1",
    "contracts.account.restriction_appealed.v1",
    "contracts.account.restriction_lifted.v1",
    "contracts.deadline.recomputed.v1",
    "contracts.weather_response.declared.v1",
}


def test_every_catalogue_type_has_a_model_and_a_committed_schema():
    assert set(contract_event_types()) == CATALOGUE
    assert {p.name.removesuffix(".json") for p in SCHEMA_DIR.glob("*.json")} == CATALOGUE


def test_current_models_are_backward_compatible_with_the_committed_schemas():
    current = current_schemas()
    for path in SCHEMA_DIR.glob("*.json"):
        committed = json.loads(path.read_text())
        problems = is_backward_compatible(committed, current[path.name.removesuffix(".json")])
        assert problems == [], f"{path.name}: {problems} — publish a new version instead"


def test_the_check_catches_a_breaking_change():
    committed = json.loads((SCHEMA_DIR / "contracts.worker.registered.v1.json").read_text())
    broken = {**committed, "properties": {k: v for k, v in committed["properties"].items() if k != "occupation"}}
    assert is_backward_compatible(committed, broken)


def test_no_event_model_has_a_field_for_an_id_number_or_phone():
    for t, schema in current_schemas().items():
        names = set(schema.get("properties", {}))
        assert not names & {"id_number", "phone", "mobile", "worker_name"}, t
