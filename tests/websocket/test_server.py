"""The ASGI websocket scope under crlf's server, driven by real clients on 127.0.0.1.

Clients: the ``websockets`` library (interop), and raw sockets for bad input the library would
never send. Apps: a plain ASGI echo, variants that deny/close/crash, and a Starlette endpoint.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import os
import socket
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from crlf.protocol import Role
from crlf.websocket import CloseConnection, Ping, Pong, TextMessage, WSConnection
from crlf.websocket.frames import encode_frame

if TYPE_CHECKING:
    from starlette.websockets import WebSocket

Serve = Callable[..., AbstractContextManager[tuple[str, int]]]
Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    assert scope["type"] == "websocket"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert (await receive())["type"] == "websocket.connect"
    subprotocol = scope["subprotocols"][0] if scope["subprotocols"] else None
    await send(
        {"type": "websocket.accept", "subprotocol": subprotocol, "headers": [(b"x-app", b"1")]}
    )
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") == "close-please":
            await send({"type": "websocket.close", "code": 4001, "reason": "asked"})
            continue
        if message.get("text") == "scope":
            await send(
                {
                    "type": "websocket.send",
                    "text": repr(
                        (
                            scope["path"],
                            scope["query_string"],
                            scope["scheme"],
                            scope["subprotocols"],
                        )
                    ),
                }
            )
            continue
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})


def test_websockets_client_echo(serve: Serve) -> None:
    with (
        serve(echo) as (host, port),
        connect(f"ws://{host}:{port}/chat?x=1", subprotocols=[Subprotocol("chat")]) as ws,
    ):
        assert ws.subprotocol == "chat"
        assert ws.response is not None
        assert ws.response.headers["x-app"] == "1"
        assert ws.response.headers["sec-websocket-extensions"] == "permessage-deflate"
        for payload in ["hello", "h\u00e9llo \u20ac \U0001f600", "", "x" * 70000]:
            ws.send(payload)
            assert ws.recv() == payload
        for size in (0, 125, 126, 65535, 65536, 300_000):
            data = os.urandom(size)
            ws.send(data)
            assert ws.recv() == data
        ws.send("scope")
        assert ws.recv() == repr(("/chat", b"x=1", "ws", ["chat"]))


def test_without_deflate(serve: Serve) -> None:
    with serve(echo) as (host, port), connect(f"ws://{host}:{port}/", compression=None) as ws:
        assert ws.response is not None
        assert "sec-websocket-extensions" not in ws.response.headers
        ws.send("plain")
        assert ws.recv() == "plain"
        # Messages of 64 KiB or more are written as header + payload (writelines), and the
        # client's large frames are unmasked as they arrive: sizes around both thresholds.
        for size in (65535, 65536, 65537, 1 << 20):
            data = os.urandom(size)
            ws.send(data)
            assert ws.recv() == data
            text = "\u20ac" * (size // 3)  # 3 bytes of UTF-8 each
            ws.send(text)
            assert ws.recv() == text


def test_deflate_can_be_turned_off_by_the_server(serve: Serve) -> None:
    with (
        serve(echo, ws_per_message_deflate=False) as (host, port),
        connect(f"ws://{host}:{port}/") as ws,
    ):
        assert ws.response is not None
        assert "sec-websocket-extensions" not in ws.response.headers
        ws.send("x" * 1000)
        assert ws.recv() == "x" * 1000


def test_server_close_with_code_and_reason(serve: Serve) -> None:
    with serve(echo) as (host, port), connect(f"ws://{host}:{port}/") as ws:
        ws.send("close-please")
        with pytest.raises(ConnectionClosed) as info:
            ws.recv()
        assert info.value.rcvd is not None
        assert (info.value.rcvd.code, info.value.rcvd.reason) == (4001, "asked")


def test_client_close_reaches_the_app(serve: Serve) -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        seen.append(await receive())
        seen.append(await receive())

    with serve(app) as (host, port), connect(f"ws://{host}:{port}/") as ws:
        ws.send(b"\x01")
        ws.close(4321, "bye")
        # the server answered the close (else close() would have timed out) before the exit
    assert seen == [
        {"type": "websocket.receive", "bytes": b"\x01"},
        {"type": "websocket.disconnect", "code": 4321, "reason": "bye"},
    ]


def test_close_before_accept_is_403(serve: Serve) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.close"})

    with serve(app) as (host, port), pytest.raises(InvalidStatus) as info:
        connect(f"ws://{host}:{port}/")
    assert info.value.response.status_code == 403


def test_http_response_denial_extension(serve: Serve) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert "websocket.http.response" in scope["extensions"]
        await receive()
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 401,
                "headers": [(b"content-type", b"text/plain")],
            }
        )
        await send({"type": "websocket.http.response.body", "body": b"no ", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"entry"})

    with serve(app) as (host, port), pytest.raises(InvalidStatus) as info:
        connect(f"ws://{host}:{port}/")
    assert info.value.response.status_code == 401
    assert info.value.response.body == b"no entry"


def test_app_crash_before_accept_is_500_and_after_is_1011(serve: Serve) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        if scope["path"] == "/late":
            await send({"type": "websocket.accept"})
            await receive()
        raise RuntimeError("boom")

    with serve(app) as (host, port):
        with pytest.raises(InvalidStatus) as info:
            connect(f"ws://{host}:{port}/early")
        assert info.value.response.status_code == 500
        with connect(f"ws://{host}:{port}/late") as ws:
            ws.send("x")
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1011


def test_app_returning_after_accept_closes_1000(serve: Serve) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "bye"})

    with serve(app) as (host, port), connect(f"ws://{host}:{port}/") as ws:
        assert ws.recv() == "bye"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1000


# -- raw sockets: handshake errors and bad frames ----------------------------------------------

KEY = base64.b64encode(b"0123456789abcdef")


def raw_handshake(
    host: str, port: int, extra: bytes = b"", *, version: bytes = b"13", key: bytes = KEY
) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=10)
    sock.sendall(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: "
        + key
        + b"\r\nSec-WebSocket-Version: "
        + version
        + b"\r\n"
        + extra
        + b"\r\n"
    )
    return sock


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("version", "key", "status"),
    [(b"8", KEY, b"426"), (b"13", b"short", b"400"), (b"13", KEY + b"x", b"400")],
)
def test_handshake_errors(serve: Serve, version: bytes, key: bytes, status: bytes) -> None:
    with serve(echo) as (host, port):
        sock = raw_handshake(host, port, version=version, key=key)
        response = read_all(sock)  # the server answers and closes
        sock.close()
    head = response.split(b"\r\n\r\n")[0].lower()
    assert head.startswith(b"http/1.1 " + status)
    assert b"connection: close" in head
    if status == b"426":
        assert b"sec-websocket-version: 13" in head


def close_after(host: str, port: int, frames: bytes) -> tuple[list[Any], int | None]:
    """Send frames after a handshake; return what came back (events) and the close code."""
    sock = raw_handshake(host, port)
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += sock.recv(65536)
    head, rest = buf.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 101")
    sock.sendall(frames)
    client = WSConnection(Role.CLIENT)
    client.receive_data(rest + read_all(sock))
    client.receive_eof()
    sock.close()
    events = []
    while (event := client.next_event()) is not None:
        events.append(event)
    codes = [e.code for e in events if isinstance(e, CloseConnection)]
    return events, codes[0] if codes else None


MASK = b"\x11\x22\x33\x44"


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        (encode_frame(1, b"unmasked"), 1002),
        (encode_frame(9, b"x" * 126, mask_key=MASK), 1002),
        (encode_frame(1, b"\xff\xfe", mask_key=MASK), 1007),
        (
            encode_frame(1, b"a", rsv1=False, mask_key=MASK)[:1].replace(b"\x81", b"\xa1")
            + encode_frame(1, b"a", mask_key=MASK)[1:],
            1002,
        ),
        (encode_frame(3, b"", mask_key=MASK), 1002),
        (b"\x82\xff" + (1 << 40).to_bytes(8, "big") + MASK, 1009),
    ],
    ids=["unmasked", "oversized-control", "invalid-utf8", "rsv2", "opcode-3", "too-big"],
)
def test_bad_frames_close_with_code(serve: Serve, frames: bytes, code: int) -> None:
    with serve(echo) as (host, port):
        _events, got = close_after(host, port, frames)
    assert got == code


def test_messages_before_a_bad_frame_are_echoed_first(serve: Serve) -> None:
    with serve(echo) as (host, port):
        frames = encode_frame(1, b"first", mask_key=MASK) + encode_frame(1, b"\xff", mask_key=MASK)
        events, code = close_after(host, port, frames)
    assert events[0] == TextMessage("first")
    assert code == 1007


def test_ping_is_answered_and_close_echoed(serve: Serve) -> None:
    with serve(echo) as (host, port):
        frames = (
            encode_frame(9, b"hi", mask_key=MASK)
            + encode_frame(2, b"\x00", mask_key=MASK)
            + encode_frame(8, b"\x03\xe8ok", mask_key=MASK)
        )
        events, code = close_after(host, port, frames)
    assert events[0] == Pong(b"hi")
    # the Close is answered at once (§5.5.1): an echo of the message before it may not follow
    assert code == 1000


def test_keepalive_ping_timeout_closes_1011(serve: Serve) -> None:
    with serve(echo, ws_ping_interval=0.05, ws_ping_timeout=0.05) as (host, port):
        sock = raw_handshake(host, port)
        data = read_all(sock)  # we never answer the pings: the server gives up
        sock.close()
    client = WSConnection(Role.CLIENT)
    client.receive_data(data.split(b"\r\n\r\n", 1)[1])
    events = []
    while (event := client.next_event()) is not None:
        events.append(event)
    assert events[0] == Ping(b"crlf")
    assert events[-1] == CloseConnection(1011, "")


def test_max_size_option(serve: Serve) -> None:
    with serve(echo, ws_max_size=1000) as (host, port):
        _, code = close_after(host, port, encode_frame(2, b"x" * 1001, mask_key=MASK))
    assert code == 1009


# -- the waiting application stepped at once (WebSocketSession._step_now) ---------------------


async def stepped_echo(scope: Scope, receive: Receive, send: Send) -> None:
    """Echo each text with how it was received: "now" when the application's task was resumed
    inside data_received (``_step_now``), "later" when the loop resumed it; the task, the
    context variable set before the first receive and the order must hold either way."""
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    task = asyncio.current_task()
    marker.set("kept")
    while True:
        text = (await receive()).get("text")
        if text is None:
            return
        if text == "wait_for":
            message = await asyncio.wait_for(receive(), timeout=30)
            text = message["text"]
        how = "now" if _resumed_inside_data_received() else "later"
        assert asyncio.current_task() is task
        await send({"type": "websocket.send", "text": f"{text} {how} {marker.get()}"})


marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="lost")


def _resumed_inside_data_received() -> bool:
    # Resumed by the loop, the coroutine's caller is a Handle run from uvloop's C code: no
    # Python frame above it. Resumed inside data_received, the session's data_received (and
    # its _deliver, _step_now) are still on the stack above the coroutine's frame.
    frame = sys._getframe(1).f_back
    while frame is not None:
        if frame.f_code.co_name == "data_received":
            return True
        frame = frame.f_back
    return False


def test_waiting_application_is_stepped_at_once(serve: Serve) -> None:
    # A message for an application waiting in receive() resumes its task inside
    # data_received, in the task's context; several messages in one segment are each handed
    # over so, in order; a receive() wrapped in wait_for (the task waits on another future)
    # takes the loop's path.
    with serve(stepped_echo) as (host, port), connect(f"ws://{host}:{port}/") as ws:
        ws.send("a")
        assert ws.recv() == "a now kept"
        sock = ws.socket
        sock.sendall(b"".join(encode_frame(1, t.encode(), mask_key=MASK) for t in "bcd"))
        assert [ws.recv() for _ in range(3)] == ["b now kept", "c now kept", "d now kept"]
        ws.send("wait_for")
        ws.send("e")
        assert ws.recv() == "e later kept"
        ws.send("f")
        assert ws.recv() == "f now kept"


# -- Starlette ------------------------------------------------------------------------------


def test_starlette_websocket_endpoint(serve: Serve) -> None:
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept(subprotocol="v1")
        name = await websocket.receive_text()
        await websocket.send_json({"hello": name})
        data = await websocket.receive_bytes()
        await websocket.send_bytes(data[::-1])
        await websocket.close(code=1000)

    app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
    with (
        serve(app) as (host, port),
        connect(f"ws://{host}:{port}/ws", subprotocols=[Subprotocol("v1")]) as ws,
    ):
        assert ws.subprotocol == "v1"
        ws.send("crlf")
        assert ws.recv() == '{"hello":"crlf"}'
        ws.send(b"abc")
        assert ws.recv() == b"cba"
        with pytest.raises(ConnectionClosed):
            ws.recv()
