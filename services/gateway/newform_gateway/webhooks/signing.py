"""Standard Webhooks signatures (standardwebhooks.com), so its libraries verify them:
- `webhook-id`: the delivery id, the same on every retry (receivers dedupe on it);
- `webhook-timestamp`: Unix seconds of this attempt (receivers refuse stale ones: replays);
- `webhook-signature`: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<raw body>">`, one per active
  secret, space-separated: after a rotation both the new and the previous secret sign until the
  previous one expires, so a receiver can switch keys without losing a delivery;
- `webhook-key-id`: the ids of those secrets, in the same order (`whk_…`, shown at registration).
Secrets look like `whsec_<base64 key>` (the HMAC key is the decoded bytes).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime
from typing import Any

from .models import Webhook

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
KEY_ID_HEADER = "webhook-key-id"
SECRET_PREFIX = "whsec_"


def body_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    """The HMAC key: a `whsec_` secret's decoded bytes; a secret chosen by hand, as its UTF-8 bytes."""
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret[len(SECRET_PREFIX) :])
    return secret.encode()


def key_id(secret: str) -> str:
    """A public name for a secret (a hash prefix: it reveals nothing of the key)."""
    return "whk_" + hashlib.sha256(secret.encode()).hexdigest()[:16]


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def signing_secrets(hook: Webhook, now: datetime) -> list[str]:
    """The current secret, and the previous one while its rotation grace period lasts."""
    active = [hook.secret]
    if hook.previous_secret and hook.previous_secret_expires_at and hook.previous_secret_expires_at > now:
        active.append(hook.previous_secret)
    return active


def signed_headers(hook: Webhook, message_id: str, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    active = signing_secrets(hook, now)
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: " ".join(sign(s, message_id, timestamp, body) for s in active),
        KEY_ID_HEADER: " ".join(key_id(s) for s in active),
    }
