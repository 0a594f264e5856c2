"""What the workers' app tests share: a platform that sends a contract to a worker, through contracts'
own API as a platform's backend would (the worker is registered by ID number; the contract names the
pseudonym contracts derives from it with its PII_SECRET)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import httpx

from newform_common.testing import TokenFactory, credit_code, mobile

from .contracts import contract_body


@dataclass(frozen=True)
class SentContract:
    platform_id: str
    registration_id: str
    contract_id: str
    worker_id: str


def platform_headers(tokens: TokenFactory, platform_id: str) -> dict[str, str]:
    return tokens.headers("platform", subject=f"backend-{platform_id}", platform_id=platform_id)


async def send_contract(
    contracts: httpx.AsyncClient,
    tokens: TokenFactory,
    id_number: str,
    *,
    occupation: str = "food_delivery",
    district: str = "chengdong",
    start_date: str = "2026-12-01",
) -> SentContract:
    """A new platform (registered by the administrator) registers the worker and sends a labour contract."""
    pid = "p" + secrets.token_hex(5)
    r = await contracts.post(
        "/v1/platforms",
        headers=tokens.headers("admin", subject="admin-1"),
        json={
            "platform_id": pid,
            "name": f"示例配送平台{pid[-3:]}",
            "credit_code": credit_code(),
            "district": district,
            "occupations": [occupation],
        },
    )
    assert r.status_code == 201, r.text
    platform = platform_headers(tokens, pid)
    r = await contracts.post(
        "/v1/workers",
        headers=platform,
        json={
            "name": "李明",
            "id_number": id_number,
            "phone": mobile(),
            "occupation": occupation,
            "household_registration_place": "青海省西宁市城东区",
            "residence_district": district,
        },
    )
    assert r.status_code == 201, r.text
    registration_id = r.json()["registration_id"]
    r = await contracts.post(
        "/v1/contracts",
        headers=platform,
        json=contract_body(registration_id, pid, start_date=start_date, district=district),
    )
    assert r.status_code == 201, r.text
    contract = r.json()
    r = await contracts.post(f"/v1/contracts/{contract['contract_id']}/send", headers=platform)
    assert r.status_code == 200, r.text
    return SentContract(pid, registration_id, contract["contract_id"], contract["worker_id"])
