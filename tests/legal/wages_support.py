"""What the wages cases share: the real contracts and wages apps on one test module's prefixed topics
(contracts' relay publishes the engagement, wages' consumer reads it, as in production), contracts
drafted, sent and signed through contracts' API, and the wages clocks fired at a chosen moment."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx

from newform_common import clock
from newform_common.db import Database
from newform_common.deadlines import fire_due
from newform_common.identity import make_resident_id
from newform_common.testing import TokenFactory, eventually, fetch, scalar

from ..kit.contracts import AGREEMENT_FACTS, LABOR_FACTS

SHANGHAI = timezone(timedelta(hours=8))

MONTHLY_15TH_NEXT_MONTH = {"period": "month", "month_start_day": 1, "day_of_month": 15, "month_offset": 1}


def at(day: date, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A moment in Asia/Shanghai."""
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI)


@dataclass
class WagesWorld:
    contracts: httpx.AsyncClient
    wages: httpx.AsyncClient
    tokens: TokenFactory
    wages_url: str

    def platform_headers(self, pid: str) -> dict[str, str]:
        return self.tokens.headers("platform", subject=f"backend-{pid}", platform_id=pid)

    async def platform(self, occupation: str = "food_delivery") -> str:
        pid = "p" + secrets.token_hex(5)
        from newform_common.testing import credit_code

        r = await self.contracts.post(
            "/v1/platforms",
            headers=self.tokens.headers("admin"),
            json={
                "platform_id": pid,
                "name": f"平台{pid}",
                "credit_code": credit_code(),
                "district": "chengzhong",
                "occupations": [occupation],
            },
        )
        assert r.status_code == 201, r.text
        return pid

    async def contract(
        self,
        *,
        engagement_type: str = "labor_contract",
        start: date,
        end: date | None = None,
        pay_period: str = "month",
        pay_schedule: dict[str, Any] | None = None,
        hours_arrangement: str = "standard",
        signed_on: date | None = None,
    ) -> dict[str, str]:
        """A platform, a worker, and a contract drafted, sent and signed through contracts' API (on
        `signed_on` when given: the process clock stands on that day while it is signed), known to wages
        once its events arrived."""
        pid = await self.platform()
        h = self.platform_headers(pid)
        r = await self.contracts.post(
            "/v1/workers",
            headers=h,
            json={
                "name": "李四",
                "id_number": make_resident_id("630102", date(1990, 3, 14), f"{secrets.randbelow(1000):03d}"),
                "phone": "138" + f"{secrets.randbelow(10**8):08d}",
                "occupation": "food_delivery",
                "household_registration_place": "青海省西宁市城东区",
                "residence_district": "chengdong",
            },
        )
        assert r.status_code == 201, r.text
        registration_id, worker_id = r.json()["registration_id"], r.json()["worker_id"]
        terms: dict[str, Any] = {
            "pay_basis": "monthly_salary",
            "pay_period": pay_period,
            "base_pay_fen": 200_000,
            "hours_arrangement": hours_arrangement,
            "rest_rules": "每周休息一日",
            "insurance": {"work_injury": True, "occupational_injury": True, "accident": True},
        }
        if pay_schedule is not None:
            terms["pay_schedule"] = pay_schedule
        body = {
            "registration_id": registration_id,
            "enterprise_id": pid,
            "engagement_type": engagement_type,
            "part_time": False,
            "start_date": start.isoformat(),
            "end_date": end.isoformat() if end else None,
            "terms": terms,
            "engagement_facts": LABOR_FACTS if engagement_type == "labor_contract" else AGREEMENT_FACTS,
            "document_text": f"合同 {secrets.token_hex(4)}：甲方与乙方约定配送工作。",
        }

        async def sign() -> str:
            r = await self.contracts.post("/v1/contracts", headers=h, json=body)
            assert r.status_code == 201, r.text
            cid = r.json()["contract_id"]
            assert (await self.contracts.post(f"/v1/contracts/{cid}/send", headers=h)).status_code == 200
            for signer, headers in (("worker", self.tokens.headers("worker", subject=worker_id)), ("enterprise", h)):
                s = await self.contracts.post(
                    f"/v1/contracts/{cid}/signatures",
                    headers=headers,
                    json={"signer": signer, "intent": "本人同意并签署本合同"},
                )
                assert s.status_code == 201, s.text
            return cid

        if signed_on is None:
            contract_id = await sign()
            await self.engagement_known(contract_id)
        else:
            with clock.frozen_at(at(signed_on, 10)):
                contract_id = await sign()
                await self.engagement_known(contract_id)
        return {"platform_id": pid, "worker_id": worker_id, "contract_id": contract_id}

    async def engagement_known(self, contract_id: str) -> None:
        async def signed():
            return (
                await scalar(self.wages_url, "select status from engagements where contract_id = :c", c=contract_id)
                == "signed"
            )

        await eventually(signed, timeout=120)

    async def statement(self, c: dict[str, str], line_id: str, **line: Any) -> dict[str, Any]:
        r = await self.wages.post(
            "/v1/statements",
            headers=self.platform_headers(c["platform_id"]),
            json={"line_id": line_id, "contract_id": c["contract_id"], "worker_id": c["worker_id"], **line},
        )
        assert r.status_code == 201, r.text
        return r.json()

    async def batch(self, pid: str, kind: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
        r = await self.wages.post(
            f"/v1/{kind}/batches",
            headers={**self.platform_headers(pid), "Idempotency-Key": secrets.token_hex(8)},
            json={"lines": lines},
        )
        assert r.status_code == 201, r.text
        assert r.json()["rejected"] == 0, r.json()["errors"]
        return r.json()

    async def fire_clocks(self, now: datetime, kinds: tuple[str, ...] | None = None) -> None:
        """Fire every wages clock due at `now` (and the clocks they start that are due by then too)."""
        from newform_wages.statements.clocks import DEADLINE_HANDLERS

        handlers = {k: v for k, v in DEADLINE_HANDLERS.items() if kinds is None or k in kinds}
        db = Database(self.wages_url, service="wages")
        try:
            for _ in range(400):
                if not await fire_due(db, handlers, now=now):
                    break
        finally:
            await db.dispose()

    async def findings(self, rule: str, **evidence: str) -> list[dict[str, Any]]:
        clauses = " ".join(f"and evidence ->> '{k}' = :{k}" for k in evidence)
        return await fetch(
            self.wages_url, f"select * from findings where rule = :rule {clauses} order by id", rule=rule, **evidence
        )

    async def findings_of(self, subject_id: str) -> list[dict[str, Any]]:
        return await fetch(self.wages_url, "select * from findings where subject_id = :s order by rule", s=subject_id)

    async def events_about(self, rule: str, contract_id: str) -> int:
        return await scalar(
            self.wages_url,
            "select count(*) from outbox where type = 'wages.finding.raised.v1' "
            "and data ->> 'rule' = :r and data -> 'evidence' ->> 'contract_id' = :c",
            r=rule,
            c=contract_id,
        )


async def wait_started(app, timeout: float = 120) -> None:
    await asyncio.wait_for(app.state.consumers[0].started.wait(), timeout=timeout)
