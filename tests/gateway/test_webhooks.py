"""A department's webhook on loopback receives its alerts, signed (Standard Webhooks), and also after
being down a while; a platform's webhook receives the alerts about it; secrets rotate without a lost
delivery; the receiver helper refuses forgeries, stale timestamps and replays. Subscribers manage their
own webhooks only (another's answers 404), read the delivery log and redeliver; payload version 2 is
the Standard Webhooks envelope; internal targets are refused at registration, update and delivery
unless WEBHOOK_ALLOW_PRIVATE_TARGETS (development) allows them; a registration's secret is never kept
in an idempotency record."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path

import pytest

from newform_common.testing import app_client, eventually, unique_name
from newform_gateway.main import create_app
from newform_gateway.webhooks.targets import TargetRefused, address_refused, check_target
from newform_local.ports import free_port

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics, scalar
from ..kit.loopback import LoopbackServer

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
        created = await gw.post(
            "/v1/webhooks",
            headers={**hrss, "Idempotency-Key": "hook-1"},
            json={"url": f"http://127.0.0.1:{port}/alerts"},
        )
        assert created.status_code == 201
        hook = created.json()
        assert hook["department"] == "hrss" and hook["secret"].startswith("whsec_") and len(hook["key_ids"]) == 1
        replay = await gw.post(
            "/v1/webhooks",
            headers={**hrss, "Idempotency-Key": "hook-1"},
            json={"url": f"http://127.0.0.1:{port}/alerts"},
        )
        assert replay.json()["id"] == hook["id"]  # a retried registration creates nothing twice
        assert [h["id"] for h in (await gw.get("/v1/webhooks", headers=hrss)).json()] == [hook["id"]]
        # Police are not routed M1 alerts: their hook must receive nothing.
        police = await gw.post(
            "/v1/webhooks",
            headers=tokens.headers("department", department="police"),
            json={"url": f"http://127.0.0.1:{port}/police", "secret": "p" * 20},
        )
        assert police.status_code == 201
        bad = await gw.post("/v1/webhooks", headers=hrss, json={"url": "ftp://127.0.0.1/x"})
        assert bad.status_code == 422

        subject = f"c_{uuid.uuid4().hex[:8]}"
        pub = EventFeed(kafka.bootstrap_servers, prefix)
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
    payload = verifier.verify(body, headers)
    assert payload["event"] == "alert.raised"
    assert payload["subject_id"] == subject and payload["measure"] == "M1" and payload["department"] == "hrss"
    assert headers["webhook-id"] == payload["delivery_id"] and headers["webhook-key-id"] == hook["key_ids"][0]
    step_headers, step_body = receiver.received[1]
    step = verifier.verify(step_body, step_headers)
    assert step["event"] == "alert.acknowledged" and step["status"] == "acknowledged" and step["alert_id"] == alert_id

    # What the receiver helper refuses: the same delivery again, a forged body, a stale timestamp.
    with pytest.raises(DuplicateDelivery):
        verifier.verify(body, headers)
    with pytest.raises(WebhookVerificationError, match="signature"):
        WebhookVerifier(hook["secret"]).verify(body.replace(b"M1", b"M2"), headers)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        WebhookVerifier(hook["secret"], clock=lambda: time.time() + 3600).verify(body, headers)
    with pytest.raises(WebhookVerificationError, match="signature"):
        WebhookVerifier("whsec_" + "A" * 44).verify(body, headers)
    # The earlier order (headers, body) still verifies, with a DeprecationWarning; str bodies too.
    with pytest.warns(DeprecationWarning, match="verify\\(body, headers\\)"):
        assert WebhookVerifier(hook["secret"]).verify(headers, body)["event"] == "alert.raised"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert WebhookVerifier(hook["secret"]).verify(body.decode(), headers)["event"] == "alert.raised"


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
        others = await gw.post(
            "/v1/webhooks",
            headers=tokens.headers("platform", platform_id="other"),
            json={"url": f"http://127.0.0.1:{port}/others"},
        )
        assert others.status_code == 201
        # A platform sees only its own webhooks, and no alerts API.
        assert [h["id"] for h in (await gw.get("/v1/webhooks", headers=ours)).json()] == [hook["id"]]
        assert (await gw.get("/v1/alerts", headers=ours)).status_code == 403

        pub = EventFeed(kafka.bootstrap_servers, prefix)
        await pub.finding(
            measure="M1", rule="M1.misclassification", subject_id=f"c_{uuid.uuid4().hex[:8]}", platform_id="swift"
        )
        await eventually(lambda: _received(receiver), timeout=30)
        headers, body = receiver.received[0]
        assert headers["host"].endswith(str(port)) and json.loads(body)["platform_id"] == "swift"
        assert WebhookVerifier(hook["secret"]).verify(body, headers)["event"] == "alert.raised"

        # Rotation: both secrets sign during the grace period, so old and new receivers accept.
        other_owner = await gw.post(
            f"/v1/webhooks/{hook['id']}/secret-rotation",
            headers=tokens.headers("platform", platform_id="other"),
            json={},
        )
        assert other_owner.status_code == 404
        rotated = await gw.post(
            f"/v1/webhooks/{hook['id']}/secret-rotation", headers=ours, json={"grace_period_hours": 1}
        )
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()
        assert new["secret"] != hook["secret"] and new["key_ids"][1] == hook["key_ids"][0]
        await pub.finding(
            measure="M3", rule="M3.unqualified_partner", subject_id=f"c_{uuid.uuid4().hex[:8]}", platform_id="swift"
        )
        await eventually(lambda: _received(receiver, 2), timeout=30)
        headers, body = receiver.received[1]
        assert len(headers["webhook-signature"].split()) == 2
        assert headers["webhook-key-id"].split() == new["key_ids"]
        assert WebhookVerifier(new["secret"]).verify(body, headers)["rule"] == "M3.unqualified_partner"
        assert WebhookVerifier(hook["secret"]).verify(body, headers)["rule"] == "M3.unqualified_partner"
        # Rotating again with no grace: only the newest secret signs.
        final = (
            await gw.post(f"/v1/webhooks/{hook['id']}/secret-rotation", headers=ours, json={"grace_period_hours": 0})
        ).json()
        assert len(final["key_ids"]) == 1
    assert [json.loads(b)["platform_id"] for _, b in receiver.received] == ["swift", "swift"]


def test_the_signature_is_the_standard_webhooks_one():
    # The Standard Webhooks specification's test vector.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert (
        sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


# -- targets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
        "2002:7f00:1::1",
    ],
)
def test_internal_addresses_are_refused(address):
    assert address_refused(address) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_accepted(address):
    assert address_refused(address) is None


async def test_plain_http_is_refused_outside_development():
    with pytest.raises(TargetRefused, match="https"):
        await check_target("http://8.8.8.8/hook", allow_http=False, allow_private=False)
    with pytest.raises(TargetRefused, match="credentials"):
        await check_target("https://user:pw@8.8.8.8/hook", allow_http=False, allow_private=False)
    await check_target("https://8.8.8.8/hook", allow_http=False, allow_private=False)  # a public literal passes


async def test_internal_targets_are_refused_at_registration_update_and_delivery(new_database, kafka, tokens):
    prefix = unique_name("gwt").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix)
    url = await migrated_database(new_database)
    base = dict(prefix=prefix, url=url, bootstrap=kafka.bootstrap_servers, public_pem=tokens.public_pem)
    # One gateway as in development (its receivers on loopback), one with the setting off, same database.
    allowing = gateway_settings(**base, run_deliverer=False)
    assert allowing.dev_mode and allowing.webhooks_allow_private_targets
    refusing = gateway_settings(**base, webhook_allow_private_targets=False)
    production = gateway_settings(**base, run_deliverer=False, dev_mode=False, pii_secret="p" * 40)
    assert not production.webhooks_allow_private_targets and not production.webhooks_allow_http
    receiver = Receiver()
    port = free_port()
    hrss = tokens.headers("department", department="hrss")
    async with app_client(create_app(allowing)) as dev:
        hook = (await dev.post("/v1/webhooks", headers=hrss, json={"url": f"http://127.0.0.1:{port}/in"})).json()
    async with app_client(create_app(production)) as prod:
        plain = await prod.post("/v1/webhooks", headers=hrss, json={"url": "http://8.8.8.8/hook"})
        assert plain.status_code == 422 and plain.json()["type"].endswith("/webhook-target-refused")
        assert "https" in plain.json()["detail"]
    async with app_client(create_app(refusing)) as gw, LoopbackServer(receiver, port):
        for target in (
            f"http://127.0.0.1:{port}/in",
            "http://10.0.0.1/x",
            "http://[::1]/x",
            f"http://localhost:{port}/in",
            "http://[::ffff:127.0.0.1]/x",
            "http://169.254.169.254/latest",
            "http://172.16.0.1/x",
            "http://192.168.0.1/x",
        ):
            refused = await gw.post("/v1/webhooks", headers=hrss, json={"url": target})
            assert refused.status_code == 422, (target, refused.text)
            assert refused.json()["type"].endswith("/webhook-target-refused"), target
            moved = await gw.patch(f"/v1/webhooks/{hook['id']}", headers=hrss, json={"url": target})
            assert moved.status_code == 422, target
        nowhere = await gw.post("/v1/webhooks", headers=hrss, json={"url": "http://no-such-host.invalid/x"})
        assert nowhere.status_code == 422 and "resolve" in nowhere.json()["detail"]
        # At delivery: the hook registered while allowed is not sent to, and the log says why.
        pub = EventFeed(kafka.bootstrap_servers, prefix)
        await pub.finding(
            measure="M1", rule="M1.misclassification", subject_id=f"c_{uuid.uuid4().hex[:8]}", district="chengxi"
        )

        async def refused_attempt():
            page = (await gw.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=hrss)).json()
            return page["items"] and page["items"][0]["attempt_log"]

        await eventually(refused_attempt, timeout=30)
        attempt = (await gw.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=hrss)).json()["items"][0]
        first = attempt["attempt_log"][0]
        assert first["error"].startswith("refused: 127.0.0.1") and "loopback" in first["error"]
        assert first["status_code"] is None and attempt["status"] == "pending"
    assert receiver.received == []


# -- management, delivery log, redelivery, payload version 2 ----------------------------------------


async def test_a_subscriber_manages_its_webhook_reads_its_log_and_redelivers(new_database, kafka, tokens):
    prefix = unique_name("gwm").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix)
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem)
    receiver = Receiver()
    port = free_port()
    chengxi = tokens.headers("department", department="county", district="chengxi")
    chengdong = tokens.headers("department", department="county", district="chengdong")
    swift, other = (tokens.headers("platform", platform_id=p) for p in ("swift", "other"))
    async with app_client(create_app(settings)) as gw:
        target = f"http://127.0.0.1:{port}/county"
        created = await gw.post("/v1/webhooks", headers={**chengxi, "Idempotency-Key": "reg-1"}, json={"url": target})
        assert created.status_code == 201
        hook = created.json()
        assert hook["department"] == "county:chengxi" and hook["payload_version"] == 1
        hid = hook["id"]
        # The secret is not in the idempotency record; a retry still answers it while it is current.
        # (The key itself is kept only as a keyed hash: the record is found by its scope.)
        kept = await scalar(
            url,
            "select response::text from idempotency_keys "
            "where principal = 'department:county:chengxi|POST /v1/webhooks'",
        )
        assert hook["secret"] not in kept and '"secret": null' in kept
        replay = await gw.post("/v1/webhooks", headers={**chengxi, "Idempotency-Key": "reg-1"}, json={"url": target})
        assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
        assert replay.json()["secret"] == hook["secret"] and replay.json()["id"] == hid
        swift_hook = (
            await gw.post(
                "/v1/webhooks", headers=swift, json={"url": f"http://127.0.0.1:{port}/swift", "payload_version": 2}
            )
        ).json()
        assert swift_hook["payload_version"] == 2

        # Tenancy: another district government, another platform: 404 everywhere, nothing listed.
        for headers in (chengdong, other, swift):
            assert (await gw.get(f"/v1/webhooks/{hid}", headers=headers)).status_code == 404
            assert (await gw.patch(f"/v1/webhooks/{hid}", headers=headers, json={"active": False})).status_code == 404
            assert (await gw.delete(f"/v1/webhooks/{hid}", headers=headers)).status_code == 404
            assert (await gw.get(f"/v1/webhooks/{hid}/deliveries", headers=headers)).status_code == 404
            assert hid not in [h["id"] for h in (await gw.get("/v1/webhooks", headers=headers)).json()]
        gone = await gw.get(f"/v1/webhooks/{hid}", headers=other)
        assert "county" not in gone.text and target not in gone.text
        regulator = tokens.headers("regulator")
        assert (await gw.get(f"/v1/webhooks/{hid}", headers=regulator)).status_code == 200  # oversight reads
        assert (await gw.patch(f"/v1/webhooks/{hid}", headers=regulator, json={"active": False})).status_code == 403

        # Two alerts while the receiver is down: failed attempts are logged; then delivered.
        pub = EventFeed(kafka.bootstrap_servers, prefix)
        for _ in range(2):
            await pub.finding(
                measure="M1", rule="M1.misclassification", subject_id=f"c_{uuid.uuid4().hex[:8]}", district="chengxi"
            )

        async def failed_twice():
            n = await scalar(url, f"select count(*) from webhook_delivery_attempts where webhook_id = {hid}")
            return n >= 2

        await eventually(failed_twice, timeout=30)
        async with LoopbackServer(receiver, port):

            async def both_delivered():
                return (
                    await scalar(
                        url,
                        f"select count(*) from webhook_deliveries where webhook_id = {hid} and status = 'delivered'",
                    )
                    == 2
                )

            await eventually(both_delivered, timeout=30)
            first = await gw.get(f"/v1/webhooks/{hid}/deliveries", headers=chengxi, params={"limit": 1})
            assert first.status_code == 200
            page = first.json()
            assert len(page["items"]) == 1 and page["next_cursor"]
            second = (
                await gw.get(
                    f"/v1/webhooks/{hid}/deliveries",
                    headers=chengxi,
                    params={"limit": 1, "cursor": page["next_cursor"]},
                )
            ).json()
            assert len(second["items"]) == 1 and second["next_cursor"] is None
            assert second["items"][0]["delivery_id"] != page["items"][0]["delivery_id"]
            delivery = page["items"][0]
            assert delivery["status"] == "delivered" and delivery["event"] == "alert.raised"
            log = delivery["attempt_log"]
            assert log[-1]["status_code"] == 204 and log[-1]["error"] is None and log[-1]["duration_ms"] >= 0
            assert any(a["status_code"] is None and a["error"] for a in log[:-1]) or any(
                a["error"] for a in second["items"][0]["attempt_log"]
            )
            assert (
                await gw.get(f"/v1/webhooks/{hid}/deliveries", headers=chengxi, params={"cursor": "not-a-cursor"})
            ).status_code == 400

            # Redelivery, idempotent with its key; payload version 2 from now on; the same webhook-id.
            patched = await gw.patch(f"/v1/webhooks/{hid}", headers=chengxi, json={"payload_version": 2})
            assert patched.status_code == 200 and patched.json()["payload_version"] == 2
            received_before = len(receiver.received)
            path = f"/v1/webhooks/{hid}/deliveries/{delivery['delivery_id']}/redelivery"
            again = await gw.post(path, headers={**chengxi, "Idempotency-Key": "again-1"})
            assert again.status_code == 202 and again.json()["status"] == "pending"
            twice = await gw.post(path, headers={**chengxi, "Idempotency-Key": "again-1"})
            assert twice.status_code == 202 and twice.headers["idempotent-replayed"] == "true"
            assert (await gw.post(path, headers=other)).status_code == 404
            await eventually(lambda: _received(receiver, received_before + 1), timeout=30)
            await eventually(lambda: _delivered(gw, chengxi, hid, delivery["delivery_id"]), timeout=30)
            headers, body = receiver.received[-1]
            assert headers["webhook-id"] == delivery["delivery_id"]
            envelope = WebhookVerifier(hook["secret"]).verify(body, headers)
            assert set(envelope) == {"type", "timestamp", "data"} and envelope["type"] == "alert.raised"
            assert envelope["data"]["department"] == "county:chengxi" and envelope["data"]["measure"] == "M1"
            assert len(receiver.received) == received_before + 1  # the replayed redelivery sent nothing more

            # Disabled: nothing queued, no redelivery; re-pointed and enabled again.
            off = await gw.patch(f"/v1/webhooks/{hid}", headers=chengxi, json={"active": False})
            assert off.json()["active"] is False
            assert (await gw.post(path, headers=chengxi)).status_code == 409
            alerts_before = await scalar(url, "select count(*) from alerts")
            await pub.finding(
                measure="M1", rule="M1.misclassification", subject_id=f"c_{uuid.uuid4().hex[:8]}", district="chengxi"
            )

            async def alert_in():
                return await scalar(url, "select count(*) from alerts") > alerts_before

            await eventually(alert_in, timeout=30)
            assert await scalar(url, f"select count(*) from webhook_deliveries where webhook_id = {hid}") == 2
            moved = await gw.patch(
                f"/v1/webhooks/{hid}", headers=chengxi, json={"url": f"http://127.0.0.1:{port}/moved", "active": True}
            )
            assert moved.json()["url"].endswith("/moved") and moved.json()["active"] and moved.json()["updated_at"]

            # Rotation: the registration's replay no longer has that secret to give.
            await gw.post(f"/v1/webhooks/{hid}/secret-rotation", headers=chengxi, json={"grace_period_hours": 0})
            stale = await gw.post("/v1/webhooks", headers={**chengxi, "Idempotency-Key": "reg-1"}, json={"url": target})
            assert stale.status_code == 409 and stale.json()["type"].endswith("/webhook-secret-unavailable")

            # Deleted: gone with its deliveries and log; the platform's hook is untouched.
            assert (await gw.delete(f"/v1/webhooks/{hid}", headers=chengxi)).status_code == 204
            assert (await gw.get(f"/v1/webhooks/{hid}", headers=chengxi)).status_code == 404
            assert (await gw.get(f"/v1/webhooks/{hid}/deliveries", headers=chengxi)).status_code == 404
            assert await scalar(url, f"select count(*) from webhook_delivery_attempts where webhook_id = {hid}") == 0
            assert [h["id"] for h in (await gw.get("/v1/webhooks", headers=swift)).json()] == [swift_hook["id"]]


async def _delivered(gw, headers, hook_id: int, delivery_id: str) -> bool:
    got = await gw.get(f"/v1/webhooks/{hook_id}/deliveries/{delivery_id}", headers=headers)
    return got.json()["status"] == "delivered"


def test_the_typescript_verifier_takes_the_reference_order_and_still_the_old_one(tmp_path):
    """`src/webhooks.ts`, compiled alone and run by node on a signed body: verify(payload, headers)."""
    root = Path(__file__).resolve().parents[2]
    tsc, source = root / "node_modules" / ".bin" / "tsc", root / "sdks" / "typescript" / "src" / "webhooks.ts"
    subprocess.run(
        [
            str(tsc),
            str(source),
            "--outDir",
            str(tmp_path),
            "--target",
            "ES2022",
            "--module",
            "commonjs",
            "--strict",
            "--types",
            "node",
            "--typeRoots",
            str(root / "node_modules" / "@types"),
        ],
        check=True,
    )
    secret, now = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", int(time.time())
    body = '{"type":"alert.raised","timestamp":"2026-12-06T00:00:00+00:00","data":{"measure":"M1"}}'
    headers = {
        "webhook-id": "dlv_1",
        "webhook-timestamp": str(now),
        "webhook-signature": sign(secret, "dlv_1", now, body.encode()),
    }
    script = f"""
const w = require({json.dumps(str(tmp_path / "webhooks.js"))});
const headers = {json.dumps(headers)}, body = {json.dumps(body)};
const out = [new w.WebhookVerifier({json.dumps(secret)}).verify(body, headers).type];
out.push(new w.WebhookVerifier({json.dumps(secret)}).verify(Buffer.from(body), headers).data.measure);
try {{ new w.WebhookVerifier({json.dumps(secret)}).verify(body.replace("M1", "M2"), headers); }}
catch (e) {{ out.push(e instanceof w.WebhookVerificationError ? "refused" : "other"); }}
out.push(new w.WebhookVerifier({json.dumps(secret)}).verify(headers, body).type);
console.log(JSON.stringify(out));
"""
    run = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    assert json.loads(run.stdout) == ["alert.raised", "M1", "refused", "alert.raised"]
    assert "DeprecationWarning" in run.stderr and "verify(body, headers)" in run.stderr
