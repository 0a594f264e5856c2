"""Set-based writes: many rows in one statement over arrays (`unnest`), on the session's asyncpg
connection. What consumers (projections) and batch endpoints use instead of a statement per row.

`upsert(session, table, rows, key=[...])` inserts the rows, or updates the existing rows with the same
key; `insert_new(...)` inserts and ignores rows whose key exists; `copy(...)` appends rows the caller
knows are all new (a rebuild into an empty database) with COPY, the cheapest way in. Rows are dicts
of column values (Python values: str, int, bool, date, datetime; dict/list for JSONB columns). A key appearing twice
in `rows` keeps its last row (PostgreSQL refuses to update one row twice in a statement).
`collector_paused()` keeps the cyclic garbage collector off while a batch is built in memory.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from operator import itemgetter
from typing import Any

import asyncpg
import orjson
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from .db import driver_connection

# The dialect's constructor is untyped in SQLAlchemy (no annotations on its __init__).
_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


def _table(model_or_table: type[SQLModel] | Table) -> Table:
    # SQLAlchemy's declarative sets a table model's __table__ at class creation; sqlmodel does not declare it.
    return model_or_table if isinstance(model_or_table, Table) else model_or_table.__table__  # type: ignore[attr-defined]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@lru_cache(maxsize=512)
def _statement(
    table: Table,
    columns: tuple[str, ...],
    key: tuple[str, ...],
    update: tuple[str, ...] | None,
    coalesce: tuple[str, ...],
) -> tuple[str, tuple[bool, ...]]:
    """The statement for these columns, and which columns are JSONB (sent as text, cast in SQL)."""
    arrays, selected, is_json = [], [], []
    for i, name in enumerate(columns, start=1):
        column = table.columns[name]
        json_column = isinstance(column.type, JSONB)
        element = "text" if json_column else column.type.compile(dialect=_DIALECT)
        arrays.append(f"${i}::{element}[]")
        selected.append(f"u.{_quote(name)}" + ("::jsonb" if json_column else ""))
        is_json.append(json_column)
    target = ", ".join(_quote(c) for c in columns)
    sql = (
        f"insert into {_quote(table.name)} ({target}) select {', '.join(selected)} "
        f"from unnest({', '.join(arrays)}) as u({target}) on conflict ({', '.join(_quote(k) for k in key)}) "
    )
    if update is None:
        sql += "do nothing"
    else:
        sets = [
            f"{_quote(c)} = coalesce(excluded.{_quote(c)}, {_quote(table.name)}.{_quote(c)})"
            if c in coalesce
            else f"{_quote(c)} = excluded.{_quote(c)}"
            for c in update
        ]
        sql += "do update set " + ", ".join(sets) if sets else "do nothing"
    return sql, tuple(is_json)


def _last_per_key(rows: Iterable[dict[str, Any]], key: Sequence[str]) -> list[dict[str, Any]]:
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        k = tuple(row[c] for c in key)
        by_key.pop(k, None)  # keep the order of last appearance
        by_key[k] = row
    return list(by_key.values())


async def _write(
    session: AsyncSession,
    model: type[SQLModel] | Table,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    update: Sequence[str] | None,
    coalesce: Sequence[str],
) -> int:
    if not rows:
        return 0
    table = _table(model)
    rows = _last_per_key(rows, key)
    columns = tuple(rows[0])
    sql, is_json = _statement(table, columns, tuple(key), None if update is None else tuple(update), tuple(coalesce))
    arrays = []
    for name, json_column in zip(columns, is_json, strict=True):
        values = [row[name] for row in rows]
        if json_column:
            values = [None if v is None else orjson.dumps(v).decode() for v in values]
        arrays.append(values)
    conn = await driver_connection(session)
    status = await conn.execute(sql, *arrays)
    return int(status.rsplit(" ", 1)[-1])


async def upsert(
    session: AsyncSession,
    model: type[SQLModel] | Table,
    rows: Sequence[dict[str, Any]],
    *,
    key: Sequence[str],
    update: Sequence[str] | None = None,
    keep_when_null: Sequence[str] = (),
) -> int:
    """Insert `rows` or update the rows with the same `key`: the columns in `update` (default: every
    column given but the key); a column in `keep_when_null` keeps its stored value when the row has
    None. Every row must give the same columns. Returns the number of rows written."""
    if not rows:
        return 0
    update = [c for c in rows[0] if c not in key] if update is None else list(update)
    return await _write(session, model, rows, key, update, keep_when_null)


async def insert_new(
    session: AsyncSession, model: type[SQLModel] | Table, rows: Sequence[dict[str, Any]], *, key: Sequence[str]
) -> int:
    """Insert the rows whose `key` is not stored yet; the others are left as they are."""
    return await _write(session, model, rows, key, None, ())


async def copy(session: AsyncSession, model: type[SQLModel] | Table, rows: Sequence[dict[str, Any]]) -> int:
    """Append `rows` with COPY (binary): no conflict handling, so only for rows the caller knows are
    new — a key already stored fails the whole statement. Every row must give the same columns."""
    if not rows:
        return 0
    table = _table(model)
    columns = tuple(rows[0])
    values: list[Sequence[Any]] = (
        list(zip(*map(itemgetter(*columns), rows), strict=True))
        if len(columns) > 1
        else [[r[columns[0]] for r in rows]]
    )
    for i, name in enumerate(columns):
        if isinstance(table.columns[name].type, JSONB):  # asyncpg sends jsonb as text
            values[i] = [None if v is None else orjson.dumps(v).decode() for v in values[i]]
    records = list(zip(*values, strict=True))  # column by column, then rows: C loops instead of one per value
    conn = await driver_connection(session)
    await conn.copy_records_to_table(table.name, records=records, columns=columns)
    return len(records)


async def copy_unless_stored(
    session: AsyncSession, table: str, columns: Sequence[str], records: Sequence[Sequence[Any]]
) -> bool:
    """COPY `records` (tuples in `columns` order) in a savepoint; False — nothing written, the transaction
    intact — when one of their keys is stored already, so that the caller runs its conflict-handling
    insert instead. For batches that are new rows but for a redelivery or a concurrent upload: COPY
    costs a fifth of an `unnest` insert on the client (asyncpg checks each array element against the
    collections ABCs) and half on the server."""
    conn = await driver_connection(session)
    try:
        async with conn.transaction():
            await conn.copy_records_to_table(table, records=records, columns=list(columns))
    except asyncpg.UniqueViolationError:
        return False
    return True


_pauses = 0
_was_enabled = True
_paused_since = 0.0
#: Overlapping batches could keep the collector off for good: once it has been off this long, a batch
#: that ends collects (cycles made meanwhile are bounded by this much work).
MAX_PAUSE_S = 10.0


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a batch is worked on in memory (nested and concurrent
    uses on the event loop counted; back on when the last one ends). A batch builds hundreds of
    thousands of objects that live until it ends: the collector would walk them, and the whole heap,
    many times over for nothing (a third of the wages intake's CPU). Their memory is freed by reference
    counting as usual; cycles wait for the collector."""
    global _pauses, _was_enabled, _paused_since
    if _pauses == 0:
        _was_enabled = gc.isenabled()
        _paused_since = time.monotonic()
        gc.disable()
    _pauses += 1
    try:
        yield
    finally:
        _pauses -= 1
        if _pauses == 0:
            if _was_enabled:
                gc.enable()
        elif _was_enabled and time.monotonic() - _paused_since > MAX_PAUSE_S:
            gc.collect()
            _paused_since = time.monotonic()
