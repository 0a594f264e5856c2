"""A small local TCP load balancer: one service port in front of several replicas of the service.

`newform dev --replicas N` runs each service N times on ports of their own and puts this in front
of them on the service's port, so clients (and the other services) keep using one address, as they
would behind a Kubernetes Service. It is a TCP proxy (not HTTP-aware): each new client connection
goes to the next healthy replica, round robin. A replica is healthy while it accepts TCP
connections; a refused connect marks it down at once and the connection is tried on the next one,
and a probe every `probe_interval` seconds brings it back. A connection open on a replica that dies
is cut, as it would be by a real balancer; HTTP clients retry (writes with their Idempotency-Key).

It runs on its own event loop in a thread of the `newform dev` process, so it stops with the stack.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from dataclasses import dataclass

log = logging.getLogger("newform.balancer")


@dataclass
class Backend:
    host: str
    port: int
    healthy: bool = True

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class Balancer:
    def __init__(
        self,
        name: str,
        listen_host: str,
        listen_port: int,
        backends: list[tuple[str, int]],
        probe_interval: float = 1.0,
        connect_timeout: float = 2.0,
    ):
        self.name = name
        self.listen_host = listen_host
        self.listen_port = listen_port
        self.backends = [Backend(h, p) for h, p in backends]
        self.probe_interval = probe_interval
        self.connect_timeout = connect_timeout
        self._turn = itertools.cycle(range(len(self.backends)))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.connections = 0
        self._connections: set[asyncio.Task] = set()

    # -- life cycle (called from the stack's thread) ---------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve_forever, name=f"balancer-{self.name}", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=10)
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def _serve_forever(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start() when it fails to bind
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        server = await asyncio.start_server(self._proxy, self.listen_host, self.listen_port, backlog=512)
        probe = asyncio.create_task(self._probe_forever())
        self._ready.set()
        async with server:
            await self._stopped.wait()
            probe.cancel()
            server.close()
            for task in self._connections:  # open client connections end with the balancer
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)

    # -- balancing -------------------------------------------------------------------------------
    def _candidates(self) -> list[Backend]:
        """Every replica, the next healthy one first (round robin); unhealthy ones last, as a fallback."""
        start = next(self._turn)
        ordered = self.backends[start:] + self.backends[:start]
        return [b for b in ordered if b.healthy] + [b for b in ordered if not b.healthy]

    async def _proxy(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        self._connections.add(task)
        task.add_done_callback(self._connections.discard)
        upstream = None
        for backend in self._candidates():
            try:
                upstream = await asyncio.wait_for(
                    asyncio.open_connection(backend.host, backend.port), self.connect_timeout
                )
                break
            except (OSError, TimeoutError):
                self._mark(backend, healthy=False)
        if upstream is None:
            client_writer.close()
            return
        server_reader, server_writer = upstream
        try:
            await asyncio.gather(_pipe(client_reader, server_writer), _pipe(server_reader, client_writer))
        finally:
            for writer in (server_writer, client_writer):
                writer.close()

    async def _probe_forever(self) -> None:
        while True:
            await asyncio.sleep(self.probe_interval)
            for backend in self.backends:
                try:
                    _, writer = await asyncio.wait_for(
                        asyncio.open_connection(backend.host, backend.port), self.connect_timeout
                    )
                    writer.close()
                    self._mark(backend, healthy=True)
                except (OSError, TimeoutError):
                    self._mark(backend, healthy=False)

    def _mark(self, backend: Backend, *, healthy: bool) -> None:
        if backend.healthy != healthy:
            backend.healthy = healthy
            log.info("%s balancer: replica %s is %s", self.name, backend, "back" if healthy else "down")


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy one direction. At end of stream, half-close (an HTTP response may still be coming back);
    on a broken connection, close the other side too, as a dead replica's clients must see."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()
