"""What every upload does, statements or sessions: open and complete its batch, read its lines (each
bad line its own error), drop repeats within the batch, find the line ids stored already, and the
dates of a line the policy must cover."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.ids import new_id
from newform_common.policy import PolicyNotInForce

from .. import rules
from ..intake import RawLine
from ..repository import existing_line_ids
from . import repository as repo
from .models import BatchStatus, ensure_transition
from .schemas import BatchPublic, LineError


@dataclass(frozen=True)
class LineModel:
    """How one kind of line is validated: alone (`one`) and a whole JSON-lines batch in one call (`many`:
    pydantic's loop in Rust, not one call per line)."""

    one: TypeAdapter
    many: TypeAdapter

    @classmethod
    def of(cls, model: type) -> LineModel:
        return cls(TypeAdapter(model), TypeAdapter(list[model]))


def _validation_errors(number: int, line_id: str | None, exc: ValidationError) -> list[LineError]:
    return [
        LineError(line=number, line_id=line_id, field=".".join(str(p) for p in e["loc"]) or None, message=e["msg"])
        for e in exc.errors(include_url=False)
    ]


def _policy_error(number: int, line_id: str, field: str, exc: PolicyNotInForce) -> LineError:
    if exc.predates:
        return LineError(
            line=number,
            line_id=line_id,
            field=field,
            type="predates-policy",
            message=f"{exc.on}: before the policy; facts before it cannot be judged under it",
        )
    return LineError(
        line=number,
        line_id=line_id,
        field=field,
        type="policy-not-in-force",
        message=f"no policy version covers {exc.on} yet; resend the line once it is loaded",
    )


def check_policy_dates(number: int, line_id: str, dates: dict[str, date]) -> LineError | None:
    """Every date a rule judges must fall under the measures (422 before them, 503-kind when none applies)."""
    for field, day in dates.items():
        try:
            rules.measures_status(day)
        except PolicyNotInForce as exc:
            exc.on = exc.on or day
            return _policy_error(number, line_id, field, exc)
    return None


async def open_batch(session: AsyncSession, platform_id: str, kind: str, fmt: str, count: int) -> dict[str, Any]:
    """Store a new batch, processing (completed in the same transaction by `close_batch`)."""
    batch = {
        "id": new_id("bt"),
        "platform_id": platform_id,
        "kind": kind,
        "format": fmt,
        "status": BatchStatus.processing,
        "line_count": count,
        "created_at": datetime.now(UTC),
    }
    await repo.open_batch(session, batch)
    return batch


async def close_batch(
    session: AsyncSession,
    batch: dict[str, Any],
    *,
    accepted: int,
    duplicates: int,
    errors: list[LineError],
    pending: int,
    findings: int,
) -> BatchPublic:
    """The batch completed with its counts and errors (sorted by line), as the response shows it."""
    ensure_transition(batch["status"], BatchStatus.completed)
    errors.sort(key=lambda e: e.line)
    rejected = len({e.line for e in errors if e.type != "duplicate-line-id"})
    now = datetime.now(UTC)
    await repo.complete_batch(
        session,
        batch["id"],
        accepted=accepted,
        duplicates=duplicates,
        rejected=rejected,
        pending=pending,
        findings=findings,
        errors=[e.model_dump() for e in errors],
        now=now,
    )
    return BatchPublic(
        batch_id=batch["id"],
        platform_id=batch["platform_id"],
        kind=batch["kind"],
        format=batch["format"],
        status=BatchStatus.completed,
        line_count=batch["line_count"],
        accepted=accepted,
        duplicates=duplicates,
        rejected=rejected,
        pending=pending,
        findings=findings,
        errors=errors,
        created_at=batch["created_at"],
        completed_at=now,
    )


def batch_public(row: dict[str, Any]) -> BatchPublic:
    """A stored batch as the API shows it."""
    return BatchPublic(
        batch_id=row["id"],
        **{
            k: row[k]
            for k in (
                "platform_id",
                "kind",
                "format",
                "status",
                "line_count",
                "accepted",
                "duplicates",
                "rejected",
                "pending",
                "findings",
                "created_at",
                "completed_at",
            )
        },
        errors=[LineError(**e) for e in row["errors"]],
    )


def _dedupe(raw: list[tuple[int, Any]], errors: list[LineError]) -> tuple[list[tuple[int, Any]], int]:
    """Within a batch: the first line of a line id counts; an identical repeat is a duplicate, a
    different line under the same id is an error."""
    seen: dict[str, Any] = {}
    kept, duplicates = [], 0
    for number, line in raw:
        first = seen.get(line.line_id)
        if first is None:
            seen[line.line_id] = line
            kept.append((number, line))
        elif first == line:
            duplicates += 1
        else:
            errors.append(
                LineError(
                    line=number,
                    line_id=line.line_id,
                    field="line_id",
                    type="duplicate-line-id",
                    message="this line id appears earlier in the batch with different content",
                )
            )
    return kept, duplicates


async def read_lines(
    session: AsyncSession, table: str, platform_id: str, lines: list[RawLine], model: LineModel, errors: list[LineError]
) -> tuple[list[tuple[int, Any]], set[str], int]:
    """A batch's lines validated (each bad line its own error), deduplicated within the batch, and the
    line ids already stored: (parsed lines, stored ids, duplicates counted)."""
    parsed = validated_at_once(lines, model)
    if parsed is None:
        parsed = validated_one_by_one(lines, model, errors)
    parsed, duplicates = _dedupe(parsed, errors)
    stored = await existing_line_ids(session, table, platform_id, [s.line_id for _, s in parsed])
    return parsed, stored, duplicates + sum(1 for _, s in parsed if s.line_id in stored)


def validated_at_once(lines: list[RawLine], model: LineModel) -> list[tuple[int, Any]] | None:
    """Every line of a JSON-lines batch validated in one call, or None when any line is bad (then each
    line is validated alone, for its own error). Each line must be one JSON value on its own, so
    that the lines joined as an array hold exactly those values (no value spans two lines)."""
    texts = []
    for raw in lines:
        if raw.json_text is None:
            return None
        try:
            orjson.loads(raw.json_text)
        except orjson.JSONDecodeError:
            return None
        texts.append(raw.json_text)
    try:
        values = model.many.validate_json("[" + ",".join(texts) + "]")
    except ValidationError:
        return None
    return [(raw.number, value) for raw, value in zip(lines, values, strict=True)]


def validated_one_by_one(lines: list[RawLine], model: LineModel, errors: list[LineError]) -> list[tuple[int, Any]]:
    """Each line validated alone: each bad line its own errors, the good ones kept."""
    adapter = model.one
    parsed: list[tuple[int, Any]] = []
    for raw in lines:
        if raw.data is None and raw.json_text is None:
            errors.append(LineError(line=raw.number, field=raw.field, message=raw.error or "unreadable line"))
            continue
        try:
            parsed.append(
                (
                    raw.number,
                    adapter.validate_json(raw.json_text)
                    if raw.json_text is not None
                    else adapter.validate_python(raw.data),
                )
            )
        except ValidationError as exc:
            errors.extend(_validation_errors(raw.number, raw.line_id(), exc))
    return parsed
