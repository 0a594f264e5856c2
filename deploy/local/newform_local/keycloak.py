"""A real identity provider on this machine: Keycloak (Quarkus distribution) with the ``newform`` realm.

The server is ``org.keycloak:keycloak-quarkus-dist`` from Maven Central: :func:`ensure_keycloak`
fetches the zip with Maven once (then it is in ``~/.m2``: offline afterwards), unpacks it into
``<repo>/.cache/keycloak-<version>/`` (git-ignored) and runs Keycloak's build step once for our
build options (PostgreSQL, health, local cache). Each server then starts with
``start --optimized``: measured here, ~14 s on a known database against ~35 s for ``start-dev``,
which re-runs the ~11 s build on every start.

``LocalKeycloak(data_dir, port, database_url).start()`` runs it on PostgreSQL (the database must
exist), with plain ``java`` (Java 21+, found by :func:`keycloak_java`; Kafka keeps its own Java) in
its own process group, output in ``data_dir/keycloak.log``. Its home is ``data_dir/home``: links to
the unpacked distribution plus its own ``data/`` holding ``import/newform-realm.json``, which
``--import-realm`` imports when the realm does not exist yet, and its own ``themes/`` with the realm's
login theme (keycloak_theme.py: Keycloak's own with the Chinese web font). Ready means the management
interface's ``/health/ready`` answers 200. A start after ``kill -9`` works (nothing is locked on disk;
the database's locks die with the connections).

Command line: ``python -m newform_local.keycloak fetch|realm|theme|serve --help``.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import psutil

from .kafka_runtime import log_tail, pid_alive
from .keycloak_realm import REALM, client_secrets, realm_document
from .keycloak_runtime import (
    KEYCLOAK_VERSION,
    KeycloakError,
    class_archive,
    ensure_keycloak,
    java_command,
    keycloak_java,
)
from .keycloak_theme import install_theme
from .ports import free_port, port_is_open
from .processes import launch_process, stop_process

log = logging.getLogger(__name__)

#: The distribution's folders a server's own home links to (its ``data/`` and ``themes/`` are its own).
_HOME_LINKS = ("lib", "providers", "conf", "bin")


# -- a server ----------------------------------------------------------------------------------
def jdbc_url(database_url: str) -> str:
    """``postgresql+asyncpg://user@host:port/db`` → ``jdbc:postgresql://host:port/db``."""
    parts = urlsplit(database_url)
    return f"jdbc:postgresql://{parts.hostname}:{parts.port or 5432}{parts.path}"


class LocalKeycloak:
    """A Keycloak server owned by this process, on ``data_dir``, serving HTTP on ``host:port``."""

    def __init__(
        self,
        data_dir: Path,
        port: int,
        database_url: str,
        *,
        host: str = "127.0.0.1",
        management_port: int | None = None,
        admin_password: str = "admin",
        realm: dict | None = None,
        cache_dir: Path | None = None,
    ):
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.host = host
        self.management_port = management_port or free_port(host)
        self.database_url = database_url
        self.admin_password = admin_password
        self.realm = realm
        self.cache_dir = cache_dir
        self.home = self.data_dir / "home"
        self.log_file = self.data_dir / "keycloak.log"
        self.pid_file = self.data_dir / "keycloak.pid"
        self._proc: subprocess.Popen[bytes] | None = None
        self._atexit_registered = False
        self._archive_writing: tuple[Path, Path] | None = None  # (being written, its final place)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/realms/{REALM}"

    @property
    def health_url(self) -> str:
        return f"http://{self.host}:{self.management_port}/health/ready"

    def _prepare_home(self, dist: Path) -> None:
        """A home of our own: the distribution's folders linked, ``data/`` (import, tmp) and ``themes/``
        (the ``newform`` login theme, keycloak_theme.py; the distribution's holds only a README) our own."""
        self.home.mkdir(parents=True, exist_ok=True)
        themes = self.home / "themes"
        if themes.is_symlink():  # a home prepared before the theme: it linked the distribution's
            themes.unlink()
        install_theme(themes)
        for name in _HOME_LINKS:
            link = self.home / name
            if link.is_symlink() and link.resolve() != (dist / name).resolve():
                link.unlink()
            if not link.exists():
                link.symlink_to(dist / name)
        imports = self.home / "data" / "import"
        imports.mkdir(parents=True, exist_ok=True)
        if self.realm is not None:
            target = imports / f"{REALM}-realm.json"
            target.write_text(json.dumps(self.realm, ensure_ascii=False, indent=1))
            target.chmod(0o600)  # it holds the clients' secrets and the demo passwords

    def _class_sharing(self, dist: Path, java: Path) -> tuple[str, ...]:
        """Class data sharing: ~40% off a start here (30 s → 11-18 s warm under load). The first server
        to stop cleanly writes the archive (its own temporary file, renamed into place: servers that
        stop together cannot leave a torn one); later starts map it."""
        archive = class_archive(dist, java)
        if archive.exists():
            return (f"-XX:SharedArchiveFile={archive}",)
        writing = archive.with_name(f"{archive.name}.{os.getpid()}-{self.port}.tmp")
        self._archive_writing = (writing, archive)
        return (f"-XX:ArchiveClassesAtExit={writing}",)

    def _keep_class_archive(self, clean_exit: bool) -> None:
        if self._archive_writing is None:
            return
        writing, archive = self._archive_writing
        self._archive_writing = None
        if clean_exit and writing.exists() and writing.stat().st_size > 0:
            os.replace(writing, archive)
        else:
            writing.unlink(missing_ok=True)

    def _stored_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def _is_ours(self, pid: int) -> bool:
        try:
            return f"-Dkc.home.dir={self.home}" in psutil.Process(pid).cmdline()
        except psutil.Error:
            return False

    def is_running(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        pid = self._stored_pid()
        return pid is not None and pid_alive(pid) and self._is_ours(pid)

    def launch(self) -> None:
        """Start the JVM without waiting (`newform dev` starts the services meanwhile)."""
        if self._proc is not None and self._proc.poll() is None:
            return
        stale = self._stored_pid()
        if stale is not None and pid_alive(stale) and self._is_ours(stale):
            log.warning("stopping a Keycloak left running on %s (pid %s)", self.data_dir, stale)
            stop_process(stale, timeout=20, what="keycloak")
        dist = ensure_keycloak(self.cache_dir)
        java = keycloak_java()
        self._prepare_home(dist)
        args = [
            "start",
            "--optimized",
            f"--http-host={self.host}",
            f"--http-port={self.port}",
            "--http-enabled=true",
            f"--http-management-port={self.management_port}",
            # The issuer is this URL whatever name a browser used (localhost, 127.0.0.1).
            f"--hostname={self.base_url}",
            "--hostname-strict=false",
            f"--db-url={jdbc_url(self.database_url)}",
            f"--db-username={urlsplit(self.database_url).username or 'postgres'}",
            f"--db-password={urlsplit(self.database_url).password or 'unused'}",
            "--db-pool-min-size=1",
            "--db-pool-max-size=10",
            "--bootstrap-admin-username=admin",
            f"--bootstrap-admin-password={self.admin_password}",
            "--import-realm",
            "--log-console-color=false",
        ]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._proc = launch_process(
            java_command(java, self.home, dist, *args, jvm=self._class_sharing(dist, java)),
            cwd=self.home,
            log_file=self.log_file,
            banner=f"on {self.base_url}",
        )
        self.pid_file.write_text(f"{self._proc.pid}\n")
        if not self._atexit_registered:
            atexit.register(self.stop)  # never outlive the owner silently
            self._atexit_registered = True

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self._proc is not None and self._proc.poll() is not None:
                raise KeycloakError(
                    f"Keycloak exited with {self._proc.returncode} while starting; "
                    f"{self.log_file} (tail):\n{log_tail(self.log_file)}"
                )
            if port_is_open(self.host, self.management_port):
                with contextlib.suppress(urllib.error.URLError, OSError):
                    with urllib.request.urlopen(self.health_url, timeout=2) as response:
                        if response.status == 200:
                            return
            if time.monotonic() >= deadline:
                raise KeycloakError(
                    f"Keycloak on {self.base_url} was not ready in {timeout:.0f} s; "
                    f"{self.log_file} (tail):\n{log_tail(self.log_file)}"
                )
            time.sleep(0.25)

    def start(self, timeout: float = 180) -> None:
        started = time.monotonic()
        self.launch()
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        log.info("keycloak ready on %s in %.1f s", self.base_url, time.monotonic() - started)

    def kill(self) -> None:
        """SIGKILL (fault tests): no shutdown at all."""
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait(timeout=10)
        self._proc = None
        self._keep_class_archive(clean_exit=False)

    def stop(self, timeout: float = 40) -> None:
        """SIGTERM (Keycloak shuts down in a second; writing the class archive, once, takes up to ~20 s
        more), SIGKILL after ``timeout``."""
        if self._proc is not None:
            clean = True
            if self._proc.poll() is None:
                clean = stop_process(self._proc.pid, timeout, what="keycloak")
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
            self._proc = None
            self._keep_class_archive(clean)
        else:
            pid = self._stored_pid()
            if pid is not None and pid_alive(pid) and self._is_ours(pid):
                stop_process(pid, timeout, what="keycloak")
        with contextlib.suppress(FileNotFoundError):
            self.pid_file.unlink()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def __enter__(self) -> LocalKeycloak:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"LocalKeycloak(data_dir={str(self.data_dir)!r}, port={self.port})"


# -- command line ------------------------------------------------------------------------------
def _cmd_fetch(args: argparse.Namespace) -> int:
    home = ensure_keycloak(args.cache_dir)
    print(f"Keycloak {KEYCLOAK_VERSION} in {home} (Java {keycloak_java()})")
    return 0


def _cmd_realm(args: argparse.Namespace) -> int:
    realm = realm_document(client_secrets(args.secrets), password_grant=args.password_grant)
    text = json.dumps(realm, ensure_ascii=False, indent=2)
    if args.output:
        args.output.write_text(text + "\n")
        args.output.chmod(0o600)
    else:
        print(text)
    return 0


def _cmd_theme(args: argparse.Namespace) -> int:
    print(f"newform login theme in {install_theme(args.themes_dir)}")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    server = LocalKeycloak(
        args.data_dir,
        args.port,
        args.database_url,
        admin_password=args.admin_password,
        realm=realm_document(client_secrets(args.data_dir / "client-secrets.json")),
    )
    server.start()
    print(f"Keycloak ready: issuer {server.issuer} (admin console {server.base_url}/admin/, admin)", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while server.is_running():
            time.sleep(0.5)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(prog="python -m newform_local.keycloak", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    fetch = sub.add_parser("fetch", help="fetch, unpack and build Keycloak once (into .cache/)")
    fetch.add_argument("--cache-dir", type=Path, default=None)
    fetch.set_defaults(run=_cmd_fetch)
    realm = sub.add_parser("realm", help="print (or write) the newform realm as Keycloak imports it")
    realm.add_argument("--secrets", type=Path, default=Path(".data/keys/keycloak-clients.json"))
    realm.add_argument("--output", type=Path, default=None)
    realm.add_argument("--password-grant", action="store_true", help="allow the password grant on newform-app")
    realm.set_defaults(run=_cmd_realm)
    theme = sub.add_parser("theme", help="write the newform login theme (Chinese web font) into a themes folder")
    theme.add_argument("themes_dir", type=Path, help="Keycloak's themes folder, e.g. /opt/keycloak/themes")
    theme.set_defaults(run=_cmd_theme)
    serve = sub.add_parser("serve", help="run Keycloak with the newform realm until Ctrl-C")
    serve.add_argument("--data-dir", type=Path, default=Path(".data/keycloak-serve"))
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--database-url",
        required=True,
        help="an existing PostgreSQL database, e.g. postgresql://postgres@127.0.0.1:5432/keycloak",
    )
    serve.add_argument("--admin-password", default="admin")
    serve.set_defaults(run=_cmd_serve)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
