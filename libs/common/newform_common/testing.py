"""The testing kit: what every service's tests need against real PostgreSQL and Kafka.

- `TokenFactory` (a key pair, tokens by role) and `ServiceApi` (a client with role headers:
  `as_platform(pid)`, `as_worker(worker_id)`, `admin`, `regulator`, `department(code)`);
- `migrated_database(new_database, service)`: a fresh database at the service's migration heads;
- `running_service(create_app, settings, tokens)`: the app with its lifespan, as a `ServiceApi`;
- `scalar`/`fetch`/`execute`: SQL straight at a database, for asserting what was stored;
- `read_topic`, `eventually`, `unique_name`; builders of valid identifiers (`credit_code()`,
  `resident_id()`, `mobile()`).
Fixtures live in tests/conftest.py (`postgres`, `kafka`, `new_database`, `tokens`).
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from .auth import Role, generate_keypair, mint_token
from .db import Database
from .identity import CREDIT_CODE_CHARSET, make_credit_code, make_resident_id, worker_pseudonym
from .migrations import upgrade
from .settings import ServiceSettings

T = TypeVar("T")
U = TypeVar("U")
S = TypeVar("S", bound=ServiceSettings)


@dataclass
class TokenFactory:
    """A signing key pair for a test session and a way to mint tokens with it."""

    private_pem: str
    public_pem: str

    @classmethod
    def generate(cls) -> TokenFactory:
        private, public = generate_keypair()
        return cls(private, public)

    def token(self, role: Role | str, subject: str | None = None, **scope: Any) -> str:
        return mint_token(self.private_pem, role=role, subject=subject or f"test-{role}", **scope)

    def headers(self, role: Role | str, subject: str | None = None, **scope: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, subject, **scope)}"}


@asynccontextmanager
async def app_client(app: FastAPI, base_url: str = "http://testserver") -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client bound to `app`, with the app's lifespan (relay, consumers) running."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


async def read_topic(
    bootstrap_servers: str, topic: str, *, expect: int, timeout: float = 30.0, settle: float = 0.0
) -> list[ConsumerRecord]:
    """Read `topic` from the beginning until `expect` records arrived (then `settle` seconds more)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=f"reader-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        deadline = time.monotonic() + timeout
        while len(records) < expect and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for recs in batch.values():
                records.extend(recs)
        settle_until = time.monotonic() + settle
        while time.monotonic() < settle_until:
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
    finally:
        await consumer.stop()
    return records


async def eventually(check: Callable[[], Awaitable[T]], *, timeout: float = 30.0, interval: float = 0.2) -> T:
    """Await `check()` until it returns a truthy value; return it, or raise AssertionError at the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


# ---------------------------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------------------------
async def migrated_database(new_database: Callable[[str], str], service: str) -> str:
    """A new database for `service` (a registry name), migrated to its heads (common tables included)."""
    url = new_database(service)
    await asyncio.to_thread(upgrade, f"newform_{service}", url)
    return url


async def fetch(url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return [dict(row._mapping) for row in await conn.execute(text(sql), params)]
    finally:
        await engine.dispose()


async def scalar(url: str, sql: str, **params: Any) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()
    finally:
        await engine.dispose()


async def execute(url: str, sql: str, **params: Any) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql), params)
    finally:
        await engine.dispose()


async def while_open(
    api: ServiceApi,
    first: Callable[[AsyncSession], Awaitable[T]],
    second: Callable[[], Coroutine[Any, Any, U]],
    *,
    settle: float = 0.5,
    timeout: float = 10.0,
) -> tuple[T, U]:
    """Two paths of `api`'s service side by side: `first(session)` runs in a transaction (on the
    service's database, its events on the service's topic) held open while `second()` (its own
    transaction, e.g. an HTTP request) runs as far as it can, then the first commits. Returns
    (first's result, second's result). Under READ COMMITTED neither sees the other's uncommitted rows,
    so a decision taken from the *absence* of a row shows here as a write skew; `settle` only gives the
    second path time to read before the first commits (nothing asserts a speed)."""
    db = Database(api.url, service=api.settings.service_name, domain=api.settings.domain)
    other: asyncio.Task[U] | None = None
    try:
        async with db.transaction() as session:
            held = await first(session)
            other = asyncio.create_task(second())
            await asyncio.sleep(settle)
        return held, await asyncio.wait_for(other, timeout)
    finally:
        if other is not None and not other.done():
            other.cancel()
        await db.dispose()


# ---------------------------------------------------------------------------------------------
# Identifiers that pass their check digits
# ---------------------------------------------------------------------------------------------
def credit_code() -> str:
    return make_credit_code("91630100" + "".join(secrets.choice(CREDIT_CODE_CHARSET) for _ in range(9)))


def resident_id(region: str = "630102") -> str:
    birth = date(1975 + secrets.randbelow(30), 1 + secrets.randbelow(12), 1 + secrets.randbelow(28))
    return make_resident_id(region, birth, f"{secrets.randbelow(1000):03d}")


def mobile() -> str:
    return "138" + f"{secrets.randbelow(10**8):08d}"


TEST_PII_SECRET = "test-pii-secret-of-at-least-32-bytes!"


def worker_id_of(id_number: str, pii_secret: str = TEST_PII_SECRET) -> str:
    return worker_pseudonym(id_number, pii_secret)


# ---------------------------------------------------------------------------------------------
# A running service and its callers
# ---------------------------------------------------------------------------------------------
@dataclass
class ServiceApi:
    """A client of one running service app, with headers for each kind of caller."""

    client: httpx.AsyncClient
    tokens: TokenFactory
    url: str  # the service's database, for asserting what was stored
    settings: ServiceSettings

    def as_platform(self, platform_id: str) -> dict[str, str]:
        return self.tokens.headers("platform", subject=f"backend-{platform_id}", platform_id=platform_id)

    def as_worker(self, worker_id: str) -> dict[str, str]:
        return self.tokens.headers("worker", subject=worker_id)

    def department(self, code: str = "hrss", district: str | None = None) -> dict[str, str]:
        return self.tokens.headers("department", subject=f"{code}-1", department=code, district=district)

    def role(self, role: str, **scope: Any) -> dict[str, str]:
        return self.tokens.headers(role, **scope)

    @property
    def admin(self) -> dict[str, str]:
        return self.tokens.headers("admin", subject="admin-1")

    @property
    def regulator(self) -> dict[str, str]:
        return self.tokens.headers("regulator", subject="inspector-1")


@asynccontextmanager
async def running_service(
    create_app: Callable[[S], FastAPI], settings: S, tokens: TokenFactory
) -> AsyncIterator[ServiceApi]:
    """`create_app(settings)` with its lifespan running, as a ServiceApi (settings.database_url migrated)."""
    async with app_client(create_app(settings)) as client:
        yield ServiceApi(client=client, tokens=tokens, url=settings.database_url, settings=settings)
