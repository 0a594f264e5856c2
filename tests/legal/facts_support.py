"""What the legal cases on training, verified facts and tenants share (T, V, X of cases.md): real services
on one test module's prefixed topics — departments states a fact, contracts and training judge by it."""

from __future__ import annotations

import secrets
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from newform_common import testing as kit
from newform_common.auth import generate_keypair
from newform_common.identity import make_resident_id
from newform_common.kafka import ensure_topics
from newform_common.testing import ServiceApi, eventually, migrated_database, running_service, unique_name
from newform_contracts.config import Settings as ContractsSettings
from newform_contracts.main import create_app as create_contracts_app
from newform_departments.config import Settings as DepartmentsSettings
from newform_departments.main import create_app as create_departments_app
from newform_training.config import Settings as TrainingSettings
from newform_training.main import create_app as create_training_app

from ..kit.contracts import LABOR_FACTS

PII_SECRET = kit.TEST_PII_SECRET  # one pseudonym of a worker in every service


@dataclass(frozen=True)
class Case:
    """One case of cases.md, copied as data: the facts, the law's answer, its source."""

    id: str
    facts: str
    answer: str
    source: str
    data: dict[str, Any] = field(default_factory=dict)


def id_number(region: str = "630104", birth: date | None = None) -> str:
    """A fresh resident id number in `region`: a random sequence number and (unless given) a random birthday in
    1992 — with the birthday fixed, 1,000 numbers made two tests' workers one person now and then (a yearly
    subsidy limit then refused the second)."""
    born = birth or date(1992, 1, 1) + timedelta(days=secrets.randbelow(365))
    return make_resident_id(region, born, f"{secrets.randbelow(1000):03d}")


@dataclass
class World:
    """departments, contracts and (if asked) training, running on one prefix's topics."""

    tokens: kit.TokenFactory
    departments: ServiceApi
    contracts: ServiceApi
    training: ServiceApi | None = None

    def dept(self, code: str, district: str | None = None) -> dict[str, str]:
        return self.departments.department(code, district)

    # -- contracts ------------------------------------------------------------------------------------
    async def platform(self) -> str:
        pid = "p" + secrets.token_hex(5)
        r = await self.contracts.client.post(
            "/v1/platforms",
            headers=self.contracts.admin,
            json={
                "platform_id": pid,
                "name": f"平台{pid}",
                "credit_code": kit.credit_code(),
                "district": "chengzhong",
                "occupations": ["food_delivery", "courier"],
            },
        )
        assert r.status_code == 201, r.text
        return pid

    async def worker(self, pid: str, number: str, residence: str = "chengdong") -> str:
        r = await self.contracts.client.post(
            "/v1/workers",
            headers=self.contracts.as_platform(pid),
            json={
                "name": "张三",
                "id_number": number,
                "phone": kit.mobile(),
                "occupation": "food_delivery",
                "household_registration_place": "青海省西宁市",
                "residence_district": residence,
            },
        )
        assert r.status_code == 201, r.text
        return r.json()["registration_id"]

    async def partner(self, pid: str, kind: str, credit_code: str, **over) -> str:
        body = {
            "name": f"合作企业{kind}",
            "kind": kind,
            "credit_code": credit_code,
            "district": "chengxi",
            "occupations": ["food_delivery"],
            "qualified": True,
            **over,
        }
        r = await self.contracts.client.post("/v1/partners", headers=self.contracts.as_platform(pid), json=body)
        assert r.status_code == 201, r.text
        return r.json()["enterprise_id"]

    async def sent_contract(
        self, pid: str, registration_id: str, enterprise_id: str, *, start: str, end: str | None
    ) -> str:
        """A labour contract drafted and sent (live): what the verified facts are judged against."""
        h = self.contracts.as_platform(pid)
        r = await self.contracts.client.post(
            "/v1/contracts",
            headers=h,
            json={
                "registration_id": registration_id,
                "enterprise_id": enterprise_id,
                "engagement_type": "labor_contract",
                "part_time": False,
                "start_date": start,
                "end_date": end,
                "terms": {
                    "pay_basis": "monthly_salary",
                    "pay_period": "month",
                    "pay_day": "每月10日",
                    "base_pay_fen": 450000,
                    "hours_arrangement": "standard",
                    "rest_rules": "每周休息一日",
                    "insurance": {"work_injury": True, "occupational_injury": False, "accident": True},
                },
                "engagement_facts": LABOR_FACTS,
                "document_text": f"劳动合同 {secrets.token_hex(4)}：甲方聘用乙方从事配送工作，依法参加工伤保险。",
            },
        )
        assert r.status_code == 201, r.text
        cid = r.json()["contract_id"]
        sent = await self.contracts.client.post(f"/v1/contracts/{cid}/send", headers=h)
        assert sent.status_code == 200, sent.text
        return cid

    async def findings(self, rule: str, contract_id: str) -> list[dict]:
        r = await self.contracts.client.get(
            "/v1/findings", headers=self.contracts.regulator, params={"rule": rule, "limit": 200}
        )
        assert r.status_code == 200, r.text
        return [f for f in r.json()["items"] if f["subject_id"] == contract_id]

    async def checked(self, contract_id: str) -> None:
        """Wait until contracts' consumer of its own topic (`contracts-contracts`) has checked the sent
        contract against the facts held (its inbox)."""

        async def done():
            return await kit.scalar(
                self.contracts.url,
                "select count(*) from inbox i join outbox o on "
                "o.event_id = i.event_id where i.type = 'contracts.contract.sent.v1' "
                "and i.consumer like '%-contracts' and o.data->>'contract_id' = :c",
                c=contract_id,
            )

        await eventually(done, timeout=60)

    # -- departments -----------------------------------------------------------------------------------
    async def state(self, segment: str, department: str, body: dict) -> dict:
        r = await self.departments.client.post(f"/v1/{segment}", headers=self.dept(department), json=body)
        assert r.status_code == 201, r.text
        return r.json()

    async def state_many(self, segment: str, department: str, items: list[dict]) -> dict:
        r = await self.departments.client.post(
            f"/v1/{segment}/batches", headers=self.dept(department), json={"items": items}
        )
        assert r.status_code == 201 and r.json()["rejected"] == 0, r.text
        return r.json()


@asynccontextmanager
async def world(new_database, kafka, tokens, *, training: bool = False):
    prefix = unique_name("lg").replace("_", "")
    topics = {s: f"{prefix}-{s}.events" for s in ("contracts", "departments", "training")}
    await ensure_topics(kafka.bootstrap_servers, list(topics.values()))
    signing_key, _ = generate_keypair()
    common = dict(
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        pii_secret=PII_SECRET,
        relay_poll_interval_s=0.2,
    )
    contracts = ContractsSettings(
        service_name=f"{prefix}-contracts",
        database_url=await migrated_database(new_database, "contracts"),
        signing_key=signing_key,
        departments_topic=topics["departments"],
        deadline_poll_interval_s=0.2,
        **common,
    )
    departments = DepartmentsSettings(
        service_name=f"{prefix}-departments",
        database_url=await migrated_database(new_database, "departments"),
        contracts_topic=topics["contracts"],
        **common,
    )
    async with AsyncExitStack() as stack:
        c = await stack.enter_async_context(running_service(create_contracts_app, contracts, tokens))
        d = await stack.enter_async_context(running_service(create_departments_app, departments, tokens))
        t = None
        if training:
            settings = TrainingSettings(
                service_name=f"{prefix}-training",
                database_url=await migrated_database(new_database, "training"),
                contracts_topic=topics["contracts"],
                departments_topic=topics["departments"],
                deadline_poll_interval_s=0.2,
                **common,
            )
            t = await stack.enter_async_context(running_service(create_training_app, settings, tokens))
        yield World(tokens=tokens, departments=d, contracts=c, training=t)
