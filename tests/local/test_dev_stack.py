"""`make run` as a person uses it: `newform dev` starts everything, provisions every service's topics
before anything is written, prints working tokens, restarts a service that dies, stops cleanly on
Ctrl-C or a SIGTERM to its process group, and a second start finds the same data."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from newform_common import registry
from newform_local.keycloak import LocalKeycloak
from newform_local.keys import Keys
from newform_local.ports import free_port, port_is_open
from newform_local.stack import installed_services

from ..kit.idp import TestKeycloak

SERVICE_PORTS = {spec.name: spec.port for spec in registry.SERVICES}


def free_offset() -> int:
    """An offset that puts every service port on a free loopback port below the kernel's ephemeral
    range: a port in that range can be taken, between this check and the bind, by an outgoing
    connection (the services' own to Kafka and PostgreSQL), as a fresh-clone run showed."""
    for _ in range(50):
        offset = random.randint(10_000, 24_000)  # service ports 18000–32005, below 32768
        if all(not port_is_open("127.0.0.1", p + offset) for p in (s.port for s in registry.SERVICES)):
            return offset
    raise RuntimeError("no free port range found")


class DevStack:
    def __init__(self, data_dir, pg_port, kafka_port, offset, *, idp: bool = False):
        """``idp``: with Keycloak (what `make run` does); without (`--no-idp`) the test is a minute shorter."""
        self.args = [
            sys.executable,
            "-m",
            "newform_local.cli",
            "dev",
            "--data-dir",
            str(data_dir),
            "--pg-port",
            str(pg_port),
            "--kafka-port",
            str(kafka_port),
            "--port-offset",
            str(offset),
            *([] if idp else ["--no-idp"]),
        ]
        self.offset = offset
        self.kafka = f"127.0.0.1:{kafka_port}"
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []

    def start(self, timeout: float = 240) -> dict[str, str]:
        """Until the welcome text ends: the tokens it printed (`--no-idp`), else none (people sign in)."""
        env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
        # Its own process group, as a terminal gives it: the test signals that group, as Ctrl-C does.
        self.proc = subprocess.Popen(
            self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True
        )
        threading.Thread(target=self._pump, daemon=True).start()
        tokens, expecting = {}, None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.proc.poll() is None, "newform dev exited:\n" + "".join(self.output)
                continue
            if line.startswith("regulator token"):
                expecting = "regulator"
            elif line.startswith("demo platform token"):
                expecting = "platform"
            elif expecting and line.startswith("  ey"):
                tokens[expecting] = line.strip()
                expecting = None
            elif "Stop: Ctrl-C" in line:
                return tokens
        raise AssertionError("newform dev did not finish its welcome in time:\n" + "".join(self.output))

    def _pump(self):
        for line in self.proc.stdout:
            self.output.append(line)
            self.lines.put(line)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{registry.spec(service).port + self.offset}"

    def interrupt(self, timeout: float = 90, sig: signal.Signals = signal.SIGINT, group: bool = False) -> int:
        if group:
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def wait_for_line(self, text: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.output):
                if text in line:
                    return line
            time.sleep(0.2)
        raise AssertionError(f"newform dev never printed {text!r}:\n" + "".join(self.output))

    def service_pids(self, service: str) -> list[int]:
        return [
            p.pid
            for p in psutil.Process(self.proc.pid).children(recursive=False)
            if f"newform_{service}.main:create_app" in " ".join(p.cmdline())
        ]


def stack_keycloak(data_dir: Path, port: int) -> TestKeycloak:
    """The stack's Keycloak as the kit drives one (its login form), with the stack's secrets."""
    keys = data_dir / "keys"
    server = LocalKeycloak(
        data_dir / "keycloak", port, "", admin_password=(keys / "keycloak-admin-password").read_text().strip()
    )
    return TestKeycloak(server, json.loads((keys / "keycloak-clients.json").read_text()))


def demo_contracts(stack: DevStack, platform_token: str) -> list[tuple[str, str, list[str]]]:
    listed = httpx.get(
        f"{stack.url('contracts')}/v1/contracts",
        headers={"Authorization": f"Bearer {platform_token}"},
        params={"platform_id": "demo-platform"},
        timeout=10,
    )
    assert listed.status_code == 200, listed.text
    contracts = listed.json()["items"]
    return sorted((c["engagement_type"], c["status"], [f["rule"] for f in c["findings"]]) for c in contracts)


async def topic_partitions(bootstrap: str) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {
            t["topic"]: len(t["partitions"]) for t in await admin.describe_topics() if not t["topic"].startswith("__")
        }
    finally:
        await admin.close()


async def write_to_unknown_topic(bootstrap: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    await producer.start()
    try:
        await producer.send_and_wait("nobody-made-this.events", b"{}")
    finally:
        await producer.stop()


@pytest.fixture
def stack_dir():
    # Outside pytest's tmp folder, which pytest may tighten to 0700 (PostgreSQL runs as another user).
    folder = Path(tempfile.mkdtemp(prefix="newform-dev-stack-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.timeout(600)
def test_make_run_starts_everything_stops_cleanly_and_restarts_on_the_same_data(stack_dir):
    tmp_path = stack_dir
    services = installed_services()
    assert {"contracts", "gateway"} <= set(services)
    stack = DevStack(tmp_path / "data", free_port(), free_port(), free_offset(), idp=True)
    printed = stack.start()
    # With the identity provider people sign in and no token is printed: scripts mint theirs (`newform token`).
    assert not printed and "sign in as worker-zhang or worker-li" in "".join(stack.output)
    keys = Keys(tmp_path / "data" / "keys")
    tokens = {
        "regulator": keys.mint("regulator", subject="test-regulator"),
        "platform": keys.mint("platform", subject="test-demo-platform", platform_id="demo-platform"),
    }
    try:
        # Every service's topic and dead-letter topic exists with the configured partitions, made at
        # start-up: nothing is ever written to a DLQ here, and the broker creates no topic itself.
        topics = asyncio.run(topic_partitions(stack.kafka))
        for name in services:
            assert topics.get(f"{name}.events") == 3, topics
            assert topics.get(f"{name}.events.dlq") == 3, topics
        with pytest.raises(KafkaError):
            asyncio.run(write_to_unknown_topic(stack.kafka))
        assert "nobody-made-this.events" not in asyncio.run(topic_partitions(stack.kafka))
        for name in services:
            ready = httpx.get(f"{stack.url(name)}/readyz", timeout=10)
            assert ready.status_code == 200 and ready.json()["status"] == "ready", (name, ready.text)
        platform = {"Authorization": f"Bearer {tokens['platform']}"}
        regulator = {"Authorization": f"Bearer {tokens['regulator']}"}
        enterprises = httpx.get(f"{stack.url('contracts')}/v1/enterprises", headers=platform, timeout=10)
        assert enterprises.status_code == 200
        assert [e["enterprise_id"] for e in enterprises.json()["items"]] == ["demo-platform"]
        overview = httpx.get(f"{stack.url('gateway')}/v1/overview", headers=regulator, timeout=10)
        assert overview.status_code == 200

        # The identity provider: the demo platform's client credentials, as printed, get a token from
        # Keycloak that contracts accepts (OIDC_ISSUERS names it in every service's environment).
        curl = stack.wait_for_line("curl -s -d grant_type=client_credentials").split()
        form = dict(curl[i + 1].split("=", 1) for i, word in enumerate(curl) if word == "-d")
        issued = httpx.post(curl[-1], data=form, timeout=30)
        assert issued.status_code == 200, issued.text
        keycloak = {"Authorization": f"Bearer {issued.json()['access_token']}"}
        enterprises = httpx.get(f"{stack.url('contracts')}/v1/enterprises", headers=keycloak, timeout=10)
        assert enterprises.status_code == 200, enterprises.text
        assert [e["enterprise_id"] for e in enterprises.json()["items"]] == ["demo-platform"]
        keycloak_port = int(curl[-1].split(":")[2].split("/")[0])

        # The demo world was seeded: worker-zhang signs in on Keycloak's login page (as the workers' app
        # does, PKCE) and, through the gateway's pass-through, finds the demo platform's labour contract
        # waiting for their signature; worker-li's agreement is signed by both.
        assert "demo data" in stack.wait_for_line("newform: demo data")
        provider = stack_keycloak(tmp_path / "data", keycloak_port)
        signed_in = provider.login("worker-zhang", redirect_uri=f"{stack.url('gateway')}/app/")
        zhang = {"Authorization": f"Bearer {signed_in['access_token']}"}
        mine = httpx.get(f"{stack.url('gateway')}/app/api/contracts/v1/contracts", headers=zhang, timeout=10)
        assert mine.status_code == 200, mine.text
        waiting = [(c["platform_id"], c["engagement_type"], c["status"]) for c in mine.json()["items"]]
        assert waiting == [("demo-platform", "labor_contract", "sent")], waiting
        statements = httpx.get(f"{stack.url('gateway')}/app/api/wages/v1/statements", headers=zhang, timeout=10)
        assert [(s["paid_fen"] == s["gross_fen"], s["findings"]) for s in statements.json()["items"]] == [(True, [])]
        seeded = demo_contracts(stack, tokens["platform"])
        # li's agreement, signed, carries the demo's one finding: called a work agreement, employment on its facts.
        assert seeded == [
            ("labor_contract", "sent", []),
            ("work_agreement", "signed", ["M1.misclassification"]),
        ], seeded
    finally:
        code = stack.interrupt()
    assert code == 0, "".join(stack.output)
    assert "stopped." in "".join(stack.output)
    for name in services:
        assert not port_is_open("127.0.0.1", registry.spec(name).port + stack.offset)
    assert not port_is_open("127.0.0.1", keycloak_port)

    again = DevStack(tmp_path / "data", free_port(), free_port(), free_offset())
    tokens = again.start()
    try:
        platform = {"Authorization": f"Bearer {tokens['platform']}"}
        enterprises = httpx.get(f"{again.url('contracts')}/v1/enterprises", headers=platform, timeout=10)
        assert [e["enterprise_id"] for e in enterprises.json()["items"]] == ["demo-platform"]
        # The seed again, on the same data: nothing new (still one contract for each demo worker).
        assert "demo data" in again.wait_for_line("all there already")
        assert demo_contracts(again, tokens["platform"]) == seeded
    finally:
        assert again.interrupt() == 0


@pytest.mark.timeout(600)
def test_dev_restarts_a_service_that_dies_and_stops_on_sigterm_to_its_process_group(stack_dir):
    stack = DevStack(stack_dir / "data", free_port(), free_port(), free_offset())
    stack.start()
    try:
        [contracts] = stack.service_pids("contracts")
        os.kill(contracts, signal.SIGKILL)
        stack.wait_for_line("contracts exited with code -9")
        stack.wait_for_line("contracts restarted (restart 1)")
        assert stack.proc.poll() is None, "the stack must keep running when a service dies"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not port_is_open("127.0.0.1", SERVICE_PORTS["contracts"] + stack.offset):
            time.sleep(0.3)
        ready = httpx.get(f"{stack.url('contracts')}/readyz", timeout=10)
        assert ready.status_code == 200
        assert stack.service_pids("contracts") != [contracts]

        # A broker that dies under it is reported, started again, and reported back.
        broker = int((stack_dir / "data" / "kafka" / "broker.pid").read_text())
        os.killpg(broker, signal.SIGKILL)
        stack.wait_for_line("is down: writes wait in the outboxes until it is back; restarting it")
        stack.wait_for_line(" is back after ")
        assert stack.proc.poll() is None
        servers = [p for p in psutil.Process(stack.proc.pid).children(recursive=True)]
    finally:
        code = stack.interrupt(sig=signal.SIGTERM, group=True)
    assert code == 0, "".join(stack.output)
    assert "stopped." in "".join(stack.output)
    assert not [p.pid for p in servers if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    for port in [SERVICE_PORTS[name] + stack.offset for name in installed_services()]:
        assert not port_is_open("127.0.0.1", port)
