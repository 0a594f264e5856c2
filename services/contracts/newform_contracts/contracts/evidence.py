"""Signature evidence (M4): each signature is a record holding the document's SHA-256, the signer,
the intent and the time, linked to the previous record's hash and sealed with the service's Ed25519
key over the record's canonical JSON. Changing the document or any record afterwards breaks a hash,
a link or a seal, and `verify` says which."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def document_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical(record: dict) -> bytes:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def record_body(
    *,
    contract_id: str,
    seq: int,
    document_sha256: str,
    signer: str,
    intent: str,
    signed_at: datetime,
    previous_hash: str | None,
) -> dict:
    return {
        "contract_id": contract_id,
        "seq": seq,
        "document_sha256": document_sha256,
        "signer": signer,
        "intent": intent,
        "signed_at": signed_at.astimezone(UTC).isoformat(),
        "previous_hash": previous_hash,
    }


@dataclass
class Sealer:
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def public_pem(self) -> str:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    @property
    def key_id(self) -> str:
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return hashlib.sha256(raw).hexdigest()[:16]

    def seal(self, body: dict) -> tuple[str, str]:
        """(record hash, base64 seal) of a record body."""
        data = canonical(body)
        return hashlib.sha256(data).hexdigest(), base64.b64encode(self.private_key.sign(data)).decode()


def verify(*, document_text: str, document_sha256: str, records: list[dict], public_key: Ed25519PublicKey) -> list[str]:
    """Problems found (empty: the evidence holds). `records` are the stored records in seq order, each
    a record body plus `record_hash` and `seal`."""
    problems: list[str] = []
    actual = document_hash(document_text)
    if actual != document_sha256:
        problems.append("the document text no longer matches the hash recorded when it was drafted")
    previous = None
    for expected_seq, stored in enumerate(records, start=1):
        body = {
            k: stored[k]
            for k in ("contract_id", "seq", "document_sha256", "signer", "intent", "signed_at", "previous_hash")
        }
        label = f"record {stored['seq']} ({stored['signer']})"
        if stored["seq"] != expected_seq:
            problems.append(f"{label}: sequence gap, expected {expected_seq}")
        if body["document_sha256"] != actual:
            problems.append(f"{label}: signed a document whose hash differs from the current document")
        data = canonical(body)
        if hashlib.sha256(data).hexdigest() != stored["record_hash"]:
            problems.append(f"{label}: record hash does not match its content")
        if body["previous_hash"] != previous:
            problems.append(f"{label}: link to the previous record is broken")
        try:
            public_key.verify(base64.b64decode(stored["seal"]), data)
        except (InvalidSignature, ValueError):
            problems.append(f"{label}: seal does not verify")
        previous = stored["record_hash"]
    return problems
