"""The project's version and checkout: what every published document states as its version, and
where a checkout keeps its local data (keys, the embedded servers' folders)."""

from __future__ import annotations

import os
import tomllib
from importlib import metadata
from pathlib import Path

PROJECT_ROOT_MARKER = "pyproject.toml"


def repo_root() -> Path | None:
    """The checkout this library runs from, if any (an installed image has none)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / PROJECT_ROOT_MARKER).exists() and (parent / "libs" / "common").is_dir():
            return parent
    return None


def project_version() -> str:
    """The project's version: pyproject.toml in a checkout (so a bump counts before reinstalling),
    else the installed distribution's."""
    root = repo_root()
    if root is not None:
        version: str = tomllib.loads((root / PROJECT_ROOT_MARKER).read_text())["project"]["version"]
        return version
    return metadata.version("newform")


def data_dir() -> Path:
    """Where a checkout keeps its local data: `NEWFORM_DATA_DIR`, else `.data` in the checkout (or in
    the working directory where there is no checkout)."""
    return Path(os.environ.get("NEWFORM_DATA_DIR") or (repo_root() or Path.cwd()) / ".data")
