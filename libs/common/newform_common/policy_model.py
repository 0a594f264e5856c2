"""The policy's values as data types: the measures the code knows, the kinds of source, a version of a
source (one file), a parameter with its effective-dated history, and what a look-up answers. No I/O
(`policy_files` reads the files; `policy` resolves a parameter on a date)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

#: The measures of 宁政办〔2022〕41号 the code refers to: id -> English short title (catalogue.md).
MEASURES: dict[str, str] = {
    "M1": "Regulate labour relationships",
    "M2": "Direct employment forms",
    "M3": "Cooperative employment",
    "M4": "E-contracts and employment reporting",
    "M5": "Fair access to work",
    "M6": "Pay",
    "M7": "Rest",
    "M8": "Safety",
    "M9": "Social insurance",
    "M10": "Democratic consultation",
    "M11": "Public employment services",
    "M12": "Social-insurance services",
    "M13": "Skills training",
    "M14": "City services",
    "M15": "Education and culture",
    "M16": "Joint governance",
    "M17": "Trade unions",
    "M18": "Dispute handling",
    "M19": "Information systems",
    "M20": "Joint enforcement",
}


#: Kinds of source, most specific first: on the same effective date the more specific one wins.
KINDS = ("municipal_measures", "national_guideline", "provincial_standard", "law")


#: ``valid_until`` of a source in force until repealed (laws, standing standards).
OPEN_ENDED = date.max


class PolicyError(ValueError):
    """A policy file is malformed or the set of loaded versions is inconsistent."""


class PolicyNotInForce(LookupError):
    """The date lies outside every loaded policy version's validity.

    `predates` says whether the date is before the first version (a fact the policy never covered)
    rather than after or between versions (a successor version that has not been loaded yet).
    """

    def __init__(self, message: str, *, on: date | None = None, predates: bool = False):
        super().__init__(message)
        self.on = on
        self.predates = predates


class ParameterNotInForce(PolicyNotInForce):
    """The version in force knows the parameter, but none of its values is effective yet on the date."""


@dataclass(frozen=True)
class Parameter:
    """One parameter as in force on a date."""

    name: str
    measure: str
    unit: str
    source: str
    value: Any
    effective_from: date
    version: str = ""
    description: str = ""
    #: The source (series) and its document the value comes from, e.g. ``national-law``.
    series: str = ""
    document: str = ""
    #: True when the value comes from a lapsed source still applied until its successor is loaded.
    provisional: bool = False


@dataclass(frozen=True)
class MeasuresStatus:
    """The municipal measures on a date: the version applied and whether it has lapsed."""

    version: PolicyVersion
    provisional: bool

    @property
    def lapsed_on(self) -> date | None:
        """The last day the applied version was in force, if it has lapsed (else None)."""
        return self.version.valid_until if self.provisional else None


@dataclass(frozen=True)
class RuleBasis:
    """Why a rule applies on a date: provisional when it rests only on lapsed measures."""

    rule: str
    provisional: bool
    measures_version: str
    statutory_basis: str | None = None

    def evidence(self) -> dict[str, Any]:
        """What a finding carries in its evidence (``policy_basis``)."""
        out: dict[str, Any] = {"provisional": self.provisional, "measures_version": self.measures_version}
        if self.statutory_basis:
            out["statutory_basis"] = self.statutory_basis
        return out


def statute_for(entry: Any, engagement_type: str | None) -> str | None:
    """The statute a ``rules.statutory_basis`` entry names for an engagement type (see ``rule_basis``)."""
    if isinstance(entry, list):
        return next((s for e in entry if (s := statute_for(e, engagement_type)) is not None), None)
    if isinstance(entry, dict):
        statute: str | None = entry["statute"] if engagement_type in entry.get("engagement_types", ()) else None
        return statute
    return cast(str | None, entry)


@dataclass(frozen=True)
class EffectiveValue:
    effective_from: date
    value: Any
    source: str


@dataclass(frozen=True)
class ParameterSpec:
    """A parameter with its whole effective-dated history inside one version."""

    name: str
    measure: str
    unit: str
    source: str
    description: str
    values: tuple[EffectiveValue, ...]  # ascending effective_from

    def value_on(self, on: date) -> EffectiveValue | None:
        chosen: EffectiveValue | None = None
        for ev in self.values:
            if ev.effective_from <= on:
                chosen = ev
            else:
                break
        return chosen

    def in_force(self, on: date, version: str) -> Parameter:
        chosen = self.value_on(on)
        if chosen is None:
            raise ParameterNotInForce(
                f"parameter {self.name!r} has no value effective on {on.isoformat()} "
                f"(first effective {self.values[0].effective_from.isoformat()}) in policy {version!r}"
            )
        return Parameter(
            name=self.name,
            measure=self.measure,
            unit=self.unit,
            source=chosen.source,
            value=copy.deepcopy(chosen.value),
            effective_from=chosen.effective_from,
            version=version,
            description=self.description,
        )


@dataclass(frozen=True)
class PolicyVersion:
    """One policy document in force over ``valid_from`` .. ``valid_until`` (both inclusive)."""

    id: str
    title: str
    document: str
    valid_from: date
    valid_until: date
    title_en: str = ""
    issued_by: str = ""
    implements: tuple[str, ...] = ()
    extends: str | None = None
    #: The source this version belongs to (successors share it); defaults to the id.
    series: str = ""
    #: One of KINDS ("" when the file does not say).
    kind: str = ""
    #: After its last version lapses, keep applying it provisionally until a successor is loaded.
    continues_provisionally: bool | None = False
    source_file: str = field(default="", compare=False)
    measures: Mapping[str, Mapping[str, str]] = field(default_factory=dict, compare=False, repr=False)
    parameters: Mapping[str, ParameterSpec] = field(default_factory=dict, compare=False, repr=False)

    def covers(self, on: date) -> bool:
        return self.valid_from <= on <= self.valid_until


def _kind_rank(kind: str) -> int:
    return KINDS.index(kind) if kind in KINDS else len(KINDS)


def _until(v: PolicyVersion) -> str:
    return "open" if v.valid_until == OPEN_ENDED else v.valid_until.isoformat()


def _check_measure(measure: str) -> None:
    if measure not in MEASURES:
        raise KeyError(f"unknown measure id {measure!r}; expected one of M1..M20")
