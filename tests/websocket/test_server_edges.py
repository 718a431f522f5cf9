"""The ASGI websocket adapter's edges: misuse by the application, disconnects, flow control,
keepalive, shutdown. Real crlf servers on 127.0.0.1, raw-socket or ``websockets`` clients."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import TYPE_CHECKING, Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from crlf.protocol import Role
from crlf.server._websocket import ClientDisconnected
from crlf.websocket import CloseConnection, Ping, TextMessage, WSConnection
from crlf.websocket.frames import encode_frame

from .conftest import running_server
from .test_server import MASK, echo, raw_handshake, read_all

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager

    Serve = Callable[..., AbstractContextManager[tuple[str, int]]]
    Scope = dict[str, Any]
    Receive = Callable[[], Any]
    Send = Callable[[dict[str, Any]], Any]


def open_raw(host: str, port: int, first: bytes = b"") -> tuple[socket.socket, WSConnection]:
    """A raw client after the handshake (``first`` is sent with the request), and its codec."""
    sock = raw_handshake(host, port, first)
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += sock.recv(65536)
    head, rest = buf.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 101"), head
    client = WSConnection(Role.CLIENT)
    client.receive_data(rest)
    return sock, client


def next_event(sock: socket.socket, client: WSConnection) -> Any:
    while (event := client.next_event()) is None:
        data = sock.recv(65536)
        if not data:
            client.receive_eof()
        else:
            client.receive_data(data)
    return event


def test_returning_without_handshake_is_500(serve: Serve) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()

    with serve(app) as (host, port), pytest.raises(InvalidStatus) as info:
        connect(f"ws://{host}:{port}/")
    assert info.value.response.status_code == 500


@pytest.mark.parametrize(
    "messages",
    [
        [{"type": "websocket.send", "text": "before accept"}],
        [{"type": "websocket.http.response.body", "body": b""}],
        [{"type": "websocket.bogus"}],
    ],
)
def test_misuse_before_accept_is_500(serve: Serve, messages: list[dict[str, Any]]) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        for message in messages:
            await send(message)

    with serve(app) as (host, port), pytest.raises(InvalidStatus) as info:
        connect(f"ws://{host}:{port}/")
    assert info.value.response.status_code == 500


@pytest.mark.parametrize(
    "message",
    [
        {"type": "websocket.send"},
        {"type": "websocket.accept"},
        {"type": "websocket.http.response.start", "status": 200},
    ],
)
def test_misuse_after_accept_is_1011(serve: Serve, message: dict[str, Any]) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send(message)

    with serve(app) as (host, port), connect(f"ws://{host}:{port}/") as ws:
        with pytest.raises(ConnectionClosed) as info:
            ws.recv()
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == 1011


def test_denial_cut_short_drops_the_connection(serve: Serve) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.http.response.start", "status": 404})
        await send({"type": "websocket.http.response.body", "body": b"partial", "more_body": True})

    with serve(app) as (host, port):
        sock = raw_handshake(host, port)
        response = read_all(sock)
        sock.close()
    assert response.startswith(b"HTTP/1.1 404")
    assert response.endswith(b"partial") or b"7\r\npartial" in response


def test_disconnect_before_accept_reaches_the_app(serve: Serve) -> None:
    seen: list[dict[str, Any]] = []
    go = threading.Event()
    done = threading.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await asyncio.get_running_loop().run_in_executor(None, go.wait)
        # The client is gone (the driver may or may not have seen it yet): either way the
        # application ends up with websocket.disconnect, and sending fails.
        await send({"type": "websocket.accept"})
        seen.append(await receive())
        with pytest.raises(ClientDisconnected):
            await send({"type": "websocket.send", "text": "gone"})
        await send({"type": "websocket.close"})  # closing a closed socket is a no-op
        done.set()

    with serve(app) as (host, port):
        sock = raw_handshake(host, port)
        sock.close()
        go.set()
        assert done.wait(10)
    assert seen == [{"type": "websocket.disconnect", "code": 1006, "reason": ""}]


def test_after_disconnect_receive_repeats_and_send_raises(serve: Serve) -> None:
    seen: list[Any] = []
    done = threading.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        seen.append(await receive())
        seen.append(await receive())
        try:
            await send({"type": "websocket.send", "bytes": b"late"})
        except OSError as exc:
            seen.append(type(exc).__name__)
        try:
            await send({"type": "websocket.accept"})
        except OSError as exc:
            seen.append(type(exc).__name__)
        done.set()

    with serve(app) as (host, port):
        sock, _ = open_raw(host, port)
        sock.shutdown(socket.SHUT_WR)  # EOF without a Close frame: 1006
        assert done.wait(10)
        sock.close()
    assert seen == [
        {"type": "websocket.disconnect", "code": 1006, "reason": ""},
        {"type": "websocket.disconnect", "code": 1006, "reason": ""},
        "ClientDisconnected",
        "ClientDisconnected",
    ]


def test_close_codes_the_app_may_not_send_become_1000(serve: Serve) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 1006})
        await send({"type": "websocket.close", "code": 1000})  # already closing: ignored
        with pytest.raises(ClientDisconnected):
            await send({"type": "websocket.send", "text": "after close"})
        message = await receive()
        assert message["type"] == "websocket.disconnect"

    with serve(app) as (host, port), connect(f"ws://{host}:{port}/") as ws:
        with pytest.raises(ConnectionClosed) as info:
            ws.recv()
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == 1000


def test_frames_sent_with_the_handshake_are_kept(serve: Serve) -> None:
    with serve(echo) as (host, port):
        # The request and the first frame in one write: the frame waits in the HTTP buffer.
        sock = socket.create_connection((host, port), timeout=10)
        sock.sendall(
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: MDEyMzQ1Njc4OWFiY2RlZg==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            + encode_frame(1, b"early", mask_key=MASK)
        )
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += sock.recv(65536)
        client = WSConnection(Role.CLIENT)
        client.receive_data(buf.split(b"\r\n\r\n", 1)[1])
        assert next_event(sock, client) == TextMessage("early")
        sock.sendall(encode_frame(8, b"", mask_key=MASK))  # a Close without a code
        assert next_event(sock, client) == CloseConnection(1005, "")
        sock.close()


def test_keepalive_pings_answered_keep_the_connection(serve: Serve) -> None:
    with serve(echo, ws_ping_interval=0.05, ws_ping_timeout=5.0) as (host, port):
        sock, client = open_raw(host, port)
        for _ in range(3):
            ping = next_event(sock, client)
            assert isinstance(ping, Ping)
            sock.sendall(encode_frame(0xA, ping.payload, mask_key=MASK))
        sock.sendall(encode_frame(1, b"still here", mask_key=MASK))
        while (event := next_event(sock, client)) != TextMessage("still here"):
            assert isinstance(event, Ping)
        sock.close()


def test_write_backpressure(serve: Serve) -> None:
    chunk = b"x" * (1 << 20)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        for _ in range(16):  # far more than the socket buffers: send() must wait
            await send({"type": "websocket.send", "bytes": chunk})
        await send({"type": "websocket.close"})

    with serve(app, ws_per_message_deflate=False) as (host, port):
        sock, client = open_raw(host, port)
        got = 0
        while not isinstance(event := next_event(sock, client), CloseConnection):
            got += len(event.data)
        sock.close()
    assert got == 16 << 20


def test_read_backpressure(serve: Serve) -> None:
    go = threading.Event()
    counted: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await asyncio.get_running_loop().run_in_executor(None, go.wait)
        total = 0
        while (message := await receive())["type"] == "websocket.receive":
            total += len(message["bytes"])
            if total == 24 * 65536:
                counted.append(total)
                await send({"type": "websocket.send", "text": str(total)})

    with serve(app) as (host, port):
        sock, client = open_raw(host, port)
        for _ in range(24):  # 1.5 MiB waits for receive(): more than the read high-water mark
            sock.sendall(encode_frame(2, b"y" * 65536, mask_key=MASK))
        go.set()
        assert next_event(sock, client) == TextMessage(str(24 * 65536))
        sock.close()
    assert counted == [24 * 65536]


def test_server_shutdown_closes_1001() -> None:
    with running_server(echo) as (host, port, server):
        sock, client = open_raw(host, port)
        server.request_exit()
        event = next_event(sock, client)
        sock.sendall(encode_frame(8, b"\x03\xe9", mask_key=MASK))
        sock.close()
    assert event == CloseConnection(1001, "")


def test_a_cancelled_receive_loses_no_message(serve: Serve) -> None:
    # receive() hands the next message straight to the waiting application; a receive() given
    # up on (wait_for timing out cancels it) must leave the next message queued, not lost.
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(receive(), 0.01)
        await send({"type": "websocket.send", "text": "timed out"})
        message = await receive()
        await send({"type": "websocket.send", "text": "got " + message["text"]})
        await receive()  # the close

    with serve(app) as (host, port), connect(f"ws://{host}:{port}/") as ws:
        assert ws.recv(timeout=5) == "timed out"
        ws.send("after")
        assert ws.recv(timeout=5) == "got after"
