"""Personal and enterprise identifiers: validation, pseudonyms, encryption at rest, masking.

* Validation: resident identity card numbers (GB 11643-1999), unified social credit codes
  (GB 32100-2015), mainland mobile numbers. Each validator returns the normalised value or raises
  :class:`InvalidIdentifier` (a :class:`ValueError`) with a ``field`` and a machine ``reason``.
* Pseudonyms: :func:`pseudonym` — a keyed HMAC-SHA256, so one worker gets the same id on every
  platform (from the ID number) without the id revealing or being reversible to the number.
* At rest: :class:`PiiCipher` — AES-256-GCM tokens plus a keyed look-up hash, both keys derived
  with HKDF from one master secret.
* Masking for responses: :func:`mask_resident_id` keeps the first 3 and last 4 characters. The
  first 6 digits are the household-registration county and, with the birth date and the last 4
  (sequence and sex digit), narrow a person down sharply; the first 3 only say province and part
  of the prefecture, and the last 4 are what people use to recognise their own number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import unicodedata
from datetime import date, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .policy import BUSINESS_TZ

__all__ = [
    "CREDIT_CODE_CHARSET",
    "InvalidIdentifier",
    "PiiCipher",
    "PiiDecryptError",
    "make_credit_code",
    "make_resident_id",
    "mask_mobile",
    "mask_name",
    "mask_resident_id",
    "pseudonym",
    "validate_credit_code",
    "validate_mobile",
    "validate_resident_id",
]


class InvalidIdentifier(ValueError):
    """An identifier failed validation. ``field`` names the input, ``reason`` is a stable code:
    ``empty``, ``length``, ``format``, ``charset``, ``region``, ``birth_date``, ``future_birth_date``,
    ``check_digit``, ``registration_authority``."""

    def __init__(self, field: str, reason: str, detail: str = ""):
        self.field = field
        self.reason = reason
        self.detail = detail
        msg = f"invalid {field}: {reason.replace('_', ' ')}"
        super().__init__(f"{msg} ({detail})" if detail else msg)


def _clean(s: str, field: str) -> str:
    if not isinstance(s, str):
        raise InvalidIdentifier(field, "format", f"expected a string, got {type(s).__name__}")
    s = unicodedata.normalize("NFKC", s).strip().replace(" ", "")
    if not s:
        raise InvalidIdentifier(field, "empty")
    return s


# ---------------------------------------------------------------------------------------------
# Resident identity card number, GB 11643-1999 (check: ISO 7064 MOD 11-2)
# ---------------------------------------------------------------------------------------------
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_EARLIEST_BIRTH = date(1900, 1, 1)


def _resident_id_check(body17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS, strict=True)) % 11]


def validate_resident_id(s: str, *, field: str = "resident_id", today: date | None = None) -> str:
    """Validate an 18-character resident ID number; return it normalised (upper-case ``X``)."""
    v = _clean(s, field).upper()
    if len(v) != 18:
        raise InvalidIdentifier(field, "length", f"expected 18 characters, got {len(v)}")
    if not v[:17].isdigit() or not (v[17].isdigit() or v[17] == "X") or not v.isascii():
        raise InvalidIdentifier(field, "format", "expected 17 digits and a check character 0-9 or X")
    if v[0] not in "12345678":
        raise InvalidIdentifier(field, "region", "the region code must start with 1-8")
    try:
        birth = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise InvalidIdentifier(field, "birth_date", "digits 7-14 are not a valid YYYYMMDD date") from None
    if birth < _ID_EARLIEST_BIRTH:
        raise InvalidIdentifier(field, "birth_date", "birth date before 1900")
    if birth > (today or datetime.now(BUSINESS_TZ).date()):
        raise InvalidIdentifier(field, "future_birth_date", "birth date is in the future")
    if _resident_id_check(v[:17]) != v[17]:
        raise InvalidIdentifier(field, "check_digit", "the check character does not match (GB 11643)")
    return v


def make_resident_id(region: str = "630102", birth: date = date(1990, 1, 1), seq: str = "123") -> str:
    """A valid resident ID number for tests (odd last ``seq`` digit: male, even: female)."""
    if not (len(region) == 6 and region.isdigit() and len(seq) == 3 and seq.isdigit()):
        raise ValueError("region must be 6 digits and seq 3 digits")
    body = f"{region}{birth:%Y%m%d}{seq}"
    return body + _resident_id_check(body)


# ---------------------------------------------------------------------------------------------
# Unified social credit code, GB 32100-2015
# ---------------------------------------------------------------------------------------------
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CC_INDEX = {c: i for i, c in enumerate(CREDIT_CODE_CHARSET)}
#: First character: the registering authority (1 编制, 2 外交, 3 司法, 4 文化, 5 民政, 6 旅游,
#: 7 宗教, 8 工会, 9 市场监管/工商, A 中央军委改革和编制办, N 农业, Y 其他).
_CC_AUTHORITIES = "123456789ANY"


def _credit_code_check(body17: str) -> str:
    total = sum(_CC_INDEX[c] * w for c, w in zip(body17, _CC_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(s: str, *, field: str = "credit_code") -> str:
    """Validate an 18-character unified social credit code; return it normalised (upper case)."""
    v = _clean(s, field).upper()
    if len(v) != 18:
        raise InvalidIdentifier(field, "length", f"expected 18 characters, got {len(v)}")
    bad = sorted({c for c in v if c not in _CC_INDEX})
    if bad:
        raise InvalidIdentifier(field, "charset", f"characters not allowed: {''.join(bad)} (no I, O, S, V, Z)")
    if v[0] not in _CC_AUTHORITIES:
        raise InvalidIdentifier(field, "registration_authority", f"unknown registering authority {v[0]!r}")
    if not v[2:8].isdigit():
        raise InvalidIdentifier(field, "region", "characters 3-8 must be the administrative division code")
    if _credit_code_check(v[:17]) != v[17]:
        raise InvalidIdentifier(field, "check_digit", "the check character does not match (GB 32100)")
    return v


def make_credit_code(body17: str) -> str:
    """``body17`` plus its GB 32100 check character (for tests and fixtures)."""
    body = body17.upper()
    if len(body) != 17 or any(c not in _CC_INDEX for c in body):
        raise ValueError(f"body must be 17 characters from {CREDIT_CODE_CHARSET}")
    return body + _credit_code_check(body)


# ---------------------------------------------------------------------------------------------
# Mobile numbers (mainland China)
# ---------------------------------------------------------------------------------------------
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def validate_mobile(s: str, *, field: str = "mobile") -> str:
    """Validate a mainland mobile number (optional +86/0086 prefix, spaces or hyphens allowed);
    return the 11 digits."""
    v = _clean(s, field).replace("-", "")
    for prefix in ("+86", "0086"):
        if v.startswith(prefix):
            v = v[len(prefix) :]
            break
    if not v.isdigit() or not v.isascii():
        raise InvalidIdentifier(field, "format", "expected digits, optionally prefixed by +86")
    if len(v) != 11:
        raise InvalidIdentifier(field, "length", f"expected 11 digits, got {len(v)}")
    if not _MOBILE_RE.match(v):
        raise InvalidIdentifier(field, "format", "a mainland mobile number starts with 13-19")
    return v


# ---------------------------------------------------------------------------------------------
# Pseudonyms
# ---------------------------------------------------------------------------------------------
#: kind -> (prefix, normaliser). A kind not listed gets its first letter as prefix and the generic
#: normalisation (NFKC, trimmed, upper case).
_PSEUDONYM_KINDS = {
    "worker": ("w", validate_resident_id),
    "enterprise": ("e", validate_credit_code),
    "mobile": ("m", validate_mobile),
}
_KIND_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def pseudonym(kind: str, value: str, key: bytes) -> str:
    """A stable, non-reversible id for ``value``: ``<prefix>_`` + 26 lower-case base32 characters.

    ``kind`` separates the domains ("worker" from a resident ID number gives ``w_...``,
    "enterprise" from a credit code ``e_...``); worker and enterprise values are validated and
    normalised first, so ``...x`` and ``...X`` give the same pseudonym. Same key, same value, same
    pseudonym; without the key it cannot be recomputed from a guessed ID number.
    """
    if not _KIND_RE.match(kind):
        raise ValueError("kind must be a lower-case identifier such as 'worker'")
    if not isinstance(key, bytes) or len(key) < 16:
        raise ValueError("the pseudonym key must be at least 16 bytes")
    prefix, normalise = _PSEUDONYM_KINDS.get(kind, (kind[0], None))
    norm = normalise(value) if normalise else _clean(value, kind).upper()
    digest = hmac.new(key, f"newform-pseudonym-v1\x00{kind}\x00{norm}".encode(), hashlib.sha256).digest()
    return f"{prefix}_" + base64.b32encode(digest[:16]).decode("ascii").rstrip("=").lower()


def pseudonym_key(secret: str | bytes) -> bytes:
    """The key of every pseudonym, derived from PII_SECRET: every service that holds the same secret
    computes the same ``w_...`` id from an ID number, so facts add up across services and platforms."""
    raw = secret.encode() if isinstance(secret, str) else secret
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"newform-pseudonym", info=b"newform worker pseudonym v1"
    ).derive(raw)


def worker_pseudonym(id_number: str, secret: str | bytes) -> str:
    """The `w_…` id of the person with this resident ID number (what a worker token's subject is)."""
    return pseudonym("worker", id_number, pseudonym_key(secret))


# ---------------------------------------------------------------------------------------------
# PII at rest
# ---------------------------------------------------------------------------------------------
class PiiDecryptError(ValueError):
    """A token is malformed, of an unknown version, tampered with, or from another key/context."""


def _hkdf(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"newform-pii", info=info).derive(secret)


def derive_key(secret: str | bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose (e.g. "dashboard csrf v1"), derived from the master secret, so
    that no key serves two purposes and the master secret itself keys nothing."""
    raw = secret.encode() if isinstance(secret, str) else secret
    return _hkdf(raw, f"newform {purpose}".encode())


class PiiCipher:
    """AES-256-GCM encryption of personal data, plus a keyed hash for equality look-ups.

    One master secret (``bytes``, or ``str`` which is UTF-8 encoded; at least 32 bytes) yields,
    through HKDF-SHA256, an encryption key and a separate look-up key. Tokens read
    ``v1:<base64url(nonce ‖ ciphertext ‖ tag)>``; the optional ``context`` (e.g. the column name)
    is authenticated, so a token copied to another column does not decrypt.
    """

    VERSION = "v1"

    def __init__(self, key: bytes | str):
        secret = key.encode() if isinstance(key, str) else key
        if not isinstance(secret, bytes) or len(secret) < 32:
            raise ValueError("the PII master secret must be at least 32 bytes")
        self._aead = AESGCM(_hkdf(secret, b"newform pii v1 encryption"))
        self._lookup_key = _hkdf(secret, b"newform pii v1 lookup")

    def encrypt(self, plaintext: str, *, context: str = "") -> str:
        nonce = os.urandom(12)
        ct = self._aead.encrypt(nonce, plaintext.encode("utf-8"), self._aad(context))
        return f"{self.VERSION}:" + base64.urlsafe_b64encode(nonce + ct).decode("ascii").rstrip("=")

    def decrypt(self, token: str, *, context: str = "") -> str:
        version, sep, body = token.partition(":") if isinstance(token, str) else ("", "", "")
        if not sep or version != self.VERSION:
            raise PiiDecryptError("not a v1 PII token")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except ValueError:
            raise PiiDecryptError("malformed PII token") from None
        if len(raw) < 12 + 16:
            raise PiiDecryptError("malformed PII token")
        try:
            return self._aead.decrypt(raw[:12], raw[12:], self._aad(context)).decode("utf-8")
        except InvalidTag:
            raise PiiDecryptError("PII token does not authenticate (wrong key, context or tampered)") from None

    def lookup_hash(self, value: str) -> str:
        """Hex HMAC-SHA256 of the value (NFKC-normalised, trimmed): equal values, equal hashes.

        Normalise identifiers with the validators first (e.g. ``validate_resident_id``) so that
        spellings of the same number hash alike.
        """
        norm = unicodedata.normalize("NFKC", value).strip()
        return hmac.new(self._lookup_key, norm.encode("utf-8"), hashlib.sha256).hexdigest()

    @staticmethod
    def _aad(context: str) -> bytes:
        return f"newform-pii-v1\x00{context}".encode()


# ---------------------------------------------------------------------------------------------
# Masking
# ---------------------------------------------------------------------------------------------
def _mask(s: str, keep_head: int, keep_tail: int) -> str:
    if len(s) <= keep_head + keep_tail:
        return "*" * len(s)
    return s[:keep_head] + "*" * (len(s) - keep_head - keep_tail) + (s[-keep_tail:] if keep_tail else "")


def mask_resident_id(value: str) -> str:
    """``"630102199001011234"`` -> ``"630***********1234"`` (first 3 and last 4; see module doc)."""
    v = unicodedata.normalize("NFKC", value or "").strip().upper()
    return _mask(v, 3, 4) if len(v) >= 15 else "*" * len(v)


def mask_mobile(value: str) -> str:
    """``"13812345678"`` -> ``"138****5678"``; a +86 prefix is dropped first."""
    v = unicodedata.normalize("NFKC", value or "").strip().replace(" ", "").replace("-", "")
    for prefix in ("+86", "0086"):
        if v.startswith(prefix):
            v = v[len(prefix) :]
            break
    return _mask(v, 3, 4) if len(v) >= 11 else "*" * len(v)


def mask_name(value: str) -> str:
    """``"张三丰"`` -> ``"张**"``: the first character only (a single-character name is fully masked)."""
    v = (value or "").strip()
    return _mask(v, 1, 0) if len(v) > 1 else "*" * len(v)
