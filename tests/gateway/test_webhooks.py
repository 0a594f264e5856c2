"""A department's webhook on loopback receives its alerts, signed, and also after being down a while."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

from newform_common.testing import app_client, eventually, unique_name
from newform_gateway.main import create_app
from newform_local.ports import free_port

from .support import LoopbackServer, TestPublisher, gateway_settings, migrated_database, prepare_topics, scalar


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
        assert hook["department"] == "hrss" and len(hook["secret"]) >= 16
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
    step_headers, step_body = receiver.received[1]
    step = json.loads(step_body)
    assert step["event"] == "alert.acknowledged" and step["status"] == "acknowledged" and step["alert_id"] == alert_id
    assert hmac.compare_digest(step_headers["x-newform-signature"],
                               "sha256=" + hmac.new(hook["secret"].encode(), step_body, hashlib.sha256).hexdigest())
    headers, body = receiver.received[0]
    expected = "sha256=" + hmac.new(hook["secret"].encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-newform-signature"], expected)
    payload = json.loads(body)
    assert payload["event"] == "alert.raised"
    assert payload["subject_id"] == subject and payload["measure"] == "M1" and payload["department"] == "hrss"
    assert headers["x-newform-delivery"] == payload["delivery_id"]


async def _received(receiver: Receiver, count: int = 1) -> bool:
    return len(receiver.received) >= count
