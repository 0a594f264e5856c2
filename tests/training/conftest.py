"""Fixtures for the training service: one migrated database and one running app per test module."""

from __future__ import annotations

import pytest

from newform_common.kafka import ensure_topics
from newform_common.testing import migrated_database, running_service, unique_name
from newform_training.config import Settings
from newform_training.main import create_app

from ..kit.training import TrainingApi


@pytest.fixture(scope="module")
async def api(new_database, kafka, tokens):
    url = await migrated_database(new_database, "training")
    topic = f"{unique_name('t')}-contracts.events"
    departments_topic = topic.replace("contracts.events", "departments.events")
    await ensure_topics(kafka.bootstrap_servers, [topic, departments_topic])
    settings = Settings(
        database_url=url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        deadline_poll_interval_s=0.2,
        contracts_topic=topic,
        departments_topic=departments_topic,
        service_name=unique_name("training"),
    )
    async with running_service(create_app, settings, tokens) as service:
        yield TrainingApi(
            client=service.client,
            tokens=tokens,
            url=url,
            settings=settings,
            contracts_topic=topic,
            departments_topic=departments_topic,
        )
