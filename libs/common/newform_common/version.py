"""The project's version and checkout: what every published document states as its version."""

from __future__ import annotations

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
