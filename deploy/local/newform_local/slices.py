"""The gateway's list of source slices, as `newform new-service --regulator-view` extends it.

The gateway builds `PROJECTIONS` and its routers from one list of slices (`newform_gateway/slices.py`).
While that list is written out by hand, a new slice needs its line there: `add_slice` adds it (an
edit the generator makes, docs/adding-a-service.md says so). A list discovered with
`pkgutil.iter_modules` needs none.
"""

from __future__ import annotations

from pathlib import Path

SLICES_MODULE = "slices.py"
DISCOVERED = "iter_modules"


def add_slice(gateway: Path, name: str) -> list[Path]:
    """Add `name` to the gateway's slice list; returns the files changed (none when slices are discovered)."""
    path = gateway / SLICES_MODULE
    if not path.exists():
        return []
    text = path.read_text()
    if DISCOVERED in text:
        return []
    raise NotImplementedError("TODO: the gateway's slice list format")
