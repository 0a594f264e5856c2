"""A real HTTP server for a test: an ASGI app served by uvicorn on 127.0.0.1 inside the test's loop."""

from __future__ import annotations

import asyncio

import uvicorn


class LoopbackServer:
    """Runs an ASGI app with real uvicorn on 127.0.0.1:<port> inside the test's event loop."""

    def __init__(self, app, port: int):
        self.port = port
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        self._task: asyncio.Task | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> LoopbackServer:
        self.server.should_exit = False
        self._task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.05)
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.should_exit = True
        if self._task:
            await self._task
