"""The whole system on one machine: PostgreSQL, Kafka and every service that exists.

`newform dev` (and so `make run`) calls `running.run_stack`. Data lives in one folder (`.data/` by default)
so a second start finds the same databases, topics and keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from newform_common import registry
from newform_common.kafka import TopicLayout, ensure_topics
from newform_common.settings import database_url_for
from newform_common.version import data_dir

from .balancer import Balancer
from .demo import DemoSeed, SeedError
from .kafka import LocalKafka, LocalKafkaCluster
from .keys import Keys
from .ports import free_port, port_is_open
from .postgres import EmbeddedPostgres
from .stack_idp import DEFAULT_PORT as IDP_PORT
from .stack_idp import StackIdentityProvider

log = logging.getLogger("newform.stack")

DEMO_PLATFORM = "demo-platform"


def installed_services() -> list[str]:
    """Registered services whose package exists in this checkout (the registry decides)."""
    return registry.installed_names()


def default_data_dir() -> Path:
    return data_dir()


class StackFailure(RuntimeError):
    """Something the stack cannot carry on without (e.g. PostgreSQL will not come back)."""


@dataclass
class Instance:
    """One running copy of a service (its replica number counts from 1)."""

    service: str
    replica: int
    port: int
    log_file: Path
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = 0.0
    restart_at: float | None = None

    @property
    def label(self) -> str:
        return self.service if self.replica == 0 else f"{self.service}#{self.replica}"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class Stack:
    data_dir: Path
    pg_port: int = 5432
    kafka_port: int = 9092
    services: list[str] = field(default_factory=installed_services)
    host: str = "127.0.0.1"
    port_offset: int = 0  # shifts every service port (tests run a stack beside a `make run` one)
    #: Kafka nodes: 1 (one broker) or 3 (a KRaft cluster on kafka_port, kafka_port+1, kafka_port+2).
    kafka_brokers: int = 1
    #: Instances per service (default 1); with more than one, a balancer holds the service's port.
    replicas: dict[str, int] = field(default_factory=dict)
    #: The identity provider (Keycloak; needs Java 21+). `newform dev` turns it on unless `--no-idp`;
    #: off (the fault suite's stacks), services trust only the local token issuer.
    idp: bool = False
    idp_port: int = IDP_PORT

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        self.keys = Keys(self.data_dir / "keys")
        self.postgres = EmbeddedPostgres(self.data_dir / "postgres", port=self.pg_port, host=self.host)
        if self.kafka_brokers == 1:
            self.kafka: LocalKafka | LocalKafkaCluster = LocalKafka(
                self.data_dir / "kafka", port=self.kafka_port, host=self.host
            )
        else:
            # Its own folder: a single broker's data cannot join a cluster (another cluster id).
            self.kafka = LocalKafkaCluster(
                self.data_dir / f"kafka-cluster-{self.kafka_brokers}",
                [self.kafka_port + i for i in range(self.kafka_brokers)],
                host=self.host,
            )
        # The stack's own defaults (replication as wide as the cluster, up to 3); the environment wins.
        self.topic_layout = TopicLayout.from_env(
            {"KAFKA_REPLICATION_FACTOR": str(min(3, self.kafka_brokers)), **os.environ}
        )
        self.instances: dict[str, Instance] = {}
        self.balancers: list[Balancer] = []
        self.identity_provider = (
            StackIdentityProvider(
                self.data_dir / "keycloak", self.keys.folder, self.postgres, self.host, self.idp_port + self.port_offset
            )
            if self.idp
            else None
        )

    @property
    def kafka_nodes(self) -> list[LocalKafka]:
        return self.kafka.nodes if isinstance(self.kafka, LocalKafkaCluster) else [self.kafka]

    @property
    def kafka_ports(self) -> list[int]:
        return [node.port for node in self.kafka_nodes]

    @property
    def logs(self) -> Path:
        return self.data_dir / "logs"

    def port(self, service: str) -> int:
        return registry.spec(service).port + self.port_offset

    def replicas_of(self, service: str) -> int:
        return max(1, self.replicas.get(service, self.replicas.get("*", 1)))

    def service_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.postgres.url("postgres"),
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "KAFKA_TOPIC_PARTITIONS": str(self.topic_layout.partitions),
            "KAFKA_REPLICATION_FACTOR": str(self.topic_layout.replication_factor),
            "KAFKA_MIN_INSYNC_REPLICAS": str(self.topic_layout.min_insync_replicas),
            "JWT_PUBLIC_KEY_FILE": str(self.keys.token_public),
            "PII_SECRET": self.keys.pii_secret.read_text().strip(),
            "CONTRACTS_SIGNING_KEY_FILE": str(self.keys.seal_private),
            "CREDIT_EXPORT_SIGNING_KEY_FILE": str(self.keys.credit_export_private),
            # The gateway issues client-credentials tokens with the dev signing key (POST /oauth/token).
            "TOKEN_SIGNING_KEY_FILE": str(self.keys.token_private),
            "GATEWAY_CLIENTS_FILE": str(self.keys.clients),
            **(self.identity_provider.env() if self.identity_provider else {}),
            **self.service_urls(),
        }

    def service_urls(self) -> dict[str, str]:
        """Where the services are (the gateway's pass-through for the workers' app, every service's
        link to that app): the registry's ports move with `--port-offset`."""
        urls = {f"{name.upper()}_URL": f"http://{self.host}:{self.port(name)}" for name in self.services}
        if "gateway" in self.services:
            urls["WORKER_APP_URL"] = f"http://{self.host}:{self.port('gateway')}/app/"
        return urls

    def check_ports_free(self) -> None:
        wanted = {
            "PostgreSQL": self.pg_port,
            **{f"Kafka node {i}": port for i, port in enumerate(self.kafka_ports, start=1)},
            **{name: self.port(name) for name in self.services},
        }
        busy = [
            f"{what} ({self.host}:{port})"
            for what, port in wanted.items()
            if port_is_open(self.host, port) and not self._ours(what)
        ]
        if busy:
            raise SystemExit(f"ports already in use: {', '.join(busy)} — is another `make run` still going?")
        if self.identity_provider is not None:
            try:
                self.identity_provider.check_java()
            except RuntimeError as exc:
                raise SystemExit(f"newform: {exc}") from exc
            moved = self.identity_provider.choose_port()
            if moved:
                say(moved)

    def _ours(self, what: str) -> bool:
        # A server left running on our own data folder is adopted rather than reported busy.
        if what == "PostgreSQL":
            return self.postgres.is_running()
        if what.startswith("Kafka node "):
            return self.kafka_nodes[int(what.rsplit(" ", 1)[1]) - 1].is_running()
        return False

    def start_infrastructure(self) -> None:
        self.keys.ensure()
        say(f"PostgreSQL 16 on {self.host}:{self.pg_port} (data {self.postgres.data_dir})")
        self.postgres.start()
        if self.identity_provider is not None:
            say(f"Keycloak on {self.identity_provider.server.base_url} (data {self.identity_provider.server.data_dir})")
            self.identity_provider.launch()
        if isinstance(self.kafka, LocalKafkaCluster):
            say(
                f"Kafka cluster of {self.kafka_brokers} KRaft nodes on {self.kafka.bootstrap_servers} "
                f"(data {self.kafka.data_dir})"
            )
        else:
            say(f"Kafka on {self.kafka.bootstrap_servers} (data {self.kafka.data_dir})")
        self.kafka.start()

    def provision_topics(self) -> list[str]:
        """Every installed service's topic and DLQ, before anything is written (auto-creation is off)."""
        topics = registry.topics()
        created = _run_async(ensure_topics(self.kafka.bootstrap_servers, topics, layout=self.topic_layout))
        layout = self.topic_layout
        say(
            f"topics {', '.join(topics)}: {layout.partitions} partitions, replication factor "
            f"{layout.replication_factor}, min.insync.replicas {layout.min_insync_replicas}"
            + (f" ({len(created)} created)" if created else " (all there)")
        )
        return created

    def migrate(self) -> None:
        """Imported here because alembic (through `newform_common.migrations`) takes about a second to
        load, and this module is loaded by every `newform` command (`newform --help` stays quick)."""
        from newform_common.migrations import upgrade

        env = self.service_env()
        for name in self.services:
            self.postgres.create_database(f"newform_{name}")
            upgrade(f"newform_{name}", database_url_for(name, env))

    def start_services(self, timeout: float = 120) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for name in self.services:
            count = self.replicas_of(name)
            if count == 1:
                self.instances[name] = Instance(name, 0, self.port(name), self.logs / f"{name}.log")
                continue
            backends = []
            for replica in range(1, count + 1):
                instance = Instance(name, replica, free_port(self.host), self.logs / f"{name}-{replica}.log")
                self.instances[instance.label] = instance
                backends.append((self.host, instance.port))
            self.balancers.append(Balancer(name, self.host, self.port(name), backends))
        env = self.service_env()
        for instance in self.instances.values():
            self.spawn(instance, env)
        for balancer in self.balancers:
            balancer.start()
        deadline = time.monotonic() + timeout
        for instance in self.instances.values():
            self._wait_ready(instance, deadline)

    def spawn(self, instance: Instance, env: dict[str, str] | None = None) -> None:
        out = open(instance.log_file, "ab")  # noqa: SIM115 — owned by the child for its lifetime
        try:
            instance.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    f"newform_{instance.service}.main:create_app",
                    "--factory",
                    "--host",
                    self.host,
                    "--port",
                    str(instance.port),
                    "--no-access-log",
                    "--loop",
                    "uvloop",
                    "--http",
                    "httptools",
                    "--timeout-graceful-shutdown",
                    "5",
                ],
                env=env or self.service_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            out.close()
        instance.started_at = time.monotonic()
        instance.restart_at = None

    def _wait_ready(self, instance: Instance, deadline: float) -> None:
        url = f"http://{self.host}:{instance.port}/readyz"
        while time.monotonic() < deadline:
            if not instance.alive():
                raise SystemExit(
                    f"{instance.label} exited at start-up; its log ({instance.log_file}) ends with:\n"
                    f"{_tail(instance.log_file)}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise SystemExit(f"{instance.label} was not ready within the time allowed; see {instance.log_file}")

    def wait_identity_provider(self) -> None:
        """Keycloak got ready meanwhile (its first start imports the realm: about a minute here)."""
        if self.identity_provider is not None:
            self.identity_provider.wait_ready()

    def seed_demo(self) -> str | None:
        """The demo world (`demo.DemoSeed`: the demo platform, its workers' contracts, pay, a union, a
        notice), idempotently, once the services are ready; a failure is a warning, not the end."""
        if "contracts" not in self.services:
            return None
        urls = {name: f"http://{self.host}:{self.port(name)}" for name in self.services}
        started = time.monotonic()
        try:
            done = DemoSeed(urls, self.keys, DEMO_PLATFORM).run()
        except (SeedError, KeyError, TypeError, ValueError) as exc:  # refused, or an answer of another shape
            say(f"warning: demo data not (all) seeded: {exc}")
            return DEMO_PLATFORM
        took = time.monotonic() - started
        say(f"demo data ({took:.1f} s): " + ("seeded" if done else "all there already"))
        for line in done:
            print(f"  {line}", flush=True)
        return DEMO_PLATFORM

    def stop(self) -> None:
        """Services, then Kafka, then PostgreSQL; bounded (about 25 s at worst) so a supervisor's
        SIGTERM never has to escalate."""
        for balancer in self.balancers:
            balancer.stop()
        self.balancers.clear()
        running = [i.proc for i in self.instances.values() if i.alive()]
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self.instances.clear()
        if self.identity_provider is not None:
            self.identity_provider.stop()
        self.kafka.stop(timeout=10)
        self.postgres.stop()


class Supervisor:
    """Keeps the stack running: restarts a service instance that died, with back-off, and says so;
    notices PostgreSQL or a Kafka node going down and coming back.

    A dead service is restarted after 1 s, then 2, 4 … up to 30 s while it keeps dying soon after
    starting (a crash loop must not spin the machine); a run of a minute resets the delay.
    PostgreSQL or a Kafka node that dies is restarted too when ``restart_infrastructure`` (what
    `newform dev` does: a developer's database killed by the OOM killer should not end the
    session; services reconnect by themselves, and writes wait in the outbox while Kafka is away).
    If it will not start again three times running, the stack stops and says why. Fault tests
    turn restarting off, stop and start servers themselves and only read the reports.
    """

    FIRST_DELAY = 1.0
    MAX_DELAY = 30.0
    STABLE_AFTER = 60.0
    INFRA_ATTEMPTS = 3

    def __init__(self, stack: Stack, *, restart_infrastructure: bool = True, report=None):
        self.stack = stack
        self.restart_infrastructure = restart_infrastructure
        self.report = report or say
        self.down: dict[str, float] = {}  # infrastructure part -> when it went down
        self.infra_failures: dict[str, int] = {}
        self.restarting: dict[str, threading.Thread] = {}
        self.restart_errors: dict[str, Exception] = {}
        self.retry_at: dict[str, float] = {}
        self.restarts = 0

    def tick(self) -> None:
        self._check_services()
        self._check_infrastructure()

    def _check_services(self) -> None:
        now = time.monotonic()
        for instance in self.stack.instances.values():
            if instance.alive():
                continue
            if instance.restart_at is None:
                ran = now - instance.started_at
                instance.backoff = (
                    self.FIRST_DELAY
                    if ran >= self.STABLE_AFTER or not instance.backoff
                    else min(instance.backoff * 2, self.MAX_DELAY)
                )
                instance.restart_at = now + instance.backoff
                code = instance.proc.returncode if instance.proc is not None else None
                self.report(
                    f"{instance.label} exited with code {code} after {ran:.0f} s; restarting it in "
                    f"{instance.backoff:.0f} s (see {instance.log_file})"
                )
            elif now >= instance.restart_at:
                instance.restarts += 1
                self.restarts += 1
                self.stack.spawn(instance)
                self.report(f"{instance.label} restarted (restart {instance.restarts}) on port {instance.port}")

    def _parts(self) -> list[tuple[str, object]]:
        nodes = self.stack.kafka_nodes
        kafka = [
            (
                f"Kafka node {n.node_id} ({n.bootstrap_servers})"
                if len(nodes) > 1
                else f"Kafka ({n.bootstrap_servers})",
                n,
            )
            for n in nodes
        ]
        idp = self.stack.identity_provider
        keycloak = [(f"Keycloak ({idp.server.base_url})", idp)] if idp is not None else []
        return [(f"PostgreSQL ({self.stack.host}:{self.stack.pg_port})", self.stack.postgres), *kafka, *keycloak]

    def _effect(self, name: str) -> str:
        if name.startswith("PostgreSQL"):
            return "services answer 503 problem+json until it is back"
        if name.startswith("Kafka node"):
            alive = sum(node.is_running() for node in self.stack.kafka_nodes)
            total = len(self.stack.kafka_nodes)
            if alive * 2 > total:
                return f"the cluster carries on with {alive} of {total} nodes"
            return f"only {alive} of {total} nodes: writes wait in the outboxes until a majority is back"
        if name.startswith("Keycloak"):
            return "nobody can sign in until it is back; tokens already issued keep working"
        return "writes wait in the outboxes until it is back"

    def _check_infrastructure(self) -> None:
        for name, part in self._parts():
            running = part.is_running()
            restarting = self.restarting.get(name)
            if restarting is not None and restarting.is_alive():
                continue
            if restarting is not None:  # a restart finished: how did it go?
                del self.restarting[name]
                error = self.restart_errors.pop(name, None)
                if error is not None:
                    failures = self.infra_failures[name] = self.infra_failures.get(name, 0) + 1
                    self.report(f"{name} did not start again ({failures}/{self.INFRA_ATTEMPTS}): {error}")
                    if failures >= self.INFRA_ATTEMPTS:
                        raise StackFailure(f"{name} is down and will not start again; stopping everything")
                    self.retry_at[name] = time.monotonic() + min(2.0**failures, self.MAX_DELAY)
            if running and name in self.down:
                went_down = self.down.pop(name)
                self.infra_failures.pop(name, None)
                self.report(f"{name} is back after {time.monotonic() - went_down:.0f} s")
            elif not running:
                if name not in self.down:
                    self.down[name] = time.monotonic()
                    self.report(
                        f"{name} is down: {self._effect(name)}"
                        + ("; restarting it" if self.restart_infrastructure else "")
                    )
                if self.restart_infrastructure and time.monotonic() >= self.retry_at.get(name, 0.0):
                    self._restart_in_background(name, part)

    def _restart_in_background(self, name: str, part) -> None:
        # In a thread: a broker takes seconds to start, and services must be watched meanwhile.
        def restart() -> None:
            try:
                part.start()
            except Exception as exc:  # reported by the next tick
                self.restart_errors[name] = exc

        thread = threading.Thread(target=restart, name=f"restart {name}", daemon=True)
        self.restarting[name] = thread
        thread.start()


def _run_async(coro):
    """Run a coroutine to completion from synchronous code (the stack runs no event loop itself)."""
    return asyncio.run(coro)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def say(message: str) -> None:
    print(f"newform: {message}", flush=True)
