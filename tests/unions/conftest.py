"""Fixtures for the unions service: one migrated database and one running app per test module, on
topics of its own (a prefixed name per run, so tests sharing a broker never read each other's)."""

from __future__ import annotations

import pytest

from newform_common.kafka import ensure_topics
from newform_common.testing import TEST_PII_SECRET, migrated_database, running_service, unique_name
from newform_unions.config import Settings
from newform_unions.main import create_app


@pytest.fixture(scope="module")
async def api(new_database, kafka, tokens):
    url = await migrated_database(new_database, "unions")
    name = unique_name("unions")
    settings = Settings(
        database_url=url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        deadline_poll_interval_s=0.2,
        service_name=name,
        pii_secret=TEST_PII_SECRET,
        contracts_topic=f"{name}-contracts.events",
    )
    topics = [f"{name}-contracts.events", settings.topic]
    await ensure_topics(kafka.bootstrap_servers, topics)
    async with running_service(create_app, settings, tokens) as service:
        yield service
