"""`SLICES`: the source slices (`sources/<service>/`), discovered — a new source's package under
`sources/` is a slice with no edit here — in the order their API routes are published; `PROJECTIONS`,
the routers and the rebuild's read models are built from it.

A slice package holds `projection.py` (`PROJECTION`, and `READ_MODELS`: the tables a rebuild compares
with the live ones), `router.py` (`router`) and, if it has a dashboard page, `page.py` (`page_router`,
`NAV`, and `MORE_NAV` when its router serves more pages); if its high-volume types are projected in SQL
by a rebuild from the event log, `log_projection/` (`LOG_PROJECTIONS`).

The slices are found by name (`pkgutil`, `importlib`): the list is what is in `sources/`, so that
`newform new-service --regulator-view` adds a slice by writing its folder. The slices published before
discovery keep their place (`PUBLISHED_ORDER`: the OpenAPI document lists their paths in that order);
a new one follows them, by name.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from dataclasses import dataclass, field
from types import ModuleType

from fastapi import APIRouter

from . import sources
from .projections.base import LogProjection, Projection
from .web.shell import NavLink

#: The slices' order before discovery (their API routes are published in it); new slices follow, by name.
PUBLISHED_ORDER = ("contracts", "disputes", "training", "wages", "departments")
#: Slices whose API routes are published among the gateway's core routes (`router.py` places them).
CORE = ("contracts",)


@dataclass(frozen=True)
class Slice:
    """One source service in the gateway: its events into read models, its API routes, its page."""

    name: str
    projection: Projection
    router: APIRouter
    page_router: APIRouter | None = None
    #: The read-model tables a rebuild compares, and the columns that are the projection's own.
    read_models: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Its page's link in the dashboard's navigation (`page.NAV`), if it has a page.
    nav: NavLink | None = None
    #: Links to its other pages (`page.MORE_NAV`), if its page router serves more than one.
    more_nav: tuple[NavLink, ...] = ()
    #: Its high-volume types in SQL over the event log, for a rebuild from the log (`log_projection/`).
    log_projections: tuple[LogProjection, ...] = ()

    @property
    def service(self) -> str:
        return self.projection.service

    @property
    def core(self) -> bool:
        return self.name in CORE


def _names() -> list[str]:
    found = {m.name for m in pkgutil.iter_modules(sources.__path__) if m.ispkg}
    return [n for n in PUBLISHED_ORDER if n in found] + sorted(found - set(PUBLISHED_ORDER))


def _module(name: str, role: str) -> ModuleType | None:
    qualified = f"{sources.__name__}.{name}.{role}"
    return importlib.import_module(qualified) if importlib.util.find_spec(qualified) is not None else None


def _slice(name: str) -> Slice:
    projection, router, page, from_log = (
        _module(name, role) for role in ("projection", "router", "page", "log_projection")
    )
    if projection is None or router is None:
        raise LookupError(f"sources/{name}/ is not a slice: it needs projection.py and router.py")
    return Slice(
        name,
        projection.PROJECTION,
        router.router,
        page.page_router if page is not None else None,
        dict(getattr(projection, "READ_MODELS", {})),
        getattr(page, "NAV", None) if page is not None else None,
        tuple(getattr(page, "MORE_NAV", ())),
        tuple(from_log.LOG_PROJECTIONS) if from_log is not None else (),
    )


SLICES: tuple[Slice, ...] = tuple(_slice(name) for name in _names())
CONTRACTS = next(s for s in SLICES if s.name == "contracts")

#: Set-based projections, one per source service (the first part of an event type).
PROJECTIONS: dict[str, Projection] = {s.service: s.projection for s in SLICES}
#: The slices' SQL over the event log (a rebuild from the log), in the slices' order.
LOG_PROJECTIONS: tuple[LogProjection, ...] = tuple(p for s in SLICES for p in s.log_projections)


def api_routers() -> list[APIRouter]:
    """The slices' API routers published after the core routes, in the slices' order."""
    return [s.router for s in SLICES if not s.core]


def page_routers() -> list[APIRouter]:
    return [s.page_router for s in SLICES if s.page_router is not None]


def read_models() -> dict[str, tuple[str, ...]]:
    """The slices' read-model tables a rebuild compares, and the columns left out of the comparison."""
    return {table: excluded for s in SLICES for table, excluded in s.read_models.items()}


def navigation() -> list[NavLink]:
    """The slices' pages in the dashboard's navigation."""
    return [link for s in SLICES for link in (s.nav, *s.more_nav) if link is not None]
