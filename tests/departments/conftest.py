"""Fixtures for the departments service: one migrated database and one running app per test module."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import pytest

from newform_common.kafka import ensure_topics
from newform_common.testing import TEST_PII_SECRET, ServiceApi, migrated_database, running_service, unique_name
from newform_departments.config import Settings
from newform_departments.main import create_app


@dataclass
class DepartmentsApi(ServiceApi):
    """The kit's ServiceApi with each department's headers and the topics the test uses."""

    contracts_topic: str = ""

    async def post(self, path: str, department: str, body: dict, **headers: str):
        return await self.client.post(path, headers={**self.department(department), **headers}, json=body)

    def reading(self, headers: dict[str, str], purpose: str = "case review") -> dict[str, str]:
        # Header values are ASCII: a purpose in Chinese travels percent-encoded (UTF-8).
        return {**headers, "X-Purpose": quote(purpose)}


@pytest.fixture(scope="module")
async def api(new_database, kafka, tokens):
    url = await migrated_database(new_database, "departments")
    name = unique_name("departments")
    topic = f"{name}-contracts.events"
    settings = Settings(
        database_url=url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        deadline_poll_interval_s=0.2,
        contracts_topic=topic,
        service_name=name,
        pii_secret=TEST_PII_SECRET,
    )
    await ensure_topics(kafka.bootstrap_servers, [topic, settings.topic])
    async with running_service(create_app, settings, tokens) as service:
        yield DepartmentsApi(client=service.client, tokens=tokens, url=url, settings=settings, contracts_topic=topic)
