"""A real single-node Kafka broker (KRaft, broker+controller in one JVM) on this machine.

The broker is Apache Kafka from Maven Central: ``deploy/local/kafka/pom.xml`` names it and its
log4j2 backend, and :func:`ensure_kafka_jars` copies the runtime jars once into
``<repo>/.cache/kafka-<version>/libs`` (git-ignored). Java 17+ and Maven are needed.

``LocalKafka(data_dir, port).start()`` writes ``data_dir/server.properties``, formats
``data_dir/kraft-logs`` the first time (a later start on the same data keeps topics and
messages), runs ``java ... kafka.Kafka server.properties`` in its own process group with output
in ``data_dir/broker.log``, and waits until an admin ``list_topics()`` succeeds.

Command line: ``python -m newform_local.kafka fetch`` fetches the jars (``make kafka-jars``).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
from aiokafka.admin import AIOKafkaAdminClient

from .kafka_runtime import (
    ensure_kafka_jars,
    java,
    kafka_config_dir,
    log_tail,
    pid_alive,
    random_cluster_id,
    run_isolated,
)
from .ports import free_port, port_is_open
from .processes import launch_process, stop_process

log = logging.getLogger(__name__)


class KafkaStartError(RuntimeError):
    pass


class LocalKafka:
    """A single-node KRaft broker owned by this process, on ``data_dir``, listening on ``host:port``."""

    def __init__(
        self,
        data_dir: Path,
        port: int,
        controller_port: int | None = None,
        host: str = "127.0.0.1",
        heap: str = "512m",
        libs_dir: Path | None = None,
        *,
        auto_create_topics: bool = False,
        node_id: int = 1,
        voters: dict[int, int] | None = None,
        cluster_id: str | None = None,
    ):
        """``voters`` (node id → controller port) makes this node one of a cluster's combined
        broker+controller nodes; all of them are formatted with the same ``cluster_id``.
        ``auto_create_topics`` stays off as on a production cluster (topics are provisioned with
        ``newform_common.kafka.ensure_topics``); the test suite's broker turns it on."""
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        if voters is not None and controller_port is None:
            controller_port = voters[node_id]
        self.controller_port = controller_port if controller_port is not None else free_port(host)
        self.host = host
        self.heap = heap
        self._libs_dir = libs_dir
        self.auto_create_topics = auto_create_topics
        self.node_id = node_id
        self.voters = voters or {node_id: self.controller_port}
        self.cluster_id = cluster_id
        self.log_file = self.data_dir / "broker.log"
        self.pid_file = self.data_dir / "broker.pid"
        self.config_file = self.data_dir / "server.properties"
        self.log_dirs = self.data_dir / "kraft-logs"
        self._proc: subprocess.Popen[bytes] | None = None
        self._atexit_registered = False

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    # -- files ----------------------------------------------------------------------------------
    def _write_config(self) -> None:
        # Internal topics are replicated like the data topics: 3 copies, 2 in sync, on a cluster.
        replicas = min(3, len(self.voters))
        in_sync = 2 if replicas >= 3 else 1
        props = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": ",".join(f"{n}@{self.host}:{p}" for n, p in sorted(self.voters.items())),
            "listeners": f"PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.log_dirs),
            "offsets.topic.replication.factor": str(replicas),
            "offsets.topic.num.partitions": "5",  # 50 by default: slow first group join locally
            "transaction.state.log.replication.factor": str(replicas),
            "transaction.state.log.min.isr": str(in_sync),
            "share.coordinator.state.topic.replication.factor": str(replicas),
            "share.coordinator.state.topic.min.isr": str(in_sync),
            "default.replication.factor": str(replicas),
            "min.insync.replicas": str(in_sync),
            "group.initial.rebalance.delay.ms": "0",
            "num.partitions": "3",
            "auto.create.topics.enable": "true" if self.auto_create_topics else "false",
        }
        text = "# written by newform_local.kafka.LocalKafka on each start\n"
        text += "".join(f"{key}={value}\n" for key, value in props.items())
        self.config_file.write_text(text)

    def _java_base(self, libs: Path, *jvm_options: str) -> list[str]:
        log4j = kafka_config_dir() / "log4j2.properties"
        return [
            java(),
            *jvm_options,
            f"-Dlog4j2.configurationFile={log4j}",
            "-Djava.awt.headless=true",
            "-cp",
            f"{libs}/*",
        ]

    def _format_if_needed(self, libs: Path) -> None:
        if (self.log_dirs / "meta.properties").exists():
            return
        proc = subprocess.run(
            [
                *self._java_base(libs),
                "kafka.tools.StorageTool",
                "format",
                "-t",
                self.cluster_id or random_cluster_id(),
                "-c",
                str(self.config_file),
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if proc.returncode != 0:
            raise KafkaStartError(
                f"formatting {self.log_dirs} failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )

    # -- lifecycle ------------------------------------------------------------------------------
    def _stored_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def is_running(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        pid = self._stored_pid()
        return pid is not None and pid_alive(pid) and self._is_our_broker(pid)

    def _is_our_broker(self, pid: int) -> bool:
        try:
            return str(self.config_file) in psutil.Process(pid).cmdline()
        except psutil.Error:
            return False

    def start(self, timeout: float = 90) -> None:
        """Format the log dir if needed, start the broker, wait until an admin call succeeds."""
        if self._proc is not None and self._proc.poll() is None:
            return
        started = time.monotonic()
        self.launch()
        try:
            self._wait_ready(deadline=started + timeout)
        except BaseException:
            self.stop(timeout=10)
            raise
        log.info("kafka ready on %s in %.1f s", self.bootstrap_servers, time.monotonic() - started)

    def launch(self) -> None:
        """Start the JVM without waiting (a cluster's nodes must all be up before any is ready)."""
        if self._proc is not None and self._proc.poll() is None:
            return
        stale = self._stored_pid()
        if stale is not None and pid_alive(stale) and self._is_our_broker(stale):
            # A broker left behind on this data dir by an owner that died: it holds the log dir lock.
            log.warning("stopping a broker left running on %s (pid %s)", self.data_dir, stale)
            stop_process(stale, timeout=30, what="broker")

        libs = self._libs_dir or ensure_kafka_jars()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._write_config()
        self._format_if_needed(libs)

        self._proc = launch_process(
            [*self._java_base(libs, f"-Xmx{self.heap}"), "kafka.Kafka", str(self.config_file)],
            cwd=self.data_dir,
            log_file=self.log_file,
            banner=f"on {self.bootstrap_servers}",
        )
        self.pid_file.write_text(f"{self._proc.pid}\n")
        if not self._atexit_registered:
            atexit.register(self.stop)  # never outlive the owner silently
            self._atexit_registered = True

    def wait_ready(self, timeout: float = 90) -> None:
        self._wait_ready(deadline=time.monotonic() + timeout)

    def kill(self) -> None:
        """SIGKILL the broker (fault tests): no controlled shutdown, no flush."""
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait(timeout=10)
        self._proc = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def _wait_ready(self, deadline: float) -> None:
        assert self._proc is not None
        last_error: BaseException | None = None
        while True:
            code = self._proc.poll()
            if code is not None:
                raise KafkaStartError(
                    f"the Kafka broker exited with {code} while starting; "
                    f"{self.log_file} (tail):\n{log_tail(self.log_file)}"
                )
            if port_is_open(self.host, self.port):
                try:
                    run_isolated(self._admin_ready())
                    return
                except Exception as e:  # not ready yet
                    last_error = e
            if time.monotonic() >= deadline:
                raise KafkaStartError(
                    f"the Kafka broker on {self.bootstrap_servers} was not ready in time "
                    f"(last error: {last_error!r}); {self.log_file} (tail):\n"
                    f"{log_tail(self.log_file)}"
                )
            time.sleep(0.25)

    async def _admin_ready(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers, request_timeout_ms=5000)
        await admin.start()
        try:
            await admin.list_topics()
        finally:
            await admin.close()

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM the broker's process group, wait, SIGKILL after ``timeout``. Safe if not running."""
        if self._proc is not None:
            if self._proc.poll() is None:
                stop_process(self._proc.pid, timeout, what="broker")
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)  # reap
            self._proc = None
        else:
            pid = self._stored_pid()
            if pid is not None and pid_alive(pid) and self._is_our_broker(pid):
                stop_process(pid, timeout, what="broker")
        with contextlib.suppress(FileNotFoundError):
            self.pid_file.unlink()

    def __enter__(self) -> LocalKafka:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"LocalKafka(data_dir={str(self.data_dir)!r}, port={self.port}, host={self.host!r})"


class LocalKafkaCluster:
    """A KRaft cluster of ``len(ports)`` combined broker+controller nodes on this machine.

    Kafka 4 recommends combined nodes for a small cluster: three JVMs, each a broker and one of
    the three controller voters (static quorum), formatted with the same cluster id (kept in
    ``data_dir/cluster-id``). Node ``i`` (1-based) serves clients on ``ports[i-1]`` and lives in
    ``data_dir/node-<i>``. With three nodes the quorum and every topic of replication factor 3 and
    ``min.insync.replicas=2`` survive one node down. Same surface as :class:`LocalKafka`
    (``bootstrap_servers``, ``start``, ``stop``, ``is_running``), plus ``nodes`` for fault tests.
    """

    def __init__(
        self,
        data_dir: Path,
        ports: list[int],
        host: str = "127.0.0.1",
        heap: str = "384m",
        libs_dir: Path | None = None,
        *,
        auto_create_topics: bool = False,
    ):
        if len(ports) < 1:
            raise ValueError("a cluster needs at least one node")
        self.data_dir = Path(data_dir).resolve()
        self.host = host
        voters = {i: free_port(host) for i in range(1, len(ports) + 1)}
        cluster_id = self._cluster_id()
        self.nodes = [
            LocalKafka(
                self.data_dir / f"node-{i}",
                port,
                host=host,
                heap=heap,
                libs_dir=libs_dir,
                auto_create_topics=auto_create_topics,
                node_id=i,
                voters=voters,
                cluster_id=cluster_id,
            )
            for i, port in enumerate(ports, start=1)
        ]

    def _cluster_id(self) -> str:
        path = self.data_dir / "cluster-id"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(random_cluster_id() + "\n")
        return path.read_text().strip()

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(node.bootstrap_servers for node in self.nodes)

    @property
    def data_dirs(self) -> list[Path]:
        return [node.data_dir for node in self.nodes]

    def node(self, node_id: int) -> LocalKafka:
        return self.nodes[node_id - 1]

    def start(self, timeout: float = 120) -> None:
        started = time.monotonic()
        for node in self.nodes:
            node.launch()
        try:
            for node in self.nodes:
                node._wait_ready(deadline=started + timeout)
        except BaseException:
            self.stop(timeout=10)
            raise
        log.info(
            "kafka cluster of %d ready on %s in %.1f s",
            len(self.nodes),
            self.bootstrap_servers,
            time.monotonic() - started,
        )

    def stop(self, timeout: float = 30) -> None:
        # All at once: stopped one by one, the last nodes would wait for a quorum that is gone.
        threads = [threading.Thread(target=node.stop, args=(timeout,)) for node in self.nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def is_running(self) -> bool:
        return all(node.is_running() for node in self.nodes)

    def stopped_nodes(self) -> list[LocalKafka]:
        return [node for node in self.nodes if not node.is_running()]

    def __enter__(self) -> LocalKafkaCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"LocalKafkaCluster(data_dir={str(self.data_dir)!r}, bootstrap={self.bootstrap_servers!r})"


class ExternalKafka:
    """A broker someone else runs (e.g. ``NEWFORM_TEST_KAFKA``), with the same client surface."""

    def __init__(self, bootstrap_servers: str):
        self.bootstrap_servers = bootstrap_servers

    def start(self, timeout: float = 90) -> None:
        pass

    def stop(self, timeout: float = 30) -> None:
        pass

    def is_running(self) -> bool:
        return True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["fetch"]:
        print(
            "usage: python -m newform_local.kafka fetch   # fetch the broker jars into <repo>/.cache", file=sys.stderr
        )
        return 2
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(ensure_kafka_jars())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
