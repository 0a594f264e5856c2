"""The policy files' format (``policy_versions/README.md``): reading and validating every ``*.toml`` of
the policy folders into versions, resolving ``extends`` and inheritance within a series, and the
checks across versions (no overlap within a series, one series of municipal measures, references)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from .policy_model import (
    KINDS,
    MEASURES,
    OPEN_ENDED,
    EffectiveValue,
    ParameterSpec,
    PolicyError,
    PolicyVersion,
    _until,
)

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


def read_versions(dirs: Iterable[Path]) -> list[PolicyVersion]:
    """Every version in the folders' ``*.toml`` files, validated, extensions resolved, ordered by start."""
    versions: dict[str, PolicyVersion] = {}
    for path in _policy_files(dirs):
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
    return ordered
