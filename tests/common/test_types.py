"""The type checker: strict over the kit and every service's rules (pyproject.toml `[tool.mypy]`), the
same command as `make lint`, so that the suite fails on a type error too. mypy's cache is .data/mypy:
from a fresh clone about 12 s of CPU (23 s on a busy machine), two seconds once warm."""

import subprocess
import sys
import tomllib
from pathlib import Path

from mypy.main import process_options

ROOT = Path(__file__).resolve().parents[2]


def test_the_kit_and_the_rules_type_check_strictly() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=280, check=False
    )
    assert run.returncode == 0, f"mypy (as `make lint` runs it) found errors:\n{run.stdout}{run.stderr}"


def test_the_strict_section_is_mypys_strict(tmp_path: Path) -> None:
    """The config spells `--strict` out flag by flag (a per-module `strict = true` would make every
    module strict): a mypy upgrade that adds a flag to `--strict` shows here."""
    empty = tmp_path / "mypy.ini"
    empty.write_text("[mypy]\n")
    _, plain = process_options(["--config-file", str(empty), "-c", "pass"])
    _, strict = process_options(["--strict", "--config-file", str(empty), "-c", "pass"])
    names = [n for n in dir(plain) if not n.startswith("_") and not callable(getattr(plain, n))]
    enabled = {n: getattr(strict, n) for n in names if getattr(plain, n) != getattr(strict, n)}

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    (section,) = [o for o in config["overrides"] if "newform_common.*" in o["module"]]
    spelled = {k: v for k, v in [*config.items(), *section.items()] if k in enabled}

    assert spelled == enabled, f"--strict enables {enabled}; pyproject.toml sets {spelled}"
