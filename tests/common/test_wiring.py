"""Event wiring from the registry (`newform_common.wiring`): a service's registry line names what it
consumes; its `handlers.py` holds `on_<source>_events`; the app factory runs one consumer per source
with the group `<service>-<source>` and the topic its settings name (`<SERVICE>_<SOURCE>_TOPIC`)."""

from __future__ import annotations

import asyncio
import importlib
import types

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from newform_common import registry, wiring
from newform_common.migrations import upgrade

CONSUMING = [s for s in registry.installed() if s.consumes and registry.ALL_TOPICS not in s.consumes]


def settings_of(service: registry.ServiceSpec, **values):
    return importlib.import_module(f"{service.package}.config").Settings(**values)


@pytest.mark.parametrize("service", CONSUMING, ids=lambda s: s.name)
def test_each_consumed_topic_has_its_handler_group_and_topic_setting(service):
    settings = settings_of(service)
    subscriptions = wiring.subscriptions(settings)
    assert [s.source for s in subscriptions] == [wiring.source_of(t) for t in service.consumes]
    for s in subscriptions:
        assert s.handler.__name__ == f"on_{s.source}_events"
        assert s.group == f"{service.name}-{s.source}"
        if s.source == service.name:
            assert s.topic == settings.topic  # its own topic
            continue
        assert s.topic == f"{s.source}.events"
        field = type(settings).model_fields[f"{s.source}_topic"]
        assert field.validation_alias == wiring.topic_variable(service.name, s.source)


@pytest.mark.parametrize("service", CONSUMING, ids=lambda s: s.name)
def test_a_test_or_an_operator_points_a_service_elsewhere(service, monkeypatch):
    source = next(wiring.source_of(t) for t in service.consumes if wiring.source_of(t) != service.name)
    monkeypatch.setenv(wiring.topic_variable(service.name, source), f"staging-{source}.events")
    monkeypatch.setenv("CONSUMER_GROUP_PREFIX", "staging")
    (moved,) = [s for s in wiring.subscriptions(settings_of(service)) if s.source == source]
    assert (moved.topic, moved.group) == (f"staging-{source}.events", f"staging-{source}")
    monkeypatch.setenv("RUN_CONSUMERS", "false")
    assert wiring.consumers_from_registry(None, settings_of(service)) == []  # type: ignore[arg-type]


def test_a_registry_line_without_its_handler_fails_at_start_naming_what_is_missing(monkeypatch):
    wages = registry.spec("wages")
    line = registry.ServiceSpec("wages", wages.port, wages.summary, consumes=("contracts.events", "training.events"))
    with pytest.raises(LookupError, match="newform_wages.handlers has no on_training_events"):
        wiring.subscriptions(settings_of(wages), line)


def test_only_keeps_the_event_types_a_handler_names():
    @wiring.only("contracts.worker.registered.v1")
    async def on_contracts_events(session, envelopes):
        return None

    handlers = types.SimpleNamespace(on_contracts_events=on_contracts_events)
    assert handlers.on_contracts_events.event_types == ("contracts.worker.registered.v1",)


async def test_the_renamed_groups_keep_what_they_handled(new_database):
    """common_0005: the inbox rows of the groups named before the registry drove the wiring follow
    the new names, so a new group re-reading its topic changes nothing it had handled."""
    url = new_database("wiring")
    await asyncio.to_thread(upgrade, "newform_contracts", url, "common_0004")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for consumer, event_id, type_ in [
                ("contracts-verified", "e1", "departments.insurance_enrolment.recorded.v1"),
                ("contracts-verified", "e2", "contracts.contract.sent.v1"),
                ("wages-engagements", "e3", "contracts.contract.signed.v1"),
                ("contracts-calendar", "e4", "gateway.calendar.schedule_loaded.v1"),
            ]:
                await conn.execute(
                    text(
                        'insert into inbox (consumer, event_id, type, topic, partition, "offset", outcome) '
                        "values (:c, :e, :t, 'x', 0, 0, 'handled')"
                    ),
                    {"c": consumer, "e": event_id, "t": type_},
                )
        await asyncio.to_thread(upgrade, "newform_contracts", url)
        async with engine.connect() as conn:
            rows = (await conn.execute(text("select event_id, consumer from inbox order by event_id"))).all()
    finally:
        await engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("e1", "contracts-departments"),
        ("e2", "contracts-contracts"),
        ("e3", "wages-contracts"),
        ("e4", "contracts-calendar"),
    ]
