"""Fixtures for the wages service: one migrated database and one running app per test module, reading
contracts' engagements and unions' collective contracts from topics of its own."""

from __future__ import annotations

import uuid

import pytest

from newform_common.kafka import ensure_topics
from newform_common.testing import migrated_database, running_service
from newform_wages.config import Settings
from newform_wages.main import create_app

from ..kit.feed import EventFeed


@pytest.fixture(scope="module")
async def contracts_topic(kafka) -> str:
    topic = f"t{uuid.uuid4().hex[:8]}-contracts.events"
    await ensure_topics(kafka.bootstrap_servers, [topic])
    return topic


@pytest.fixture(scope="module")
async def unions_topic(kafka) -> str:
    topic = f"t{uuid.uuid4().hex[:8]}-unions.events"
    await ensure_topics(kafka.bootstrap_servers, [topic])
    return topic


@pytest.fixture(scope="module")
async def api(new_database, kafka, tokens, contracts_topic, unions_topic):
    url = await migrated_database(new_database, "wages")
    settings = Settings(
        database_url=url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        deadline_poll_interval_s=3600,
        contracts_topic=contracts_topic,
        unions_topic=unions_topic,
    )
    async with running_service(create_app, settings, tokens) as service:
        yield service


@pytest.fixture(scope="module")
def feed(kafka, contracts_topic, unions_topic) -> EventFeed:
    return EventFeed(kafka.bootstrap_servers, topics={"contracts": contracts_topic, "unions": unions_topic})
