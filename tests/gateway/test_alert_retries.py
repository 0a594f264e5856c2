"""Retrying an alert action with the same Idempotency-Key records it once (issue 24, defect 6: a retried
comment was recorded twice), and the key is never kept in clear (defect 11)."""

from __future__ import annotations

import uuid

import pytest

from newform_common.testing import app_client, resident_id, scalar, unique_name
from newform_gateway.main import create_app

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics
from .test_projections import alert_for, dept


@pytest.fixture(scope="module")
async def gw(new_database, kafka, tokens):
    prefix = unique_name("gwr").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix)
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem)
    async with app_client(create_app(settings)) as client:
        client.url = url
        client.pub = EventFeed(kafka.bootstrap_servers, prefix)
        yield client


async def test_a_retried_comment_is_recorded_once_and_its_key_is_kept_only_as_a_keyed_hash(gw, tokens):
    subject = f"c_{uuid.uuid4().hex[:8]}"
    await gw.pub.finding(measure="M1", rule="M1.misclassification", subject_id=subject, district="chengxi")
    alert = await alert_for(gw, tokens, subject)
    path = f"/v1/alerts/{alert['alert_id']}/comments"
    key = resident_id()  # a caller may use an ID number as its key
    headers = {**dept(tokens, "hrss"), "Idempotency-Key": key}

    first = await gw.post(path, headers=headers, json={"note": "已核实网点"})
    again = await gw.post(path, headers=headers, json={"note": "已核实网点"})
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    comments = [t for t in again.json()["transitions"] if t["action"] == "commented"]
    assert len(comments) == 1
    assert (
        await scalar(
            gw.url,
            "select count(*) from alert_transitions where alert_id = :a and action = 'commented'",
            a=alert["alert_id"],
        )
        == 1
    )

    reused = await gw.post(path, headers=headers, json={"note": "另一条"})
    assert reused.status_code == 422 and reused.json()["type"].endswith("/idempotency-key-reuse")
    assert key not in reused.text

    rows = await scalar(gw.url, "select count(*) from idempotency_keys where operation like '%/comments'")
    assert rows == 1
    clear = await scalar(
        gw.url,
        "select count(*) from idempotency_keys where key = :k or principal like :p or cast(response as text) like :p",
        k=key,
        p=f"%{key}%",
    )
    assert clear == 0
    stored = await scalar(gw.url, "select key from idempotency_keys where operation like '%/comments'")
    assert stored.startswith("h1:") and len(stored) == 3 + 64
