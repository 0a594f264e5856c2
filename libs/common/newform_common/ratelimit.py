"""Rate limits per principal: a token bucket per caller, in the process.

Each caller (`Principal.key`: role and subject) has a bucket of `RATE_LIMIT_BURST` requests that
refills at `RATE_LIMIT_PER_MINUTE`. A request that finds it empty gets `429` problem+json with
`Retry-After`; every authenticated response carries `RateLimit-Limit`, `RateLimit-Remaining` and
`RateLimit-Reset` (seconds until the bucket is full again), after the IETF RateLimit header fields
draft. Buckets live in each process: with N replicas a caller gets up to N times the rate, which
is what the limit is for (no single caller starving the others), without a shared store.
`RATE_LIMIT_PER_MINUTE=0` turns limiting off.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import Problem

LIMIT_HEADER = "RateLimit-Limit"
REMAINING_HEADER = "RateLimit-Remaining"
RESET_HEADER = "RateLimit-Reset"
STATE_KEY = "rate_limit"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: int  # until the bucket is full
    retry_after_s: int  # until the next request is allowed (0 when allowed)

    def headers(self) -> dict[str, str]:
        return {LIMIT_HEADER: str(self.limit), REMAINING_HEADER: str(self.remaining), RESET_HEADER: str(self.reset_s)}


class TooManyRequests(Problem):
    status, slug, title = 429, "rate-limited", "Too many requests"


class RateLimiter:
    """Token buckets keyed by caller; `take(key)` spends one token if there is one."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        *,
        max_callers: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(int(burst), 1)
        self.enabled = per_minute > 0
        self.max_callers = max_callers
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, updated)

    def take(self, key: str) -> Decision:
        now = self.clock()
        tokens, updated = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - updated) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)  # most recently used last; the oldest callers are forgotten
        while len(self._buckets) > self.max_callers:
            self._buckets.popitem(last=False)
        reset = math.ceil((self.burst - tokens) / self.rate) if self.rate else 0
        retry = 0 if allowed else math.ceil((1.0 - tokens) / self.rate)
        return Decision(allowed, self.burst, int(tokens), reset, max(retry, 0 if allowed else 1))

    def check(self, key: str, scope_state: dict[str, Any]) -> None:
        """Spend a token for `key`; remember the outcome for the response headers; 429 when empty."""
        if not self.enabled:
            return
        decision = self.take(key)
        scope_state[STATE_KEY] = decision
        if not decision.allowed:
            raise TooManyRequests(
                f"Rate limit of {self.burst} requests (refilled at {self.rate * 60:g} a minute) exceeded; "
                f"retry after {decision.retry_after_s} s",
                headers={**decision.headers(), "Retry-After": str(decision.retry_after_s)},
            )


class RateLimitHeadersMiddleware:
    """Adds the caller's RateLimit-* headers to the response (the principal is known only once a
    route's auth dependency ran, so the headers are taken from the request state then)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            decision: Decision | None = state.get(STATE_KEY)
            if message["type"] == "http.response.start" and decision is not None:
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [
                    (k.lower().encode(), v.encode())
                    for k, v in decision.headers().items()
                    if k.lower().encode() not in present
                ]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)
