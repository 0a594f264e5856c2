"""Every service's model of another service's event reads what the producer's committed schema allows."""

from __future__ import annotations

from newform_common import registry
from newform_common.consumed import ConsumedEvent, consumes
from newform_local.event_contracts import committed_schema, compatibility_problems, consumer_models


def test_consumer_models_match_the_producers_committed_schemas():
    problems = []
    for service in registry.installed():
        for model in consumer_models(service.package):
            schema = committed_schema(model.event_type)
            if schema is None:
                problems.append(f"{service.name} reads {model.event_type}, which no producer has committed")
            else:
                problems.extend(f"{service.name}: {p}" for p in compatibility_problems(model, schema))
    assert problems == []


def test_the_check_catches_a_field_the_producer_does_not_publish_or_types_differently():
    schema = committed_schema("contracts.contract.signed.v1")
    assert schema is not None

    class Reads(ConsumedEvent):
        contract_id: str
        worker_id: str
        signed_by: list[str]

    assert compatibility_problems(consumes("contracts.contract.signed.v1")(Reads), schema) == []

    class Renamed(ConsumedEvent):
        contract_id: str
        signatory: str  # the producer has no such field

    class Retyped(ConsumedEvent):
        contract_id: int  # the producer sends a string

    assert any("does not publish" in p for p in compatibility_problems(Renamed, schema))
    assert any("may send ['string']" in p for p in compatibility_problems(Retyped, schema))


def test_unknown_fields_are_ignored_so_producers_may_add_fields():
    class Reads(ConsumedEvent):
        contract_id: str

    assert Reads.model_validate({"contract_id": "c1", "added_later": 1}).contract_id == "c1"
