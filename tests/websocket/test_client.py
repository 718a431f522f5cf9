"""crlf.wsclient.connect against real servers: the ``websockets`` library's, crlf's, and raw ones."""

from __future__ import annotations

import asyncio
import os
import socket
from typing import TYPE_CHECKING, Any

import pytest
from websockets.asyncio.server import ServerConnection
from websockets.asyncio.server import serve as ws_serve

from crlf.errors import ConnectError, RemoteProtocolError
from crlf.websocket.frames import encode_frame
from crlf.wsclient import WebSocketClosed, connect

from .test_server import echo

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager

    Serve = Callable[..., AbstractContextManager[tuple[str, int]]]


async def ws_echo(ws: ServerConnection) -> None:
    async for message in ws:
        if isinstance(message, str) and message == "close-please":
            await ws.close(4002, "as asked")
            return
        await ws.send(message)


@pytest.mark.parametrize("compression", [True, False])
async def test_against_the_websockets_server(compression: bool) -> None:
    async with ws_serve(ws_echo, "127.0.0.1", 0, subprotocols=["chat"]) as server:  # type: ignore[list-item]
        port = server.sockets[0].getsockname()[1]
        async with await connect(
            f"ws://127.0.0.1:{port}/x", subprotocols=["other", "chat"], compression=compression
        ) as ws:
            assert ws.subprotocol == "chat"
            extensions = dict(ws.response_headers).get(b"sec-websocket-extensions")
            assert (extensions is not None) == compression
            messages: list[str | bytes] = [
                "hi",
                "h\u00e9llo \U0001f600",
                "",
                "x" * 100_000,
                b"",
                os.urandom(70_000),
            ]
            for message in messages:
                await ws.send(message)
                assert await ws.recv() == message
            await ws.ping(b"abc")
            await ws.ping()
            await ws.send("close-please")
            with pytest.raises(WebSocketClosed) as info:
                await ws.recv()
            assert (info.value.code, info.value.reason) == (4002, "as asked")
            assert (ws.close_code, ws.close_reason) == (4002, "as asked")
            with pytest.raises(WebSocketClosed):
                await ws.send("late")


async def test_against_crlf_server(serve: Serve) -> None:
    with serve(echo) as (host, port):
        async with await connect(f"ws://{host}:{port}/") as ws:
            await ws.send(b"\x00" * 200_000)
            assert await ws.recv() == b"\x00" * 200_000
            await ws.send("close-please")
            got = [message async for message in ws]
            assert got == []
            assert ws.close_code == 4001
        assert "CLOSED" in repr(ws)


async def test_client_close_handshake() -> None:
    closed: list[Any] = []

    async def handler(ws: ServerConnection) -> None:
        await ws.wait_closed()
        closed.append((ws.close_code, ws.close_reason))

    async with ws_serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        ws = await connect(f"ws://127.0.0.1:{port}/")
        await ws.close(4000, "done")
        await ws.wait_closed()
        assert ws.close_code == 4000  # the server echoed our code
    assert closed == [(4000, "done")]


async def test_refused_handshake_raises_with_status() -> None:
    async def handler(ws: ServerConnection) -> None:  # pragma: no cover - never reached
        pass

    def process_request(connection: ServerConnection, request: Any) -> Any:
        return connection.respond(403, "no\n")

    async with ws_serve(handler, "127.0.0.1", 0, process_request=process_request) as server:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(RemoteProtocolError) as info:
            await connect(f"ws://127.0.0.1:{port}/")
        assert info.value.status_hint == 403


async def test_bad_urls_and_unreachable_servers() -> None:
    with pytest.raises(ValueError, match="ws://"):
        await connect("http://127.0.0.1/")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connection refused
        with pytest.raises(ConnectError):
            await connect(f"ws://127.0.0.1:{port}/")


async def raw_server(
    reply: Callable[[bytes], bytes], *, hang_up: bool = False
) -> tuple[asyncio.Server, int]:
    """A server that answers the handshake head with ``reply(head)``, then hangs up at once
    (``hang_up``) or when the client goes."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        writer.write(reply(head))
        await writer.drain()
        if not hang_up:
            await reader.read()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def accept_then(frames: bytes) -> Callable[[bytes], bytes]:
    from crlf.websocket import accept_key

    def reply(head: bytes) -> bytes:
        key = next(
            line.split(b":", 1)[1].strip()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        return (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept_key(key) + b"\r\n\r\n" + frames
        )

    return reply


async def test_server_protocol_error_fails_the_connection() -> None:
    server, port = await raw_server(accept_then(encode_frame(1, b"masked!", mask_key=b"abcd")))
    async with server:
        ws = await connect(f"ws://127.0.0.1:{port}/", close_timeout=5)
        with pytest.raises(WebSocketClosed) as info:
            await ws.recv()
        assert info.value.code == 1002


async def test_dropped_connection_is_1006_and_pings_are_answered() -> None:
    server, port = await raw_server(
        accept_then(encode_frame(9, b"p") + encode_frame(1, b"hi")), hang_up=True
    )
    async with server:
        ws = await connect(f"ws://127.0.0.1:{port}/")
        assert await ws.recv() == "hi"
        await ws.close()
        assert ws.close_code == 1006  # the raw server never sent a Close


async def test_broken_handshakes() -> None:
    cases: list[Callable[[bytes], bytes]] = [
        lambda head: (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bad\r\n\r\n"
        ),
        lambda head: b"HTTP/1.1 100 Continue\r\n\r\n",  # then nothing: closed mid-handshake
    ]
    for reply in cases:
        server, port = await raw_server(reply, hang_up=True)
        async with server:
            with pytest.raises(RemoteProtocolError):
                await connect(f"ws://127.0.0.1:{port}/", open_timeout=5)


async def test_open_timeout() -> None:
    server, port = await raw_server(lambda head: b"")
    async with server:
        with pytest.raises(ConnectError, match="timed out"):
            await connect(f"ws://127.0.0.1:{port}/", open_timeout=0.2)


async def test_close_timeout_aborts_a_silent_server() -> None:
    # The raw server accepts, then neither answers our Close nor closes the TCP connection.
    server, port = await raw_server(accept_then(b""))
    async with server:
        ws = await connect(f"ws://127.0.0.1:{port}/", close_timeout=0.2)
        await ws.close()
        assert ws.close_code == 1006


async def test_ipv6_host_header() -> None:
    heads: list[bytes] = []

    def reply(head: bytes) -> bytes:
        heads.append(head)
        return accept_then(b"")(head)

    try:
        server = await asyncio.start_server(lambda r, w: None, "::1", 0)
    except OSError:
        pytest.skip("no IPv6 loopback")
    server.close()
    await server.wait_closed()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(reply(await reader.readuntil(b"\r\n\r\n")))
        await reader.read()
        writer.close()

    server = await asyncio.start_server(handle, "::1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        ws = await connect(f"ws://[::1]:{port}/path?q=1", close_timeout=0.2)
        await ws.close()
    assert heads[0].startswith(b"GET /path?q=1 HTTP/1.1\r\n")
    assert f"\r\nHost: [::1]:{port}\r\n".encode() in heads[0]
