"""Credit information shared with the city's public credit-information platform (M19: 公共信用信息归集共享).

The gateway's credit entries — bad-conduct **records** (`credit.credit_record_for`: a related unit's
confirmed arrears, 宁政办〔2022〕41号 item 6; a penalty's public record) and **listings** on the
wage-arrears list (`credit.decide_listing`, 人力资源社会保障部令第45号) — are exported as one file a day in
a documented, versioned format (`FORMAT`, version `VERSION`; services/gateway/README.md "Credit export"),
each file signed with the gateway's Ed25519 key, with a signed manifest. A day's file holds what became
known that day (Asia/Shanghai business dates), so a day once sent never changes:

* `record` — a bad-conduct record confirmed that day (or, held while its subject was unknown, the day
  the subject became known: never the platform in the subject's place);
* `listing` — a listing decided that day (or entered that day, when decided earlier off-system);
* `repair` / `removal` — an entry ended early (信用修复; removal on review; a listing's early removal
  six months after correction), on the day it takes effect or is entered, whichever is later;
* `removal` — a listing's term ran out (the day after `valid_until`; `wages.arrears_credit_list.listed_years`
  from the decision). Records have no fixed term.

The export is computed from the entries every time, so any date range can be replayed and the same
day gives the same bytes (only the manifest's `generated_at` differs).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field as Column

from newform_common.app import SessionDep, SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.db import timestamp_field
from newform_common.errors import Conflict, Forbidden, NotFound, Problem, Unprocessable, problem_responses
from newform_common.events import DomainEvent, Envelope, event_type
from newform_common.idempotency import HONOURS_KEY, idempotent
from newform_common.outbox import record
from newform_common.policy import BUSINESS_TZ, business_date, business_today
from newform_common.tasks import cancel_and_wait

from . import routing
from .alerts import CONFIRMING_OUTCOMES
from .credit import CreditListing
from .credit import router as listings_router
from .models import AlertTransition, CreditRecord, GatewayModel

log = logging.getLogger(__name__)

FORMAT = "newform-credit-export"
#: 2: bad-conduct records (`record`) and wage-arrears listings (`listing`) are distinct entries; `basis`
#: lists its sources as in force on the decision day; held records are left out until their subject is known.
VERSION = 2
#: The longest range one request or command exports (a year and a day: a leap year's whole).
MAX_DAYS = 366
DOCUMENT = "宁政办〔2022〕41号"


class CreditListingEnd(GatewayModel, table=True):
    """A listing ended before its term: repaired (信用修复) or removed on review."""

    __tablename__ = "credit_listing_ends"

    record_id: str = Column(primary_key=True, max_length=100)
    kind: str = Column(max_length=16)  # repair | removal
    ended_on: date
    reason: str
    actor: str = Column(max_length=200)
    actor_department: str | None = Column(default=None, max_length=60)
    event_id: str = Column(max_length=64, unique=True)
    at: datetime = timestamp_field()
    corrected_on: date | None = None
    requested_on: date | None = None


@event_type("gateway.credit_record.ended.v1", key="record_id")
class CreditListingEnded(DomainEvent):
    """A credit listing ended early (repair or removal); in the log so that a rebuild replays it."""

    record_id: str
    kind: str = Field(description="repair | removal")
    ended_on: date
    reason: str
    actor: str
    actor_department: str | None = None
    at: datetime
    #: Early removal of a listing: the day the arrears were corrected and the day removal was asked.
    corrected_on: date | None = None
    requested_on: date | None = None


# -- the format -------------------------------------------------------------------------------------------
@dataclass
class ExportFile:
    day: date
    lines: list[dict[str, Any]]
    content: bytes = b""
    signature: str = ""

    @property
    def name(self) -> str:
        return f"credit-{self.day.isoformat()}.jsonl"


@dataclass
class Export:
    start: date
    end: date
    files: list[ExportFile]
    manifest: dict[str, Any] = field(default_factory=dict)
    manifest_bytes: bytes = b""
    manifest_signature: str = ""


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def sign(key: Ed25519PrivateKey, content: bytes) -> str:
    return base64.b64encode(key.sign(content)).decode()


@dataclass(frozen=True)
class Listing:
    """A credit entry with what the export needs: subject, basis, validity, issuer. `entry_type`: `record`
    (a bad-conduct record) or `listing` (the wage-arrears list)."""

    record_id: str
    measure: str
    rule: str
    summary: str
    subject_credit_code: str | None
    subject_name: str | None
    decision_date: date
    valid_until: date | None
    issuing_department: str
    #: What the issuing department decided: confirmed, or 约谈 interviewed, 警示 warned, 查处 penalized;
    #: `listed` for a listing.
    decision: str = "confirmed"
    entry_type: str = "record"
    #: The day the entry is exported (the day it became known); default its decision date.
    known_on: date | None = None
    basis: dict[str, Any] | None = None

    def line(self, record_type: str, **extra: Any) -> dict[str, Any]:
        basis = self.basis or {
            "document": DOCUMENT,
            "measure": self.measure,
            "rule": self.rule,
            "summary": self.summary,
        }
        return {
            "record_id": self.record_id if record_type == self.entry_type else f"{self.record_id}:{record_type}",
            "listing_record_id": self.record_id,
            "record_type": record_type,
            "entry_type": self.entry_type,
            "subject_credit_code": self.subject_credit_code,
            "subject_name": self.subject_name,
            "measure": self.decision,
            "basis": basis,
            "decision_date": self.decision_date.isoformat(),
            "valid_from": self.decision_date.isoformat(),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "issuing_department": self.issuing_department,
            **extra,
        }


def day_lines(
    listings: Iterable[Listing], ends: dict[str, CreditListingEnd], start: date, end: date
) -> dict[date, list[dict[str, Any]]]:
    """Each day's lines in [start, end]: entries on the day they became known, early ends on the day
    they take effect or were entered (the later), and a listing's expiry the day after `valid_until`
    unless it ended before. Entries without a known subject are held (no line). Pure: the tests check it."""
    days: dict[date, list[dict[str, Any]]] = {start + timedelta(d): [] for d in range((end - start).days + 1)}
    for listing in listings:
        if not listing.subject_credit_code:
            continue  # held: never the wrong legal entity
        known = max(listing.known_on or listing.decision_date, listing.decision_date)
        if known in days:
            days[known].append(listing.line(listing.entry_type))
        stop = ends.get(listing.record_id)
        expiry = listing.valid_until + timedelta(days=1) if listing.valid_until else None
        if stop is not None and (expiry is None or stop.ended_on < expiry):
            on = max(stop.ended_on, business_date(stop.at) if stop.at else stop.ended_on, known)
            if on in days:
                extra = {"reason": stop.reason, "ended_on": stop.ended_on.isoformat()}
                if getattr(stop, "corrected_on", None):
                    extra["corrected_on"] = stop.corrected_on.isoformat()
                days[on].append(listing.line(stop.kind, **extra))
        elif expiry is not None and expiry in days:
            days[expiry].append(listing.line("removal", reason="listing term ended", ended_on=expiry.isoformat()))
    for lines in days.values():
        lines.sort(key=lambda line: (line["record_type"] not in ("record", "listing"), line["record_id"]))
    return days


async def listings_until(session: AsyncSession, end: date) -> tuple[list[Listing], dict[str, CreditListingEnd]]:
    """Every credit entry decided by `end`: records with their own subject (held ones have none) and
    their issuing department, and listings."""
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=BUSINESS_TZ)
    records = (
        (
            await session.execute(
                select(CreditRecord)
                .where(CreditRecord.confirmed_at < until)
                .order_by(CreditRecord.confirmed_at, CreditRecord.record_id)
            )
        )
        .scalars()
        .all()
    )
    decisions = (
        {
            t.alert_id: t
            for t in (
                await session.execute(
                    select(AlertTransition).where(
                        AlertTransition.alert_id.in_([r.alert_id for r in records]),
                        AlertTransition.outcome.in_(CONFIRMING_OUTCOMES),
                    )
                )
            ).scalars()
        }
        if records
        else {}
    )
    listings = []
    for r in records:
        decided = business_date(r.confirmed_at)
        listings.append(
            Listing(
                record_id=r.record_id,
                measure=r.measure,
                rule=r.rule,
                summary=r.summary,
                subject_credit_code=r.subject_credit_code if r.subject_known_at else None,
                subject_name=r.subject_name,
                decision_date=decided,
                valid_until=None,
                decision=decisions[r.alert_id].outcome if r.alert_id in decisions else "confirmed",
                issuing_department=(decisions[r.alert_id].actor_department if r.alert_id in decisions else None)
                or "regulator",
                entry_type="record",
                known_on=business_date(r.subject_known_at) if r.subject_known_at else None,
                basis=r.basis or None,
            )
        )
    for li in (
        await session.execute(
            select(CreditListing)
            .where(CreditListing.decided_on <= end)
            .order_by(CreditListing.decided_on, CreditListing.listing_id)
        )
    ).scalars():
        listings.append(
            Listing(
                record_id=li.listing_id,
                measure="M19",
                rule="M19.wage_arrears_list",
                summary=li.basis.get("summary", ""),
                subject_credit_code=li.subject_credit_code,
                subject_name=li.subject_name,
                decision_date=li.decided_on,
                valid_until=li.valid_until,
                issuing_department=li.issuing_department,
                decision="listed",
                entry_type="listing",
                known_on=business_date(li.at),
                basis=li.basis,
            )
        )
    ends = {e.record_id: e for e in (await session.execute(select(CreditListingEnd))).scalars()}
    return listings, ends


def check_range(start: date, end: date) -> None:
    if end < start:
        raise Unprocessable(
            f"The range ends ({end.isoformat()}) before it starts ({start.isoformat()})", slug="invalid-date-range"
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise Unprocessable(f"At most {MAX_DAYS} days per export; ask for the range in parts", slug="range-too-long")


async def build_export(
    session: AsyncSession, start: date, end: date, key: Ed25519PrivateKey, now: datetime | None = None
) -> Export:
    """The signed files and manifest for [start, end], from the gateway's records as they are now."""
    check_range(start, end)
    listings, ends = await listings_until(session, end)
    files = []
    for day, lines in day_lines(listings, ends, start, end).items():
        f = ExportFile(day, lines)
        f.content = b"".join(canonical(line) + b"\n" for line in lines)
        f.signature = sign(key, f.content)
        files.append(f)
    public = key.public_key()
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "generated_at": (now or datetime.now(UTC)).isoformat(),
        "signing_key": {"algorithm": "Ed25519", "key_id": key_id(public), "public_key_pem": public_pem(public)},
        "records": sum(len(f.lines) for f in files),
        "files": [
            {
                "name": f.name,
                "date": f.day.isoformat(),
                "records": len(f.lines),
                "sha256": hashlib.sha256(f.content).hexdigest(),
                "signature": f.signature,
            }
            for f in files
        ],
    }
    export = Export(start, end, files, manifest)
    export.manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode() + b"\n"
    export.manifest_signature = sign(key, export.manifest_bytes)
    return export


def write_export(export: Export, out: Path) -> list[Path]:
    """Write each day's file and its `.sig`, then the manifest and its `.sig` (last: a complete export)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for f in export.files:
        (out / f.name).write_bytes(f.content)
        (out / f"{f.name}.sig").write_text(f.signature + "\n")
        written += [out / f.name, out / f"{f.name}.sig"]
    (out / "manifest.json").write_bytes(export.manifest_bytes)
    (out / "manifest.json.sig").write_text(export.manifest_signature + "\n")
    return [*written, out / "manifest.json", out / "manifest.json.sig"]


def verify_export(folder: Path, public: Ed25519PublicKey) -> list[str]:
    """Problems with an export folder (empty: every signature and hash verifies)."""
    problems = []

    def verified(content: bytes, signature_file: Path) -> bool:
        try:
            public.verify(base64.b64decode(signature_file.read_text().strip()), content)
            return True
        except (InvalidSignature, ValueError, FileNotFoundError):
            return False

    manifest_bytes = (folder / "manifest.json").read_bytes()
    if not verified(manifest_bytes, folder / "manifest.json.sig"):
        problems.append("manifest.json: signature does not verify")
    for entry in json.loads(manifest_bytes)["files"]:
        content = (folder / entry["name"]).read_bytes()
        if hashlib.sha256(content).hexdigest() != entry["sha256"]:
            problems.append(f"{entry['name']}: sha256 differs from the manifest")
        if not verified(content, folder / f"{entry['name']}.sig"):
            problems.append(f"{entry['name']}: signature does not verify")
    return problems


# -- the daily batch -------------------------------------------------------------------------------------
async def export_missing_days(
    db, key: Ed25519PrivateKey, folder: Path, *, today: date, days_back: int = 7
) -> list[date]:
    """Write each of the last `days_back` complete days not exported yet to `folder/<date>/` (its file,
    signature and manifest); returns the days written. Safe to run again: a written day is skipped."""
    written = []
    for back in range(days_back, 0, -1):
        day = today - timedelta(days=back)
        target = folder / day.isoformat()
        if (target / "manifest.json.sig").exists():
            continue
        async with db.transaction() as session:
            export = await build_export(session, day, day, key)
        write_export(export, target)
        written.append(day)
    return written


class DailyExporter:
    """Runs `export_missing_days` at start-up and then every `interval_s` (default hourly)."""

    def __init__(self, db, key: Ed25519PrivateKey, folder: Path, interval_s: float = 3600.0):
        self.db, self.key, self.folder, self.interval_s = db, key, folder, interval_s
        self._task = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="gateway-credit-export")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        while True:
            try:
                await export_missing_days(self.db, self.key, self.folder, today=business_today())
            except Exception:  # a failed run is retried at the next interval; the service goes on
                log.exception("daily credit export failed")
            await asyncio.sleep(self.interval_s)


# -- ending a listing --------------------------------------------------------------------------------------
async def apply_end(session: AsyncSession, event_id: str, e: CreditListingEnded) -> None:
    if await session.get(CreditListingEnd, e.record_id) is not None:
        return
    session.add(
        CreditListingEnd(
            record_id=e.record_id,
            kind=e.kind,
            ended_on=e.ended_on,
            reason=e.reason,
            actor=e.actor,
            actor_department=e.actor_department,
            event_id=event_id,
            at=e.at,
            corrected_on=e.corrected_on,
            requested_on=e.requested_on,
        )
    )


async def project_listing_end(session: AsyncSession, envelope: Envelope, ctx: Any) -> None:
    """Replay of `gateway.credit_record.ended.v1` (live, the API applied it already: a no-op)."""
    await apply_end(session, envelope.id, CreditListingEnded.model_validate(envelope.data))


class ListingEndCreate(BaseModel):
    kind: Literal["repair", "removal"] = Field(
        description="repair: the subject repaired its credit (信用修复); removal: taken off on review"
    )
    ended_on: date = Field(description="the first day the subject is no longer listed")
    reason: str = Field(min_length=1, max_length=2000)


class ListingEndPublic(BaseModel):
    record_id: str
    kind: str
    ended_on: date
    reason: str
    actor: str
    actor_department: str | None


async def end_listing(
    session: AsyncSession, principal: Principal, record_id: str, body: ListingEndCreate
) -> CreditListingEnd:
    cr = (
        await session.execute(select(CreditRecord).where(CreditRecord.record_id == record_id).with_for_update())
    ).scalar_one_or_none()
    if cr is None:
        raise NotFound(f"No credit record {record_id!r}")
    issuer = await session.scalar(
        select(AlertTransition.actor_department).where(
            AlertTransition.alert_id == cr.alert_id, AlertTransition.outcome.in_(CONFIRMING_OUTCOMES)
        )
    )
    department = routing.department_key(principal)
    if not principal.is_oversight() and (department is None or department != issuer):
        raise Forbidden("Only the department that confirmed the record (or the regulator) ends its listing")
    if body.ended_on < business_date(cr.confirmed_at):
        raise Unprocessable("A listing cannot end before it was decided", slug="invalid-date-range")
    if await session.get(CreditListingEnd, record_id) is not None:
        raise Conflict(f"The listing of {record_id} has already ended", slug="listing-ended")
    at = datetime.now(UTC)
    event = CreditListingEnded(
        record_id=record_id,
        kind=body.kind,
        ended_on=body.ended_on,
        reason=body.reason,
        actor=principal.subject,
        actor_department=department,
        at=at,
    )
    envelope = record(session, event, time=at)
    await apply_end(session, envelope.id, event)
    await session.flush()
    return await session.get(CreditListingEnd, record_id)


# -- API -------------------------------------------------------------------------------------------------
router = APIRouter(prefix="/v1")
router.include_router(listings_router)  # /v1/credit-listings (credit.py)
Oversight = Annotated[Principal, require(Role.regulator, Role.admin)]
Ender = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]


class ExportedFile(BaseModel):
    name: str
    date: date
    records: int
    content: str = Field(description="the file's bytes (UTF-8 JSON lines), exactly as signed")
    signature: str = Field(description="base64 Ed25519 signature of `content`'s bytes")


class ExportPublic(BaseModel):
    manifest: dict[str, Any]
    manifest_signature: str = Field(description="base64 Ed25519 signature of the manifest as `manifest_json`")
    manifest_json: str
    files: list[ExportedFile]


def signing_key_of(request: Request) -> Ed25519PrivateKey:
    key = request.app.state.settings.credit_export_private_key()
    if key is None:
        raise Problem(
            "No credit-export signing key is configured (CREDIT_EXPORT_SIGNING_KEY_FILE)",
            status=503,
            slug="credit-export-unavailable",
            title="Credit export unavailable",
        )
    return key


@router.get(
    "/credit-exports",
    tags=["credit"],
    response_model=ExportPublic,
    responses=problem_responses(401, 403, 422, 503),
    summary="The signed daily credit-information files for a date range (M19), as sent to the city's "
    "public credit-information platform; replayable for any range",
)
async def get_credit_export(
    request: Request,
    session: SnapshotDep,
    principal: Oversight,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
):
    export = await build_export(session, start, end, signing_key_of(request))
    return ExportPublic(
        manifest=export.manifest,
        manifest_signature=export.manifest_signature,
        manifest_json=export.manifest_bytes.decode(),
        files=[
            ExportedFile(
                name=f.name, date=f.day, records=len(f.lines), content=f.content.decode(), signature=f.signature
            )
            for f in export.files
        ],
    )


@router.post(
    "/credit-records/{record_id}/end",
    tags=["credit"],
    status_code=201,
    response_model=ListingEndPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="End a credit listing early: repaired (信用修复) or removed on review; exported as such",
    **HONOURS_KEY,
)
async def end_credit_listing(
    record_id: str, body: ListingEndCreate, request: Request, session: SessionDep, principal: Ender
):
    async def produce():
        row = await end_listing(session, principal, record_id, body)
        return ListingEndPublic(
            record_id=row.record_id,
            kind=row.kind,
            ended_on=row.ended_on,
            reason=row.reason,
            actor=row.actor,
            actor_department=row.actor_department,
        )

    return await idempotent(request, session, principal, body, produce, status_code=201)
