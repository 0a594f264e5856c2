"""A gateway under test: its migrated database, settings consuming only one test's topics, the topics.

The events that feed it come from the one typed feed (`tests/kit/feed.py`)."""

from __future__ import annotations

from newform_common import testing as kit
from newform_common.kafka import ensure_topics
from newform_gateway.config import Settings


async def migrated_database(new_database) -> str:
    return await kit.migrated_database(new_database, "gateway")


def gateway_settings(prefix: str, url: str, bootstrap: str, public_pem: str, **overrides) -> Settings:
    """Settings of a gateway that consumes only this test's topics (`<prefix>-*.events`)."""
    return Settings(
        service_name=f"{prefix}-gateway",
        database_url=url,
        kafka_bootstrap_servers=bootstrap,
        jwt_public_key=public_pem,
        topic_pattern=rf"^{prefix}-[a-z0-9_-]+\.events$",
        consumer_group=f"{prefix}-gateway",
        relay_poll_interval_s=0.2,
        webhook_poll_interval_s=0.2,
        webhook_initial_backoff_s=0.3,
        webhook_max_backoff_s=1.0,
        **overrides,
    )


async def prepare_topics(bootstrap: str, prefix: str, services=("contracts", "gateway")) -> None:
    await ensure_topics(bootstrap, [f"{prefix}-{s}.events" for s in services])


scalar = kit.scalar
