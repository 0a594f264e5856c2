"""Opaque, time-ordered ids: `<prefix>_` + 12 hex of milliseconds + 10 random hex (sortable by creation)."""

from __future__ import annotations

import secrets
import time


def new_id(prefix: str) -> str:
    return f"{prefix}_{int(time.time() * 1000):012x}{secrets.token_hex(5)}"


def new_ids(prefix: str, count: int) -> list[str]:
    """`count` ids at once, as `new_id` makes them (one random draw for all: a batch names thousands of rows)."""
    stamp = f"{prefix}_{int(time.time() * 1000):012x}"
    random = secrets.token_hex(5 * count)
    return [stamp + random[i : i + 10] for i in range(0, 10 * count, 10)]
