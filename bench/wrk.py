"""Drive an HTTP server with wrk (Debian's `wrk`) and read its figures back as a dict."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

REPORT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"non2xx": %d, "socket_errors": %d}\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def wrk_available() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    return path


def run_wrk(
    url: str,
    *,
    body: str,
    headers: dict[str, str],
    connections: int,
    seconds: float,
    threads: int = 1,
    method: str = "POST",
) -> dict:
    """Requests/s, p50/p99 in ms and the count of non-2xx answers for `connections` requests in flight."""
    lines = [
        f"wrk.method = {json.dumps(method)}",
        f"wrk.body = {json.dumps(body, ensure_ascii=False)}",
        'wrk.headers["Content-Type"] = "application/json"',
    ]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + REPORT)
    try:
        out = subprocess.run(
            [
                wrk_available(),
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{max(1, round(seconds))}s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        Path(script.name).unlink()
    figures = json.loads(out.split("WRK_JSON", 1)[1].strip().splitlines()[0])
    seconds_run = figures["duration_us"] / 1e6
    return {
        "rps": figures["requests"] / seconds_run,
        "requests": figures["requests"],
        "seconds": seconds_run,
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "non2xx": figures["non2xx"],
        "socket_errors": figures["socket_errors"],
    }
