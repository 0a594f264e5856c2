"""Work sessions: intake (each bad line its own error, no overlaps on a platform) and working time judged
across every platform's sessions (M7), then the quotas of the posts and days touched."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.bulk import collector_paused
from newform_common.findings import FindingSpec, raise_finding
from newform_common.ids import new_id
from newform_common.outbox import record
from newform_common.policy import business_date

from .. import repository as shared
from ..batches.schemas import BatchPublic, LineError
from ..batches.service import LineModel, check_policy_dates, close_batch, open_batch, read_lines
from ..engagements.repository import worker_engagement_kinds
from ..events import LINES_PER_EVENT, SessionLine, SessionsAccepted
from ..intake import RawLine
from ..quotas.service import assess_quotas
from ..rules import add_months, one_policy, policy
from . import repository as repo
from . import rules
from .schemas import SessionIn

SESSION_LINES = LineModel.of(SessionIn)

#: A finding raised once per (rule, subject, platform): key, spec, worker, platform ("" for the whole).
Candidate = tuple[tuple[str, str, str], FindingSpec, str, str]


def _session_row(s: SessionIn, platform_id: str, batch_id: str, now: datetime) -> dict[str, Any]:
    duration = int((s.ended_at - s.started_at).total_seconds() // 60)
    return {
        "id": new_id("ws"),
        "platform_id": platform_id,
        "line_id": s.line_id,
        "batch_id": batch_id,
        "worker_id": s.worker_id,
        "contract_id": s.contract_id,
        "post": s.post,
        "started_at": s.started_at,
        "ended_at": s.ended_at,
        "work_date": business_date(s.started_at),
        "working_minutes": duration if s.required_online else s.order_minutes,
        "order_minutes": s.order_minutes,
        "orders_completed": s.orders_completed,
        "received_at": now,
    }


async def intake_sessions(session: AsyncSession, platform_id: str, lines: list[RawLine], fmt: str) -> BatchPublic:
    """A batch of work sessions: each good line stored, working time judged across platforms."""
    with one_policy(), collector_paused():
        return await _intake_sessions(session, platform_id, lines, fmt)


async def _intake_sessions(session: AsyncSession, platform_id: str, lines: list[RawLine], fmt: str) -> BatchPublic:
    now = datetime.now(UTC)
    batch = await open_batch(session, platform_id, "sessions", fmt, len(lines))
    errors: list[LineError] = []
    parsed, stored, duplicates = await read_lines(session, "work_sessions", platform_id, lines, SESSION_LINES, errors)
    candidates: list[tuple[int, dict[str, Any]]] = []
    for number, s in parsed:
        if s.line_id in stored:
            continue
        problems = rules.session_input_errors(s.started_at, s.ended_at, s.order_minutes, s.orders_completed)
        if problems:
            errors.extend(LineError(line=number, line_id=s.line_id, field=p.field, message=p.message) for p in problems)
            continue
        policy_error = check_policy_dates(number, s.line_id, {"started_at": business_date(s.started_at)})
        if policy_error:
            errors.append(policy_error)
            continue
        candidates.append((number, _session_row(s, platform_id, batch["id"], now)))
    await repo.lock_working_time(session, [row for _, row in candidates])  # see repository.lock_working_time
    good = await _without_overlaps(session, platform_id, candidates, errors)
    inserted = set(await repo.insert_sessions(session, good))
    duplicates += len(good) - len(inserted)
    good = [row for row in good if row["line_id"] in inserted]
    findings = await judge_working_time(session, good) if good else 0
    for chunk, start in enumerate(range(0, len(good), LINES_PER_EVENT)):
        record(
            session,
            SessionsAccepted(
                batch_id=batch["id"],
                platform_id=platform_id,
                chunk=chunk,
                lines=[
                    SessionLine(
                        line_id=r["line_id"],
                        session_id=r["id"],
                        worker_id=r["worker_id"],
                        work_date=r["work_date"],
                        working_minutes=r["working_minutes"],
                        orders_completed=r["orders_completed"],
                        post=r["post"],
                    )
                    for r in good[start : start + LINES_PER_EVENT]
                ],
            ),
        )
    return await close_batch(
        session, batch, accepted=len(good), duplicates=duplicates, errors=errors, pending=0, findings=findings
    )


async def _without_overlaps(
    session: AsyncSession, platform_id: str, candidates: list[tuple[int, dict[str, Any]]], errors: list[LineError]
) -> list[dict[str, Any]]:
    """Sessions of one worker on one platform must not overlap (stored ones or earlier lines of the batch)."""
    if not candidates:
        return []
    workers = list({row["worker_id"] for _, row in candidates})
    low = min(row["started_at"] for _, row in candidates)
    high = max(row["ended_at"] for _, row in candidates)
    existing = await repo.stored_sessions(session, platform_id, workers, low, high)
    taken: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for r in existing:
        taken[r["worker_id"]].append((r["started_at"], r["ended_at"], r["line_id"]))
    good = []
    for number, row in sorted(candidates, key=lambda c: c[0]):
        # The same line stored meanwhile (a retry that waited for the first upload) is a duplicate, not a clash.
        clash = next(
            (
                line_id
                for start, end, line_id in taken[row["worker_id"]]
                if start < row["ended_at"] and row["started_at"] < end and line_id != row["line_id"]
            ),
            None,
        )
        if clash is not None:
            errors.append(
                LineError(
                    line=number,
                    line_id=row["line_id"],
                    field="started_at",
                    message=f"overlaps session {clash!r} of the same worker on this platform",
                )
            )
            continue
        taken[row["worker_id"]].append((row["started_at"], row["ended_at"], row["line_id"]))
        good.append(row)
    return good


@dataclass
class _TimeTouched:
    """What an upload's sessions touch, read once: the (worker, day)s, every platform's minutes per worker
    and day over the months and weeks around them, each worker's sessions around those days, and the
    kinds of their labour contracts."""

    days: set[tuple[str, date]]
    per_day: dict[tuple[str, date], dict[str, int]]
    sessions_of: dict[str, list[tuple[datetime, datetime, str]]]
    kinds: dict[str, set[str]]


async def _time_touched(session: AsyncSession, rows: list[dict[str, Any]]) -> _TimeTouched:
    workers = list({r["worker_id"] for r in rows})
    # a session across midnight touches its second day too (its time there counts there)
    days = {
        (r["worker_id"], d)
        for r in rows
        for d in {r["work_date"], business_date(r["ended_at"] - timedelta(microseconds=1))}
    }
    first = min(d for _, d in days)
    last = max(d for _, d in days)
    month_start = first.replace(day=1)
    month_end = add_months(last.replace(day=1), 1) - timedelta(days=1)
    span_start = min(month_start, first - timedelta(days=first.weekday()))
    span_end = max(month_end, last + timedelta(days=6 - last.weekday()))
    per_day: dict[tuple[str, date], dict[str, int]] = defaultdict(dict)
    for r in await repo.daily_minutes(session, workers, span_start, span_end):
        per_day[(r["worker_id"], r["work_date"])][r["platform_id"]] = r["minutes"]
    # the day before and after too: a stretch of work across midnight is one stretch (W-10)
    sessions_of: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for r in await repo.intervals(session, workers, first - timedelta(days=1), last + timedelta(days=1)):
        sessions_of[r["worker_id"]].append((r["started_at"], r["ended_at"], r["platform_id"]))
    kinds = await worker_engagement_kinds(session, workers)
    return _TimeTouched(days, per_day, sessions_of, kinds)


def _add(
    candidates: list[Candidate],
    spec: FindingSpec | None,
    subject: str,
    worker: str,
    shares: dict[str, int],
    extra_platforms=(),
) -> None:
    """The whole finding for oversight and the worker (no platform), and each platform involved
    its own share only: a platform never learns what the worker did elsewhere."""
    if spec is None:
        return
    candidates.append(((spec.rule, subject, ""), spec, worker, ""))
    for platform in sorted(set(shares) | set(extra_platforms)):
        candidates.append(
            ((spec.rule, subject, platform), rules.platform_share(spec, shares.get(platform, 0)), worker, platform)
        )


def _time_candidates(t: _TimeTouched) -> list[Candidate]:
    """Every working-time finding of the days touched: daily hours, rest breaks, monthly overtime
    (standard hours), part-time weeks."""
    candidates: list[Candidate] = []
    per_day, kinds = t.per_day, t.kinds
    for worker, day in sorted(t.days):
        shares = per_day.get((worker, day), {})
        total = sum(shares.values())
        _add(candidates, rules.check_daily_hours(total, 0, day), f"{worker}:{day.isoformat()}", worker, shares)
    for worker, items in sorted(t.sessions_of.items()):
        pause = policy("rest.forced_break.minutes", business_date(items[0][0]))
        for start, end in rules.continuous_stretches([(a, b) for a, b, _ in items], pause):
            inside = [(a, b, p) for a, b, p in items if start <= a and b <= end]
            if not any((worker, business_date(a)) in t.days for a, _, _ in inside):
                continue  # a stretch this upload did not touch
            on = business_date(start)
            stretch_shares: dict[str, int] = defaultdict(int)
            for a, b, p in inside:
                stretch_shares[p] += int((b - a).total_seconds() // 60)
            spec = rules.check_rest_break([(start, end)], on)
            _add(candidates, spec, f"{worker}:{on.isoformat()}", worker, dict(stretch_shares))
    months = {(w, d.replace(day=1)) for w, d in t.days}
    for worker, month in sorted(months):
        # 劳动法 art. 41 caps overtime under standard hours; comprehensive and flexible hours are approved
        # regimes counted otherwise (劳动法 art. 39), not judged here
        if "standard_hours" not in kinds.get(worker, set()):
            continue
        daily = {d: sum(p.values()) for (w, d), p in per_day.items() if w == worker and d.replace(day=1) == month}
        shares = _shares(per_day, worker, lambda d, m=month: d.replace(day=1) == m)
        _add(candidates, rules.check_monthly_overtime(daily, 0, month), f"{worker}:{month:%Y-%m}", worker, shares)
    weeks = {(w, d - timedelta(days=d.weekday())) for w, d in t.days}
    for worker, week in sorted(weeks):
        if "part_time_labour" not in kinds.get(worker, set()):
            continue
        daily = {
            d: sum(p.values()) for (w, d), p in per_day.items() if w == worker and week <= d <= week + timedelta(days=6)
        }
        shares = _shares(per_day, worker, lambda d, s=week: s <= d <= s + timedelta(days=6))
        _add(candidates, rules.check_part_time_hours(daily, 0, week), f"{worker}:W{week.isoformat()}", worker, shares)
    return candidates


async def judge_working_time(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """M7 over every platform's sessions of the workers and days touched: daily hours, rest breaks,
    monthly overtime (labour contracts), part-time limits, quotas. Each finding goes to each platform
    involved with only its own share; a (rule, subject, platform) is judged once."""
    touched = await _time_touched(session, rows)
    candidates = _time_candidates(touched)
    new = await shared.claim_judgements(session, [c[0] for c in candidates], datetime.now(UTC))
    raised = 0
    for key, spec, worker, platform in candidates:
        if key in new:
            # the statute behind a working-time limit may hold for labour contracts only (policy_basis)
            labour = touched.kinds.get(worker, set()) & {"full_time_labour", "part_time_labour"}
            await raise_finding(
                session,
                spec,
                subject_type="worker_time",
                subject_id=key[1][:64],
                platform_id=platform or None,
                worker_id=worker,
                engagement_type="labor_contract" if labour else None,
            )
            raised += 1
    raised += await assess_quotas(session, rows)
    return raised


def _shares(per_day, worker: str, keep: Callable[[date], bool]) -> dict[str, int]:
    shares: dict[str, int] = defaultdict(int)
    for (w, d), platforms in per_day.items():
        if w == worker and keep(d):
            for platform, m in platforms.items():
                shares[platform] += m
    return dict(shares)
