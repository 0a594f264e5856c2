"""The unions service's events: the committed schemas (`event_schemas/`) are what the code publishes,
and the consumers its registry line names are wired to its handlers."""

from __future__ import annotations

import json

from newform_common import registry, wiring
from newform_common.events import registry as event_registry
from newform_unions import events
from newform_unions.config import Settings


def test_the_committed_event_schemas_are_the_codes():
    committed = {p.name.removesuffix(".json"): json.loads(p.read_text()) for p in events.SCHEMA_DIR.glob("*.json")}
    assert committed == event_registry.json_schemas("unions"), "run `python -m newform_unions.events`"
    assert "unions.finding.raised.v1" in committed


def test_every_consumed_topic_has_its_handler_group_and_topic_setting():
    spec = registry.spec("unions")
    subscriptions = wiring.subscriptions(Settings(), spec)
    assert [s.topic for s in subscriptions] == list(spec.consumes)
    assert all(s.group == f"unions-{s.source}" for s in subscriptions)
