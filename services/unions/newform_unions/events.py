"""The events unions publishes on `unions.events` (committed schemas in event_schemas/).

Regenerate the committed schemas after adding a type or a version:
`python -m newform_unions.events` (tests/unions/test_events.py fails until they match).
"""

from __future__ import annotations

from pathlib import Path

from newform_common.events import write_event_schemas
from newform_common.findings import finding_event

#: A rule was found broken in a fact this service accepted.
FindingRaised = finding_event("unions")

SCHEMA_DIR = Path(__file__).parent / "event_schemas"

if __name__ == "__main__":
    for path in write_event_schemas("unions", SCHEMA_DIR):
        print(path)
