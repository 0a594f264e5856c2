"""Transaction-scoped advisory locks on named keys: the one way a service serialises two paths that
would otherwise each miss the other's uncommitted rows (a write skew under READ COMMITTED).

Typical pair: an intake that looks for a subject and keeps its fact "unlinked" when none is found,
and a consumer that records the subject and links the facts kept for it. Run side by side, each
reads before the other commits and the fact stays unlinked for good. Both take the subject's lock
first; whichever comes second waits, and its next statement sees the first one's rows.

Keys are locked in one order (sorted by hash), so two transactions locking overlapping sets cannot
deadlock on each other. The locks end with the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from .db import driver_connection


async def lock_keys(session: AsyncSession, namespace: str, keys: Iterable[str], *, shared: bool = False) -> None:
    """Lock each `key` of `namespace` until the session's transaction ends (one round trip).

    `shared` locks do not exclude each other, only exclusive ones: many intakes may hold a key
    shared while the one path that must see them all takes it exclusively.
    """
    wanted = sorted(set(keys))
    if not wanted:
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    conn = await driver_connection(session)
    await conn.execute(
        f"select {function}(hashtext($1), k) from (select distinct hashtext(c) as k "
        "from unnest($2::text[]) as c order by 1) as keys",
        namespace,
        wanted,
    )
