"""Event wiring from the registry: what a service consumes is its registry line, nothing else.

For every topic `<source>.events` in the service's `consumes` (`registry.py`), the service's module
`newform_<service>/handlers.py` holds the batch handler `on_<source>_events(session, envelopes)`, and
the app factory runs one consumer for it:

- consumer group (and inbox name) `<service>-<source>` (`CONSUMER_GROUP_PREFIX` replaces `<service>`);
- topic from the settings field `<source>_topic` (environment `<SERVICE>_<SOURCE>_TOPIC`, default
  `<source>.events`), so a test or a deployment can point it elsewhere; a service reading its own
  topic (contracts) reads `settings.topic`;
- only the event types named with `@only(...)` on the handler, when it names any;
- at most one poll per `CONSUMER_COALESCE` seconds while events keep coming (`ConsumerRunner`'s
  `coalesce`): with every service running, each of these consumers polled, opened a transaction and
  committed offsets once per relay cycle of its source, a few events each (issue 25's full-stack
  profile). An event after a quiet spell is still handled at once.

Groups had other names before 0.3; `common_0005_consumer_groups` renames their inbox rows, so a
renamed group re-reading its topic from the start changes nothing it had handled.

The gateway's line consumes every topic (`ALL_TOPICS`); it wires its one projection consumer itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .consumer import BatchHandler, ConsumerRunner
from .db import Database
from .registry import ALL_TOPICS, ServiceSpec, spec
from .settings import ServiceSettings

H = TypeVar("H", bound=Callable[..., object])

#: Seconds between two polls of a registry consumer under load. Not the gateway's (it wires its own
#: consumer; the regulator's freshness, P2, is measured there): these services' reactions to another
#: service's facts may come 50 ms later, and cost a fraction of the CPU.
CONSUMER_COALESCE = 0.05


def only(*event_types: str) -> Callable[[H], H]:
    """The handler receives only these event types (the others are passed over before the inbox)."""

    def mark(handler: H) -> H:
        # A mark on the function object itself (read back with getattr); a callable type declares no such field.
        handler.event_types = tuple(event_types)  # type: ignore[attr-defined]
        return handler

    return mark


@dataclass(frozen=True)
class Subscription:
    source: str
    topic: str
    group: str
    handler: BatchHandler
    types: tuple[str, ...] | None


def source_of(topic: str) -> str:
    return topic.removesuffix(".events")


def handler_name(source: str) -> str:
    return f"on_{source}_events"


def topic_setting(settings: ServiceSettings, source: str) -> str:
    """The topic the settings name for a source (field `<source>_topic`), else `<source>.events`."""
    if source == settings.domain:
        return settings.topic
    return getattr(settings, f"{source}_topic", None) or f"{source}.events"


def topic_variable(service: str, source: str) -> str:
    """The environment variable that points a service at a source's topic."""
    return f"{service}_{source}_TOPIC".upper()


def subscriptions(settings: ServiceSettings, service: ServiceSpec | None = None) -> list[Subscription]:
    """The consumers a service runs, from its registry line and its `handlers` module."""
    service = service or spec(settings.domain)
    sources = [source_of(t) for t in service.consumes if t != ALL_TOPICS]
    if not sources:
        return []
    handlers = importlib.import_module(f"{service.package}.handlers")
    found = []
    for source in sources:
        handler = getattr(handlers, handler_name(source), None)
        if handler is None:
            raise LookupError(
                f"{service.package}.handlers has no {handler_name(source)}: the registry line of "
                f"{service.name!r} consumes {source}.events"
            )
        found.append(
            Subscription(
                source=source,
                topic=topic_setting(settings, source),
                group=f"{settings.consumer_group_prefix or settings.service_name}-{source}",
                handler=handler,
                types=getattr(handler, "event_types", None),
            )
        )
    return found


def consumers_from_registry(db: Database, settings: ServiceSettings) -> Sequence[ConsumerRunner]:
    """The app factory's default: one consumer runner per subscription."""
    if not settings.run_consumers:
        return []
    return [
        ConsumerRunner(
            db,
            settings.kafka_bootstrap_servers,
            group_id=s.group,
            topics=[s.topic],
            batch_handler=s.handler,
            types=s.types,
            max_attempts=settings.consumer_max_attempts,
            coalesce=CONSUMER_COALESCE,
        )
        for s in subscriptions(settings)
    ]
