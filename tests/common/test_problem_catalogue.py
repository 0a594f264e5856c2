"""Every problem type the services send is catalogued, and the catalogue lists none nobody sends; the
catalogue is served at each type's URI (`GET /problems/{slug}`) and as JSON (`GET /problems`)."""

from __future__ import annotations

import re
from pathlib import Path

from newform_common import problem_types
from newform_common.errors import _HTTP_TITLES

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *sorted((ROOT / "libs" / "common" / "newform_common").rglob("*.py")),
    *sorted((ROOT / "services").glob("*/newform_*/**/*.py")),
]

# How the code names a problem type: a `slug=` argument or class attribute, and the few families built
# from another code (an OAuth error, a refusal's or a batch line's type, the decision a date belongs to).
PATTERNS = [
    re.compile(r'\bslug\s*=\s*"([a-z0-9-]+)"'),
    re.compile(r'\bslug,\s*title\s*=\s*\d+,\s*"([a-z0-9-]+)"'),
    re.compile(r'\bslug:\s*str\s*=\s*"([a-z0-9-]+)"'),
    re.compile(r'\bRefusal\(\s*"([a-z0-9-]+)"'),
]
DECISION_DAY = re.compile(r'_check_decision_day\([^)]*"([a-z]+)_[a-z_]+"\)')
LINE_TYPE = re.compile(r'\bLineError\([^)]*\btype="([a-z0-9-]+)"', re.S)


def used_slugs() -> dict[str, set[str]]:
    """slug → the files that send it."""
    used: dict[str, set[str]] = {}

    def add(slug: str, path: Path) -> None:
        used.setdefault(slug, set()).add(str(path.relative_to(ROOT)))

    for path in SOURCES:
        text = path.read_text()
        for pattern in PATTERNS:
            for slug in pattern.findall(text):
                add(slug, path)
        for what in DECISION_DAY.findall(text):
            add(f"{what}-before-received", path)
        # a batch's first bad line is the single write's problem (wages and departments take batches)
        if {"newform_wages", "newform_departments"} & set(path.parts):
            for slug in LINE_TYPE.findall(text):
                add(slug, path)
    errors = ROOT / "libs" / "common" / "newform_common" / "errors.py"
    for title in [*_HTTP_TITLES.values(), "Error"]:  # HTTP errors raised by the framework (405, 406, 413, …)
        add(title.lower().replace(" ", "-"), errors)
    return used


def test_every_problem_type_sent_is_catalogued_and_none_is_listed_unused():
    used = used_slugs()
    missing = sorted(set(used) - set(problem_types.CATALOGUE))
    assert not missing, f"problem types sent but not catalogued: {[(s, sorted(used[s])) for s in missing]}"
    unused = sorted(set(problem_types.CATALOGUE) - set(used))
    assert not unused, f"catalogued problem types nobody sends: {unused}"


def test_every_entry_is_complete():
    for slug, entry in problem_types.CATALOGUE.items():
        assert entry.slug == slug
        assert 400 <= entry.status <= 599, slug
        assert entry.title and entry.title_zh and entry.description, slug
        assert re.search(r"[\u4e00-\u9fff]", entry.title_zh), slug
