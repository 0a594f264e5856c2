"""The gateway's own queries beside its concerns': the event log (appending a batch; a worker's events;
the clocks every service recomputed), the pre-aggregated counters, and the databases a rebuild
replays into (`rebuild.py`).

`read_counters` is kept by statement-level triggers in the same transaction as the rows it counts
(migration 0004_read_counters), so the overview, scorecards and trends read a handful of rows whatever
the length of the history. Scope '' is the city, else a platform.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import bindparam, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from newform_common import bulk
from newform_common.db import driver_connection

from .models import EventLog

SHANGHAI = ZoneInfo("Asia/Shanghai")


# -- the event log ---------------------------------------------------------------------------------------
async def append_events(session: AsyncSession, rows: list[dict[str, Any]], *, fresh: bool = False) -> None:
    """Append to the event log in one statement, skipping events logged already (an event is the same
    (event_id, time) wherever it is delivered: migration 0006_event_log_by_month); `fresh`: the caller
    knows none is logged yet (a rebuild into an empty database): COPY them. The months of the batch
    get their partitions first."""
    if not rows:
        return
    await ensure_months(session, [r["time"] for r in rows])
    if fresh:
        await bulk.copy(session, EventLog, rows)
    else:
        await bulk.insert_new(session, EventLog, rows, key=["event_id", "time"])


def _month(t: datetime) -> tuple[int, int]:
    local = t.astimezone(SHANGHAI)
    return local.year, local.month


async def ensure_months(session: AsyncSession, times: list[datetime]) -> None:
    """The event log's partition for the month (Asia/Shanghai) of each time, created if missing (one call
    per month in the list; `event_log_month` returns at once for a month that has its partition)."""
    one_per_month = list({_month(t): t for t in times}.values())
    if one_per_month:
        conn = await driver_connection(session)
        await conn.execute("select event_log_month(t) from unnest($1::timestamptz[]) t", one_per_month)


async def events_about_worker(session: AsyncSession, worker_id: str) -> list[EventLog]:
    return list(
        (
            await session.execute(
                select(EventLog).where(EventLog.worker_id == worker_id).order_by(EventLog.time, EventLog.seq)
            )
        )
        .scalars()
        .all()
    )


async def events_of_type_suffix(
    session: AsyncSession, suffix: str, *, schedule_year: int | None, limit: int
) -> list[EventLog]:
    """The newest logged events whose type ends with `suffix` (of one holiday schedule's year, if given).
    The pattern is written inline, so that a partial index over it (0008: the recomputed clocks) serves."""
    pattern = bindparam("type_suffix", f"%{suffix}", literal_execute=True)
    query = select(EventLog).where(EventLog.type.like(pattern)).order_by(EventLog.seq.desc())
    if schedule_year is not None:
        query = query.where(EventLog.data["schedule_year"].as_integer() == schedule_year)
    return list((await session.execute(query.limit(limit))).scalars().all())


# -- a rebuild from the log ------------------------------------------------------------------------------
#: The event log's columns, in the order a COPY between two gateways' databases carries them.
LOG_COLUMNS = (
    "seq",
    "event_id",
    "type",
    "source",
    "service",
    "subject",
    "key",
    "time",
    "data",
    "worker_id",
    "platform_id",
    "topic",
    "partition",
    "offset",
    "logged_at",
)
_QUOTED_LOG_COLUMNS = ", ".join(f'"{c}"' for c in LOG_COLUMNS)


def driver_dsn(url: str) -> str:
    """A SQLAlchemy URL as asyncpg's DSN."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def copy_event_log(source_url: str, session: AsyncSession) -> int:
    """Every row of the event log at `source_url` into this (empty) database's, seq and all, in one
    binary COPY stream between the two servers (no row is parsed here); then the months it needs have
    their partitions before it (`event_log_month`) and the sequence continues after it. Returns the rows."""
    target = await driver_connection(session)
    source = await asyncpg.connect(driver_dsn(source_url))
    try:
        async with source.transaction(isolation="repeatable_read", readonly=True):
            lo, hi = await source.fetchrow("select min(time), max(time) from event_log")
            if lo is None:
                return 0
            await target.execute(
                "select event_log_month(m at time zone 'Asia/Shanghai') from generate_series("
                "date_trunc('month', $1::timestamptz at time zone 'Asia/Shanghai'), "
                "$2::timestamptz at time zone 'Asia/Shanghai', interval '1 month') m",
                lo,
                hi,
            )
            chunks: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=32)

            async def read() -> None:
                try:
                    await source.copy_from_query(
                        f"select {_QUOTED_LOG_COLUMNS} from event_log", output=chunks.put, format="binary"
                    )
                finally:
                    await chunks.put(None)

            async def stream() -> AsyncIterator[bytes]:
                while (chunk := await chunks.get()) is not None:
                    yield chunk

            reading = asyncio.create_task(read())
            try:
                status = await target.copy_to_table(
                    "event_log", source=stream(), columns=list(LOG_COLUMNS), format="binary"
                )
            finally:
                if not reading.done():
                    reading.cancel()
                await asyncio.gather(reading, return_exceptions=True)
            reading.result()  # a failed read fails the copy, whatever reached the target
    finally:
        await source.close()
    await target.execute("select setval('event_log_seq_seq', (select max(seq) from event_log))")
    return int(status.rsplit(" ", 1)[-1])


async def analyze_event_log(session: AsyncSession) -> None:
    """Fresh statistics after a bulk load, so the projections' scans of the log are planned for its size."""
    conn = await driver_connection(session)
    await conn.execute("analyze event_log")


async def use_memory_for_sorts(session: AsyncSession, work_mem: str = "256MB") -> None:
    """This transaction sorts in memory (a rebuild's DISTINCT ON over millions of lines)."""
    conn = await driver_connection(session)
    await conn.execute(f"set local work_mem = '{work_mem}'")


async def plan_for_current_sizes(session: AsyncSession) -> None:
    """This transaction's statements are planned for the tables as they are now: a rebuild's tables grow
    from nothing, and a plan cached while `alerts` was empty (a sequential scan) made every alert action
    read the whole table — quadratic in the alerts (pg_stat_user_tables: 880 scans of 300 rows in 3,000
    workers' rebuild)."""
    conn = await driver_connection(session)
    await conn.execute("set local plan_cache_mode = force_custom_plan")


async def logged_after(
    session: AsyncSession, after: tuple[datetime, int] | None, skip_types: list[str], limit: int
) -> list[Any]:
    """The next `limit` logged events after the (time, seq) `after`, in (time, seq) order, but those of
    `skip_types`."""
    conn = await driver_connection(session)
    at, seq = after or (datetime.min.replace(tzinfo=UTC), 0)
    return await conn.fetch(
        'select seq, event_id, type, source, subject, key, time, data::text as data, topic, partition, "offset" '
        "from event_log where (time, seq) > ($1, $2) and type <> all($3::text[]) order by time, seq limit $4",
        at,
        seq,
        skip_types,
        limit,
    )


# -- counters ------------------------------------------------------------------------------------------
async def counted(session: AsyncSession, dimension: str, scope: str = "") -> dict[str, int]:
    """{key: count} of one dimension (keys whose count is zero are left out, as a group-by would)."""
    rows = await session.execute(
        text("select key, n from read_counters where scope = :s and dimension = :d and n <> 0"),
        {"s": scope, "d": dimension},
    )
    return {key: int(n) for key, n in rows}


async def count(session: AsyncSession, dimension: str, scope: str = "", key: str = "") -> int:
    n = (
        await session.execute(
            text("select n from read_counters where scope = :s and dimension = :d and key = :k"),
            {"s": scope, "d": dimension, "k": key},
        )
    ).scalar()
    return int(n or 0)


async def keys(session: AsyncSession, dimension: str, scope: str = "") -> set[str]:
    return set(await counted(session, dimension, scope))


# -- a rebuild counts once, at the end ------------------------------------------------------------------
# The triggers are migrations 0004_read_counters's (per table) and 0005_department_counters's (alerts by
# department): their COUNTERS and `contributions` say what each row adds; the rebuild reads them from
# there (one definition) to suspend the triggers and count the tables once. A counter is a sum over the
# rows as they end, so counting once at the end equals counting every change — and it must: counted
# change by change, one transaction of a replay updates the same counter row (a department's open
# alerts) thousands of times, each update walking the row's versions the transaction left before it
# (48 ms an alert action at 20,000 alerts).
def migration_module(name: str) -> ModuleType:
    """A migration of this service as a module: its data (counters, triggers, indexed fields) is the one
    definition the rebuild and the tests read."""
    path = Path(__file__).parent / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"newform_gateway_migration_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _counters_migration() -> ModuleType:
    return migration_module("0004_read_counters")


#: 0005's triggers on alerts (by department, platform and warning).
DEPARTMENT_TRIGGERS = tuple(f"count_alerts_by_department_{suffix}" for suffix in ("ins", "upd", "del"))


async def suspend_counting(session: AsyncSession) -> None:
    """Stop the counting triggers of the counted tables; `count_all` ends it."""
    conn = await driver_connection(session)
    for table in _counters_migration().COUNTERS:
        for suffix in ("ins", "upd", "del"):
            await conn.execute(f"alter table {table} disable trigger count_{table}_{suffix}")
    for trigger in (*DEPARTMENT_TRIGGERS, *_wage_figures().TRIGGERS):
        await conn.execute(f"alter table alerts disable trigger {trigger}")
    for table, trigger in _coverage_triggers():
        await conn.execute(f"alter table {table} disable trigger {trigger}")


async def count_all(session: AsyncSession) -> None:
    """Turn the counting triggers back on and count every row of the counted tables into an empty
    `read_counters`, one aggregate statement per table — as the migrations counted what was there (table
    by table, so read_counters' own trigger sees each per-worker counter cross zero once)."""
    conn = await driver_connection(session)
    migration = _counters_migration()
    for table in migration.COUNTERS:
        for suffix in ("ins", "upd", "del"):
            await conn.execute(f"alter table {table} enable trigger count_{table}_{suffix}")
        await conn.execute(migration.apply(migration.contributions(table, table, 1)))
    departments = migration_module("0005_department_counters")
    for trigger in DEPARTMENT_TRIGGERS:
        await conn.execute(f"alter table alerts enable trigger {trigger}")
    await conn.execute(departments.apply(departments.contributions("alerts", 1)))
    wage_figures = _wage_figures()  # arrears and working time (gw_wages_0003)
    for trigger in wage_figures.TRIGGERS:
        await conn.execute(f"alter table alerts enable trigger {trigger}")
    await conn.execute(wage_figures.apply(wage_figures.contributions("alerts", 1)))
    # Union coverage (0007): recomputed once for every registered worker, as the migration did — kept live
    # by its triggers, per statement, it added 50–70 s per million registrations to a replay.
    for table, trigger in _coverage_triggers():
        await conn.execute(f"alter table {table} enable trigger {trigger}")
    await conn.execute("delete from union_coverage_workers")
    await conn.execute(
        "select union_coverage_refresh(array(select distinct worker_id from worker_registrations where active))"
    )


def _wage_figures() -> ModuleType:
    return migration_module("gw_wages_0003_alert_figures")


def _coverage_triggers() -> list[tuple[str, str]]:
    """(table, trigger) of 0007's union-coverage triggers on the registrations and memberships."""
    coverage = migration_module("0007_union_coverage")
    return [(table, f"union_coverage_{suffix}") for table in coverage.SOURCES for suffix, *_ in coverage.TRIGGER_EVENTS]


# -- a rebuild's databases -------------------------------------------------------------------------------
def database_name(url: str) -> str | None:
    return make_url(url).database


async def create_fresh_database(server_url: str) -> str:
    """A new, empty database next to `server_url`'s; returns its URL."""
    url = make_url(server_url)
    name = f"newform_gateway_rebuild_{datetime.now(UTC):%Y%m%d%H%M%S}_{uuid.uuid4().hex[:6]}"
    engine = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


async def ensure_database(url: str) -> bool:
    """Create `url`'s database if its server does not have it; True if it was created."""
    target = make_url(url)
    engine = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            exists = (
                await conn.execute(text("select 1 from pg_database where datname = :n"), {"n": target.database})
            ).first()
            if exists:
                return False
            quoted = '"' + (target.database or "").replace('"', '""') + '"'
            await conn.execute(text(f"CREATE DATABASE {quoted}"))
            return True
    finally:
        await engine.dispose()


async def drop_database(url: str) -> None:
    target = make_url(url)
    engine = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            quoted = '"' + (target.database or "").replace('"', '""') + '"'
            await conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    finally:
        await engine.dispose()


async def clone_database(source_url: str, into: str | None) -> str | None:
    """A copy of the source database made by the server from its files (CREATE DATABASE … TEMPLATE), when
    that can be: `into` (or a new name) does not exist, is on the source's server, and nothing is connected
    to the source (PostgreSQL's condition for a template). Returns its URL, or None."""
    source = make_url(source_url)
    target = make_url(into) if into else None
    if target is not None and (target.host, target.port) != (source.host, source.port):
        return None
    name = (target.database if target is not None else None) or (
        f"newform_gateway_rebuild_{datetime.now(UTC):%Y%m%d%H%M%S}_{uuid.uuid4().hex[:6]}"
    )
    engine = create_async_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            taken = await conn.execute(text("select 1 from pg_database where datname = :n"), {"n": name})
            if taken.first() is not None:
                return None
            try:
                await conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}" STRATEGY FILE_COPY'))
            except DBAPIError as exc:  # in use (the live gateway is connected): the COPY stream instead
                if "is being accessed by other users" not in str(exc):
                    raise
                return None
    finally:
        await engine.dispose()
    return source.set(database=name).render_as_string(hide_password=False)


async def empty_all_but_the_log(session: AsyncSession) -> None:
    """Every table of a cloned gateway database emptied but the event log (and its partitions) and the
    schema's version: the read models, the inbox and outbox, webhooks — as a new database has them."""
    conn = await driver_connection(session)
    tables = await conn.fetchval(
        "select string_agg(format('%I', c.relname), ', ') from pg_class c "
        "join pg_namespace n on n.oid = c.relnamespace where n.nspname = current_schema() "
        "and c.relkind in ('r', 'p') and not c.relispartition "
        "and c.relname not in ('event_log', 'alembic_version')"
    )
    if tables:
        await conn.execute(f"truncate {tables} restart identity")


async def logged_count(session: AsyncSession) -> int:
    conn = await driver_connection(session)
    return int(await conn.fetchval("select count(*) from event_log"))


async def holds_events(session: AsyncSession) -> bool:
    """Whether the database has logged or handled any event."""
    conn = await driver_connection(session)
    return bool(await conn.fetchval("select exists (select 1 from event_log) or exists (select 1 from inbox)"))


async def drop_event_log_indexes(session: AsyncSession) -> list[str]:
    """Drop the event log's secondary indexes; returns their definitions (`create_indexes` restores them)."""
    return await drop_secondary_indexes(session, "event_log")


async def drop_secondary_indexes(session: AsyncSession, table: str) -> list[str]:
    """Drop a table's non-unique indexes; returns their definitions (`create_indexes` restores them)."""
    conn = await driver_connection(session)
    indexes = await conn.fetch(
        "select indexrelid::regclass::text, pg_get_indexdef(indexrelid) from pg_index "
        "where indrelid = $1::regclass and not indisunique and not indisprimary",
        table,
    )
    for name, _ in indexes:
        await conn.execute(f"drop index {name}")
    # a partitioned table's index reads "ON ONLY event_log" (without its partitions' indexes)
    return [definition.replace(" ON ONLY ", " ON ") for _, definition in indexes]


async def create_indexes(session: AsyncSession, definitions: list[str]) -> None:
    conn = await driver_connection(session)
    for definition in definitions:
        await conn.execute(definition)


async def commit_without_waiting(session: AsyncSession) -> None:
    """This transaction's commit does not wait for the disk (a replay: a crash loses the rebuild, not a fact)."""
    conn = await driver_connection(session)
    await conn.execute("set local synchronous_commit = off")


async def table_rows(url: str, table: str, excluded: tuple[str, ...], not_compared: str | None = None) -> list[str]:
    """Every row of `table` as sorted canonical JSON without the `excluded` columns (and without the
    rows `not_compared` selects)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            drop = "".join(f" - '{c}'" for c in excluded)
            where = f" where not ({not_compared})" if not_compared else ""
            rows = await conn.execute(text(f"select (to_jsonb(t){drop})::text from {table} t{where}"))
            return sorted(json.dumps(json.loads(r[0]), sort_keys=True, ensure_ascii=False) for r in rows)
    finally:
        await engine.dispose()
