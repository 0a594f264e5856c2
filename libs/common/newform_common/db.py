"""Database access: one async engine per service, one transaction per request.

Services never commit: the request's session commits once, after the endpoint returned and before
the response is sent (`Depends(..., scope="function")`), so the state change, its outbox rows and
its idempotency record are one atomic write.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol, cast

from sqlalchemy import Column, DateTime, event, exc, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, registry
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.util import await_only, greenlet_spawn
from sqlmodel import Field, SQLModel

from .errors import is_database_outage


class CommonModel(SQLModel, registry=registry()):
    """Base of the tables every service has (outbox, inbox, idempotency keys).

    They live in their own metadata so that each service can combine them with its own tables
    while all services share one Python process in the test suite.
    """


def service_base() -> type[SQLModel]:
    """A fresh declarative base with its own metadata, one per service."""

    class ServiceModel(SQLModel, registry=registry()):
        pass

    return ServiceModel


class Database:
    def __init__(self, url: str, *, service: str, domain: str | None = None, pool_size: int = 10, echo: bool = False):
        self.url = url
        self.service = service  # names the topic and the event source (tests prefix it)
        self.domain = domain or service  # names the event types (`<domain>.finding.raised.v1`)
        self.engine: AsyncEngine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, echo=echo)
        _ping_when_idle(self.engine)
        self.sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, info={"service": service, "domain": self.domain}
        )
        self._commit_listeners: list[Callable[[], None]] = []

    def on_outbox_commit(self, listener: Callable[[], None]) -> None:
        """Called after any commit that wrote outbox rows (the relay's wake-up)."""
        self._commit_listeners.append(listener)

    def notify_outbox_committed(self) -> None:
        for listener in self._commit_listeners:
            listener()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success and rolls back on any exception."""
        async with self.sessions() as session:
            session.info["database"] = self
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[Any]:
        """A pooled asyncpg connection outside any transaction: each statement commits on its own.

        For a single write that reads what it needs in one statement and writes all its rows in one
        more (data-modifying CTEs: atomic by themselves), without the BEGIN and COMMIT round trips of
        a session. A caller that writes outbox rows calls `notify_outbox_committed` after the write."""
        pooled = await self.engine.raw_connection()
        lost: BaseException | None = None
        try:
            yield cast(_AsyncpgAdapter, pooled.dbapi_connection).driver_connection
        except BaseException as error:
            if is_database_outage(error):
                lost = error
            raise
        finally:
            # A lost connection is discarded, not pooled: the next request gets a fresh one.
            await greenlet_spawn(pooled.invalidate if lost else pooled.close, *([lost] if lost else []))

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("select 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


class _AsyncpgAdapter(Protocol):
    """What the kit uses of SQLAlchemy's asyncpg adapter (`AsyncAdapt_asyncpg_connection`: private and
    untyped there, a `DBAPIConnection | None` to the type checker): its lazily begun transaction, its
    ping and the asyncpg connection under it."""

    _transaction: object | None
    driver_connection: Any  # an asyncpg.Connection (asyncpg ships no types)

    async def _start_transaction(self) -> None: ...

    def ping(self) -> None: ...


async def driver_connection(session: AsyncSession) -> Any:
    """The session's own asyncpg connection, inside the session's transaction (begun if need be).

    For the set-based hot paths (a batch's inbox claim, projections, the relay): one statement over
    arrays (`unnest`) or an `executemany`, without SQLAlchemy's per-row compile and result machinery.
    What it writes commits or rolls back with the session. asyncpg raises its own exceptions here.
    """
    connection = await session.connection()
    adapted = cast(_AsyncpgAdapter, (await connection.get_raw_connection()).dbapi_connection)
    if adapted._transaction is None:  # SQLAlchemy's asyncpg adapter begins lazily, at the first statement
        await adapted._start_transaction()
    return adapted.driver_connection


def driver_connection_in_hook(session: Session) -> Any:
    """`driver_connection` for a synchronous session hook (`before_commit`), which SQLAlchemy runs in
    its greenlet: call the driver's coroutines through `await_only`."""
    adapted = cast(_AsyncpgAdapter, session.connection().connection.dbapi_connection)
    if adapted._transaction is None:
        await_only(adapted._start_transaction())
    return adapted.driver_connection


# A pooled connection unused for this long is pinged before it is handed out (a restarted or failed-over
# server is noticed before a request uses the dead connection). SQLAlchemy's pool_pre_ping would ping
# on every checkout — three round trips (BEGIN, ping, ROLLBACK) per request under load.
IDLE_PING_AFTER_S = 1.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _note_checkin(dbapi_connection: _AsyncpgAdapter, record: ConnectionPoolEntry) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _ping_if_idle(
        dbapi_connection: _AsyncpgAdapter, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        checked_in = record.info.get("checked_in_at")
        if checked_in is None or time.monotonic() - checked_in < IDLE_PING_AFTER_S:
            return  # new, or in use a moment ago
        try:
            dbapi_connection.ping()
        except Exception as error:  # the pool discards it and hands out a fresh connection
            raise exc.DisconnectionError(str(error)) from error


@event.listens_for(Session, "after_commit")
def _wake_relay_after_commit(session: Session) -> None:
    if session.info.pop("outbox_pending", False):
        database = session.info.get("database")
        if database is not None:
            database.notify_outbox_committed()


@event.listens_for(Session, "after_rollback")
def _forget_pending_outbox(session: Session) -> None:
    session.info.pop("outbox_pending", None)


def timestamp_field(nullable: bool = False) -> Any:
    """A timezone-aware timestamp column for a SQLModel table."""
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def json_field(nullable: bool = False) -> Any:
    """A JSONB column for a SQLModel table."""
    return Field(default=None, sa_column=Column(JSONB, nullable=nullable))
