"""What running the local broker needs besides `LocalKafka` itself: its jars (fetched once with Maven),
Java, a fresh KRaft cluster id, the readable part of its log, whether a process is alive, and running
the admin client's readiness check from code that may already be inside an event loop."""

from __future__ import annotations

import asyncio
import base64
import fcntl
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil

from .ports import repo_root

log = logging.getLogger(__name__)

KAFKA_VERSION = "4.1.1"
_COMPLETE_MARKER = ".complete"


def kafka_config_dir() -> Path:
    """``deploy/local/kafka``: pom.xml and log4j2.properties (read from the checkout)."""
    return repo_root() / "deploy" / "local" / "kafka"


def ensure_kafka_jars(cache_dir: Path | None = None) -> Path:
    """Return the folder holding the broker's jars, fetching them with Maven when missing.

    ``cache_dir`` defaults to ``<repo>/.cache``; the jars go to ``<cache_dir>/kafka-<version>/libs``.
    A marker file is written after a complete copy, so an interrupted fetch is redone.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else repo_root() / ".cache"
    home = cache_dir / f"kafka-{KAFKA_VERSION}"
    libs = home / "libs"
    if (libs / _COMPLETE_MARKER).exists():
        return libs
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one fetch at a time across processes
        if (libs / _COMPLETE_MARKER).exists():
            return libs
        mvn = shutil.which("mvn")
        if mvn is None:
            raise RuntimeError("Maven (mvn) is needed to fetch the Kafka jars: apt-get install -y maven")
        pom = kafka_config_dir() / "pom.xml"
        staging = Path(tempfile.mkdtemp(prefix="libs-", dir=home))
        started = time.monotonic()
        log.info("fetching Kafka %s jars with Maven into %s", KAFKA_VERSION, libs)
        proc = subprocess.run(
            [
                mvn,
                "-B",
                "-q",
                "-f",
                str(pom),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={staging}",
                f"-Dkafka.version={KAFKA_VERSION}",
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        # Maven may leave target/ beside the pom (dependency:copy-dependencies normally does not).
        shutil.rmtree(pom.parent / "target", ignore_errors=True)
        jars = list(staging.glob("*.jar"))
        if proc.returncode != 0 or not any(j.name.startswith("kafka_2.13-") for j in jars):
            shutil.rmtree(staging, ignore_errors=True)
            raise RuntimeError(
                f"fetching the Kafka jars failed (mvn exit {proc.returncode}):\n"
                f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
            )
        shutil.rmtree(libs, ignore_errors=True)
        staging.rename(libs)
        (libs / _COMPLETE_MARKER).write_text(f"{len(jars)} jars, kafka {KAFKA_VERSION}\n")
        log.info("fetched %d jars in %.0f s", len(jars), time.monotonic() - started)
    return libs


def java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("Java 17+ is needed to run the Kafka broker: apt-get install -y openjdk-17-jre-headless")
    return java


def random_cluster_id() -> str:
    # What `kafka.tools.StorageTool random-uuid` prints: 16 random bytes, url-safe base64 without
    # padding, never starting with '-' (Kafka's Uuid.randomUuid rule). Saves a JVM start.
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def log_tail(path: Path, lines: int = 30) -> str:
    """The last start's errors (ERROR/FATAL lines, exceptions) and the tail of its log."""
    try:
        text = path.read_text(errors="replace")
    except OSError as e:
        return f"(no log at {path}: {e})"
    run = text.splitlines()
    for i in range(len(run) - 1, -1, -1):
        if run[i].startswith("===== start "):
            run = run[i:]
            break
    errors = [line for line in run if " ERROR " in line or " FATAL " in line or "Exception" in line][:15]
    report = "\n".join(run[-lines:])
    if errors:
        report = "errors:\n" + "\n".join(errors) + "\n--- tail ---\n" + report
    return report


def pid_alive(pid: int) -> bool:
    try:
        proc = psutil.Process(pid)
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def run_isolated(coro) -> None:  # type: ignore[no-untyped-def]
    """Run a coroutine on a fresh loop in a thread, so callers may already be inside an event loop."""
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            asyncio.run(coro)
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=runner, name="kafka-ready-check")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
