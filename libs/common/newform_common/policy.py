"""The policy as data: versioned, effective-dated parameters, each citing its measure (M1–M20).

Every policy version is one TOML file (format: ``policy_versions/README.md``). The bundled folder
``newform_common/policy_versions`` is always loaded; more folders can be given to
:func:`load_policy` (``extra_dirs``) or, for :func:`get_policy`, in the environment variable
``NEWFORM_POLICY_DIR`` (one or several folders separated by ``os.pathsep``). A successor policy is
just another file: no code change.

Code asks "the value of X on date D"::

    policy = get_policy()
    policy.value("pay.minimum_wage.monthly_fen", date(2024, 6, 1))   # -> 188000

The version in force on D is the one whose ``valid_from <= D <= valid_until`` (both inclusive);
within it, the value in force is the one with the latest ``effective_from <= D``. A date is a
:class:`datetime.date` (a business date, Asia/Shanghai) or a timezone-aware
:class:`datetime.datetime`, which is first converted to its Asia/Shanghai date; naive datetimes
are rejected with :class:`ValueError`.

``MEASURES`` (below) holds the measure ids the code knows (M1–M20) with their English short
titles; it is what parameter files are validated against. The per-version Chinese and English
titles are in each file's ``[measures]`` table (:meth:`Policy.measure_titles`).
"""

from __future__ import annotations

import copy
import os
import re
import threading
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "BUNDLED_DIR",
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
    "get_policy",
    "load_policy",
]

#: Folder of the policy versions shipped with the package.
BUNDLED_DIR = Path(__file__).resolve().parent / "policy_versions"
#: Environment variable naming extra folders of policy versions (``os.pathsep``-separated).
ENV_VAR = "NEWFORM_POLICY_DIR"
#: Business dates are Asia/Shanghai dates. China has had no daylight saving since 1991, so a fixed
#: +08:00 offset is exact for every date this system handles and needs no tz database.
BUSINESS_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

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


def business_date(on: date | datetime) -> date:
    """The Asia/Shanghai business date of ``on``; naive datetimes raise :class:`ValueError`."""
    if isinstance(on, datetime):
        if on.tzinfo is None or on.tzinfo.utcoffset(on) is None:
            raise ValueError(f"naive datetime {on.isoformat()} is ambiguous; give a timezone-aware datetime")
        return on.astimezone(BUSINESS_TZ).date()
    if isinstance(on, date):
        return on
    raise TypeError(f"expected a date or an aware datetime, got {type(on).__name__}")


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

    def in_force(self, on: date, version: str) -> Parameter:
        chosen: EffectiveValue | None = None
        for ev in self.values:
            if ev.effective_from <= on:
                chosen = ev
            else:
                break
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
    source_file: str = field(default="", compare=False)
    measures: Mapping[str, Mapping[str, str]] = field(default_factory=dict, compare=False, repr=False)
    parameters: Mapping[str, ParameterSpec] = field(default_factory=dict, compare=False, repr=False)

    def covers(self, on: date) -> bool:
        return self.valid_from <= on <= self.valid_until


class Policy:
    """All loaded policy versions; answers "the value of X on date D"."""

    def __init__(self, versions: Iterable[PolicyVersion]):
        self._versions = sorted(versions, key=lambda v: v.valid_from)
        if not self._versions:
            raise PolicyError("no policy version loaded")

    # -- versions ------------------------------------------------------------------------------
    def versions(self) -> list[PolicyVersion]:
        """All versions, oldest first."""
        return list(self._versions)

    def version_on(self, on: date | datetime) -> PolicyVersion:
        d = business_date(on)
        for v in self._versions:
            if v.covers(d):
                return v
        spans = ", ".join(f"{v.id} {v.valid_from}..{v.valid_until}" for v in self._versions)
        raise PolicyNotInForce(f"no policy version in force on {d.isoformat()} (loaded: {spans})", on=d,
                               predates=bool(self._versions) and d < self._versions[0].valid_from)

    # -- parameters ----------------------------------------------------------------------------
    def parameter(self, name: str, on: date | datetime) -> Parameter:
        version = self.version_on(on)
        spec = version.parameters.get(name)
        if spec is None:
            raise KeyError(f"unknown policy parameter {name!r} in policy version {version.id!r}")
        return spec.in_force(business_date(on), version.id)

    def value(self, name: str, on: date | datetime) -> Any:
        """The value of ``name`` in force on ``on`` (a copy: mutating it changes nothing)."""
        return self.parameter(name, on).value

    def names(self, on: date | datetime) -> list[str]:
        """Every parameter name of the version in force on ``on``."""
        return sorted(self.version_on(on).parameters)

    # -- measures and routing ------------------------------------------------------------------
    def measure_titles(self, on: date | datetime) -> dict[str, dict[str, str]]:
        """Measure id -> ``{"zh": ..., "en": ...}`` of the version in force."""
        return copy.deepcopy(dict(self.version_on(on).measures))

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
        raise _err(path, f"{where}: dates and times are not allowed as values (use strings, e.g. \"22:00\")")
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
    valid_from = _require(head, "valid_from", date, "[version]", path)
    valid_until = _require(head, "valid_until", date, "[version]", path)
    if valid_until < valid_from:
        raise _err(path, "[version]: valid_until is before valid_from")
    extends = head.get("extends")
    if extends is not None and not isinstance(extends, str):
        raise _err(path, "[version]: 'extends' must be a version id")

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
        merged = replace(
            v, measures={**base.measures, **v.measures}, parameters={**base.parameters, **v.parameters}
        )
        resolved[vid] = merged
        return merged

    for vid in versions:
        resolve(vid, (vid,))
    return resolved


def _check_references(v: PolicyVersion) -> None:
    """Routing tables may only name known departments and occupations."""
    where = v.source_file or v.id
    if "reference.departments" not in v.parameters:
        return
    for ev in v.parameters["reference.departments"].values:
        known = set(ev.value)
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
    ordered = sorted(resolved.values(), key=lambda v: v.valid_from)
    for prev, nxt in zip(ordered, ordered[1:], strict=False):
        if nxt.valid_from <= prev.valid_until:
            raise PolicyError(
                f"policy versions overlap: {prev.id} ({prev.valid_from}..{prev.valid_until}) and "
                f"{nxt.id} ({nxt.valid_from}..{nxt.valid_until})"
            )
    for v in ordered:
        _check_references(v)
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
