"""Builders the unions tests share: a union, a registered worker, ids, the findings of a subject."""

from __future__ import annotations

import json
import secrets
from datetime import date, timedelta
from typing import Any

from newform_common.clock import now
from newform_common.policy import business_date
from newform_common.testing import eventually, read_topic, resident_id, scalar, worker_id_of
from newform_contracts.events import AccountRestricted


def today() -> date:
    return business_date(now())


def days_ago(n: int) -> str:
    return (today() - timedelta(days=n)).isoformat()


def platform() -> str:
    return "plt-" + secrets.token_hex(4)


def worker() -> str:
    return worker_id_of(resident_id())


async def union(api, platform_ids: list[str], *, kind: str = "enterprise", districts: list[str] | None = None) -> str:
    union_id = "un-" + secrets.token_hex(4)
    r = await api.client.post(
        "/v1/unions",
        headers=api.department("union"),
        json={
            "union_id": union_id,
            "name": "测试工会",
            "kind": kind,
            "platform_ids": platform_ids,
            "districts": districts or [],
            "established_on": days_ago(100),
        },
    )
    assert r.status_code == 201, r.text
    return union_id


async def registered(unions, worker_id: str, platform_id: str, *, district: str = "chengxi") -> None:
    """contracts registered the worker with the platform (living in `district`), and our copy has it."""
    await unions.contracts.worker(worker_id, platform_id, district=district)

    async def copied():
        return await scalar(
            unions.api.url,
            "select count(*) from worker_registrations where worker_id = :w and platform_id = :p",
            w=worker_id,
            p=platform_id,
        )

    await eventually(copied)


async def cancelled(unions, worker_id: str, platform_id: str) -> None:
    """The platform cancelled the worker's account (contracts' `account.restricted`), and our copy knows."""
    await unions.contracts.send(
        AccountRestricted(
            restriction_id="rs_" + secrets.token_hex(4),
            worker_id=worker_id,
            platform_id=platform_id,
            action="cancel",
            reason_code="worker_request",
            reason_listed=True,
            notice_days=0,
            effective_at=now(),
        )
    )

    async def copied():
        return await scalar(
            unions.api.url,
            "select not active from worker_registrations where worker_id = :w and platform_id = :p",
            w=worker_id,
            p=platform_id,
        )

    await eventually(copied)


async def findings_of(api, subject_id: str, rule: str) -> list[dict[str, Any]]:
    r = await api.client.get("/v1/findings", headers=api.regulator, params={"subject_id": subject_id, "rule": rule})
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def published(kafka, api, type_: str, key: str, value: str) -> list[dict[str, Any]]:
    """The events of a type on the service's topic whose `key` field is `value` (waits for one)."""

    async def read():
        records = await read_topic(kafka.bootstrap_servers, api.settings.topic, expect=1, timeout=5, settle=1.5)
        found = [json.loads(x.value) for x in records if dict(x.headers).get("ce_type") == type_.encode()]
        return [e for e in found if e.get(key) == value]

    return await eventually(read, timeout=30)
