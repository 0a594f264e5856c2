"""Use cases of the rule and algorithm register (M10): publish a version (findings raised at once: the
rule already acts on workers), show a version with its findings, compare two versions. In the request's
transaction (never commits)."""

from __future__ import annotations

import difflib

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.findings import FindingRef, findings_of, raise_finding
from newform_common.outbox import record

from .. import events as ev
from .. import shared
from ..models import RuleNotice, new_id
from ..schemas import RowWith
from . import repository, rules
from .schemas import RuleNoticeCreate, RuleNoticePublic


async def publish_rule_notice(
    session: AsyncSession, platform_id: str, body: RuleNoticeCreate
) -> tuple[RuleNotice, list[FindingRef]]:
    await repository.lock_rule_notice_topic(session, platform_id, body.topic)  # see repository
    latest = await repository.latest_notice_version(session, platform_id, body.topic)
    consulted = body.consultation is not None
    indicators = body.safety_indicators.model_dump(exclude_none=True) if body.safety_indicators else None
    n = RuleNotice(
        id=new_id("rn"),
        platform_id=platform_id,
        topic=body.topic,
        version=(latest or 0) + 1,
        title=body.title,
        content=body.content,
        consultation=body.consultation.model_dump(mode="json") if consulted else None,
        consulted=consulted,
        published_on=body.published_on,
        effective_on=body.effective_on,
        safety_indicators=indicators,
        created_at=shared.now(),
    )
    session.add(n)
    record(
        session,
        ev.RuleNoticePublished(
            notice_id=n.id,
            platform_id=platform_id,
            topic=n.topic,
            version=n.version,
            consulted=consulted,
            published_on=n.published_on,
            effective_on=n.effective_on,
            safety_indicators=body.safety_indicators,
        ),
    )
    refs = []
    specs = rules.rule_notice_findings(
        topic=n.topic,
        published_on=n.published_on,
        effective_on=n.effective_on,
        consulted=consulted,
        consulted_on=body.consultation.consulted_on if consulted else None,
    )
    # M8: judged on the day the rule takes effect (the day it acts on workers).
    specs += rules.safety_indicator_findings(indicators or {}, topic=n.topic, effective_on=n.effective_on)
    for spec in specs:
        refs.append(
            await raise_finding(
                session,
                spec,
                subject_type="rule_notice",
                subject_id=n.id,
                platform_id=platform_id,
                judged_on=shared.today(),
            )
        )
    return n, refs


def notice_public(n: RuleNotice, findings: list[FindingRef]) -> RuleNoticePublic:
    """The notice row with its findings."""
    return RuleNoticePublic.model_validate(RowWith(n, findings=findings))


async def notice_public_of(session: AsyncSession, n: RuleNotice) -> RuleNoticePublic:
    return notice_public(n, await findings_of(session, n.id))


def diff_notices(a: RuleNotice, b: RuleNotice) -> dict:
    changes = []
    for name in ("title", "content", "consultation", "consulted", "published_on", "effective_on", "safety_indicators"):
        before, after = getattr(a, name), getattr(b, name)
        if before != after:
            changes.append({"field": name, "before": before, "after": after})
    content_diff = "".join(
        difflib.unified_diff(
            a.content.splitlines(keepends=True),
            b.content.splitlines(keepends=True),
            fromfile=f"v{a.version}",
            tofile=f"v{b.version}",
        )
    )
    return {
        "platform_id": a.platform_id,
        "topic": a.topic,
        "from_version": a.version,
        "to_version": b.version,
        "changes": changes,
        "content_diff": content_diff,
    }
