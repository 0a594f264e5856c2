"""Test helpers for the gateway: a test publisher of catalogue-shaped events, and a gateway harness.

`TestPublisher` stands in for the services that feed the gateway (contracts, and later wages...):
it builds CloudEvents envelopes exactly as `newform_common.outbox.record` would and produces them
with aiokafka in binary mode (`Envelope.kafka_headers()` / `kafka_value()`).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from newform_common import testing as kit
from newform_common.events import Envelope
from newform_common.kafka import ensure_topics
from newform_gateway.config import Settings

KEYS = {
    "enterprise.registered": "enterprise_id",
    "worker.registered": "worker_id",
    "contract.drafted": "worker_id",
    "contract.sent": "worker_id",
    "contract.signed": "worker_id",
    "contract.terminated": "worker_id",
    "contract.expired": "worker_id",
    "account.restricted": "worker_id",
    "rule_notice.published": "platform_id",
    "finding.raised": "subject_id",
}


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class TestPublisher:
    """Publishes catalogue-shaped events of `service` to `<prefix>-<service>.events`."""

    __test__ = False

    bootstrap: str
    prefix: str
    service: str = "contracts"
    sent: list[Envelope] = field(default_factory=list)

    @property
    def topic(self) -> str:
        return f"{self.prefix}-{self.service}.events"

    async def publish(self, name: str, data: dict[str, Any], *, envelope: Envelope | None = None) -> Envelope:
        """Publish `<service>.<name>.v1` (or re-publish `envelope` as is: a redelivery)."""
        envelope = envelope or self.envelope_for(name, data)
        await self.send(envelope)
        self.sent.append(envelope)
        return envelope

    def envelope_for(self, name: str, data: dict[str, Any]) -> Envelope:
        key = str(data[KEYS.get(name, "worker_id")])
        return Envelope(
            id=str(uuid.uuid4()),
            source=f"/newform/{self.service}",
            type=f"{self.service}.{name}.v1",
            time=datetime.now(UTC),
            key=key,
            subject=key,
            data=data,
        )

    async def send(self, envelope: Envelope) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, enable_idempotence=True, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(
                self.topic, envelope.kafka_value(), key=envelope.key.encode(), headers=envelope.kafka_headers()
            )
        finally:
            await producer.stop()

    # -- catalogue-shaped events -----------------------------------------------------------------
    async def enterprise(
        self,
        enterprise_id: str,
        *,
        kind: str = "platform",
        platform_id: str | None = None,
        district: str = "chengxi",
        occupations: list[str] | None = None,
        **extra,
    ) -> Envelope:
        return await self.publish(
            "enterprise.registered",
            {
                "enterprise_id": enterprise_id,
                "name": extra.pop("name", f"{enterprise_id} 科技有限公司"),
                "kind": kind,
                "platform_id": platform_id or enterprise_id,
                "credit_code": "91630100MA7XXXXXX1",
                "district": district,
                "occupations": occupations or ["food_delivery"],
                "dispatch_licence_valid_until": None,
                "qualified": True,
                "registered_at": now_iso(),
                **extra,
            },
        )

    async def worker(
        self,
        worker_id: str,
        platform_id: str,
        *,
        occupation: str = "food_delivery",
        district: str = "chengxi",
        registration_id: str | None = None,
    ) -> Envelope:
        return await self.publish(
            "worker.registered",
            {
                "worker_id": worker_id,
                "registration_id": registration_id or f"r_{uuid.uuid4().hex[:10]}",
                "platform_id": platform_id,
                "occupation": occupation,
                "residence_district": district,
                "household_registration_region": "630102",
                "registered_at": now_iso(),
            },
        )

    async def contract(
        self,
        contract_id: str,
        worker_id: str,
        platform_id: str,
        *,
        engagement_type: str = "labor_contract",
        occupation: str = "food_delivery",
        district: str = "chengxi",
        work_injury: bool = True,
    ) -> Envelope:
        return await self.publish(
            "contract.drafted",
            {
                "contract_id": contract_id,
                "worker_id": worker_id,
                "platform_id": platform_id,
                "enterprise_id": platform_id,
                "engagement_type": engagement_type,
                "part_time": False,
                "occupation": occupation,
                "district": district,
                "start_date": "2026-05-01",
                "end_date": None,
                "pay_period": "month",
                "insurance": {"work_injury": work_injury, "occupational_injury": False, "accident": True},
                "drafted_at": now_iso(),
            },
        )

    async def signed(
        self, contract_id: str, worker_id: str, platform_id: str, engagement_type: str = "labor_contract"
    ) -> Envelope:
        return await self.publish(
            "contract.signed",
            {
                "contract_id": contract_id,
                "worker_id": worker_id,
                "platform_id": platform_id,
                "enterprise_id": platform_id,
                "engagement_type": engagement_type,
                "at": now_iso(),
                "document_sha256": "ab" * 32,
                "signed_by": ["worker", "enterprise"],
            },
        )

    async def finding(
        self,
        *,
        measure: str,
        rule: str,
        subject_id: str,
        subject_type: str = "contract",
        platform_id: str | None = None,
        worker_id: str | None = None,
        occupation: str | None = "food_delivery",
        district: str | None = "chengxi",
        severity: str = "high",
        finding_id: str | None = None,
        evidence: dict | None = None,
        summary: str = "按民事关系签约，但事实符合劳动关系认定条件",
    ) -> Envelope:
        return await self.publish(
            "finding.raised",
            {
                "finding_id": finding_id or f"f_{uuid.uuid4().hex[:12]}",
                "measure": measure,
                "rule": rule,
                "severity": severity,
                "summary": summary,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "platform_id": platform_id,
                "enterprise_id": platform_id,
                "worker_id": worker_id,
                "occupation": occupation,
                "district": district,
                "evidence": evidence or {"engagement_type": "civil"},
                "observed_at": now_iso(),
            },
        )


class CollectingPublisher(TestPublisher):
    """Builds catalogue events as TestPublisher does but sends nothing: the caller hands them to the
    projection itself, or sends them in bulk (the events are in `sent`)."""

    __test__ = False

    async def send(self, envelope: Envelope) -> None:
        return None


async def migrated_database(new_database) -> str:
    return await kit.migrated_database(new_database, "gateway")


def gateway_settings(prefix: str, url: str, bootstrap: str, public_pem: str, **overrides) -> Settings:
    """Settings of a gateway that consumes only this test's topics (`<prefix>-*.events`)."""
    return Settings(
        service_name=f"{prefix}-gateway",
        database_url=url,
        kafka_bootstrap_servers=bootstrap,
        jwt_public_key=public_pem,
        topic_pattern=rf"^{prefix}-[a-z0-9_-]+\.events$",
        consumer_group=f"{prefix}-gateway",
        relay_poll_interval_s=0.2,
        webhook_poll_interval_s=0.2,
        webhook_initial_backoff_s=0.3,
        webhook_max_backoff_s=1.0,
        **overrides,
    )


async def prepare_topics(bootstrap: str, prefix: str, services=("contracts", "gateway")) -> None:
    await ensure_topics(bootstrap, [f"{prefix}-{s}.events" for s in services])


scalar = kit.scalar


class LoopbackServer:
    """Runs an ASGI app with real uvicorn on 127.0.0.1:<port> inside the test's event loop."""

    def __init__(self, app, port: int):
        import uvicorn

        self.port = port
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        self._task: asyncio.Task | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> LoopbackServer:
        self.server.should_exit = False
        self._task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.05)
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.should_exit = True
        if self._task:
            await self._task
