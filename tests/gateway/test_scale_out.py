"""Scale out: two gateway instances in one consumer group share the partitions, and every event is
projected once — nothing lost, nothing doubled."""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack

from newform_common.testing import app_client, eventually, unique_name
from newform_gateway.main import create_app

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics, scalar

WORKERS = 24


async def test_two_gateway_instances_share_the_partitions_and_project_each_event_once(new_database, kafka, tokens):
    prefix = unique_name("gws").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix)
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem)
    apps = [create_app(settings), create_app(settings)]
    async with AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(app_client(app))

        def assignments():
            runners = [app.state.consumers[0] for app in apps]
            consumers = [r._consumer for r in runners]
            if any(c is None for c in consumers):
                return None
            sets = [
                {(tp.topic, tp.partition) for tp in c.assignment() if tp.topic == f"{prefix}-contracts.events"}
                for c in consumers
            ]
            return sets if all(sets) else None

        async def shared():
            return assignments()

        first, second = await eventually(shared, timeout=60)
        assert not first & second and len(first | second) == 3  # the three partitions, split between them

        pub, platform = EventFeed(kafka.bootstrap_servers, prefix), f"p_{uuid.uuid4().hex[:6]}"
        await pub.enterprise(platform)
        for i in range(WORKERS):  # keys spread over the partitions
            await pub.worker(f"w_{platform}_{i}", platform)
            await pub.contract(f"c_{platform}_{i}", f"w_{platform}_{i}", platform)
            await pub.contract_signed(f"c_{platform}_{i}", f"w_{platform}_{i}", platform)
        sent = len(pub.sent)

        async def all_logged():
            n = await scalar(url, "select count(*) from event_log where platform_id = :p", p=platform)
            return n if n == sent else None

        await eventually(all_logged, timeout=60)
        assert (
            await scalar(
                url,
                "select count(*) from inbox where consumer = :g and event_id = any(:ids)",
                g=settings.consumer_group,
                ids=[e.id for e in pub.sent],
            )
            == sent
        )
        assert (
            await scalar(url, "select count(*) from contracts where platform_id = :p and status = 'signed'", p=platform)
            == WORKERS
        )
        assert (
            await scalar(url, "select count(*) from worker_registrations where platform_id = :p", p=platform) == WORKERS
        )
