"""Kafka clients configured the one way the project uses them."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from aiokafka.helpers import create_ssl_context

log = logging.getLogger(__name__)


def security_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """How every client of ours authenticates to the brokers, from the environment (none locally).

    `KAFKA_SECURITY_PROTOCOL` (PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL), `KAFKA_SASL_MECHANISM`
    (SCRAM-SHA-512 on the Strimzi cluster deploy/k8s generates), `KAFKA_SASL_USERNAME`,
    `KAFKA_SASL_PASSWORD_FILE` (a mounted secret; `KAFKA_SASL_PASSWORD` in development) and
    `KAFKA_SSL_CAFILE` (the cluster CA). Every producer, consumer and admin client gets the same options,
    so a service cannot reach the cluster one way and its dead letters another."""
    env = os.environ if environ is None else environ
    protocol = env.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").upper()
    if protocol not in ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"):
        raise ValueError(f"KAFKA_SECURITY_PROTOCOL {protocol!r} is not PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
    options: dict[str, Any] = {}
    if protocol == "PLAINTEXT":
        return options
    options["security_protocol"] = protocol
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = create_ssl_context(cafile=env.get("KAFKA_SSL_CAFILE") or None)
    if protocol.startswith("SASL"):
        password = env.get("KAFKA_SASL_PASSWORD")
        if env.get("KAFKA_SASL_PASSWORD_FILE"):
            with open(env["KAFKA_SASL_PASSWORD_FILE"], encoding="utf-8") as f:
                password = f.read().strip()
        if not env.get("KAFKA_SASL_USERNAME") or not password:
            raise ValueError(f"{protocol} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD_FILE")
        options.update(
            sasl_mechanism=env.get("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
            sasl_plain_username=env["KAFKA_SASL_USERNAME"],
            sasl_plain_password=password,
        )
    return options


def make_admin(bootstrap_servers: str, *, client_id: str, **kw: Any) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id=client_id, **security_options(), **kw)


def make_producer(bootstrap_servers: str, *, client_id: str) -> AIOKafkaProducer:
    # Idempotent and acks=all: a retried send never duplicates or reorders within a partition.
    return AIOKafkaProducer(
        **security_options(),
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        # No linger: our producers hand over whole batches (the relay appends its batch before the
        # sender task runs, so the records still travel together); a linger would only delay each
        # batch's last records, on the freshness path.
        linger_ms=0,
        request_timeout_ms=15000,
        retry_backoff_ms=200,
    )


def make_consumer(bootstrap_servers: str, *, group_id: str, client_id: str, **kw: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        **security_options(),
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,  # offsets are committed only after the database commit
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        metadata_max_age_ms=5000,  # pattern subscriptions notice a new service's topic quickly
        # A partition whose records are still buffered is left out of the next fetch, and the broker
        # holds that fetch up to this long waiting for the *other* partitions: the default 500 ms
        # became the freshness tail and 2-event batches in a bulk intake. 50 ms bounds both.
        fetch_max_wait_ms=50,
        # Bulk events (a wages chunk of 1,000 lines is ~0.5 MB) fit several to a fetch; the response
        # stays bounded by fetch_max_bytes (50 MB) whatever the number of partitions.
        max_partition_fetch_bytes=4 * 1024 * 1024,
        **kw,
    )


@dataclass(frozen=True)
class TopicLayout:
    """How a service's topics are laid out on the cluster: partitions, replicas, in-sync minimum.

    Read from `KAFKA_TOPIC_PARTITIONS` (3), `KAFKA_REPLICATION_FACTOR` (1: one local broker) and
    `KAFKA_MIN_INSYNC_REPLICAS` (default: 2 when there are 3 or more replicas, else 1, so that an
    `acks=all` write survives one broker down and is refused rather than kept on one copy).
    """

    partitions: int = 3
    replication_factor: int = 1
    min_insync_replicas: int | None = None

    def __post_init__(self) -> None:
        if self.partitions < 1 or self.replication_factor < 1:
            raise ValueError("partitions and replication factor must be at least 1")
        min_isr = self.min_insync_replicas
        if min_isr is None:
            min_isr = 2 if self.replication_factor >= 3 else 1
            object.__setattr__(self, "min_insync_replicas", min_isr)
        if not 1 <= min_isr <= self.replication_factor:
            raise ValueError("min.insync.replicas must be between 1 and the replication factor")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TopicLayout:
        env = os.environ if environ is None else environ
        min_isr = env.get("KAFKA_MIN_INSYNC_REPLICAS")
        return cls(
            partitions=int(env.get("KAFKA_TOPIC_PARTITIONS", "3")),
            replication_factor=int(env.get("KAFKA_REPLICATION_FACTOR", "1")),
            min_insync_replicas=int(min_isr) if min_isr else None,
        )

    def topic_configs(self) -> dict[str, str]:
        return {"min.insync.replicas": str(self.min_insync_replicas)}


async def ensure_topics(
    bootstrap_servers: str,
    topics: Iterable[str],
    *,
    partitions: int | None = None,
    layout: TopicLayout | None = None,
    timeout: float = 30.0,
) -> list[str]:
    """Create the topics that do not exist yet, with `layout` (default: from the environment).

    Idempotent: an existing topic is left as it is (its partitions are never raised here, because
    that would move keys to other partitions and break per-key order). Returns the topics created.
    Clusters run with auto-creation off, so every topic is created here, before anything is written.
    """
    layout = layout or TopicLayout.from_env()
    if partitions is not None:
        layout = TopicLayout(partitions, layout.replication_factor, layout.min_insync_replicas)
    admin = make_admin(bootstrap_servers, client_id="newform-admin", request_timeout_ms=int(timeout * 1000))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = list(dict.fromkeys(t for t in topics if t not in existing))
        if not missing:
            return []
        response = await admin.create_topics(
            [
                NewTopic(t, layout.partitions, layout.replication_factor, topic_configs=layout.topic_configs())
                for t in missing
            ],
            timeout_ms=int(timeout * 1000),
        )
        created = []
        for topic, code, *rest in response.topic_errors:
            if code == 0:
                created.append(topic)
            elif code != TopicAlreadyExistsError.errno:  # another instance created it first: fine
                message = rest[0] if rest else ""
                raise for_code(code)(f"creating topic {topic!r} failed: {message}")
        await _wait_until_led(admin, missing, layout.partitions, timeout)
        return created
    finally:
        await admin.close()


async def _wait_until_led(admin: AIOKafkaAdminClient, topics: list[str], partitions: int, timeout: float) -> None:
    """Wait until every partition of `topics` has a leader in the metadata, so a caller may write
    (or describe them) at once; creation returns before every broker has learnt of the topics."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        described = {t["topic"]: t for t in await admin.describe_topics(topics)}
        if all(
            t in described
            and described[t]["error_code"] == 0
            and len(described[t]["partitions"]) >= partitions
            and all(p["leader"] >= 0 for p in described[t]["partitions"])
            for t in topics
        ):
            return
        if asyncio.get_running_loop().time() >= deadline:
            raise TimeoutError(f"topics {topics} have no leaders after {timeout:.0f} s")
        await asyncio.sleep(0.2)


async def kafka_reachable(bootstrap_servers: str, timeout: float = 2.0) -> bool:
    """Whether any bootstrap server accepts a TCP connection (cheap enough for a probe)."""
    for server in bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host or "127.0.0.1", int(port)), timeout)
            writer.close()
            return True
        except (OSError, TimeoutError, ValueError):
            continue
    return False
