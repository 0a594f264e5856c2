"""Fixtures for the contracts service: one migrated database and one running app per test module."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest

from newform_common.testing import ServiceApi, app_client
from newform_contracts.main import create_app

from ..kit.contracts import contract_body, credit_code, make_settings, migrate, phone, platform_slug, resident_id


@dataclass
class Api(ServiceApi):
    """The kit's ServiceApi with builders of contracts' facts."""

    seen: list[tuple[str, str]] = field(default_factory=list)
    raw_ids: set[str] = field(default_factory=set)  # every ID number a test sent
    revealed_ids: set[str] = field(default_factory=set)  # those a test asked to see unmasked

    def assert_no_unmasked_id_number_unless_revealed(self) -> None:
        """No URL ever carried an ID number (access logs keep URLs), and no response showed one unless
        it was asked for with ?reveal=true. Checked when the module's app stops: whatever tests ran, in
        whatever order."""
        for url, _ in self.seen:
            assert not any(id_number in url for id_number in self.raw_ids), url
        for url, text in self.seen:
            if url.endswith("/openapi.json"):
                continue  # the document's own (fictitious) example
            for id_number in self.raw_ids:
                if id_number in text:
                    assert "reveal=true" in url and id_number in self.revealed_ids, url

    @property
    def department(self) -> dict[str, str]:  # contracts' tests read as hrss
        return ServiceApi.department(self, "hrss")

    async def platform(self) -> str:
        pid = platform_slug()
        r = await self.client.post(
            "/v1/platforms",
            headers=self.admin,
            json={
                "platform_id": pid,
                "name": f"平台{pid}",
                "credit_code": credit_code(),
                "district": "chengzhong",
                "occupations": ["food_delivery", "courier"],
            },
        )
        assert r.status_code == 201, r.text
        return pid

    async def partner(self, pid: str, kind: str = "dispatch_agency", **over) -> dict:
        body = {
            "name": f"合作企业{kind}",
            "kind": kind,
            "credit_code": credit_code(),
            "district": "chengxi",
            "occupations": ["food_delivery"],
            "qualified": True,
        }
        if kind == "dispatch_agency":
            body["dispatch_licence"] = {"number": "青人社派许字〔2024〕0012号", "valid_until": "2028-06-30"}
        body.update(over)
        r = await self.client.post("/v1/partners", headers=self.as_platform(pid), json=body)
        assert r.status_code == 201, r.text
        return r.json()

    async def worker(self, pid: str, id_number: str | None = None, **over) -> dict:
        body = {
            "name": "张三丰",
            "id_number": id_number or resident_id(),
            "phone": phone(),
            "occupation": "food_delivery",
            "household_registration_place": "青海省西宁市城东区",
            "residence_district": "chengdong",
            **over,
        }
        r = await self.client.post("/v1/workers", headers=self.as_platform(pid), json=body)
        assert r.status_code == 201, r.text
        self.raw_ids.add(body["id_number"])
        return {**r.json(), "raw_id_number": body["id_number"], "raw_phone": body["phone"]}

    async def draft(self, pid: str, registration_id: str, enterprise_id: str | None = None, **over) -> httpx.Response:
        return await self.client.post(
            "/v1/contracts",
            headers=self.as_platform(pid),
            json=contract_body(registration_id, enterprise_id or pid, **over),
        )

    async def signed(self, pid: str, registration_id: str, enterprise_id: str | None = None, **over) -> dict:
        r = await self.draft(pid, registration_id, enterprise_id, **over)
        assert r.status_code == 201, r.text
        cid = r.json()["contract_id"]
        h = self.as_platform(pid)
        assert (await self.client.post(f"/v1/contracts/{cid}/send", headers=h)).status_code == 200
        worker = self.as_worker((await self.client.get(f"/v1/contracts/{cid}", headers=h)).json()["worker_id"])
        for signer, headers in (("worker", worker), ("enterprise", h)):
            s = await self.client.post(
                f"/v1/contracts/{cid}/signatures",
                headers=headers,
                json={"signer": signer, "intent": "本人同意并签署本合同"},
            )
            assert s.status_code == 201, s.text
        return (await self.client.get(f"/v1/contracts/{cid}", headers=h)).json()


async def running_api(new_database, kafka, tokens, **settings_extra):
    url = new_database("contracts")
    await migrate(url)
    settings = make_settings(url, kafka.bootstrap_servers, tokens.public_pem, **settings_extra)
    seen: list[tuple[str, str]] = []

    async def remember(response: httpx.Response) -> None:
        await response.aread()
        seen.append((str(response.request.url), response.text))

    async with app_client(create_app(settings)) as client:
        client.event_hooks["response"] = [remember]
        api = Api(client=client, tokens=tokens, url=url, settings=settings, seen=seen)
        yield api
        api.assert_no_unmasked_id_number_unless_revealed()


@pytest.fixture(scope="module")
async def api(new_database, kafka, tokens):
    # The relay is off here: these tests look at the database and the outbox; test_events reads Kafka.
    async for a in running_api(new_database, kafka, tokens, run_relay=False):
        yield a
