"""A real PostgreSQL 16 server on this machine, on the binaries shipped by the ``pgserver`` wheel.

``EmbeddedPostgres(data_dir, port).start()`` runs ``initdb`` the first time (trust auth, user
``postgres``, UTF-8), then ``pg_ctl -w start`` with the server listening on TCP ``host:port`` and on
a unix socket in a short directory under /tmp. A second start on the same data dir reuses the data.

PostgreSQL refuses to run as root. When we are root the server runs as the system user
``pgserver`` (created with ``useradd`` if missing — the same recipe as pgserver's own
``ensure_pgdata_inited``): the data dir is chowned to it and the folders above it and the binaries
are made traversable/readable by others.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import logging
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psutil

from newform_local.ports import wait_for_port

log = logging.getLogger(__name__)

SYSTEM_USER = "pgserver"  # the unprivileged user the server runs as when we are root
SUPERUSER = "postgres"  # the database superuser (trust auth, no password)
DEFAULT_SETTINGS = {"max_connections": "300"}  # several services x pools x tests in one process


def postgres_bin_dir() -> Path:
    """pgserver's ``pginstall/bin``, found without importing pgserver (its import has side effects)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the pgserver package is not installed (pip install -c constraints.txt pgserver)")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _run_as() -> str | None:
    return SYSTEM_USER if os.geteuid() == 0 else None


@cache
def _prepare_system_user_and_binaries() -> None:
    """As root: make sure user ``pgserver`` exists and can read and run the binaries (once per process)."""
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "-s", "/bin/bash", SYSTEM_USER], check=True, capture_output=True, text=True)
    bin_dir = postgres_bin_dir()
    _ensure_prefix_traversable(bin_dir)
    read = stat.S_IRGRP | stat.S_IROTH
    execute = stat.S_IXGRP | stat.S_IXOTH
    _ensure_tree_permissions(bin_dir, read | execute)
    _ensure_tree_permissions(bin_dir.parent / "lib", read)
    _ensure_tree_permissions(bin_dir.parent / "share", read)


def _ensure_prefix_traversable(path: Path) -> None:
    """chmod g+rx,o+rx every folder above ``path`` so another user can reach it."""
    rx = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
    for folder in path.resolve().parents:
        mode = folder.stat().st_mode
        if mode & rx != rx:
            folder.chmod(mode | rx)


def _ensure_tree_permissions(path: Path, file_flags: int) -> None:
    rx = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
    if not path.exists():
        return
    for dirpath, _dirnames, filenames in os.walk(path):
        d = Path(dirpath)
        d.chmod(d.stat().st_mode | rx)
        for name in filenames:
            f = d / name
            if not f.is_symlink():
                f.chmod(f.stat().st_mode | file_flags)


def _chown_to_runner(path: Path) -> None:
    if _run_as() is None:
        return
    entry = pwd.getpwnam(SYSTEM_USER)
    os.chown(path, entry.pw_uid, entry.pw_gid)


@dataclass(frozen=True)
class _PostmasterInfo:
    """What ``postmaster.pid`` says: pid, port, socket dir, listen address, status."""

    pid: int
    port: int | None
    socket_dir: str | None
    listen: str | None
    status: str | None

    @classmethod
    def read(cls, data_dir: Path) -> _PostmasterInfo | None:
        try:
            lines = (data_dir / "postmaster.pid").read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None
        if not lines or not lines[0].strip().isdigit():
            return None

        def line(i: int) -> str | None:
            return lines[i].strip() if len(lines) > i and lines[i].strip() else None

        port = line(3)
        return cls(
            pid=int(lines[0]),
            port=int(port) if port and port.isdigit() else None,
            socket_dir=line(4),
            listen=line(5),
            status=line(7),
        )

    def alive(self) -> bool:
        try:
            proc = psutil.Process(self.pid)
            return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE and "postgres" in proc.name()
        except psutil.Error:
            return False


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as e:
        return f"(no log at {path}: {e})"


class EmbeddedPostgres:
    """A PostgreSQL server owned by this process, on ``data_dir``, listening on ``host:port``.

    ``start()`` is idempotent for a server already running on this data dir with this port (it is
    adopted, and then stopped by ``stop()``). A server left running on the data dir with another
    port is stopped and restarted on ``port``.
    """

    def __init__(self, data_dir: Path, port: int, host: str = "127.0.0.1", settings: dict[str, str] | None = None):
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.host = host
        self.settings = {**DEFAULT_SETTINGS, **(settings or {})}
        self.log_file = self.data_dir / "postgres.log"
        self._socket_dir: Path | None = None
        self._atexit_registered = False

    # -- commands -------------------------------------------------------------------------------
    def _bin(self, name: str) -> str:
        return str(postgres_bin_dir() / name)

    def _run(self, args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        # Output goes to temporary files, not pipes: `pg_ctl start` leaves the postmaster holding
        # inherited pipe ends, which would make communicate() hang.
        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.run(
                args,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                user=_run_as(),
                cwd="/",
            )
            out.seek(0)
            proc.stdout = out.read()
        return proc

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if _run_as() is not None:
            _prepare_system_user_and_binaries()
            _ensure_prefix_traversable(self.data_dir)
            _chown_to_runner(self.data_dir)
        self.data_dir.chmod(0o700)

    def _initdb_if_needed(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        log.info("initdb %s", self.data_dir)
        proc = self._run(
            [
                self._bin("initdb"),
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "--auth-local=trust",
                "-U",
                SUPERUSER,
                "--encoding=utf8",
                "--locale=C.UTF-8",
                "--no-instructions",
            ]
        )
        if proc.returncode != 0:
            raise RuntimeError(f"initdb failed on {self.data_dir} (exit {proc.returncode}):\n{proc.stdout}")

    # -- lifecycle ------------------------------------------------------------------------------
    def is_running(self) -> bool:
        info = _PostmasterInfo.read(self.data_dir)
        return info is not None and info.alive()

    def start(self) -> None:
        """Init the data dir if needed, start the server, wait until it accepts TCP connections."""
        info = _PostmasterInfo.read(self.data_dir)
        if info is not None and info.alive():
            if info.port == self.port and info.listen and self.host in info.listen.split(","):
                self._adopt_socket_dir(info)
                wait_for_port(self.host, self.port, timeout=30)
                self._register_atexit()
                return
            log.warning("postgres on %s runs on port %s, not %s: restarting it", self.data_dir, info.port, self.port)
            self.stop()

        self._prepare()
        self._initdb_if_needed()
        self._socket_dir = Path(tempfile.mkdtemp(prefix="nfpg-", dir="/tmp"))
        self._socket_dir.chmod(0o755)
        _chown_to_runner(self._socket_dir)
        options = [f"-h {self.host}", f"-p {self.port}", f"-k {self._socket_dir}"]
        options += [f"-c {key}={value}" for key, value in self.settings.items()]
        started = time.monotonic()
        proc = self._run(
            [
                self._bin("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                "60",
                "-o",
                " ".join(options),
                "start",
            ]
        )
        if proc.returncode != 0:
            self._remove_socket_dir()
            raise RuntimeError(
                f"postgres failed to start on {self.host}:{self.port} (data {self.data_dir}):\n"
                f"{proc.stdout}\n--- {self.log_file} (tail) ---\n{_tail(self.log_file)}"
            )
        self._register_atexit()
        try:
            wait_for_port(self.host, self.port, timeout=30)
        except TimeoutError as e:
            raise RuntimeError(f"{e}\n--- {self.log_file} (tail) ---\n{_tail(self.log_file)}") from e
        log.info("postgres ready on %s:%s in %.1f s", self.host, self.port, time.monotonic() - started)

    def stop(self) -> None:
        """Fast shutdown (``pg_ctl -m fast``); kills the postmaster's group if that fails. Safe if not running."""
        info = _PostmasterInfo.read(self.data_dir)
        if info is not None and info.alive():
            proc = self._run(
                [self._bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "30", "stop"], timeout=60
            )
            if proc.returncode != 0 and info.alive():
                log.warning("pg_ctl stop failed (%s); killing postmaster %s", proc.stdout.strip(), info.pid)
                self._kill_group(info.pid)
            if info.socket_dir and self._socket_dir is None:
                self._socket_dir = Path(info.socket_dir)
        self._remove_socket_dir()

    @staticmethod
    def _kill_group(pid: int) -> None:
        # pg_ctl starts the postmaster with setsid(): its process group holds every backend.
        for sig, wait in ((signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.1)

    def _adopt_socket_dir(self, info: _PostmasterInfo) -> None:
        if info.socket_dir and Path(info.socket_dir).name.startswith("nfpg-"):
            self._socket_dir = Path(info.socket_dir)

    def _remove_socket_dir(self) -> None:
        if self._socket_dir is not None and self._socket_dir.name.startswith("nfpg-"):
            shutil.rmtree(self._socket_dir, ignore_errors=True)
        self._socket_dir = None

    def _register_atexit(self) -> None:
        # A server must not outlive its owner silently: stop it when this interpreter exits.
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- clients --------------------------------------------------------------------------------
    @property
    def socket_dir(self) -> Path | None:
        return self._socket_dir

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL: ``postgresql+asyncpg://postgres@<host>:<port>/<database>``."""
        return f"postgresql+asyncpg://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        """Create database ``name`` unless it exists."""
        create_database(self.url(), name)

    def __repr__(self) -> str:
        return f"EmbeddedPostgres(data_dir={str(self.data_dir)!r}, port={self.port}, host={self.host!r})"


class ExternalPostgres:
    """A server someone else runs (e.g. ``NEWFORM_TEST_DATABASE_URL``), with the same client surface."""

    def __init__(self, url: str):
        self._url = url

    def url(self, database: str = "postgres") -> str:
        parts = urlsplit(self._url)
        return urlunsplit(parts._replace(path=f"/{database}"))

    def create_database(self, name: str) -> None:
        create_database(self._url, name)

    def start(self) -> None:  # someone else owns it
        pass

    def stop(self) -> None:
        pass

    def is_running(self) -> bool:
        return True


def _asyncpg_dsn(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    return urlunsplit(parts._replace(scheme="postgresql" if scheme == "postgres" else scheme))


def create_database(server_url: str, name: str) -> None:
    """Create database ``name`` on the server of ``server_url`` (any database on it) unless it exists.

    Sync, and safe to call from inside a running event loop: the work runs on its own thread/loop.
    """

    async def create() -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(server_url), timeout=30)
        try:
            if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                return
            quoted = '"' + name.replace('"', '""') + '"'
            try:
                await conn.execute(f"CREATE DATABASE {quoted}")
            except asyncpg.DuplicateDatabaseError:
                pass
        finally:
            await conn.close()

    errors: list[BaseException] = []

    def runner() -> None:
        try:
            asyncio.run(create())
        except BaseException as e:  # re-raised on the caller's thread
            errors.append(e)

    thread = threading.Thread(target=runner, name=f"create-database-{name}")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
