"""Pull adapters: for departments whose systems cannot push, the service fetches their facts itself.

One adapter per kind of source system says how to ask (`request`: the HTTP request for the records since
a cursor) and how to read the answer (`map`: the department's records into this service's fact format,
and the next cursor). Sources are configured by environment (`DEPARTMENTS_PULL_SOURCES`, a JSON list of
`PullSourceConfig`): which adapter, whose facts (the department, checked like a push: a source can only
write what its department holds), where, how often, with which credential. Each run is one transaction:
its facts, their events and audit rows, and a `pull_runs` row with what was fetched, recorded, rejected
or why it failed; `/metrics` counts requests and failures per source.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

import httpx
from prometheus_client import Counter, Gauge
from pydantic import BaseModel, Field

from newform_common.auth import Principal, Role
from newform_common.db import Database
from newform_common.tasks import cancel_and_wait

from . import repository, service
from .models import Outcome, PullRun

log = logging.getLogger(__name__)

PULL_REQUESTS = Counter(
    "newform_departments_pull_requests_total",
    "Requests to departments' systems by pull source and outcome (ok | failed)",
    ["source", "outcome"],
)
PULL_RECORDS = Counter(
    "newform_departments_pull_records_total",
    "Records pulled, by source and result (created | updated | unchanged | rejected)",
    ["source", "result"],
)
PULL_LAST_SUCCESS = Gauge(
    "newform_departments_pull_last_success_seconds",
    "Time (unix seconds) of each source's last successful pull",
    ["source"],
)


class PullSourceConfig(BaseModel):
    """One department system to pull from (an item of `DEPARTMENTS_PULL_SOURCES`)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    adapter: Literal["social-insurance", "facts-json"]
    department: str = Field(max_length=32)
    url: str = Field(description="the endpoint that lists records since a cursor")
    interval_s: float = Field(3600.0, gt=0, description="how often to pull")
    token_file: Path | None = Field(None, description="bearer credential for the department's system")
    timeout_s: float = 30.0
    kind: str = Field("insurance_enrolment", description="facts-json only: which kind of fact the records are")


@dataclass
class Mapped:
    items: list[dict[str, Any]]
    next_cursor: str | None


class Adapter(ABC):
    """How to ask one kind of department system for records, and how to read its answer."""

    name: ClassVar[str]
    kind: ClassVar[str] = ""

    def __init__(self, config: PullSourceConfig):
        self.config = config

    @property
    def fact_kind(self) -> str:
        return self.kind or self.config.kind

    def request(self, cursor: str | None) -> httpx.Request:
        headers = {"Accept": "application/json"}
        if self.config.token_file is not None:
            headers["Authorization"] = f"Bearer {self.config.token_file.read_text().strip()}"
        params = {"since": cursor} if cursor else {}
        return httpx.Request("GET", self.config.url, params=params, headers=headers)

    @abstractmethod
    def map(self, payload: Any) -> Mapped:
        """The facts in one answer of the department's system, and the cursor to ask from next."""


class SocialInsuranceAdapter(Adapter):
    """A social-insurance register's enrolment records in the national data dictionary's field codes
    (人社部 社会保险信息系统指标体系): `aac002` 公民身份号码, `aae140` 险种类型, `aac008` 参保状态,
    `aae030`/`aae031` 开始/终止日期, `aab998` 单位统一社会信用代码, `aaz159` 参保关系 ID (the reference),
    `aae036` 经办时间. Answer: `{"data": [...], "next": "<cursor>"}`."""

    name = "social-insurance"
    kind = "insurance_enrolment"
    #: 险种类型 codes → this service's insurance types.
    INSURANCE_TYPES: ClassVar[dict[str, str]] = {
        "110": "pension",
        "210": "unemployment",
        "310": "medical",
        "410": "work_injury",
        "430": "occupational_injury",
    }
    #: 参保状态: 1 参保缴费 (enrolled, paying); 2 暂停缴费 and 3 终止缴费 are not (for our rules).
    ENROLLED = "1"

    def map(self, payload: Any) -> Mapped:
        items = []
        for r in payload.get("data", []):
            items.append(
                {
                    "reference": str(r.get("aaz159", "")),
                    "id_number": r.get("aac002"),
                    "insurance_type": self.INSURANCE_TYPES.get(str(r.get("aae140")), f"unknown:{r.get('aae140')}"),
                    "status": "enrolled" if str(r.get("aac008")) == self.ENROLLED else "not_enrolled",
                    "start_date": r.get("aae030") or None,
                    "end_date": r.get("aae031") or None,
                    "employer_credit_code": r.get("aab998") or None,
                    "observed_at": r.get("aae036") or None,
                }
            )
        return Mapped(items, payload.get("next"))


class FactsJsonAdapter(Adapter):
    """A system that already answers in this service's fact format: `{"items": [...], "next_cursor": ...}`."""

    name = "facts-json"

    def map(self, payload: Any) -> Mapped:
        return Mapped(list(payload.get("items", [])), payload.get("next_cursor"))


ADAPTERS: dict[str, type[Adapter]] = {a.name: a for a in (SocialInsuranceAdapter, FactsJsonAdapter)}


def adapter_for(config: PullSourceConfig) -> Adapter:
    return ADAPTERS[config.adapter](config)


async def pull_once(db: Database, pii: service.Pii, config: PullSourceConfig, client: httpx.AsyncClient) -> PullRun:
    """One pull: request since the last cursor, map, store each record as the department's statement."""
    adapter = adapter_for(config)
    started = datetime.now(UTC)
    async with db.transaction() as session:
        cursor = await repository.last_cursor(session, config.name)
    run = PullRun(source=config.name, started_at=started, cursor=cursor, line_errors=[])
    try:
        response = await client.send(adapter.request(cursor))
        response.raise_for_status()
        mapped = adapter.map(response.json())
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        PULL_REQUESTS.labels(config.name, "failed").inc()
        run.error = f"{type(exc).__name__}: {exc}"[:500]
        run.finished_at = datetime.now(UTC)
        async with db.transaction() as session:
            session.add(run)
        log.warning("pull from %s failed: %s", config.name, run.error)
        return run
    PULL_REQUESTS.labels(config.name, "ok").inc()
    actor = Principal(subject=f"pull:{config.name}", role=Role.department, department=config.department)
    async with db.transaction() as session:
        result = await service.record_batch(
            session, pii, actor, adapter.fact_kind, mapped.items, purpose=f"pulled from {config.name}"
        )
        run.fetched, run.rejected = result.lines, result.rejected
        run.recorded = result.created + result.updated
        run.cursor = mapped.next_cursor or cursor
        run.line_errors = [e.model_dump() for e in result.errors]
        run.finished_at = datetime.now(UTC)
        session.add(run)
        for status in (*Outcome, "rejected"):
            PULL_RECORDS.labels(config.name, status).inc(getattr(result, status))
    if not result.errors:
        PULL_LAST_SUCCESS.labels(config.name).set(run.finished_at.timestamp())
    return run


class PullScheduler:
    """Pulls every configured source on its own interval, in the service's process (one task)."""

    def __init__(self, db: Database, pii: service.Pii, sources: list[PullSourceConfig]):
        self.db, self.pii, self.sources = db, pii, sources
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        if self.sources:
            self._task = asyncio.create_task(self._run(), name="departments-pull")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        due = {s.name: 0.0 for s in self.sources}
        loop = asyncio.get_running_loop()
        async with httpx.AsyncClient() as client:
            while True:
                now = loop.time()
                for source in self.sources:
                    if now >= due[source.name]:
                        client.timeout = httpx.Timeout(source.timeout_s)
                        try:
                            await pull_once(self.db, self.pii, source, client)
                        except Exception:  # one source's failure never stops the others
                            log.exception("pull from %s failed", source.name)
                        due[source.name] = loop.time() + source.interval_s
                await asyncio.sleep(max(0.05, min(due.values()) - loop.time()))
