"""What running the local identity provider needs besides `LocalKeycloak` itself: a Java 21+ (Kafka
keeps its own Java), the Keycloak distribution (fetched once with Maven, unpacked into
``<repo>/.cache/keycloak-<version>/``) and Keycloak's build step, run once for our build options
(``kc.sh build``: afterwards every start is ``start --optimized``, ~14 s on a known database instead of
``start-dev``'s ~35 s, which re-runs the ~11 s build on each start)."""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

from .ports import repo_root

log = logging.getLogger(__name__)

KEYCLOAK_VERSION = "26.5.6"
ARTIFACT = f"org.keycloak:keycloak-quarkus-dist:{KEYCLOAK_VERSION}:zip"
#: Build-time options (``kc.sh build``); runtime options go on each start.
BUILD_OPTIONS = ("--db=postgres", "--health-enabled=true", "--cache=local")
MIN_JAVA = 21
_COMPLETE_MARKER = ".complete"
#: What kc.sh gives the JVM (bin/kc.sh of the distribution), with a smaller heap for a laptop.
_JVM_OPTIONS = (
    "-XX:MetaspaceSize=96M",
    "-XX:MaxMetaspaceSize=256m",
    "-Xms64m",
    "-Xmx384m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:+ExitOnOutOfMemoryError",
    "-Dfile.encoding=UTF-8",
    "-Dstdout.encoding=UTF-8",
    "-Dstderr.encoding=UTF-8",
    "-Djava.security.egd=file:/dev/urandom",
    "-Djava.util.concurrent.ForkJoinPool.common.threadFactory="
    "io.quarkus.bootstrap.forkjoin.QuarkusForkJoinWorkerThreadFactory",
    "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
    "-Dpicocli.disable.closures=true",
    "-Dquarkus-log-max-startup-records=10000",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.security=ALL-UNNAMED",
    "-Duser.language=en",
    "-Duser.country=US",
)


class KeycloakError(RuntimeError):
    """Keycloak cannot be fetched, built or started (the message says what to do)."""


# -- Java --------------------------------------------------------------------------------------
def _java_major(java_home: Path) -> int | None:
    """The feature version a JDK's ``release`` file names (JAVA_VERSION="25.0.1" → 25)."""
    try:
        text = (java_home / "release").read_text()
    except OSError:
        return None
    found = re.search(r'^JAVA_VERSION="(\d+)', text, re.MULTILINE)
    return int(found.group(1)) if found else None


def keycloak_java() -> Path:
    """A ``java`` of version 21 or later: ``KEYCLOAK_JAVA_HOME``, else the newest JDK in /usr/lib/jvm."""
    chosen = os.environ.get("KEYCLOAK_JAVA_HOME")
    if chosen:
        home = Path(chosen)
        major = _java_major(home)
        if not (home / "bin" / "java").exists() or (major is not None and major < MIN_JAVA):
            raise KeycloakError(
                f"KEYCLOAK_JAVA_HOME={chosen} is not a Java {MIN_JAVA}+ (found version {major}); Keycloak needs "
                f"Java {MIN_JAVA} or later (or run `newform dev --no-idp`: only the local token issuer)"
            )
        return home / "bin" / "java"
    candidates = []
    for home in Path("/usr/lib/jvm").glob("*"):
        major = _java_major(home)
        if major is not None and major >= MIN_JAVA and (home / "bin" / "java").exists() and not home.is_symlink():
            candidates.append((major, home))
    if not candidates:
        raise KeycloakError(
            f"Keycloak needs Java {MIN_JAVA} or later, and none is in /usr/lib/jvm. Install one "
            "(e.g. Temurin 25: apt-get install -y temurin-25-jdk from packages.adoptium.net, or "
            "openjdk-21-jre-headless where the distribution has it) or set KEYCLOAK_JAVA_HOME; "
            "or run `newform dev --no-idp` (only the local token issuer)."
        )
    return max(candidates)[1] / "bin" / "java"


# -- the distribution --------------------------------------------------------------------------
def keycloak_home(cache_dir: Path | None = None) -> Path:
    cache_dir = Path(cache_dir) if cache_dir is not None else repo_root() / ".cache"
    return cache_dir / f"keycloak-{KEYCLOAK_VERSION}"


def _fetch_zip(work: Path) -> Path:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KeycloakError("Maven (mvn) is needed to fetch Keycloak: apt-get install -y maven")
    proc = subprocess.run(
        [mvn, "-B", "-q", "dependency:copy", f"-Dartifact={ARTIFACT}", f"-DoutputDirectory={work}"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=work,  # no pom here: the goal needs none
    )
    zips = list(work.glob("keycloak-quarkus-dist-*.zip"))
    if proc.returncode != 0 or not zips:
        raise KeycloakError(
            f"fetching {ARTIFACT} failed (mvn exit {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return zips[0]


def ensure_keycloak(cache_dir: Path | None = None) -> Path:
    """The unpacked distribution, built for our options; fetched, unpacked and built when missing.
    Idempotent and safe across processes (a lock; a marker after each complete step)."""
    home = keycloak_home(cache_dir)
    build_marker = home / f".built-{_options_tag()}"
    if build_marker.exists():
        return home
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / f".keycloak-{KEYCLOAK_VERSION}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one fetch or build at a time across processes
        if build_marker.exists():
            return home
        if not (home / _COMPLETE_MARKER).exists():
            started = time.monotonic()
            staging = Path(tempfile.mkdtemp(prefix="keycloak-", dir=home.parent))
            try:
                archive = _fetch_zip(staging)
                with zipfile.ZipFile(archive) as zipped:
                    zipped.extractall(staging / "unpacked")
                (top,) = (staging / "unpacked").iterdir()
                shutil.rmtree(home, ignore_errors=True)
                top.rename(home)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            (home / _COMPLETE_MARKER).write_text(f"keycloak {KEYCLOAK_VERSION}\n")
            log.info("fetched and unpacked Keycloak %s in %.0f s", KEYCLOAK_VERSION, time.monotonic() - started)
        _build(home)
        for old in home.glob(".built-*"):
            old.unlink()
        build_marker.write_text(" ".join(BUILD_OPTIONS) + "\n")
    return home


def _options_tag() -> str:
    return re.sub(r"[^a-z0-9]+", "-", " ".join(BUILD_OPTIONS).lower()).strip("-")


def class_archive(dist: Path, java: Path) -> Path:
    """Where the class-data-sharing archive of Keycloak's classes for this JVM lives (one per JDK build:
    an archive only maps into the JVM that wrote it)."""
    release = (java.parent.parent / "release").read_text() if (java.parent.parent / "release").exists() else ""
    found = re.search(r'^JAVA_RUNTIME_VERSION="([^"]+)"', release, re.MULTILINE)
    version = re.sub(r"[^A-Za-z0-9.]+", "-", found.group(1) if found else "unknown")
    return dist / f"classes-{version}.jsa"


def java_command(java: Path, kc_home: Path, dist: Path, *args: str, jvm: tuple[str, ...] = ()) -> list[str]:
    return [
        str(java),
        *_JVM_OPTIONS,
        *jvm,
        f"-Dkc.home.dir={kc_home}",
        f"-Djboss.server.config.dir={dist / 'conf'}",
        "-cp",
        str(dist / "lib" / "quarkus-run.jar"),
        "io.quarkus.bootstrap.runner.QuarkusEntryPoint",
        *args,
    ]


def _build(dist: Path) -> None:
    started = time.monotonic()
    log.info("building Keycloak for %s (once)", " ".join(BUILD_OPTIONS))
    proc = subprocess.run(
        java_command(keycloak_java(), dist, dist, "build", *BUILD_OPTIONS),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=dist,
    )
    if proc.returncode != 0:
        raise KeycloakError(f"`kc.sh build` failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}")
    log.info("built Keycloak in %.0f s", time.monotonic() - started)
