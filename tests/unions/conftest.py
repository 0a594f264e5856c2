"""Fixtures for the unions service: one migrated database and one running app per test module, on
topics of its own (a prefixed name per run, so tests sharing a broker never read each other's); its
contracts topic is fed by the test kit's typed feed, and its clocks fire when a test fires them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from newform_common.db import Database
from newform_common.deadlines import fire_due
from newform_common.kafka import ensure_topics
from newform_common.testing import TEST_PII_SECRET, ServiceApi, migrated_database, running_service, unique_name
from newform_unions.config import Settings
from newform_unions.main import create_app
from newform_unions.service import DEADLINE_HANDLERS

from ..kit.feed import EventFeed


@dataclass
class Unions:
    """The running service, the feed of its contracts topic, and a way to fire its clocks."""

    api: ServiceApi
    contracts: EventFeed

    async def fire(self, now: datetime) -> set[tuple[str, str]]:
        """Fire every clock due at `now`, as the deadline worker would then: (kind, subject) of each."""
        db = Database(self.api.url, service=self.api.settings.service_name)
        try:
            return {(d.kind, d.subject_id) for d in await fire_due(db, DEADLINE_HANDLERS, now=now)}
        finally:
            await db.dispose()


@pytest.fixture(scope="module")
async def unions(new_database, kafka, tokens):
    url = await migrated_database(new_database, "unions")
    name = unique_name("unions")
    prefix = name.replace("_", "")
    settings = Settings(
        database_url=url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        deadline_poll_interval_s=0.2,
        run_deadlines=False,
        service_name=name,
        pii_secret=TEST_PII_SECRET,
        contracts_topic=f"{prefix}-contracts.events",
    )
    topics = [f"{prefix}-contracts.events", settings.topic]
    await ensure_topics(kafka.bootstrap_servers, topics)
    async with running_service(create_app, settings, tokens) as service:
        yield Unions(api=service, contracts=EventFeed(kafka.bootstrap_servers, prefix))


@pytest.fixture(scope="module")
async def api(unions):
    return unions.api
