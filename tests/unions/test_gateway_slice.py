"""unions's slice of the gateway (`newform_gateway/sources/unions/`): unions' events reach the read
models over real Kafka; the list endpoint shows each subject's latest event, and the page (zh-CN first)
coverage per platform (counts only), collective contracts in force, consultations and their outcomes."""

from __future__ import annotations

from datetime import UTC, date, datetime

from newform_common.testing import eventually, running_service, unique_name
from newform_gateway.main import create_app
from newform_unions import events as ev

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics


async def test_unions_events_reach_the_read_models_the_list_and_the_page(new_database, kafka, tokens):
    prefix = unique_name("unionsgw").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix, services=("unions", "contracts", "gateway"))
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem)
    async with running_service(create_app, settings, tokens) as gateway:
        feed = EventFeed(kafka.bootstrap_servers, prefix, source="unions")
        at = datetime.now(UTC)
        await feed.worker("w_gw1", "plt-gw")
        await feed.worker("w_gw2", "plt-gw")
        facts = dict(membership_id="mem_gw1", union_id="un-gw", worker_id="w_gw1", platform_id="plt-gw", at=at)
        await feed.send(
            ev.MembershipApplied(**facts, status="applied"),
            ev.MembershipAccepted(**facts, status="active", joined_on=at.date()),
            ev.ConsultationRequested(
                consultation_id="cns_gw",
                union_id="un-gw",
                platform_id="plt-gw",
                topic="piece_rates",
                status="requested",
                requested_on=date(2026, 11, 1),
                reply_due_on=date(2026, 11, 23),
                at=at,
            ),
            ev.ConsultationConcluded(
                consultation_id="cns_gw",
                union_id="un-gw",
                platform_id="plt-gw",
                topic="piece_rates",
                status="concluded",
                requested_on=date(2026, 11, 1),
                outcome="agreed",
                concluded_on=date(2026, 11, 20),
                at=at,
            ),
            ev.CollectiveContractInForce(
                collective_contract_id="cc_gw",
                union_id="un-gw",
                kind="enterprise",
                platform_ids=["plt-gw"],
                districts=[],
                occupations=["food_delivery"],
                effective_from=date(2026, 12, 1),
                effective_until=None,
                in_force_on=date(2026, 12, 3),
                terms=ev.Terms(
                    piece_rates=[], quotas=[], bad_weather_allowance_fen_per_day=None, night_allowance_fen_per_hour=None
                ),
            ),
        )

        async def listed():
            answer = await gateway.client.get("/v1/unions/subjects", headers=gateway.regulator)
            assert answer.status_code == 200
            return {i["subject"]: i["last_event_type"] for i in answer.json()["items"]}

        async def all_listed():
            subjects = await listed()
            return subjects if len(subjects) == 3 else None

        assert await eventually(all_listed) == {
            "w_gw1": "unions.membership.accepted.v1",
            "cns_gw": "unions.consultation.concluded.v1",
            "cc_gw": "unions.collective_contract.in_force.v1",
        }
        assert (await gateway.client.get("/v1/unions/subjects")).status_code == 401
        gateway.client.cookies.set("newform_token", tokens.token("regulator", subject="inspector-1"))

        async def shown():
            page = await gateway.client.get("/unions")
            assert page.status_code == 200
            return page.text if "50%" in page.text else None

        text = await eventually(shown)
        assert "工会覆盖" in text and "plt-gw" in text and "w_gw1" not in text  # counted, never listed
        assert "cc_gw" in text and "2026-12-03" in text
        assert "cns_gw" not in text and "达成一致" in text
