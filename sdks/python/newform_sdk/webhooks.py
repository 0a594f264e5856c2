"""Verify newform webhooks (Standard Webhooks signatures) and refuse replays. Standard library only:
part of the Python SDK (`newform_sdk.webhooks`); a receiver without the SDK copies this one file.

    verifier = WebhookVerifier(["whsec_…"])            # during a rotation: [new, old]
    payload = verifier.verify(raw_body, request.headers)  # raises WebhookVerificationError
    # … except DuplicateDelivery: answer 2xx and do nothing; other WebhookVerificationError: 400

A request passes when one of its `v1,` signatures is the HMAC-SHA256 of `<id>.<timestamp>.<raw body>`
under one of your secrets, its `webhook-timestamp` is within `tolerance_s` of now (default 5
minutes) and its `webhook-id` was not accepted before within that window. The default replay memory
lives in the process; a receiver with several instances passes a shared `seen` store, e.g. one that
inserts the id into a table with a unique key and returns False on conflict.

`verify(payload, headers)` takes its arguments in the order of the Standard Webhooks reference library
(`Webhook(secret).verify(payload, headers)`); the earlier `verify(headers, body)` still works, with a
DeprecationWarning. A payload-version-2 subscription receives `{"type", "timestamp", "data"}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

SECRET_PREFIX = "whsec_"


class WebhookVerificationError(Exception):
    """The request is not a fresh, authentic newform webhook: answer 400 (or 401) and ignore it."""


class DuplicateDelivery(WebhookVerificationError):
    """Authentic, but this `webhook-id` was already accepted: a retry after a lost answer, or a replay.
    Answer 2xx (so the gateway stops retrying) and do nothing again."""


def _key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret[len(SECRET_PREFIX):])
    return secret.encode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature the gateway sends (for tests of a receiver)."""
    mac = hmac.new(_key(secret), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


class MemoryReplayStore:
    """Ids accepted within the tolerance window, in this process."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}

    def __call__(self, message_id: str, expires_at: float) -> bool:
        """Remember `message_id` until `expires_at`; False if it was already remembered."""
        now = time.time()
        self._seen = {k: v for k, v in self._seen.items() if v > now}
        if message_id in self._seen:
            return False
        self._seen[message_id] = expires_at
        return True


class WebhookVerifier:
    def __init__(self, secrets: str | list[str], *, tolerance_s: int = 300,
                 seen: Callable[[str, float], bool] | None = None, clock: Callable[[], float] = time.time):
        self.secrets = [secrets] if isinstance(secrets, str) else list(secrets)
        if not self.secrets:
            raise ValueError("at least one secret is needed")
        self.tolerance_s = tolerance_s
        self.seen = seen or MemoryReplayStore()
        self.clock = clock

    def verify(self, payload: bytes | str, headers: Mapping[str, str]) -> dict[str, Any]:
        """The JSON payload of an authentic, fresh, first-seen delivery; raises otherwise. `payload` is the
        raw request body (bytes, or str as sent), as in the reference library's `verify(payload, headers)`."""
        if isinstance(payload, Mapping) and isinstance(headers, (bytes, bytearray, str)):
            warnings.warn("WebhookVerifier.verify(headers, body) is deprecated: call verify(body, headers), the "
                          "Standard Webhooks libraries' order", DeprecationWarning, stacklevel=2)
            payload, headers = headers, payload
        body = payload.encode() if isinstance(payload, str) else bytes(payload)
        lower = {k.lower(): v for k, v in headers.items()}
        try:
            message_id = lower["webhook-id"]
            timestamp = int(lower["webhook-timestamp"])
            signatures = lower["webhook-signature"].split()
        except (KeyError, ValueError) as exc:
            raise WebhookVerificationError("missing or malformed webhook-id/-timestamp/-signature headers") from exc
        now = self.clock()
        if abs(now - timestamp) > self.tolerance_s:
            raise WebhookVerificationError("webhook-timestamp is outside the tolerance (a replay or a wrong clock)")
        offered = [s for s in signatures if s.startswith("v1,")]
        expected = [sign(secret, message_id, timestamp, body) for secret in self.secrets]
        if not any(hmac.compare_digest(o, e) for o in offered for e in expected):
            raise WebhookVerificationError("no signature matches any of the configured secrets")
        if not self.seen(message_id, timestamp + self.tolerance_s):
            raise DuplicateDelivery(f"webhook-id {message_id} was already received (a retry or a replay)")
        return json.loads(body)
