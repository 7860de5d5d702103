"""The FastAGI server on its own event loop in a background thread (the dialer's main loop is
synchronous; Asterisk's AGI sessions are served concurrently beside it)."""

from __future__ import annotations

import asyncio
import threading

from dialer.agi.server import AgiServer, Handler


class AgiThread:
    def __init__(self, handlers: dict[str, Handler] | None = None, port: int = 0) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = AgiServer(handlers or {}, port=port)
        self.port = self.loop.run_until_complete(self.server.start())
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()
