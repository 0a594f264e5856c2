"""The parts of a new service's files that depend on its registry line (`new_service.py` puts them into
the template): the topic settings, the consumed models, the handlers, the registry line itself and
its CHANGELOG entry. Plain text out, formatted as `ruff format` would."""

from __future__ import annotations

import json
from pathlib import Path

from newform_common.wiring import topic_variable

#: Event types a consumer never reads from another service's topic: its findings go to the gateway.
NOT_CONSUMED = (".finding.raised.v1",)
UNRELEASED = "## Unreleased\n"
NOTHING_YET = "Nothing yet.\n"


def literal(text: str) -> str:
    """A double-quoted Python string literal (ruff's quote style)."""
    return json.dumps(text, ensure_ascii=False)


def topic_settings(name: str, sources: tuple[str, ...]) -> str:
    """A `<source>_topic` setting per consumed topic, its environment variable `<NAME>_<SOURCE>_TOPIC`."""
    return "".join(
        f'    {s}_topic: str = Field("{s}.events", validation_alias="{topic_variable(name, s)}")\n' for s in sources
    )


def class_name(event_type: str) -> str:
    """`contracts.worker.registered.v1` → `WorkerRegistered`."""
    return "".join(part.title().replace("_", "") for part in event_type.split(".")[1:-1])


def producer_types(root: Path, source: str) -> list[str]:
    """The event types `source` committed (`event_schemas/*.json`), findings left out."""
    folder = root / "services" / source / f"newform_{source}" / "event_schemas"
    types = sorted(p.name.removesuffix(".json") for p in folder.glob("*.json"))
    return [t for t in types if not t.endswith(NOT_CONSUMED)]


def consumed_models(root: Path, sources: tuple[str, ...]) -> str:
    """`consumed.py`'s body: a field-less model per event type of each consumed topic."""
    if not sources:
        return ""
    blocks, taken = [], set()
    for source in sources:
        for event_type in producer_types(root, source):
            name = class_name(event_type)
            if name in taken:
                name = source.title().replace("_", "") + name
            taken.add(name)
            blocks.append(
                f"@consumes({literal(event_type)})\nclass {name}(ConsumedEvent):\n"
                f'    """`{event_type}` (on `{source}.events`), no field read yet."""\n'
            )
    return "\nfrom newform_common.consumed import ConsumedEvent, consumes\n\n\n" + "\n\n".join(blocks)


HANDLER = '''
#: {source}.events: the use case (`service.py`) of each event type acted on; `consumed.py` has the models.
{table}: dict[str, UseCase] = {{}}


@only(*{table})
async def on_{source}_events(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """{source}.events, the types in {table} only: each event to its use case, in order."""
    for envelope in envelopes:
        await {table}[envelope.type](session, envelope)
'''

HANDLER_IMPORTS = """
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.events import Envelope
from newform_common.wiring import only

#: A use case of one consumed event, in the consumer's transaction (the inbox makes it once-only).
UseCase = Callable[[AsyncSession, Envelope], Awaitable[None]]
"""


def handlers(sources: tuple[str, ...]) -> str:
    """`handlers.py`'s body: `on_<source>_events` per consumed topic, dispatching through a table."""
    if not sources:
        return ""
    return HANDLER_IMPORTS + "\n".join(HANDLER.format(source=s, table=f"{s.upper()}_USE_CASES") for s in sources)


def registry_line(name: str, port: int, summary: str, consumes: tuple[str, ...]) -> str:
    """The `ServiceSpec(...)` entry of `registry.SERVICES`, as ruff formats the others."""
    lines = [f"        {literal(name)},", f"        {port},", f"        {literal(summary)},"]
    if consumes:
        topics = ", ".join(literal(f"{s}.events") for s in consumes)
        lines.append(f"        consumes=({topics}{',' if len(consumes) == 1 else ''}),")
    return "    ServiceSpec(\n" + "\n".join(lines) + "\n    ),"


def changelog_entry(text: str, name: str, port: int, regulator_view: bool) -> str:
    """The CHANGELOG with the new service under "## Unreleased" (and the gateway's new route, whose
    published document changes: `newform api check` asks for an entry naming the gateway)."""
    entry = f"- {name}: a new service (port {port}): its API (`api/openapi/{name}.json`), events `{name}.events`.\n"
    if regulator_view:
        entry += f"- gateway: `GET /v1/{name}/subjects`, each subject of {name}'s events with its latest event.\n"
    if UNRELEASED not in text:
        head, _, rest = text.partition("\n## ")
        return f"{head}\n{UNRELEASED}\n{entry}\n## {rest}" if rest else f"{text}\n{UNRELEASED}\n{entry}"
    head, _, rest = text.partition(UNRELEASED)
    body = rest.removeprefix("\n").removeprefix(NOTHING_YET)
    return f"{head}{UNRELEASED}\n{entry}{body}"
