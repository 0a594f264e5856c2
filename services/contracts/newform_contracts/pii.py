"""Personal data: keys derived from the PII secret, encryption, masking and the audited reveal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from urllib.parse import unquote

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.errors import Forbidden, Problem
from newform_common.identity import PiiCipher, mask_mobile, mask_name, mask_resident_id, pseudonym, pseudonym_key

from .models import PiiAccessLog

PURPOSE_HEADER = "X-Purpose"


@dataclass
class Pii:
    secret: str

    @cached_property
    def cipher(self) -> PiiCipher:
        return PiiCipher(self.secret)

    @cached_property
    def key(self) -> bytes:
        return pseudonym_key(self.secret)

    def worker_id(self, id_number: str) -> str:
        return pseudonym("worker", id_number, self.key)

    def encrypt(self, value: str, column: str) -> str:
        return self.cipher.encrypt(value, context=column)

    def decrypt(self, token: str, column: str) -> str:
        return self.cipher.decrypt(token, context=column)


def masked(kind: str, value: str) -> str:
    return {"id_number": mask_resident_id, "phone": mask_mobile, "name": mask_name}[kind](value)


DOCUMENT_COLUMN = "contracts.document_text"
_ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(?:[1-8][0-9]{16}[0-9Xx]|[1-8][0-9]{14})(?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9]{9}(?![0-9])")


def mask_document(text: str) -> str:
    """A document's ID numbers and mobile numbers masked: real contracts name the worker's."""
    text = _ID_NUMBER_IN_TEXT.sub(lambda m: mask_resident_id(m.group()), text)
    return _MOBILE_IN_TEXT.sub(lambda m: mask_mobile(m.group()), text)


def encrypt_document(pii: Pii, text: str) -> str:
    return pii.encrypt(text, DOCUMENT_COLUMN)


def decrypt_document(pii: Pii, stored: str) -> str:
    # Rows written before documents were encrypted hold plain text (no "v1:" token prefix).
    if not stored.startswith(f"{PiiCipher.VERSION}:"):
        return stored
    return pii.decrypt(stored, DOCUMENT_COLUMN)


def authorize_reveal(request: Request, principal: Principal) -> str:
    """Only the regulator and admins read unmasked personal data, and they must say why."""
    if not principal.is_oversight():
        raise Forbidden("Only the regulator or an administrator may read unmasked personal data")
    # Header values are ASCII: a purpose in Chinese is sent percent-encoded (UTF-8) and decoded here.
    purpose = unquote(request.headers.get(PURPOSE_HEADER) or "").strip()
    if not purpose:
        raise Problem(
            f"Reading unmasked personal data needs an {PURPOSE_HEADER} header stating why",
            status=400,
            slug="purpose-required",
            title="Purpose required",
        )
    return purpose


def audit_reveal(
    session: AsyncSession, principal: Principal, purpose: str, resource_type: str, resource_id: str, fields: list[str]
) -> None:
    session.add(
        PiiAccessLog(
            principal=principal.key,
            role=str(principal.role),
            resource_type=resource_type,
            resource_id=resource_id,
            fields=fields,
            purpose=purpose,
            at=datetime.now(UTC),
        )
    )
