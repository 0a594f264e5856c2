"""One typed event feed for the tests: the producing services' own event models, on real topics.

A test that needs another service's events sends that service's models (`newform_<svc>.events`) the
way its outbox relay would: the envelope is `Envelope.of(event, source=outbox.source_for(svc))`, so the
Kafka key and the CloudEvents subject come from the model's own `@event_type(key=…)` declaration —
there is no table of keys to keep in step with the producers. Builders for the events most tests need
(contracts' catalogue, findings) sit on the feed; anything else is `feed.send(SomeEvent(...))`.

What no producer's model describes (an unknown type, a renamed field: the poison a consumer must
survive) is sent with `untyped(...)`, its key named by the test; `redeliver(...)` re-sends envelopes as
they are (a redelivery, or one built with a time in the past).

`EventFeed(bootstrap, prefix)` publishes to `<prefix>-<source>.events`; `topics={"contracts": t}`
names a topic outright; `EventFeed.collecting()` sends nothing and only keeps what it built in `sent`
(for a test that hands the envelopes to a projection itself).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from newform_common.events import DomainEvent, Envelope, registry
from newform_common.findings import finding_event
from newform_common.outbox import source_for, topic_for
from newform_contracts.events import (
    ContractDrafted,
    ContractSigned,
    ContractTerminated,
    EnterpriseRegistered,
    InsuranceFlags,
    PaySchedule,
    WorkerRegistered,
)


@dataclass
class EventFeed:
    """Publishes services' own event models as their outbox relays would (see the module docstring)."""

    __test__ = False

    bootstrap: str | None
    prefix: str | None = None
    #: The producing service when a send names none (the builders' `finding` uses it too).
    source: str = "contracts"
    topics: dict[str, str] = field(default_factory=dict)
    sent: list[Envelope] = field(default_factory=list)

    @classmethod
    def collecting(cls, source: str = "contracts") -> EventFeed:
        """A feed that sends nothing: the envelopes it builds are only kept in `sent`."""
        return cls(None, source=source)

    def topic_of(self, source: str) -> str:
        if source in self.topics:
            return self.topics[source]
        if self.prefix is None:
            raise LookupError(f"this feed has no topic for {source!r} (give a prefix or topics)")
        return f"{self.prefix}-{topic_for(source)}"

    @property
    def topic(self) -> str:
        """The topic of the feed's default source."""
        return self.topic_of(self.source)

    def envelope(self, event: DomainEvent, *, source: str | None = None, time: datetime | None = None) -> Envelope:
        """The envelope the producer's outbox would write for `event` (key from the model's declaration)."""
        return Envelope.of(event, source=source_for(source or self.source), time=time)

    async def send(
        self, *events: DomainEvent, source: str | None = None, time: datetime | None = None
    ) -> list[Envelope]:
        """Publish `events` of `source` (default: the feed's), in order; their envelopes."""
        envelopes = [self.envelope(e, source=source, time=time) for e in events]
        await self.redeliver(*envelopes)
        return envelopes

    async def again(self, envelope: Envelope) -> Envelope:
        """The same facts as a new event (a producer's retry): `envelope`'s data, read back through the
        producer's model for its type, sent with a new id."""
        model = registry.model_for(envelope.type)
        if model is None:
            raise LookupError(f"no event model is registered for {envelope.type} (import the producer's events)")
        return (await self.send(model.model_validate(envelope.data), source=envelope.source.rsplit("/", 1)[-1]))[0]

    async def untyped(self, type_: str, data: dict[str, Any], *, key: str, source: str | None = None) -> Envelope:
        """An event no producer's model describes (unknown type, a field renamed): `data` as given."""
        envelope = Envelope(
            id=str(uuid.uuid4()),
            source=source_for(source or self.source),
            type=type_,
            time=datetime.now(UTC),
            key=key,
            subject=key,
            data=data,
        )
        await self.redeliver(envelope)
        return envelope

    async def redeliver(self, *envelopes: Envelope) -> None:
        """Send envelopes as they are, each to the topic of the service that produced it."""
        self.sent.extend(envelopes)
        if self.bootstrap is None:
            return
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, enable_idempotence=True, acks="all")
        await producer.start()
        try:
            for envelope in envelopes:
                await producer.send_and_wait(
                    self.topic_of(envelope.source.rsplit("/", 1)[-1]),
                    envelope.kafka_value(),
                    key=envelope.key.encode(),
                    headers=envelope.kafka_headers(),
                )
        finally:
            await producer.stop()

    async def _one(self, event: DomainEvent, source: str | None = None) -> Envelope:
        return (await self.send(event, source=source))[0]

    # -- contracts' catalogue --------------------------------------------------------------------------
    async def enterprise(
        self,
        enterprise_id: str,
        *,
        kind: str = "platform",
        platform_id: str | None = None,
        district: str = "chengxi",
        occupations: list[str] | None = None,
        **extra: Any,
    ) -> Envelope:
        """contracts.enterprise.registered.v1 (a qualified platform unless told otherwise)."""
        fields: dict[str, Any] = {
            "name": f"{enterprise_id} 科技有限公司",
            "credit_code": "91630100MA7XXXXXX1",
            "dispatch_licence_valid_until": None,
            "qualified": True,
            "registered_at": datetime.now(UTC),
            **extra,
        }
        return await self._one(
            EnterpriseRegistered(
                enterprise_id=enterprise_id,
                kind=kind,
                platform_id=platform_id or enterprise_id,
                district=district,
                occupations=occupations or ["food_delivery"],
                **fields,
            ),
            "contracts",
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
        """contracts.worker.registered.v1."""
        return await self._one(
            WorkerRegistered(
                worker_id=worker_id,
                registration_id=registration_id or f"r_{uuid.uuid4().hex[:10]}",
                platform_id=platform_id,
                occupation=occupation,
                residence_district=district,
                household_registration_region="630102",
                registered_at=datetime.now(UTC),
            ),
            "contracts",
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
        """contracts.contract.drafted.v1 (from 1 May 2026, monthly pay)."""
        return await self._one(
            ContractDrafted(
                contract_id=contract_id,
                worker_id=worker_id,
                platform_id=platform_id,
                enterprise_id=platform_id,
                engagement_type=engagement_type,
                part_time=False,
                occupation=occupation,
                district=district,
                start_date=date(2026, 5, 1),
                end_date=None,
                pay_period="month",
                insurance=InsuranceFlags(work_injury=work_injury, occupational_injury=False, accident=True),
                drafted_at=datetime.now(UTC),
            ),
            "contracts",
        )

    async def contract_signed(
        self, contract_id: str, worker_id: str, platform_id: str, engagement_type: str = "labor_contract"
    ) -> Envelope:
        """contracts.contract.signed.v1 of a contract drafted before (`contract`)."""
        return await self._one(
            ContractSigned(
                contract_id=contract_id,
                worker_id=worker_id,
                platform_id=platform_id,
                enterprise_id=platform_id,
                engagement_type=engagement_type,
                at=datetime.now(UTC),
                document_sha256="ab" * 32,
                signed_by=["worker", "enterprise"],
            ),
            "contracts",
        )

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
        """A contract drafted and signed (two events); its id."""
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
            source="contracts",
        )
        return contract_id

    async def terminated(
        self, *, contract_id: str, worker_id: str, platform_id: str, at: datetime | None = None
    ) -> None:
        """contracts.contract.terminated.v1 of a labour contract."""
        await self.send(
            ContractTerminated(
                contract_id=contract_id,
                worker_id=worker_id,
                platform_id=platform_id,
                enterprise_id=platform_id,
                engagement_type="labor_contract",
                at=at or datetime.now(UTC),
                reason="test",
            ),
            source="contracts",
        )

    # -- any service's findings ------------------------------------------------------------------------
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
        source: str | None = None,
    ) -> Envelope:
        """`<source>.finding.raised.v1` (the feed's source unless told), the kit's finding model."""
        source = source or self.source
        return await self._one(
            finding_event(source)(
                finding_id=finding_id or f"f_{uuid.uuid4().hex[:12]}",
                measure=measure,
                rule=rule,
                severity=severity,
                summary=summary,
                subject_type=subject_type,
                subject_id=subject_id,
                platform_id=platform_id,
                enterprise_id=platform_id,
                worker_id=worker_id,
                occupation=occupation,
                district=district,
                evidence=evidence or {"engagement_type": "civil"},
                observed_at=datetime.now(UTC),
            ),
            source,
        )
