"""Cursor pagination: `limit` and an opaque `cursor`; responses carry `next_cursor`."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select

from .errors import Problem

T = TypeVar("T")
SelectT = TypeVar("SelectT", bound="Select[Any]")
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next page; null at the end")


class PageParams(BaseModel):
    limit: int
    after: list[Any] | None


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem("The cursor is not one this API issued", status=400, slug="bad-cursor") from exc
    if not isinstance(values, list):
        raise Problem("The cursor is not one this API issued", status=400, slug="bad-cursor")
    return values


async def page_params(
    limit: int = Query(50, ge=1, le=MAX_LIMIT, description="Items per page"),
    cursor: str | None = Query(None, description="The `next_cursor` of the previous page"),
) -> PageParams:
    return PageParams(limit=limit, after=decode_cursor(cursor) if cursor else None)


def page_of(items: list[T], params: PageParams, cursor_of: Callable[[T], list[Any]]) -> Page[T]:
    """Build a page from up to `limit + 1` fetched items (the extra one says there is more)."""
    more = len(items) > params.limit
    items = items[: params.limit]
    return Page[T](items=items, next_cursor=encode_cursor(cursor_of(items[-1])) if more and items else None)


def keyset(query: SelectT, id_column: Any, params: PageParams) -> SelectT:
    """`query` ordered by a unique id column, from the cursor on, one row beyond the page.

    `id_column` is `Any`: a SQLModel class attribute (`Provider.id`) is typed as its Python value."""
    if params.after:
        query = query.where(id_column > params.after[0])
    return query.order_by(id_column).limit(params.limit + 1)
