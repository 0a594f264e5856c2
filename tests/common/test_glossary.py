"""docs/glossary.md names every state type of every service with its exact words: a reader (or a
department's integrator) finds what `status = 'queued'` means without reading code."""

from __future__ import annotations

import enum
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

from newform_common import registry

GLOSSARY = Path(__file__).resolve().parents[2] / "docs" / "glossary.md"


def state_types() -> dict[str, list[str]]:
    """Every StrEnum defined in a service's models (the states of its aggregates)."""
    found: dict[str, list[str]] = {}
    for service in registry.installed():
        package = importlib.import_module(service.package)
        for module in pkgutil.walk_packages(package.__path__, f"{service.package}."):
            if not module.name.endswith("models"):
                continue
            for name, obj in vars(importlib.import_module(module.name)).items():
                if inspect.isclass(obj) and issubclass(obj, enum.StrEnum) and obj.__module__ == module.name:
                    found[name] = [member.value for member in obj]
    return found


def test_every_state_type_and_its_words_are_in_the_glossary():
    rows = {
        m.group(1): re.findall(r"`([a-z_]+)`", m.group(2))
        for m in re.finditer(r"^\| `(\w+)` \([a-z]+\) \| ([^|]+) \|", GLOSSARY.read_text(), re.M)
    }
    types = state_types()
    assert types, "no state types found: the walk is broken"
    missing = {name: words for name, words in types.items() if rows.get(name) != words}
    assert missing == {}, f"docs/glossary.md, States: add or correct {missing}"
