"""Test helpers: contracts' real events on a real topic (the wages consumer reads them), and line builders."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from newform_common.events import Envelope
from newform_common.testing import resident_id, worker_id_of
from newform_contracts.events import ContractDrafted, ContractSigned, ContractTerminated, InsuranceFlags, PaySchedule


def new_worker() -> str:
    return worker_id_of(resident_id())


def new_platform() -> str:
    return "p" + secrets.token_hex(5)


@dataclass
class ContractsFeed:
    """Publishes contracts' own event models, as its outbox relay would, to the topic wages reads."""

    bootstrap: str
    topic: str

    async def send(self, *events) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, enable_idempotence=True, acks="all")
        await producer.start()
        try:
            for event in events:
                envelope = Envelope.of(event, source="/newform/contracts")
                await producer.send_and_wait(
                    self.topic, envelope.kafka_value(), key=envelope.key.encode(), headers=envelope.kafka_headers()
                )
        finally:
            await producer.stop()

    async def signed(
        self,
        *,
        worker_id: str,
        platform_id: str,
        engagement_type: str = "labor_contract",
        part_time: bool = False,
        pay_period: str = "month",
        start: date = date(2024, 1, 1),
        enterprise_id: str | None = None,
        occupation: str = "food_delivery",
        district: str = "chengdong",
        contract_id: str | None = None,
        pay_schedule: dict | None = None,
        end: date | None = None,
    ) -> str:
        contract_id = contract_id or "ct_" + secrets.token_hex(6)
        common = dict(
            contract_id=contract_id,
            worker_id=worker_id,
            platform_id=platform_id,
            enterprise_id=enterprise_id or platform_id,
            engagement_type=engagement_type,
        )
        await self.send(
            ContractDrafted(
                **common,
                part_time=part_time,
                occupation=occupation,
                district=district,
                start_date=start,
                end_date=end,
                pay_period=pay_period,
                pay_schedule=PaySchedule(**pay_schedule) if pay_schedule else None,
                insurance=InsuranceFlags(work_injury=True, occupational_injury=False, accident=True),
                drafted_at=datetime.now(UTC),
            ),
            ContractSigned(
                **common, at=datetime.now(UTC), document_sha256="0" * 64, signed_by=["worker", "enterprise"]
            ),
        )
        return contract_id

    async def terminated(
        self, *, contract_id: str, worker_id: str, platform_id: str, at: datetime | None = None
    ) -> None:
        await self.send(
            ContractTerminated(
                contract_id=contract_id,
                worker_id=worker_id,
                platform_id=platform_id,
                enterprise_id=platform_id,
                engagement_type="labor_contract",
                at=at or datetime.now(UTC),
                reason="test",
            )
        )


def statement(line_id: str, contract_id: str, worker_id: str, **kw: Any) -> dict[str, Any]:
    """A lawful March 2024 monthly statement unless overridden."""
    line = {
        "line_id": line_id,
        "contract_id": contract_id,
        "worker_id": worker_id,
        "period_start": "2024-03-01",
        "period_end": "2024-03-31",
        "due_date": "2024-04-10",
        "gross_fen": 300_000,
        "base_fen": 300_000,
        "normal_hours": 168,
        "paid_fen": 300_000,
        "paid_on": "2024-04-08",
        "payment_method": "bank",
    }
    line.update(kw)
    return line


def session_line(line_id: str, worker_id: str, start: str, end: str, **kw: Any) -> dict[str, Any]:
    return {"line_id": line_id, "worker_id": worker_id, "started_at": start, "ended_at": end, **kw}
