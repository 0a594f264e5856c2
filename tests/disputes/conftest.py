"""Fixtures for the disputes service: one migrated database and one running app per test module,
reading engagements from a contracts topic of its own (fed by a test publisher, like contracts)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import pytest

from newform_common.db import Database
from newform_common.deadlines import fire_due
from newform_common.kafka import ensure_topics
from newform_common.testing import ServiceApi, eventually, migrated_database, running_service, scalar, unique_name
from newform_disputes.config import Settings
from newform_disputes.handlers import DEADLINE_HANDLERS
from newform_disputes.main import create_app

from ..kit.feed import EventFeed


@dataclass
class Disputes:
    """The running service, the publisher of its contracts topic, and a way to fire its clocks."""

    api: ServiceApi
    contracts: EventFeed

    async def engagement(
        self,
        worker_id: str,
        platform_id: str,
        *,
        engagement_type: str = "labor_contract",
        occupation: str = "food_delivery",
        district: str = "chengxi",
    ) -> str:
        """A contract drafted and signed in contracts, once our copy of it has arrived."""
        contract_id = "c_" + secrets.token_hex(6)
        await self.contracts.contract(
            contract_id,
            worker_id,
            platform_id,
            engagement_type=engagement_type,
            occupation=occupation,
            district=district,
        )
        await self.contracts.contract_signed(contract_id, worker_id, platform_id, engagement_type=engagement_type)

        async def copied():
            return (
                await scalar(self.api.url, "select status from engagements where contract_id = :c", c=contract_id)
                == "signed"
            )

        await eventually(copied)
        return contract_id

    async def fire(self, now: datetime) -> set[tuple[str, str]]:
        """Fire every clock due at `now`, as the deadline worker would then: (kind, subject) of each."""
        db = Database(self.api.url, service="disputes")
        try:
            return {(d.kind, d.subject_id) for d in await fire_due(db, DEADLINE_HANDLERS, now=now)}
        finally:
            await db.dispose()

    def mediator(self, mediator_id: str) -> dict[str, str]:
        return self.api.tokens.headers("mediator", subject=mediator_id)


async def _disputes(new_database, kafka, tokens, *, run_deadlines: bool):
    prefix = unique_name("dsp").replace("_", "")
    await ensure_topics(kafka.bootstrap_servers, [f"{prefix}-contracts.events", "disputes.events"])
    url = await migrated_database(new_database, "disputes")
    settings = Settings(
        database_url=url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        deadline_poll_interval_s=0.2,
        run_deadlines=run_deadlines,
        contracts_topic=f"{prefix}-contracts.events",
        consumer_group_prefix=f"{prefix}-disputes",
    )
    async with running_service(create_app, settings, tokens) as service:
        yield Disputes(api=service, contracts=EventFeed(kafka.bootstrap_servers, prefix))


@pytest.fixture(scope="module")
async def disputes(new_database, kafka, tokens):
    async for service in _disputes(new_database, kafka, tokens, run_deadlines=True):
        yield service


@pytest.fixture(scope="module")
async def quiet_disputes(new_database, kafka, tokens):
    """The service without its deadline worker: a clock fires only when the test fires it (facts entered
    after their clock ran out, as paper records are)."""
    async for service in _disputes(new_database, kafka, tokens, run_deadlines=False):
        yield service


@pytest.fixture(scope="module")
async def api(disputes):
    return disputes.api
