"""A department's webhook on loopback receives its alerts, signed (Standard Webhooks), and also after
being down a while; a platform's webhook receives the alerts about it; secrets rotate without a lost
delivery; the receiver helper refuses forgeries, stale timestamps and replays."""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path

import pytest

from newform_common.testing import app_client, eventually, unique_name
from newform_gateway.main import create_app
from newform_local.ports import free_port

from .support import LoopbackServer, TestPublisher, gateway_settings, migrated_database, prepare_topics, scalar

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sdks" / "python"))
from newform_sdk.webhooks import (  # noqa: E402  (the receiver helper in the Python SDK)
    DuplicateDelivery,
    WebhookVerificationError,
    WebhookVerifier,
    sign,
)


class Receiver:
    """A department's system: an ASGI app recording what it receives."""

    def __init__(self):
        self.received: list[tuple[dict[str, str], bytes]] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.received.append((headers, body))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def test_a_webhook_receiver_gets_the_signed_alert_also_after_it_was_down(new_database, kafka, tokens):
    prefix = unique_name("gwh").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix)
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem)
    port = free_port()
    receiver = Receiver()
    async with app_client(create_app(settings)) as gw:
        hrss = tokens.headers("department", department="hrss")
        created = await gw.post("/v1/webhooks", headers={**hrss, "Idempotency-Key": "hook-1"},
                                json={"url": f"http://127.0.0.1:{port}/alerts"})
        assert created.status_code == 201
        hook = created.json()
        assert hook["department"] == "hrss" and hook["secret"].startswith("whsec_") and len(hook["key_ids"]) == 1
        replay = await gw.post("/v1/webhooks", headers={**hrss, "Idempotency-Key": "hook-1"},
                               json={"url": f"http://127.0.0.1:{port}/alerts"})
        assert replay.json()["id"] == hook["id"]  # a retried registration creates nothing twice
        assert [h["id"] for h in (await gw.get("/v1/webhooks", headers=hrss)).json()] == [hook["id"]]
        # Police are not routed M1 alerts: their hook must receive nothing.
        police = await gw.post("/v1/webhooks", headers=tokens.headers("department", department="police"),
                               json={"url": f"http://127.0.0.1:{port}/police", "secret": "p" * 20})
        assert police.status_code == 201
        bad = await gw.post("/v1/webhooks", headers=hrss, json={"url": "ftp://127.0.0.1/x"})
        assert bad.status_code == 422

        subject = f"c_{uuid.uuid4().hex[:8]}"
        pub = TestPublisher(kafka.bootstrap_servers, prefix)
        await pub.finding(measure="M1", rule="M1.misclassification", subject_id=subject, district="chengxi")

        async def failed_attempts():
            n = await scalar(url, "select max(attempts) from webhook_deliveries where status = 'pending'")
            return (n or 0) >= 2

        await eventually(failed_attempts)  # the receiver is down: connection refused, retried with back-off

        async with LoopbackServer(receiver, port):
            await eventually(lambda: _received(receiver), timeout=30)
            delivered = await scalar(url, "select count(*) from webhook_deliveries where status = 'delivered'")
            assert len(receiver.received) == 1

            # A step on the alert reaches every department holding it too.
            alert_id = (await gw.get("/v1/alerts", headers=hrss)).json()["items"][0]["alert_id"]
            ack = await gw.post(f"/v1/alerts/{alert_id}/acknowledge", headers=hrss, json={"note": "已受理"})
            assert ack.status_code == 200
            await eventually(lambda: _received(receiver, 2), timeout=30)

    assert delivered == 1
    assert len(receiver.received) == 2
    verifier = WebhookVerifier(hook["secret"])
    headers, body = receiver.received[0]
    payload = verifier.verify(headers, body)
    assert payload["event"] == "alert.raised"
    assert payload["subject_id"] == subject and payload["measure"] == "M1" and payload["department"] == "hrss"
    assert headers["webhook-id"] == payload["delivery_id"] and headers["webhook-key-id"] == hook["key_ids"][0]
    step_headers, step_body = receiver.received[1]
    step = verifier.verify(step_headers, step_body)
    assert step["event"] == "alert.acknowledged" and step["status"] == "acknowledged" and step["alert_id"] == alert_id

    # What the receiver helper refuses: the same delivery again, a forged body, a stale timestamp.
    with pytest.raises(DuplicateDelivery):
        verifier.verify(headers, body)
    with pytest.raises(WebhookVerificationError, match="signature"):
        WebhookVerifier(hook["secret"]).verify(headers, body.replace(b"M1", b"M2"))
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        WebhookVerifier(hook["secret"], clock=lambda: time.time() + 3600).verify(headers, body)
    with pytest.raises(WebhookVerificationError, match="signature"):
        WebhookVerifier("whsec_" + "A" * 44).verify(headers, body)


async def _received(receiver: Receiver, count: int = 1) -> bool:
    return len(receiver.received) >= count


async def test_a_platform_hears_of_findings_about_itself_and_rotates_its_secret(new_database, kafka, tokens):
    prefix = unique_name("gwp").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix)
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem)
    receiver = Receiver()
    port = free_port()
    async with app_client(create_app(settings)) as gw, LoopbackServer(receiver, port):
        ours = tokens.headers("platform", platform_id="swift")
        created = await gw.post("/v1/webhooks", headers=ours, json={"url": f"http://127.0.0.1:{port}/ours"})
        assert created.status_code == 201, created.text
        hook = created.json()
        assert hook["platform_id"] == "swift" and hook["department"] is None and hook["secret"].startswith("whsec_")
        others = await gw.post("/v1/webhooks", headers=tokens.headers("platform", platform_id="other"),
                               json={"url": f"http://127.0.0.1:{port}/others"})
        assert others.status_code == 201
        # A platform sees only its own webhooks, and no alerts API.
        assert [h["id"] for h in (await gw.get("/v1/webhooks", headers=ours)).json()] == [hook["id"]]
        assert (await gw.get("/v1/alerts", headers=ours)).status_code == 403

        pub = TestPublisher(kafka.bootstrap_servers, prefix)
        await pub.finding(measure="M1", rule="M1.misclassification", subject_id=f"c_{uuid.uuid4().hex[:8]}",
                          platform_id="swift")
        await eventually(lambda: _received(receiver), timeout=30)
        headers, body = receiver.received[0]
        assert headers["host"].endswith(str(port)) and json.loads(body)["platform_id"] == "swift"
        assert WebhookVerifier(hook["secret"]).verify(headers, body)["event"] == "alert.raised"

        # Rotation: both secrets sign during the grace period, so old and new receivers accept.
        other_owner = await gw.post(f"/v1/webhooks/{hook['id']}/secret-rotation",
                                    headers=tokens.headers("platform", platform_id="other"), json={})
        assert other_owner.status_code == 404
        rotated = await gw.post(f"/v1/webhooks/{hook['id']}/secret-rotation", headers=ours,
                                json={"grace_period_hours": 1})
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()
        assert new["secret"] != hook["secret"] and new["key_ids"][1] == hook["key_ids"][0]
        await pub.finding(measure="M3", rule="M3.unqualified_partner", subject_id=f"c_{uuid.uuid4().hex[:8]}",
                          platform_id="swift")
        await eventually(lambda: _received(receiver, 2), timeout=30)
        headers, body = receiver.received[1]
        assert len(headers["webhook-signature"].split()) == 2
        assert headers["webhook-key-id"].split() == new["key_ids"]
        assert WebhookVerifier(new["secret"]).verify(headers, body)["rule"] == "M3.unqualified_partner"
        assert WebhookVerifier(hook["secret"]).verify(headers, body)["rule"] == "M3.unqualified_partner"
        # Rotating again with no grace: only the newest secret signs.
        final = (await gw.post(f"/v1/webhooks/{hook['id']}/secret-rotation", headers=ours,
                               json={"grace_period_hours": 0})).json()
        assert len(final["key_ids"]) == 1
    assert [json.loads(b)["platform_id"] for _, b in receiver.received] == ["swift", "swift"]


def test_the_signature_is_the_standard_webhooks_one():
    # The Standard Webhooks specification's test vector.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
