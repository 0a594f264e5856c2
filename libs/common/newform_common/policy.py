"""The policy as data: effective-dated parameters from several sources, each citing its measure.

Every version of a source is one TOML file (format: ``policy_versions/README.md``). A *source* (a
``series`` of versions) is one body of rules with its own dates: national law (the Labour Law, the
Labour Contract Law, the mediation and arbitration law, MOHRSS orders), Qinghai's minimum-wage
standard, the national working-time guideline (人社厅发〔2023〕50号), and Xining's measures
(宁政办〔2022〕41号). They are in force side by side; each parameter resolves from the source in force
on the date asked about. The bundled folder ``newform_common/policy_versions`` is always loaded;
more folders can be given to :func:`load_policy` (``extra_dirs``) or, for :func:`get_policy`, in
the environment variable ``NEWFORM_POLICY_DIR`` (several folders separated by ``os.pathsep``). A
successor is just another file of the same series: no code change.

Code asks "the value of X on date D"::

    policy = get_policy()
    policy.value("pay.minimum_wage.monthly_fen", date(2024, 6, 1))   # -> 188000
    policy.value_with_source("pay.max_pay_period_days", date(2027, 1, 15)).provisional  # -> True

Within a series, the version in force on D is the one whose ``valid_from <= D <= valid_until``
(both inclusive; no ``valid_until``: until repealed). A series marked ``continues_provisionally``
(the municipal measures) keeps applying its last version after it lapses, *provisionally*, until
the successor is loaded. Within a version, the value in force is the one with the latest
``effective_from <= D``. When several sources in force define the same parameter, a source in
force beats a provisional one, then the later ``effective_from`` wins, then the more specific
source (municipal, national guideline, provincial, law). A date is a :class:`datetime.date` (a
business date, Asia/Shanghai) or a timezone-aware :class:`datetime.datetime`, which is first
converted to its Asia/Shanghai date; naive datetimes are rejected with :class:`ValueError`.

``MEASURES`` (below) holds the measure ids the code knows (M1–M20) with their English short
titles; it is what parameter files are validated against. The Chinese and English titles are in
the measures' file (``[measures]``, :meth:`Policy.measure_titles`).
"""

from __future__ import annotations

import copy
import os
import re
import threading
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "BUNDLED_DIR",
    "KINDS",
    "MeasuresStatus",
    "RuleBasis",
    "ENV_VAR",
    "MEASURES",
    "BUSINESS_TZ",
    "Parameter",
    "ParameterNotInForce",
    "Policy",
    "PolicyError",
    "PolicyNotInForce",
    "PolicyVersion",
    "business_date",
    "business_today",
    "get_policy",
    "load_policy",
]

#: Folder of the policy versions shipped with the package.
BUNDLED_DIR = Path(__file__).resolve().parent / "policy_versions"
#: Environment variable naming extra folders of policy versions (``os.pathsep``-separated).
ENV_VAR = "NEWFORM_POLICY_DIR"
#: Business dates are Asia/Shanghai dates. China has had no daylight saving since 1991, so a fixed
#: +08:00 offset is exact for every date this system handles and needs no tz database.
from . import clock as _clock  # noqa: E402
from .clock import BUSINESS_TZ  # noqa: E402  (one definition, re-exported here)

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

_HEAD_KEYS = {
    "id",
    "document",
    "title",
    "title_en",
    "issued_by",
    "issued_on",
    "implements",
    "valid_from",
    "valid_until",
    "extends",
    "series",
    "kind",
    "continues_provisionally",
}
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_]+)*$")
_VERSION_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


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


def business_today() -> date:
    """Today's Asia/Shanghai business date (one place to ask, so tests can move "today")."""
    return _clock.today()


def business_date(on: date | datetime) -> date:
    """The Asia/Shanghai business date of ``on``; naive datetimes raise :class:`ValueError`."""
    if isinstance(on, datetime):
        if on.tzinfo is None or on.tzinfo.utcoffset(on) is None:
            raise ValueError(f"naive datetime {on.isoformat()} is ambiguous; give a timezone-aware datetime")
        return on.astimezone(BUSINESS_TZ).date()
    if isinstance(on, date):
        return on
    raise TypeError(f"expected a date or an aware datetime, got {type(on).__name__}")


#: Values handed out as they are; any other (lists, tables) is copied, so a caller's change stays its own.
IMMUTABLE_VALUES = (str, int, float, bool, date, type(None))


def _copied(value: Any) -> Any:
    """A deep copy of a parameter's value (TOML data: tables, arrays, scalars), faster than `copy.deepcopy`."""
    if isinstance(value, IMMUTABLE_VALUES):
        return value
    if isinstance(value, list):
        return [_copied(item) for item in value]
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    return copy.deepcopy(value)


#: How many (parameter, day) look-ups a policy remembers before it starts again (days move on).
FOUND_PARAMETERS_KEPT = 4096


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
        return entry["statute"] if engagement_type in entry.get("engagement_types", ()) else None
    return entry


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


class Policy:
    """All loaded sources and their versions; answers "the value of X on date D"."""

    def __init__(self, versions: Iterable[PolicyVersion]):
        self._versions = sorted(versions, key=lambda v: v.valid_from)
        if not self._versions:
            raise PolicyError("no policy version loaded")
        self._series: dict[str, list[PolicyVersion]] = {}
        for v in self._versions:
            self._series.setdefault(v.series or v.id, []).append(v)
        measures = [s for s, vs in self._series.items() if vs[0].kind == "municipal_measures"]
        #: The series of the municipal measures (the document whose M1–M20 the rules cite).
        self.measures_series: str | None = measures[0] if len(measures) == 1 else None
        # Parameters found, by (name, day): a request asks for a dozen, and the versions never change.
        self._found: dict[tuple[str, date], Parameter] = {}

    # -- versions and sources ------------------------------------------------------------------
    def versions(self) -> list[PolicyVersion]:
        """All versions of every source, oldest first."""
        return list(self._versions)

    def series(self) -> dict[str, list[PolicyVersion]]:
        """Source (series) -> its versions, oldest first."""
        return {s: list(vs) for s, vs in self._series.items()}

    def _applied(self, series: str, d: date) -> tuple[PolicyVersion, bool] | None:
        """The version of ``series`` applied on ``d`` and whether provisionally (lapsed, no successor)."""
        latest = None
        for v in self._series[series]:
            if v.valid_from <= d:
                latest = v
        if latest is None:
            return None
        if latest.covers(d):
            return latest, False
        return (latest, True) if latest.continues_provisionally else None

    def sources_on(self, on: date | datetime) -> list[tuple[PolicyVersion, bool]]:
        """Every source applied on ``on``: (version, provisional)."""
        d = business_date(on)
        return [hit for s in self._series if (hit := self._applied(s, d)) is not None]

    def version_on(self, on: date | datetime) -> PolicyVersion:
        """The version of the municipal measures in force on ``on`` (not a lapsed one applied provisionally).

        With no measures loaded (a test policy of one source), the only source's version."""
        d = business_date(on)
        series = self.measures_series or next(iter(self._series))
        hit = self._applied(series, d)
        if hit is not None and not hit[1]:
            return hit[0]
        spans = ", ".join(f"{v.id} {v.valid_from}..{_until(v)}" for v in self._series[series])
        raise PolicyNotInForce(
            f"no version of {series} in force on {d.isoformat()} (loaded: {spans})",
            on=d,
            predates=d < self._series[series][0].valid_from,
        )

    def measures_status(self, on: date | datetime) -> MeasuresStatus:
        """The measures' version applied on ``on``, and whether provisionally (lapsed, successor not loaded).

        Raises :class:`PolicyNotInForce` before the first version."""
        d = business_date(on)
        if self.measures_series is None:
            raise PolicyNotInForce("no municipal measures loaded", on=d)
        hit = self._applied(self.measures_series, d)
        if hit is None:
            first = self._series[self.measures_series][0]
            if d < first.valid_from:
                raise PolicyNotInForce(
                    f"{first.document} takes effect on {first.valid_from.isoformat()}, after {d.isoformat()}",
                    on=d,
                    predates=True,
                )
            raise PolicyNotInForce(
                f"no version of the measures applies on {d.isoformat()} (the last one lapsed "
                "and is not continued provisionally)",
                on=d,
            )
        return MeasuresStatus(hit[0], hit[1])

    # -- parameters ----------------------------------------------------------------------------
    def parameter(self, name: str, on: date | datetime) -> Parameter:
        """The parameter in force on ``on`` with its source, version and ``provisional`` flag."""
        d = business_date(on)
        found = self._found.get((name, d))
        if found is None:
            found = self._find_parameter(name, d)
            if len(self._found) >= FOUND_PARAMETERS_KEPT:
                self._found.clear()
            self._found[(name, d)] = found
        return found if isinstance(found.value, IMMUTABLE_VALUES) else replace(found, value=_copied(found.value))

    def _find_parameter(self, name: str, d: date) -> Parameter:
        best: tuple[tuple[bool, date, int], PolicyVersion, ParameterSpec, EffectiveValue, bool] | None = None
        defined_in: list[PolicyVersion] = []
        for series, versions in self._series.items():
            defining = [v for v in versions if name in v.parameters]
            if not defining:
                continue
            defined_in += defining
            hit = self._applied(series, d)
            if hit is None or name not in hit[0].parameters:
                continue
            version, provisional = hit
            spec = version.parameters[name]
            ev = spec.value_on(d)
            if ev is None:
                continue
            key = (not provisional, ev.effective_from, -_kind_rank(version.kind))
            if best is None or key > best[0]:
                best = (key, version, spec, ev, provisional)
        if best is None:
            if not defined_in:
                raise KeyError(f"unknown policy parameter {name!r}")
            first = min(max(v.valid_from, v.parameters[name].values[0].effective_from) for v in defined_in)
            if any(v.covers(d) for v in defined_in):
                raise ParameterNotInForce(
                    f"parameter {name!r} has no value effective on {d.isoformat()}", on=d, predates=d < first
                )
            raise PolicyNotInForce(
                f"no source in force on {d.isoformat()} defines {name!r} (defined by: "
                f"{', '.join(sorted({v.id for v in defined_in}))})",
                on=d,
                predates=d < first,
            )
        _, version, spec, ev, provisional = best
        return Parameter(
            name=name,
            measure=spec.measure,
            unit=spec.unit,
            source=ev.source,
            value=copy.deepcopy(ev.value),
            effective_from=ev.effective_from,
            version=version.id,
            description=spec.description,
            series=version.series or version.id,
            document=version.document,
            provisional=provisional,
        )

    def value_with_source(self, name: str, on: date | datetime) -> Parameter:
        """The value with where it comes from: ``.value``, ``.source``, ``.version``, ``.provisional``."""
        return self.parameter(name, on)

    def value(self, name: str, on: date | datetime) -> Any:
        """The value of ``name`` in force on ``on`` (a copy: mutating it changes nothing)."""
        return self.parameter(name, on).value

    def names(self, on: date | datetime) -> list[str]:
        """Every parameter name some source applied on ``on`` defines."""
        return sorted({n for v, _ in self.sources_on(on) for n in v.parameters})

    def rule_basis(self, rule: str, on: date | datetime, engagement_type: str | None = None) -> RuleBasis:
        """Whether a rule (``M5.no_deposit``) is applied provisionally on ``on``: it is when the measures
        have lapsed and no statute in force (``rules.statutory_basis.<measure>``) carries it too.

        A statute entry is either a citation (it carries the rule for every engagement), a table
        ``{statute, engagement_types}`` (only for those, e.g. 劳动合同法 for labour contracts), or a
        list of such tables (a different source per engagement: 劳动法 for labour contracts,
        人社厅发〔2023〕50号 for work agreements); with table entries and no ``engagement_type``
        given, no statute is assumed to apply."""
        status = self.measures_status(on)
        measure = rule.split(".", 1)[0]
        try:
            entry = self.value(f"rules.statutory_basis.{measure}", on).get(rule)
        except (KeyError, PolicyNotInForce):
            entry = None
        entry = statute_for(entry, engagement_type)
        return RuleBasis(
            rule=rule,
            provisional=status.provisional and entry is None,
            measures_version=status.version.id,
            statutory_basis=entry,
        )

    # -- measures and routing ------------------------------------------------------------------
    def measure_titles(self, on: date | datetime) -> dict[str, dict[str, str]]:
        """Measure id -> ``{"zh": ..., "en": ...}`` of the measures' version applied on ``on``."""
        return copy.deepcopy(dict(self.measures_status(on).version.measures))

    def departments_for_measure(self, measure: str, on: date | datetime) -> list[str]:
        """The responsible department codes of ``measure`` (e.g. ``"M6"``), in the document's order."""
        _check_measure(measure)
        return list(self.value(f"routing.departments.{measure}", on))

    def sector_regulators(self, occupation: str, on: date | datetime) -> list[str]:
        """The department codes regulating ``occupation`` (e.g. ``"courier"`` -> ``["postal"]``)."""
        table = self.value("routing.sector_regulators", on)
        if occupation not in table:
            raise KeyError(f"unknown occupation {occupation!r}; known: {sorted(table)}")
        return list(table[occupation])

    def route(self, measure: str, on: date | datetime, occupation: str | None = None) -> list[str]:
        """Departments to notify about a finding under ``measure``: the measure's responsible units
        plus, when the worker's occupation is known, its sector regulators (no duplicates)."""
        codes = self.departments_for_measure(measure, on)
        if occupation is not None:
            codes += [c for c in self.sector_regulators(occupation, on) if c not in codes]
        return codes

    def alert_deadline_days(self, measure: str, on: date | datetime) -> int:
        _check_measure(measure)
        return int(self.value(f"alerts.handling_deadline_days.{measure}", on))

    def departments(self, on: date | datetime) -> dict[str, str]:
        """Department code -> Chinese name."""
        return dict(self.value("reference.departments", on))

    def districts(self, on: date | datetime) -> dict[str, str]:
        """District/county code -> Chinese name."""
        return dict(self.value("reference.districts", on))

    def occupations(self, on: date | datetime) -> dict[str, str]:
        """Occupation code -> Chinese name."""
        return dict(self.value("reference.occupations", on))


def _kind_rank(kind: str) -> int:
    return KINDS.index(kind) if kind in KINDS else len(KINDS)


def _until(v: PolicyVersion) -> str:
    return "open" if v.valid_until == OPEN_ENDED else v.valid_until.isoformat()


def _check_measure(measure: str) -> None:
    if measure not in MEASURES:
        raise KeyError(f"unknown measure id {measure!r}; expected one of M1..M20")


# ---------------------------------------------------------------------------------------------
# Loading and validation
# ---------------------------------------------------------------------------------------------
def _err(path: Path | str, msg: str) -> PolicyError:
    return PolicyError(f"{path}: {msg}")


def _require(table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str, path: Path) -> Any:
    if key not in table:
        raise _err(path, f"{where}: missing {key!r}")
    val = table[key]
    # bool is an int subclass; a date field must not accept a datetime either
    if kind is date and isinstance(val, datetime):
        raise _err(path, f"{where}: {key!r} must be a date (YYYY-MM-DD), not a datetime")
    if not isinstance(val, kind):
        raise _err(path, f"{where}: {key!r} must be {getattr(kind, '__name__', kind)}, got {type(val).__name__}")
    return val


def _check_value(val: Any, where: str, path: Path) -> None:
    if isinstance(val, float):
        raise _err(path, f"{where}: floats are not allowed (use integers: fen, percent, minutes)")
    if isinstance(val, (date, datetime, time)):
        raise _err(path, f'{where}: dates and times are not allowed as values (use strings, e.g. "22:00")')
    if isinstance(val, list):
        for item in val:
            _check_value(item, where, path)
    elif isinstance(val, dict):
        for item in val.values():
            _check_value(item, where, path)


def _parse_parameter(raw: Any, idx: int, path: Path) -> ParameterSpec:
    where = f"parameter #{idx + 1}"
    if not isinstance(raw, dict):
        raise _err(path, f"{where}: must be a table")
    name = _require(raw, "name", str, where, path)
    where = f"parameter {name!r}"
    if not _NAME_RE.match(name):
        raise _err(path, f"{where}: name must be snake_case, dotted groups allowed")
    measure = _require(raw, "measure", str, where, path)
    if measure not in MEASURES:
        raise _err(path, f"{where}: unknown measure {measure!r} (expected M1..M20)")
    unit = _require(raw, "unit", str, where, path)
    source = _require(raw, "source", str, where, path)
    description = raw.get("description", "")
    unknown = set(raw) - {"name", "measure", "unit", "source", "description", "values"}
    if unknown:
        raise _err(path, f"{where}: unknown keys {sorted(unknown)}")
    raw_values = _require(raw, "values", list, where, path)
    if not raw_values:
        raise _err(path, f"{where}: 'values' is empty")
    values: list[EffectiveValue] = []
    for j, rv in enumerate(raw_values):
        w = f"{where} value #{j + 1}"
        if not isinstance(rv, dict):
            raise _err(path, f"{w}: must be a table with effective_from and value")
        eff = _require(rv, "effective_from", date, w, path)
        if "value" not in rv:
            raise _err(path, f"{w}: missing 'value'")
        extra = set(rv) - {"effective_from", "value", "source"}
        if extra:
            raise _err(path, f"{w}: unknown keys {sorted(extra)}")
        _check_value(rv["value"], w, path)
        vsource = rv.get("source", source)
        if not isinstance(vsource, str):
            raise _err(path, f"{w}: 'source' must be a string")
        if values:
            if eff <= values[-1].effective_from:
                raise _err(path, f"{w}: effective_from dates must be strictly ascending")
            if type(rv["value"]) is not type(values[0].value):
                raise _err(path, f"{w}: value type differs from the first value's")
        values.append(EffectiveValue(eff, rv["value"], vsource))
    return ParameterSpec(name, measure, unit, source, description, tuple(values))


def _parse_file(path: Path) -> PolicyVersion:
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise _err(path, f"invalid TOML: {exc}") from exc
    unknown = set(doc) - {"version", "measures", "parameter"}
    if unknown:
        raise _err(path, f"unknown top-level keys {sorted(unknown)}")
    head = _require(doc, "version", dict, "file", path)
    vid = _require(head, "id", str, "[version]", path)
    if not _VERSION_ID_RE.match(vid):
        raise _err(path, f"[version]: id {vid!r} must be lowercase letters, digits, '.', '_' or '-'")
    if path.stem != vid:
        raise _err(path, f"[version]: id {vid!r} must equal the file name without .toml ({path.stem!r})")
    unknown_head = set(head) - _HEAD_KEYS
    if unknown_head:
        raise _err(path, f"[version]: unknown keys {sorted(unknown_head)}")
    valid_from = _require(head, "valid_from", date, "[version]", path)
    # no valid_until: in force until repealed (a law, a standing standard)
    valid_until = _require(head, "valid_until", date, "[version]", path) if "valid_until" in head else OPEN_ENDED
    if valid_until < valid_from:
        raise _err(path, "[version]: valid_until is before valid_from")
    extends = head.get("extends")
    if extends is not None and not isinstance(extends, str):
        raise _err(path, "[version]: 'extends' must be a version id")
    series = head.get("series", "")
    if not isinstance(series, str) or (series and not _VERSION_ID_RE.match(series)):
        raise _err(path, "[version]: 'series' must be lowercase letters, digits, '.', '_' or '-'")
    kind = head.get("kind", "")
    if kind and kind not in KINDS:
        raise _err(path, f"[version]: kind {kind!r} must be one of {', '.join(KINDS)}")
    provisional = head.get("continues_provisionally", None)
    if provisional is not None and not isinstance(provisional, bool):
        raise _err(path, "[version]: 'continues_provisionally' must be true or false")

    measures: dict[str, dict[str, str]] = {}
    for mid, titles in doc.get("measures", {}).items():
        if mid not in MEASURES:
            raise _err(path, f"[measures]: unknown measure {mid!r} (expected M1..M20)")
        if not isinstance(titles, dict) or not all(isinstance(titles.get(k), str) for k in ("zh", "en")):
            raise _err(path, f"[measures]: {mid} needs zh and en titles")
        measures[mid] = {"zh": titles["zh"], "en": titles["en"]}

    params: dict[str, ParameterSpec] = {}
    for i, raw in enumerate(doc.get("parameter", [])):
        spec = _parse_parameter(raw, i, path)
        if spec.name in params:
            raise _err(path, f"parameter {spec.name!r} defined twice")
        params[spec.name] = spec
    if extends is None and not params:
        raise _err(path, "no parameters")

    return PolicyVersion(
        id=vid,
        title=_require(head, "title", str, "[version]", path),
        document=_require(head, "document", str, "[version]", path),
        valid_from=valid_from,
        valid_until=valid_until,
        title_en=head.get("title_en", ""),
        issued_by=head.get("issued_by", ""),
        implements=tuple(head.get("implements", ())),
        extends=extends,
        series=series,
        kind=kind,
        continues_provisionally=provisional,
        source_file=str(path),
        measures=measures,
        parameters=params,
    )


def _resolve_extends(versions: dict[str, PolicyVersion]) -> dict[str, PolicyVersion]:
    resolved: dict[str, PolicyVersion] = {}

    def resolve(vid: str, chain: tuple[str, ...]) -> PolicyVersion:
        if vid in resolved:
            return resolved[vid]
        v = versions[vid]
        if v.extends is None:
            resolved[vid] = v
            return v
        if v.extends in chain:
            raise _err(v.source_file, f"'extends' cycle: {' -> '.join((*chain, v.extends))}")
        if v.extends not in versions:
            raise _err(v.source_file, f"extends unknown version {v.extends!r}")
        base = resolve(v.extends, (*chain, v.extends))
        # a successor belongs to its base's source unless it says otherwise, and inherits how it lapses
        merged = replace(
            v,
            measures={**base.measures, **v.measures},
            parameters={**base.parameters, **v.parameters},
            series=v.series or base.series or base.id,
            kind=v.kind or base.kind,
            continues_provisionally=(
                base.continues_provisionally if v.continues_provisionally is None else v.continues_provisionally
            ),
        )
        resolved[vid] = merged
        return merged

    for vid in versions:
        resolve(vid, (vid,))
    return {vid: replace(v, series=v.series or v.id) for vid, v in resolved.items()}


def _inherit_within_series(ordered: list[PolicyVersion]) -> list[PolicyVersion]:
    """A version that does not say its kind or whether it continues provisionally takes them from the
    previous version of its series (a standalone successor of the measures behaves like them)."""
    previous: dict[str, PolicyVersion] = {}
    out = []
    for v in ordered:
        before = previous.get(v.series)
        kind = v.kind or (before.kind if before else "")
        continues = v.continues_provisionally
        if continues is None:
            continues = before.continues_provisionally if before else False
        v = replace(v, kind=kind, continues_provisionally=bool(continues))
        previous[v.series] = v
        out.append(v)
    return out


def _check_references(versions: list[PolicyVersion]) -> None:
    """Routing tables (in any source) may only name departments some source's reference table knows."""
    known: set[str] = set()
    for v in versions:
        spec = v.parameters.get("reference.departments")
        for ev in spec.values if spec else ():
            known |= set(ev.value)
    if not known:
        return
    for v in versions:
        where = v.source_file or v.id
        for m in MEASURES:
            spec = v.parameters.get(f"routing.departments.{m}")
            for dv in spec.values if spec else ():
                bad = [c for c in dv.value if c not in known]
                if bad:
                    raise _err(where, f"routing.departments.{m}: unknown department codes {bad}")
        spec = v.parameters.get("routing.sector_regulators")
        for sv in spec.values if spec else ():
            for occ, codes in sv.value.items():
                bad = [c for c in codes if c not in known]
                if bad:
                    raise _err(where, f"routing.sector_regulators.{occ}: unknown department codes {bad}")


def _policy_files(dirs: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    seen: set[Path] = set()
    for d in dirs:
        d = Path(d)
        if not d.is_dir():
            raise PolicyError(f"policy folder {d} does not exist")
        rd = d.resolve()
        if rd in seen:
            continue
        seen.add(rd)
        files.extend(sorted(rd.glob("*.toml")))
    return files


def load_policy(extra_dirs: Iterable[Path] = ()) -> Policy:
    """Load the bundled versions plus every ``*.toml`` in ``extra_dirs``, validating each file.

    Raises :class:`PolicyError` for a malformed file, an unknown measure id, dates out of order,
    a version id seen twice, or two versions whose validity periods overlap.
    """
    versions: dict[str, PolicyVersion] = {}
    for path in _policy_files([BUNDLED_DIR, *extra_dirs]):
        v = _parse_file(path)
        if v.id in versions:
            raise _err(path, f"version id {v.id!r} already loaded from {versions[v.id].source_file}")
        versions[v.id] = v
    resolved = _resolve_extends(versions)
    ordered = _inherit_within_series(sorted(resolved.values(), key=lambda v: v.valid_from))
    # Versions of one source replace each other; different sources are in force side by side.
    for series in dict.fromkeys(v.series for v in ordered):
        chain = [v for v in ordered if v.series == series]
        for prev, nxt in zip(chain, chain[1:], strict=False):
            if nxt.valid_from <= prev.valid_until:
                raise PolicyError(
                    f"policy versions of {series} overlap: {prev.id} ({prev.valid_from}..{_until(prev)}) and "
                    f"{nxt.id} ({nxt.valid_from}..{_until(nxt)})"
                )
    if len({v.series for v in ordered if v.kind == "municipal_measures"}) > 1:
        raise PolicyError("more than one series of municipal measures; a successor needs the same 'series'")
    _check_references(ordered)
    return Policy(ordered)


def _env_dirs(env_value: str | None) -> tuple[Path, ...]:
    if not env_value:
        return ()
    return tuple(Path(p) for p in env_value.split(os.pathsep) if p.strip())


_lock = threading.Lock()


@lru_cache(maxsize=8)
def _cached_policy(env_value: str | None) -> Policy:
    return load_policy(_env_dirs(env_value))


def get_policy() -> Policy:
    """The process-wide policy: bundled versions plus those in ``$NEWFORM_POLICY_DIR``.

    Cached per value of the environment variable; ``get_policy.cache_clear()`` forgets it.
    """
    with _lock:
        return _cached_policy(os.environ.get(ENV_VAR) or None)


get_policy.cache_clear = _cached_policy.cache_clear  # type: ignore[attr-defined]
