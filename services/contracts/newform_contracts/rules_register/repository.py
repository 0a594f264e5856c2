"""The queries on rule notices: every version of a platform's rule on a topic (M10)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.locks import lock_keys
from newform_common.pagination import PageParams

from ..models import RuleNotice
from ..repository import visible_page


async def lock_rule_notice_topic(session: AsyncSession, platform_id: str, topic: str) -> None:
    """Serialises publications of one topic until the transaction ends: side by side, both would take the
    latest version + 1 and the second fail on the unique version instead of becoming the next one."""
    await lock_keys(session, "contracts-rule-notice-topic", [f"{platform_id}:{topic}"])


async def latest_notice_version(session: AsyncSession, platform_id: str, topic: str) -> int | None:
    return await session.scalar(
        select(func.max(RuleNotice.version)).where(RuleNotice.platform_id == platform_id, RuleNotice.topic == topic)
    )


async def rule_notices(
    session: AsyncSession, principal: Principal, params: PageParams, *, platform_id: str | None, topic: str | None
) -> list[RuleNotice]:
    return await visible_page(session, RuleNotice, principal, params, platform_id, topic=topic)


async def notice_versions(
    session: AsyncSession, platform_id: str, topic: str, versions: tuple[int, ...] | None = None
) -> list[RuleNotice]:
    """A platform's notices on a topic, oldest version first; only the given versions if any."""
    query = select(RuleNotice).where(RuleNotice.platform_id == platform_id, RuleNotice.topic == topic)
    if versions is not None:
        query = query.where(RuleNotice.version.in_(versions))
    return list((await session.execute(query.order_by(RuleNotice.version))).scalars())
