"""The test kit's own checks: the feed keys events as their producers do, and test folders import
each other never (only `tests/kit`)."""

from __future__ import annotations

import ast
from pathlib import Path

from newform_contracts.events import EnterpriseRegistered, WorkerRegistered
from newform_departments import events as department_events

from .feed import EventFeed

TESTS = Path(__file__).resolve().parent.parent


async def test_the_feed_keys_each_event_by_its_producers_declaration_and_collects_without_kafka():
    feed = EventFeed.collecting()
    enterprise = await feed.enterprise("p_kit")
    worker = await feed.worker("w_kit", "p_kit")
    finding = await feed.finding(measure="M1", rule="M1.misclassification", subject_id="c_kit", source="wages")
    assert (enterprise.type, enterprise.key) == (EnterpriseRegistered.event_type, "p_kit")
    assert (worker.type, worker.key, worker.source) == (WorkerRegistered.event_type, "w_kit", "/newform/contracts")
    assert (finding.type, finding.key, finding.source) == ("wages.finding.raised.v1", "c_kit", "/newform/wages")
    assert feed.sent == [enterprise, worker, finding]
    again = await feed.again(worker)
    assert again.id != worker.id and again.data == worker.data and again.key == worker.key


def test_a_feed_names_its_topics_by_prefix_or_outright():
    feed = EventFeed("unused:9", "t1", topics={"departments": "elsewhere"})
    assert feed.topic == "t1-contracts.events"
    assert feed.topic_of("departments") == "elsewhere"
    model = department_events.HouseholdRegistrationRecorded
    envelope = feed.envelope(
        model(
            fact_id="f1",
            subject_key="w_kit",
            department="police",
            reference="r1",
            version=1,
            observed_at="2026-01-01T00:00:00+08:00",
            recorded_at="2026-01-01T00:00:00+08:00",
            worker_id="w_kit",
            region_code="630102",
        ),
        source="departments",
    )
    assert (envelope.source, envelope.key) == ("/newform/departments", "w_kit")  # its key field: subject_key


def test_test_folders_import_only_the_kit_of_each_other():
    crossing = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:
                top = (node.module or "").split(".")[0]
                if top != "kit":
                    crossing.append(f"{path.relative_to(TESTS)}:{node.lineno} from {'.' * node.level}{node.module}")
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("tests."):
                crossing.append(f"{path.relative_to(TESTS)}:{node.lineno} from {node.module}")
    assert crossing == []
