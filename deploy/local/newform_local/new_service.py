"""`newform new-service NAME --port N`: a new service folder from the template, and its registry line.

The template (`service_template/`) holds the files every service has, wired to the kit; the
generated service starts, migrates, serves `/v1/findings` and passes its first test. Then the
service's own tables, rules, events and routes go into that folder — nothing outside it changes.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from newform_common import registry

from .ports import repo_root

TEMPLATE = Path(__file__).parent / "service_template"
NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
REGISTRY_FILE = Path(registry.__file__)


def create_service(name: str, port: int, summary: str, root: Path | None = None) -> list[Path]:
    """Write `services/<name>/` and `tests/<name>/` and add the registry line; returns the files written."""
    root = root or repo_root()
    if not NAME.match(name):
        raise ValueError("a service name is lower-case letters, digits and underscores, starting with a letter")
    if any(s.name == name for s in registry.SERVICES):
        raise ValueError(f"{name!r} is already in the registry")
    if any(s.port == port for s in registry.SERVICES):
        raise ValueError(f"port {port} is already taken by another service")
    targets = {
        "pkg": root / "services" / name / f"newform_{name}",
        "tests": root / "tests" / name,
        "": root / "services" / name,
    }
    if targets["pkg"].exists() or targets["tests"].exists():
        raise ValueError(f"services/{name} or tests/{name} already exists")
    values = {"name": name, "port": str(port), "summary": summary, "date": date.today().isoformat()}
    written = []
    for source in sorted(TEMPLATE.rglob("*.tmpl")):
        relative = source.relative_to(TEMPLATE)
        top = relative.parts[0] if len(relative.parts) > 1 else ""
        destination = targets[top].joinpath(*relative.parts[1 if top else 0 :]).with_suffix("")
        text = source.read_text()
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text)
        written.append(destination)
    (targets["pkg"] / "event_schemas").mkdir(exist_ok=True)
    add_registry_line(name, port, summary, root / REGISTRY_FILE.relative_to(repo_root()))
    return written


def add_registry_line(name: str, port: int, summary: str, registry_file: Path = REGISTRY_FILE) -> None:
    text = registry_file.read_text()
    marker = "\n)\n\n#: Secrets every service needs."
    if marker not in text:
        raise RuntimeError(f"cannot find the end of SERVICES in {registry_file}; add the line by hand")
    line = f'    ServiceSpec("{name}", {port}, {summary!r}),'
    registry_file.write_text(text.replace(marker, f"\n{line}{marker}", 1))
