"""FastAGI: the codec on a golden transcript recorded from the real Asterisk 22, and the server
against malformed, truncated and many concurrent sessions."""

from __future__ import annotations

import asyncio

import pytest

from dialer.agi import AgiProtocolError, AgiServer, AgiSession, format_command, parse_reply
from dialer.agi.codec import parse_environment
from tests.conftest import FIXTURES

GOLDEN = FIXTURES / "agi" / "selftest.txt"


def golden() -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The environment lines, then (command, reply lines) pairs, as Asterisk sent them."""
    env: list[str] = []
    exchanges: list[tuple[str, list[str]]] = []
    for raw in GOLDEN.read_text(encoding="utf-8").splitlines():
        direction, line = raw[:1], raw[2:]
        if direction == ">":
            exchanges.append((line, []))
        elif exchanges:
            exchanges[-1][1].append(line)
        else:
            env.append(line)
    return env, exchanges


def test_the_environment_of_a_real_session() -> None:
    env, _ = golden()
    request = parse_environment(env)
    assert request.script == "selftest"
    assert request.args == ("one", "", "three")  # Asterisk sends "agi_arg_2: " for an empty one
    assert request.channel.startswith("Local/s@callwarden-selftest-")
    assert request.env["agi_accountcode"] == ""


def test_every_real_reply_parses() -> None:
    _, exchanges = golden()
    replies = {command: parse_reply(lines) for command, lines in exchanges}
    assert (
        replies['GET VARIABLE "CW_ATTEMPT"'].result,
        replies['GET VARIABLE "CW_ATTEMPT"'].data,
    ) == (1, "4242")
    assert replies['GET VARIABLE "NOPE"'].result == 0
    assert replies["FOO BAR"].code == 510 and replies["FOO BAR"].result is None
    assert replies["SET VARIABLE"].code == 520 and "Proper usage" in replies["SET VARIABLE"].text


def test_commands_are_formatted_as_asterisk_read_them() -> None:
    _, exchanges = golden()
    sent = [command for command, _ in exchanges]
    assert format_command("GET VARIABLE", "CW_ATTEMPT") == sent[0] + "\n"
    assert format_command("VERBOSE", 'hello "quoted" world', 1) == sent[4] + "\n"
    with pytest.raises(ValueError):
        format_command("SET VARIABLE", "X", "two\nlines")


@pytest.mark.parametrize(
    "lines",
    [["agi_channel: x"], ["hello"], ["agi_network: yes", ""], []],
)
def test_bad_environments_are_refused(lines: list[str]) -> None:
    with pytest.raises(AgiProtocolError):
        parse_environment(lines)


class FakeAsterisk:
    """Plays Asterisk's side of the golden transcript over a real TCP connection."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def session(self, env: list[str] | None = None, replies: bool = True) -> list[str]:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        real_env, exchanges = golden()
        writer.write(
            "".join(f"{line}\n" for line in (env if env is not None else real_env)).encode()
        )
        await writer.drain()
        received: list[str] = []
        answers = {command: lines for command, lines in exchanges}
        while replies and (line := await reader.readline()):
            command = line.decode().rstrip("\n")
            received.append(command)
            writer.write("".join(f"{x}\n" for x in answers[command]).encode())
            await writer.drain()
        writer.close()
        return received


async def replay_handler(session: AgiSession) -> None:
    assert await session.get_variable("CW_ATTEMPT") == "4242"
    await session.set_variable("CW_DECISION", "allow")
    assert await session.get_variable("CW_DECISION") == "allow"
    assert await session.get_variable("NOPE") is None
    assert (await session.command("FOO BAR")).code == 510


def test_the_server_replays_a_real_session_and_survives_bad_ones() -> None:
    async def scenario() -> AgiServer:
        server = AgiServer({"selftest": replay_handler}, env_timeout=0.5)
        asterisk = FakeAsterisk(await server.start())
        sent = await asterisk.session()
        assert sent[0] == 'GET VARIABLE "CW_ATTEMPT"' and sent[-1] == "FOO BAR"
        await asterisk.session(env=["this is not agi", ""], replies=False)
        await asterisk.session(env=["agi_network: yes"], replies=False)  # truncated, then closed
        await asterisk.session(
            env=["agi_channel: x", "agi_network_script: nosuch", ""], replies=False
        )
        await asterisk.session(env=["agi_x: " + "y" * 10_000, ""], replies=False)
        await asyncio.sleep(0.2)
        again = await asterisk.session()  # still serving
        assert len(again) == 5
        await server.close()
        return server

    server = asyncio.run(scenario())
    assert server.sessions == 2 and server.failures == 4


def test_two_hundred_concurrent_sessions() -> None:
    async def scenario() -> AgiServer:
        server = AgiServer({"selftest": replay_handler})
        asterisk = FakeAsterisk(await server.start())
        results = await asyncio.gather(*(asterisk.session() for _ in range(200)))
        assert all(len(sent) == 5 for sent in results)
        await server.close()
        return server

    server = asyncio.run(scenario())
    assert (server.sessions, server.failures) == (200, 0)
