"""Credit information shared with the city's public credit-information platform (M19: 公共信用信息归集共享).

The gateway's credit entries — bad-conduct **records** (`records.credit_record_for`: a related unit's
confirmed arrears, 宁政办〔2022〕41号 item 6; a penalty's public record) and **listings** on the
wage-arrears list (`listings.decide_listing`, 人力资源社会保障部令第45号) — are exported as one file a day in
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
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.errors import Unprocessable
from newform_common.policy import BUSINESS_TZ, business_date, business_today
from newform_common.tasks import cancel_and_wait

from . import repository
from .models import CreditListingEnd

log = logging.getLogger(__name__)

FORMAT = "newform-credit-export"
#: 2: bad-conduct records (`record`) and wage-arrears listings (`listing`) are distinct entries; `basis`
#: lists its sources as in force on the decision day; held records are left out until their subject is known.
VERSION = 2
#: The longest range one request or command exports (a year and a day: a leap year's whole).
MAX_DAYS = 366
DOCUMENT = "宁政办〔2022〕41号"


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


async def listings_until(
    session: AsyncSession, start: date, end: date
) -> tuple[list[Listing], dict[str, CreditListingEnd]]:
    """The credit entries decided by `end` that can have a line from `start` on (`day_lines`): records
    with their own subject (held ones have none) and their issuing department, and listings."""
    since = datetime.combine(start, datetime.min.time(), tzinfo=BUSINESS_TZ)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=BUSINESS_TZ)
    ends = await repository.all_ends(session)
    records = await repository.records_for_range(session, since, until, sorted(ends))
    decisions = await repository.confirming_decisions(session, [r.alert_id for r in records]) if records else {}
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
    for li in await repository.listings_decided_by(session, end):
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
    listings, ends = await listings_until(session, start, end)
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
