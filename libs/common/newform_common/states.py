"""States are types: each aggregate's states are a `StrEnum` beside its model, and the moves allowed
between them are data (`ALLOWED: dict[State, frozenset[State]]`), checked here, one way for every
service (docs/shape.md, "States are types"; the words in docs/glossary.md).

    class ContractStatus(StrEnum):
        draft = "draft"
        sent = "sent"
        ...

    ALLOWED = transitions({ContractStatus.draft: {ContractStatus.sent, ...}, ...})
    require_transition(ALLOWED, contract.status, ContractStatus.sent, "contract")
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import TypeVar

from .errors import Conflict

State = TypeVar("State", bound=StrEnum)


def transitions(allowed: Mapping[State, Collection[State]]) -> dict[State, frozenset[State]]:
    """The table of allowed moves, checked complete: every state of the enum is a key (a final state
    maps to nothing), and every target is a state of the same enum."""
    if not allowed:
        raise ValueError("no states")
    kind = type(next(iter(allowed)))
    missing = [s for s in kind if s not in allowed]
    if missing:
        raise ValueError(f"{kind.__name__}: no moves listed for {missing} (a final state maps to an empty set)")
    strays = [t for targets in allowed.values() for t in targets if not isinstance(t, kind)]
    if strays:
        raise ValueError(f"{kind.__name__}: targets {strays} are not {kind.__name__} states")
    return {state: frozenset(targets) for state, targets in allowed.items()}


def require_transition(
    allowed: Mapping[State, Collection[State]],
    current: str,
    to: State,
    what: str,
    *,
    detail: str | None = None,
    slug: str = "illegal-transition",
) -> None:
    """409 unless `to` is allowed from `current`. The problem names both states (`status_from`,
    `status_to`); `detail` replaces the default sentence where a service words it for its users."""
    if to not in allowed[type(to)(current)]:
        raise Conflict(
            detail or f"A {current} {what} cannot become {to}", slug=slug, status_from=current, status_to=str(to)
        )
