"""A PostgreSQL server and a Kafka broker that live only for a `with` block (benchmarks, tools)."""

from __future__ import annotations

import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .kafka import LocalKafka
from .ports import free_port
from .postgres import EmbeddedPostgres


@contextmanager
def throwaway_postgres(
    prefix: str = "newform-pg-", settings: dict[str, str] | None = None
) -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL server on a free loopback port in a new temporary folder, removed afterwards.

    The folder is made with tempfile, never under pytest's tmp root: pytest tightens
    /tmp/pytest-of-<user> to 0700 whenever a session starts, which would lock out the unprivileged
    user PostgreSQL runs as when we are root. `settings`: server parameters (`-c name=value`).
    """
    with _unwound_on_sigterm(), tempfile.TemporaryDirectory(prefix=prefix) as folder:
        postgres = EmbeddedPostgres(Path(folder) / "pg", port=free_port(), settings=settings)
        postgres.start()
        try:
            yield postgres
        finally:
            postgres.stop()


@contextmanager
def throwaway_servers(
    prefix: str = "newform-", postgres_settings: dict[str, str] | None = None
) -> Iterator[tuple[EmbeddedPostgres, LocalKafka]]:
    """Both servers on free loopback ports in a temporary folder, stopped and removed afterwards."""
    with (
        throwaway_postgres(prefix, postgres_settings) as postgres,
        tempfile.TemporaryDirectory(prefix=prefix) as folder,
    ):
        # Benchmarks write to ad-hoc topics: this broker creates them on first use.
        kafka = LocalKafka(Path(folder) / "kafka", port=free_port(), auto_create_topics=True)
        kafka.start()
        try:
            yield postgres, kafka
        finally:
            kafka.stop()


@contextmanager
def _unwound_on_sigterm() -> Iterator[None]:
    """`timeout`, a CI runner or a supervisor stops us with SIGTERM, which by default ends Python at
    once and leaves the servers running (each holds ~0.5 GB and its ports). Turned into SystemExit, it
    unwinds the `with` blocks and stops them. Only where nobody else handles SIGTERM."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return

    def leave(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
