"""`make run` as a person uses it: `newform dev` starts everything, prints working tokens, stops
cleanly on Ctrl-C, and a second start finds the same data."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest

from newform_common import registry
from newform_local.ports import free_port, port_is_open
from newform_local.stack import installed_services


def free_offset() -> int:
    """An offset that puts every service port on a free loopback port."""
    for _ in range(50):
        offset = free_port() - 8000
        if offset > 0 and all(not port_is_open("127.0.0.1", p + offset) for p in (s.port for s in registry.SERVICES)):
            return offset
    raise RuntimeError("no free port range found")


class DevStack:
    def __init__(self, data_dir, pg_port, kafka_port, offset):
        self.args = [sys.executable, "-m", "newform_local.cli", "dev", "--data-dir", str(data_dir),
                     "--pg-port", str(pg_port), "--kafka-port", str(kafka_port), "--port-offset", str(offset)]
        self.offset = offset
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []

    def start(self, timeout: float = 240) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
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
            if len(tokens) == 2:
                return tokens
        raise AssertionError("newform dev did not print its tokens in time:\n" + "".join(self.output))

    def _pump(self):
        for line in self.proc.stdout:
            self.output.append(line)
            self.lines.put(line)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{registry.spec(service).port + self.offset}"

    def interrupt(self, timeout: float = 90) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=timeout)


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
    stack = DevStack(tmp_path / "data", free_port(), free_port(), free_offset())
    tokens = stack.start()
    try:
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
    finally:
        code = stack.interrupt()
    assert code == 0, "".join(stack.output)
    assert "stopped." in "".join(stack.output)
    for name in services:
        assert not port_is_open("127.0.0.1", registry.spec(name).port + stack.offset)

    again = DevStack(tmp_path / "data", free_port(), free_port(), free_offset())
    tokens = again.start()
    try:
        platform = {"Authorization": f"Bearer {tokens['platform']}"}
        enterprises = httpx.get(f"{again.url('contracts')}/v1/enterprises", headers=platform, timeout=10)
        assert [e["enterprise_id"] for e in enterprises.json()["items"]] == ["demo-platform"]
    finally:
        assert again.interrupt() == 0
