"""Visibility: the one place that decides what a principal may see of a service's data.

- platform / enterprise tokens: their own platform's data only;
- worker tokens: their own data, by pseudonymous worker id, across every platform;
- department, regulator, admin: everything a service holds (departments investigate; the gateway
  narrows a department to the alerts routed to it, by `routing.department_key`);
- other roles (mediator, training body, worker channel): nothing here unless a service grants it
  for its own resources (e.g. a mediator's assigned cases).

Something outside the caller's view is reported as not found (404), so its existence does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, true
from sqlalchemy.ext.asyncio import AsyncSession

from .auth import Principal, Role
from .errors import Forbidden, NotFound

PLATFORM_ROLES = (Role.platform, Role.enterprise)
OVERSIGHT_ROLES = (Role.department, Role.regulator, Role.admin)


@dataclass(frozen=True)
class Visibility:
    everything: bool = False
    platform_id: str | None = None
    worker_id: str | None = None

    @property
    def nothing(self) -> bool:
        return not (self.everything or self.platform_id or self.worker_id)

    def allows(self, *, platform_id: str | None = None, worker_id: str | None = None) -> bool:
        if self.everything:
            return True
        if self.platform_id is not None:
            return platform_id == self.platform_id
        if self.worker_id is not None:
            return worker_id == self.worker_id
        return False

    def where(self, *, platform: Any = None, worker: Any = None) -> Any:
        """A SQL condition on the given columns that keeps only visible rows."""
        if self.everything:
            return true()
        if self.platform_id is not None and platform is not None:
            return platform == self.platform_id
        if self.worker_id is not None and worker is not None:
            return worker == self.worker_id
        return false()

    def confine(self, requested_platform: str | None) -> str | None:
        """The platform filter of a list request: a platform caller's own, whatever it asked for."""
        return self.platform_id if self.platform_id is not None else requested_platform


def visibility(principal: Principal) -> Visibility:
    if principal.role in OVERSIGHT_ROLES:
        return Visibility(everything=True)
    if principal.role in PLATFORM_ROLES:
        return Visibility(platform_id=principal.platform_id or "")
    if principal.role == Role.worker:
        return Visibility(worker_id=principal.subject)
    return Visibility()


async def get_visible(
    session: AsyncSession, principal: Principal, model: Any, key: Any, *, what: str, for_update: bool = False
) -> Any:
    """The row of `model` with primary key `key`, if the caller may see it; else 404 (no leak).

    The one argument order of every visibility getter (`visible_<thing>(session, principal, key)` in
    the repositories): the session, who asks, then what they ask for."""
    row = await session.get(model, key, with_for_update=for_update or None)
    if row is None or not visibility(principal).allows(
        platform_id=getattr(row, "platform_id", None), worker_id=getattr(row, "worker_id", None)
    ):
        raise NotFound(f"No {what} {key!r}")
    return row


def ensure_platform(principal: Principal, platform_id: str) -> None:
    """For paths that name a platform (`/platforms/{id}/…`): 403 when the caller's view excludes it."""
    view = visibility(principal)
    if not (view.everything or view.platform_id == platform_id):
        raise Forbidden("This token's scope does not cover that platform")
