"""Helpers for tests that run services against real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from fastapi import FastAPI

from .auth import Role, generate_keypair, mint_token


@dataclass
class TokenFactory:
    """A signing key pair for a test session and a way to mint tokens with it."""

    private_pem: str
    public_pem: str

    @classmethod
    def generate(cls) -> TokenFactory:
        private, public = generate_keypair()
        return cls(private, public)

    def token(self, role: Role | str, subject: str | None = None, **scope) -> str:
        return mint_token(self.private_pem, role=role, subject=subject or f"test-{role}", **scope)

    def headers(self, role: Role | str, subject: str | None = None, **scope) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, subject, **scope)}"}


@asynccontextmanager
async def app_client(app: FastAPI, base_url: str = "http://testserver") -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client bound to `app`, with the app's lifespan (relay, consumers) running."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


async def read_topic(bootstrap_servers: str, topic: str, *, expect: int, timeout: float = 30.0,
                     settle: float = 0.0) -> list[ConsumerRecord]:
    """Read `topic` from the beginning until `expect` records arrived (then `settle` seconds more)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap_servers, group_id=f"reader-{uuid.uuid4().hex}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
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


async def eventually(check, *, timeout: float = 30.0, interval: float = 0.2):
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
