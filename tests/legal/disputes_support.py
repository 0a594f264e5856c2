"""A disputes service and a gateway on one test module's topics (real PostgreSQL and Kafka), the
disputes service hearing holiday-schedule loads from the gateway as in production. The deadline
worker stays off: the legal cases stand the suite's clock on their days and fire clocks themselves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from newform_common.kafka import ensure_topics
from newform_common.testing import ServiceApi, migrated_database, running_service, unique_name
from newform_disputes.config import Settings as DisputesSettings
from newform_disputes.main import create_app as create_disputes
from newform_gateway.main import create_app as create_gateway

from ..kit.gateway import gateway_settings


@asynccontextmanager
async def disputes_and_gateway(new_database, kafka, tokens, name: str) -> AsyncIterator[tuple[ServiceApi, ServiceApi]]:
    """(disputes, gateway), running until the block ends."""
    prefix = unique_name(name).replace("_", "")
    await ensure_topics(kafka.bootstrap_servers, [f"{prefix}-{s}.events" for s in ("gateway", "contracts", "disputes")])
    disputes_settings = DisputesSettings(
        service_name=f"{prefix}-disputes",
        database_url=await migrated_database(new_database, "disputes"),
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        run_deadlines=False,
        contracts_topic=f"{prefix}-contracts.events",
        consumer_group_prefix=f"{prefix}-disputes",
        calendar_topic=f"{prefix}-gateway.events",
    )
    gateway = gateway_settings(
        prefix, await migrated_database(new_database, "gateway"), kafka.bootstrap_servers, tokens.public_pem
    )
    async with (
        running_service(create_gateway, gateway, tokens) as gw,
        running_service(create_disputes, disputes_settings, tokens) as disputes,
    ):
        yield disputes, gw
