"""The whole system on one machine: PostgreSQL, Kafka and every service that exists.

`newform dev` (and so `make run`) calls `run_stack`. Data lives in one folder (`.data/` by default)
so a second start finds the same databases, topics and keys.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from newform_common import registry

from .kafka import LocalKafka
from .ports import port_is_open, repo_root
from .postgres import EmbeddedPostgres

log = logging.getLogger("newform.stack")

DEMO_PLATFORM = "demo-platform"


def installed_services() -> list[str]:
    """Registered services whose package exists in this checkout (the registry decides)."""
    return registry.installed_names()


@dataclass
class Keys:
    """Development keys, generated once per data folder."""

    folder: Path

    @property
    def token_private(self) -> Path:
        return self.folder / "token-signing.pem"

    @property
    def token_public(self) -> Path:
        return self.folder / "token-verifying.pem"

    @property
    def seal_private(self) -> Path:
        return self.folder / "evidence-seal.pem"

    @property
    def pii_secret(self) -> Path:
        return self.folder / "pii-secret"

    @property
    def clients(self) -> Path:
        return self.folder / "clients.toml"

    @property
    def database_password(self) -> Path:
        return self.folder / "database-password"

    def ensure(self) -> Keys:
        from newform_common.auth import generate_keypair

        self.folder.mkdir(parents=True, exist_ok=True)
        if not self.token_private.exists():
            private, public = generate_keypair()
            _write_secret(self.token_private, private)
            self.token_public.write_text(public)
        if not self.seal_private.exists():
            _write_secret(self.seal_private, generate_keypair()[0])
        if not self.pii_secret.exists():
            _write_secret(self.pii_secret, secrets.token_urlsafe(48))
        # For deployments from these keys (deploy/compose): the gateway's registered clients
        # (`newform gateway client add`) and the database password.
        if not self.clients.exists():
            _write_secret(self.clients, "# newform gateway client add --client-id … --role …\n")
        if not self.database_password.exists():
            _write_secret(self.database_password, secrets.token_urlsafe(24))
        return self

    def mint(self, role: str, **scope) -> str:
        from newform_common.auth import mint_token

        subject = scope.pop("subject", None) or f"dev-{role}"
        return mint_token(self.token_private.read_text(), role=role, subject=subject, **scope)


def _write_secret(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o600)


def default_data_dir() -> Path:
    return Path(os.environ.get("NEWFORM_DATA_DIR") or repo_root() / ".data")


@dataclass
class Stack:
    data_dir: Path
    pg_port: int = 5432
    kafka_port: int = 9092
    services: list[str] = field(default_factory=installed_services)
    host: str = "127.0.0.1"
    port_offset: int = 0  # shifts every service port (tests run a stack beside a `make run` one)

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        self.keys = Keys(self.data_dir / "keys")
        self.postgres = EmbeddedPostgres(self.data_dir / "postgres", port=self.pg_port, host=self.host)
        self.kafka = LocalKafka(self.data_dir / "kafka", port=self.kafka_port, host=self.host)
        self.processes: dict[str, subprocess.Popen] = {}

    def port(self, service: str) -> int:
        return registry.spec(service).port + self.port_offset

    def service_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.postgres.url("postgres"),
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "JWT_PUBLIC_KEY_FILE": str(self.keys.token_public),
            "PII_SECRET": self.keys.pii_secret.read_text().strip(),
            "CONTRACTS_SIGNING_KEY_FILE": str(self.keys.seal_private),
            # The gateway issues client-credentials tokens with the dev signing key (POST /oauth/token).
            "TOKEN_SIGNING_KEY_FILE": str(self.keys.token_private),
            "GATEWAY_CLIENTS_FILE": str(self.keys.clients),
        }

    def check_ports_free(self) -> None:
        wanted = {"PostgreSQL": self.pg_port, "Kafka": self.kafka_port,
                  **{name: self.port(name) for name in self.services}}
        busy = [f"{what} ({self.host}:{port})" for what, port in wanted.items()
                if port_is_open(self.host, port) and not self._ours(what)]
        if busy:
            raise SystemExit(f"ports already in use: {', '.join(busy)} — is another `make run` still going?")

    def _ours(self, what: str) -> bool:
        # A server left running on our own data folder is adopted rather than reported busy.
        return (what == "PostgreSQL" and self.postgres.is_running()) or (what == "Kafka" and self.kafka.is_running())

    def start_infrastructure(self) -> None:
        self.keys.ensure()
        say(f"PostgreSQL 16 on {self.host}:{self.pg_port} (data {self.postgres.data_dir})")
        self.postgres.start()
        say(f"Kafka on {self.kafka.bootstrap_servers} (data {self.kafka.data_dir})")
        self.kafka.start()

    def migrate(self) -> None:
        from newform_common.migrations import upgrade
        from newform_common.settings import database_url_for

        env = self.service_env()
        for name in self.services:
            self.postgres.create_database(f"newform_{name}")
            upgrade(f"newform_{name}", database_url_for(name, env))

    def start_services(self, timeout: float = 90) -> None:
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        env = self.service_env()
        for name in self.services:
            out = open(logs / f"{name}.log", "ab")  # noqa: SIM115 — owned by the child for its lifetime
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", f"newform_{name}.main:create_app", "--factory",
                 "--host", self.host, "--port", str(self.port(name)), "--no-access-log",
                 "--loop", "uvloop", "--http", "httptools"],
                env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        for name in self.services:
            self._wait_ready(name, deadline, logs / f"{name}.log")

    def _wait_ready(self, name: str, deadline: float, log_file: Path) -> None:
        url = f"http://{self.host}:{self.port(name)}/readyz"
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise SystemExit(f"{name} exited at start-up; its log ({log_file}) ends with:\n{_tail(log_file)}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise SystemExit(f"{name} was not ready within the time allowed; see {log_file}")

    def seed_demo(self) -> str | None:
        """Register the demo platform (idempotently) so its token has something to act on."""
        if "contracts" not in self.services:
            return None
        from .demo import seed_demo_platform

        return seed_demo_platform(f"http://{self.host}:{self.port('contracts')}", self.keys, DEMO_PLATFORM)

    def stop(self) -> None:
        for proc in reversed(list(self.processes.values())):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.processes.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.processes.clear()
        self.kafka.stop()
        self.postgres.stop()


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def say(message: str) -> None:
    print(f"newform: {message}", flush=True)


def run_stack(stack: Stack) -> int:
    """Start everything, print how to use it, and run until Ctrl-C; then stop everything cleanly."""
    def interrupt(signum, _frame):
        raise KeyboardInterrupt

    # Both explicitly: a process started in the background by a non-interactive shell inherits
    # SIGINT as ignored, and a supervisor stops with SIGTERM; either way everything must stop.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    stack.check_ports_free()
    try:
        stack.start_infrastructure()
        say("running migrations")
        stack.migrate()
        say(f"starting services: {', '.join(stack.services) or '(none yet)'}")
        stack.start_services()
        demo = stack.seed_demo()
        print_welcome(stack, demo)
        while True:
            for name, proc in stack.processes.items():
                if proc.poll() is not None:
                    say(f"{name} exited with code {proc.returncode}; see {stack.data_dir / 'logs' / (name + '.log')}")
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        say("stopping …")
        stack.stop()
        say("stopped. `make run` starts again on the same data.")
    return 0


def print_welcome(stack: Stack, demo_platform: str | None) -> None:
    lines = ["", "newform is running:"]
    for name in stack.services:
        port = stack.port(name)
        lines.append(f"  {name:<10} http://{stack.host}:{port}   (API docs: http://{stack.host}:{port}/docs)")
    if "gateway" in stack.services:
        gateway = f"http://{stack.host}:{stack.port('gateway')}/"
        lines.append(f"  dashboard  {gateway}   (sign in with the regulator token)")
    lines.append(f"  Kafka      {stack.kafka.bootstrap_servers}")
    lines.append(f"  PostgreSQL {stack.postgres.url('postgres')}")
    lines.append(f"  logs       {stack.data_dir / 'logs'}")
    lines.append("")
    lines.append("regulator token (12 h):")
    lines.append("  " + stack.keys.mint("regulator", subject="dev-regulator"))
    platform = demo_platform or DEMO_PLATFORM
    lines.append(f"demo platform token for '{platform}' (12 h):")
    lines.append("  " + stack.keys.mint("platform", subject=f"dev-{platform}", platform_id=platform))
    lines.append("")
    lines.append("More tokens: .venv/bin/newform token --help    Stop: Ctrl-C")
    print("\n".join(lines), flush=True)

