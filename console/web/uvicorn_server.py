"""The console under uvicorn: a server that ends the open wallboard streams when it stops.

uvicorn waits for every open response to finish before it stops, and a wallboard's event
stream only finishes when its browser leaves (or ``console.wallboard_stream_s`` is up), so
Ctrl-C would wait that long. This server first tells the streams to end (each does within one
poll); the grace period is the backstop for anything else still running.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI
from uvicorn.config import STARTUP_FAILURE

from console.web.wallboard import open_streams_of

GRACE_S = 10
"""After this long in shutdown, uvicorn cancels what is still running."""


class ConsoleServer(uvicorn.Server):
    def __init__(
        self, config: uvicorn.Config, web: FastAPI, on_started: Callable[[], None] | None = None
    ) -> None:
        super().__init__(config)
        self.web = web
        self.on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        # Listening, and Ctrl-C / SIGTERM are uvicorn's by now (a signal in the moment before
        # could be lost in asyncio's start-up): only now is it "ready".
        if self.started and self.on_started is not None:
            self.on_started()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        open_streams_of(self.web).closing = True
        await super().shutdown(sockets)


def run_until_stopped(server: ConsoleServer) -> None:
    """Serve until Ctrl-C, as ``uvicorn.run`` does: a stop by signal is the normal end, and a
    server that could not start (the port taken) exits with uvicorn's status 3."""
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)


def console_server(
    web: FastAPI, host: str, port: int, on_started: Callable[[], None] | None = None
) -> ConsoleServer:
    # log_config=None: uvicorn logs through ours (configure_logging), PII mask included.
    config = uvicorn.Config(
        web,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=GRACE_S,
    )
    return ConsoleServer(config, web, on_started)
