"""Every case of shared/legal/cases.md is a test here, one per case id (`test_<ID>_…`)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .oracle import CASES_FILE as ORACLE_FILE

HERE = Path(__file__).parent
CASES_FILE = ORACLE_FILE


def case_ids() -> list[str]:
    return re.findall(r"^\| ((?:CAL|W|K|D|T|V|X)-\d+) \|", CASES_FILE.read_text(encoding="utf-8"), re.M)


def case_tests() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in HERE.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                m = re.match(r"test_((?:CAL|W|K|D|T|V|X)_\d+)(?:_|$)", node.name)
                if m:
                    case = m.group(1).replace("_", "-")
                    assert case not in found, f"{case} has two tests: {found[case]} and {path.name}::{node.name}"
                    found[case] = f"{path.name}::{node.name}"
    return found


def test_every_case_has_exactly_one_test():
    assert CASES_FILE.exists(), f"{CASES_FILE} (shared/ beside the checkout) is the oracle"
    ids = case_ids()
    assert len(ids) >= 40 and len(set(ids)) == len(ids)
    tests = case_tests()
    assert sorted(set(ids) - set(tests)) == [], "cases without a test"
    assert sorted(set(tests) - set(ids)) == [], "tests named for cases that do not exist"
