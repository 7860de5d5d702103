"""A FastAGI server on asyncio: one task per session, a handler per script name.

A malformed or truncated session is closed with one logged line and never
takes the server down; neither does a handler that raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from dialer.agi.codec import (
    MAX_ENV_LINES,
    AgiProtocolError,
    AgiReply,
    AgiRequest,
    format_command,
    parse_environment_line,
    parse_reply,
    reply_is_complete,
)

log = logging.getLogger(__name__)
LINE_LIMIT = 8192


class AgiHangup(Exception):
    """The channel hung up (or the connection closed) while the script ran."""


@dataclass
class AgiSession:
    request: AgiRequest
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    timeout: float = 10.0
    hung_up: bool = field(default=False)

    async def command(self, verb: str, *args: str | int) -> AgiReply:
        """Send one command and wait for its reply."""
        self.writer.write(format_command(verb, *args).encode())
        await self.writer.drain()
        lines: list[str] = []
        while not reply_is_complete(lines):
            line = await _read_line(self.reader, self.timeout)
            if line is None:
                raise AgiHangup("the connection closed before the reply")
            if line == "HANGUP" and not lines:
                self.hung_up = True
                continue
            lines.append(line)
        return parse_reply(lines)

    async def get_variable(self, name: str) -> str | None:
        reply = await self.command("GET VARIABLE", name)
        return reply.data if reply.ok and reply.result == 1 else None

    async def set_variable(self, name: str, value: str) -> AgiReply:
        """Asterisk's reply: ``511`` when the channel is dead (the variable was not set)."""
        return await self.command("SET VARIABLE", name, value)

    async def hangup(self) -> None:
        await self.command("HANGUP")


Handler = Callable[[AgiSession], Awaitable[None]]


class AgiServer:
    def __init__(
        self,
        handlers: Mapping[str, Handler],
        host: str = "127.0.0.1",
        port: int = 0,
        env_timeout: float = 5.0,
    ) -> None:
        self.handlers = dict(handlers)
        self.host, self.port = host, port
        self.env_timeout = env_timeout
        self.sessions = 0
        self.failures = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, limit=LINE_LIMIT
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        try:
            request = await self._read_request(reader)
            handler = self.handlers.get(request.script)
            if handler is None:
                raise AgiProtocolError(f"no handler for script {request.script!r}")
            self.sessions += 1
            await handler(AgiSession(request, reader, writer))
        except (AgiProtocolError, AgiHangup, TimeoutError, ConnectionError) as exc:
            self.failures += 1
            log.error("AGI session from %s closed: %s", peer, exc)
        except Exception:
            self.failures += 1
            log.exception("AGI handler failed for a session from %s", peer)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _read_request(self, reader: asyncio.StreamReader) -> AgiRequest:
        env: dict[str, str] = {}
        for _ in range(MAX_ENV_LINES):
            line = await _read_line(reader, self.env_timeout)
            if line is None:
                raise AgiProtocolError("the connection closed inside the AGI environment")
            pair = parse_environment_line(line)
            if pair is None:
                if "agi_channel" not in env:
                    raise AgiProtocolError("the AGI environment has no agi_channel")
                return AgiRequest(env)
            env[pair[0]] = pair[1]
        raise AgiProtocolError(f"more than {MAX_ENV_LINES} environment lines")


async def _read_line(reader: asyncio.StreamReader, timeout: float) -> str | None:
    try:
        async with asyncio.timeout(timeout):  # no task per line, unlike wait_for
            raw = await reader.readline()
    except ValueError as exc:  # longer than the stream limit
        raise AgiProtocolError("a line longer than 8 KiB") from exc
    if not raw:
        return None
    if not raw.endswith(b"\n"):
        raise AgiProtocolError("a truncated line at the end of the stream")
    try:
        return raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise AgiProtocolError("a line that is not UTF-8") from exc
