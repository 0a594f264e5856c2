"""What the aggregates' repositories share: the bulk insert of an upload's rows, the line ids already
stored, and the judgements table (a cross-fact rule judged once per subject). Each aggregate's own
queries are in its `repository.py`.

The intake paths write set-based: one `COPY` per table per batch on the session's own asyncpg
connection (inside the request's transaction), or, when some row exists already, one
`insert … select from unnest(arrays) on conflict do nothing`; never a statement per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeDecorator

from newform_common import bulk
from newform_common.db import driver_connection

_PG_TYPES = ((JSONB, "jsonb"), (BigInteger, "int8"), (Integer, "int4"), (Boolean, "bool"), (Date, "date"))


def column_types(model: Any) -> dict[str, str]:
    """A table's columns in order with their PostgreSQL types, as the bulk paths name them (from the model,
    so the columns are spelled out once)."""
    types: dict[str, str] = {}
    for column in model.__table__.columns:
        kind = column.type
        if isinstance(kind, TypeDecorator):  # sqlmodel's AutoString: a String underneath
            kind = kind.impl_instance
        if isinstance(kind, DateTime):
            types[column.name] = "timestamptz" if kind.timezone else "timestamp"
        elif isinstance(kind, String):
            types[column.name] = "text"
        else:
            types[column.name] = next(name for base, name in _PG_TYPES if isinstance(kind, base))
    return types


def decoded(row: Mapping[str, Any], *json_columns: str) -> dict[str, Any]:
    """A row as a dict, its JSON columns as values (a driver without a JSON codec hands back text)."""
    out = dict(row)
    for name in json_columns:
        if isinstance(out.get(name), str | bytes):
            out[name] = orjson.loads(out[name])
    return out


def _unnest_insert(table: str, columns: dict[str, str], conflict: str, returning: str | None) -> str:
    names = list(columns)
    arrays = ", ".join(f"${i}::{'text' if t == 'jsonb' else t}[]" for i, t in enumerate(columns.values(), start=1))
    selected = ", ".join(f"u.{n}::jsonb" if t == "jsonb" else f"u.{n}" for n, t in columns.items())
    sql = (
        f"insert into {table} ({', '.join(names)}) select {selected} from unnest({arrays}) "
        f"as u({', '.join(names)}) on conflict {conflict} do nothing"
    )
    return sql + (f" returning {returning}" if returning else "")


async def insert_rows(
    session: AsyncSession,
    table: str,
    columns: dict[str, str],
    rows: Sequence[dict[str, Any]],
    *,
    conflict: str,
    returning: str | None = None,
) -> list[Any]:
    """Insert many rows; rows whose key exists are skipped. Returns `returning` values of the rows inserted.

    A `COPY` first, in a savepoint: in the usual batch no row exists yet, and COPY costs a fifth of the
    `unnest` insert on the client (asyncpg checks every element of an array parameter against the
    collections ABCs, ~7 µs a statement row) and half on the server. A row that exists (a concurrent
    upload of the same lines) fails the COPY: its savepoint is rolled back and the insert skips it.
    """
    if not rows:
        return []
    names = list(columns)
    json_columns = [i for i, kind in enumerate(columns.values()) if kind == "jsonb"]
    records = []
    for row in rows:
        record = [row[name] for name in names]
        for i in json_columns:
            record[i] = orjson.dumps(record[i]).decode()
        records.append(record)
    if not await bulk.copy_unless_stored(session, table, names, records):
        conn = await driver_connection(session)
        sql = _unnest_insert(table, columns, conflict, returning)
        arrays = [list(values) for values in zip(*records, strict=True)]
        if returning:
            return [r[0] for r in await conn.fetch(sql, *arrays)]
        await conn.execute(sql, *arrays)
        return []
    return [row[returning] for row in rows] if returning else []


async def existing_line_ids(session: AsyncSession, table: str, platform_id: str, line_ids: list[str]) -> set[str]:
    """The line ids of `table` the platform has stored already, among these."""
    if not line_ids:
        return set()
    conn = await driver_connection(session)
    rows = await conn.fetch(
        f"select line_id from {table} where platform_id = $1 and line_id = any($2::text[])", platform_id, line_ids
    )
    return {r[0] for r in rows}


async def claim_judgements(session: AsyncSession, keys: list[tuple[str, str, str]], now) -> set[tuple[str, str, str]]:
    """Record (rule, subject, platform) judged; returns the keys new now (a resent fact raises nothing twice)."""
    if not keys:
        return set()
    conn = await driver_connection(session)
    rows = await conn.fetch(
        "insert into judgements (rule, subject_id, platform_id, judged_at) "
        "select u.r, u.s, u.p, $4 from unnest($1::text[], $2::text[], $3::text[]) as u(r, s, p) "
        "on conflict do nothing returning rule, subject_id, platform_id",
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
        now,
    )
    return {(r[0], r[1], r[2]) for r in rows}
