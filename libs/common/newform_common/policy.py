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

``MEASURES`` (``policy_model``) holds the measure ids the code knows (M1–M20) with their English short
titles; it is what parameter files are validated against. The Chinese and English titles are in
the measures' file (``[measures]``, :meth:`Policy.measure_titles`).
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from .policy_files import read_versions
from .policy_model import (
    KINDS,
    MEASURES,
    EffectiveValue,
    MeasuresStatus,
    Parameter,
    ParameterNotInForce,
    ParameterSpec,
    PolicyError,
    PolicyNotInForce,
    PolicyVersion,
    RuleBasis,
    _check_measure,
    _kind_rank,
    _until,
    statute_for,
)

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
        # The measures are plain dicts (policy_files builds them) behind a read-only annotation.
        return cast(dict[str, dict[str, str]], copy.deepcopy(dict(self.measures_status(on).version.measures)))

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


def load_policy(extra_dirs: Iterable[Path] = ()) -> Policy:
    """Load the bundled versions plus every ``*.toml`` in ``extra_dirs``, validating each file.

    Raises :class:`PolicyError` for a malformed file, an unknown measure id, dates out of order,
    a version id seen twice, or two versions whose validity periods overlap.
    """
    return Policy(read_versions([BUNDLED_DIR, *extra_dirs]))


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


# The lock-holding wrapper keeps lru_cache's `cache_clear` (tests call it); a function type has no such attribute.
get_policy.cache_clear = _cached_policy.cache_clear  # type: ignore[attr-defined]
