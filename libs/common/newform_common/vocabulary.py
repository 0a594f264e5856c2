"""The shared vocabulary — districts, occupations, engagement types, sectors, departments — read from
the policy data (``reference.*`` parameters), once, for every service.

Two uses:

* names on a date, for display and checks: ``districts(on)`` -> ``{"chengdong": "城东区", ...}``;
* the allowed codes as a type for request schemas, built from the data at import so OpenAPI still
  shows an ``enum``: ``District = vocabulary.literal("districts")``.

:func:`codes` (and so :func:`literal`) is every code the loaded policy data has ever listed, in the
order first listed, so that facts recorded under an older table still validate; a code a later
table drops is refused by a check on the fact's date, not by the schema.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from . import policy as policy_module

__all__ = [
    "KINDS",
    "codes",
    "departments",
    "districts",
    "engagement_types",
    "literal",
    "names",
    "occupations",
    "sectors",
]

#: Vocabulary kind -> the policy parameter that holds its code -> Chinese name table.
KINDS: dict[str, str] = {
    "districts": "reference.districts",
    "occupations": "reference.occupations",
    "engagement_types": "reference.engagement_types",
    "sectors": "reference.sectors",
    "departments": "reference.departments",
}


def _parameter(kind: str) -> str:
    if kind not in KINDS:
        raise KeyError(f"unknown vocabulary {kind!r}; known: {sorted(KINDS)}")
    return KINDS[kind]


def names(kind: str, on: date | datetime | None = None) -> dict[str, str]:
    """Code -> Chinese name of ``kind`` in force on ``on`` (default: today, Asia/Shanghai)."""
    return dict(policy_module.get_policy().value(_parameter(kind), on or policy_module.business_today()))


def districts(on: date | datetime | None = None) -> dict[str, str]:
    """Xining's districts and counties: code -> Chinese name."""
    return names("districts", on)


def occupations(on: date | datetime | None = None) -> dict[str, str]:
    """The occupations in the measures' scope: code -> Chinese name."""
    return names("occupations", on)


def engagement_types(on: date | datetime | None = None) -> dict[str, str]:
    """Labour contract, written work agreement, civil agreement: code -> Chinese name."""
    return names("engagement_types", on)


def sectors(on: date | datetime | None = None) -> dict[str, str]:
    """Platform business sectors: code -> Chinese name."""
    return names("sectors", on)


def departments(on: date | datetime | None = None) -> dict[str, str]:
    """Responsible departments: code -> Chinese name."""
    return names("departments", on)


def codes(kind: str) -> tuple[str, ...]:
    """Every code of ``kind`` any loaded source has listed, in the order first listed."""
    name = _parameter(kind)
    seen: dict[str, None] = {}
    for version in policy_module.get_policy().versions():
        spec = version.parameters.get(name)
        for ev in spec.values if spec else ():
            seen.update(dict.fromkeys(ev.value))
    if not seen:
        raise KeyError(f"no policy source defines {name!r}")
    return tuple(seen)


def literal(kind: str) -> Any:
    """``Literal[...]`` of :func:`codes` — a type for pydantic models (an ``enum`` in OpenAPI)."""
    return Literal[codes(kind)]
