"""Starting and stopping a server the local stack runs (Kafka's broker, Keycloak): the one way, for both."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil

log = logging.getLogger(__name__)


def stop_process(pid: int, timeout: float, *, what: str) -> bool:
    """SIGTERM, then SIGKILL after `timeout` seconds; True when it stopped on its own. A process
    started with `start_new_session=True` leads its own group, and the whole group is signalled (the
    JVM's children with it) — never the caller's own group."""
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        return True
    target_group = pgid == pid and pgid != os.getpgid(0)

    def send(sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            if target_group:
                os.killpg(pgid, sig)
            else:
                os.kill(pid, sig)

    send(signal.SIGTERM)
    try:
        psutil.Process(pid).wait(timeout=timeout)
    except psutil.TimeoutExpired:
        log.warning("%s %s did not stop in %.0f s: SIGKILL", what, pid, timeout)
        send(signal.SIGKILL)
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).wait(timeout=10)
        return False
    except psutil.NoSuchProcess:
        pass
    return True


def launch_process(command: list[str], *, cwd: Path, log_file: Path, banner: str) -> subprocess.Popen[bytes]:
    """Start a server in its own process group (so `stop_process` stops its children too), its output
    appended to `log_file` after a dated banner line."""
    with open(log_file, "ab") as out:
        out.write(f"\n===== start {time.strftime('%Y-%m-%d %H:%M:%S')} {banner} =====\n".encode())
        out.flush()
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True
        )
