"""unions's slice of the gateway (`newform_gateway/sources/unions/`): an event unions publishes
reaches the read model over real Kafka, and the list endpoint and the page show it."""

from __future__ import annotations

from newform_common.testing import eventually, running_service, unique_name
from newform_gateway.main import create_app

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics


async def test_an_event_of_unions_reaches_the_read_model_the_list_and_the_page(new_database, kafka, tokens):
    prefix = unique_name("unionsgw").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix, services=("unions", "gateway"))
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem)
    async with running_service(create_app, settings, tokens) as gateway:
        feed = EventFeed(kafka.bootstrap_servers, prefix, source="unions")
        await feed.untyped("unions.subject.noted.v1", {"platform_id": "p_1", "n": 1}, key="s_1")

        async def listed():
            answer = await gateway.client.get("/v1/unions/subjects", headers=gateway.regulator)
            assert answer.status_code == 200
            return answer.json()["items"]

        items = await eventually(listed)
        assert [(i["subject"], i["platform_id"], i["data"]) for i in items] == [
            ("s_1", "p_1", {"platform_id": "p_1", "n": 1})
        ]
        assert (await gateway.client.get("/v1/unions/subjects")).status_code == 401
        gateway.client.cookies.set("newform_token", tokens.token("regulator", subject="inspector-1"))
        page = await gateway.client.get("/unions")
        assert page.status_code == 200 and "s_1" in page.text
