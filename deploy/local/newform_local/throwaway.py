"""A PostgreSQL server and a Kafka broker that live only for a `with` block (benchmarks, tools)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .kafka import LocalKafka
from .ports import free_port
from .postgres import EmbeddedPostgres


@contextmanager
def throwaway_servers(prefix: str = "newform-") -> Iterator[tuple[EmbeddedPostgres, LocalKafka]]:
    """Both servers on free loopback ports in a temporary folder, stopped and removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        postgres = EmbeddedPostgres(Path(folder) / "pg", port=free_port())
        kafka = LocalKafka(Path(folder) / "kafka", port=free_port())
        postgres.start()
        try:
            kafka.start()
            try:
                yield postgres, kafka
            finally:
                kafka.stop()
        finally:
            postgres.stop()
