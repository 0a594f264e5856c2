"""Fixtures for the wages service: one migrated database and one running app per test module."""

from __future__ import annotations

import pytest

from newform_common.testing import migrated_database, running_service
from newform_wages.config import Settings
from newform_wages.main import create_app


@pytest.fixture(scope="module")
async def api(new_database, kafka, tokens):
    url = await migrated_database(new_database, "wages")
    settings = Settings(database_url=url, kafka_bootstrap_servers=kafka.bootstrap_servers,
                        jwt_public_key=tokens.public_pem, relay_poll_interval_s=0.2, deadline_poll_interval_s=0.2)
    async with running_service(create_app, settings, tokens) as service:
        yield service
