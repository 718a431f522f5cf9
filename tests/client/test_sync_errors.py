"""Bad responses and broken connections from scripted raw-socket servers: each ends in a typed
error or a transparent retry, never a hang or wrong data (U3 test_socketlevel.py style)."""

from __future__ import annotations

import socket
import threading
from typing import TYPE_CHECKING

import pytest

import crlf
from crlf.client import PoolLimits, Timeout

if TYPE_CHECKING:
    from collections.abc import Callable

    from .servers import Handler, Peer, ScriptedServer

Scripted = "Callable[[Handler], ScriptedServer]"


def one_response(raw: bytes) -> Handler:
    """A handler that reads one request, writes ``raw`` and closes."""

    def handler(peer: Peer) -> None:
        peer.read_request()
        peer.send(raw)

    return handler


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"HTTP/1.1 OK 200\r\nContent-Length: 0\r\n\r\n", "status line"),
        (b"HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", "version"),
        (b"ICY 200 OK\r\n\r\n", "status line"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n0\r\n\r\n",
            "Transfer-Encoding and Content-Length",
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", ""),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", ""),
        (b"HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 0\r\n\r\n", ""),
        (b"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\nContent-Length: 0\r\n\r\n", ""),
    ],
)
def test_malformed_response_raises_remote_protocol_error(
    scripted: Callable[[Handler], ScriptedServer], raw: bytes, message: str
) -> None:
    server = scripted(one_response(raw))
    with crlf.Client() as client, pytest.raises(crlf.RemoteProtocolError) as info:
        client.get(server.url())
    assert message.lower() in str(info.value).lower()


def test_truncated_body_raises(scripted: Callable[[Handler], ScriptedServer]) -> None:
    server = scripted(one_response(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b"))
    with crlf.Client() as client, pytest.raises((crlf.RemoteProtocolError, crlf.ReadError)):
        client.get(server.url())


def test_truncated_chunked_body_raises(scripted: Callable[[Handler], ScriptedServer]) -> None:
    server = scripted(
        one_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
    )
    with crlf.Client() as client, pytest.raises((crlf.RemoteProtocolError, crlf.ReadError)):
        client.get(server.url())


def test_close_delimited_body_is_read_to_eof(scripted: Callable[[Handler], ScriptedServer]) -> None:
    server = scripted(
        one_response(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close")
    )
    with crlf.Client() as client:
        r = client.get(server.url())
        assert r.content == b"until close"
        assert r.http_version == "HTTP/1.0"
        assert client.pool.idle_count() == 0


def test_no_response_at_all_raises(scripted: Callable[[Handler], ScriptedServer]) -> None:
    server = scripted(one_response(b""))
    with crlf.Client() as client, pytest.raises(crlf.RemoteProtocolError):
        client.get(server.url())


def _answer_then_drop(drop_after_reading: bool) -> Callable[[Peer], None]:
    """First connection: answer one request, then (read the next one and) close silently.
    Later connections: answer everything."""

    def handler(peer: Peer) -> None:
        while True:
            req = peer.read_request()
            if req is None:
                return
            if peer.index == 0 and req[1] == "/second":
                return  # close without answering: the keep-alive race of RFC 9112 §9.3.1
            peer.respond(200, f"conn {peer.index}".encode())
            if peer.index == 0 and not drop_after_reading:
                return

    return handler


def test_idle_connection_closed_by_server_is_replaced(
    scripted: Callable[[Handler], ScriptedServer],
) -> None:
    server = scripted(_answer_then_drop(drop_after_reading=False))
    with crlf.Client() as client:
        assert client.get(server.url("/first")).text == "conn 0"
        assert client.get(server.url("/second")).text == "conn 1"
    assert server.connections == 2


def test_stale_connection_retried_once_for_get(
    scripted: Callable[[Handler], ScriptedServer],
) -> None:
    server = scripted(_answer_then_drop(drop_after_reading=True))
    with crlf.Client() as client:
        assert client.get(server.url("/first")).text == "conn 0"
        assert client.get(server.url("/second")).text == "conn 1"
    assert server.connections == 2


def test_stale_connection_not_retried_for_post(
    scripted: Callable[[Handler], ScriptedServer],
) -> None:
    server = scripted(_answer_then_drop(drop_after_reading=True))
    with crlf.Client() as client:
        assert client.get(server.url("/first")).text == "conn 0"
        with pytest.raises(crlf.ReadError):
            client.post(server.url("/second"), content=b"once only")
    assert server.connections == 1


def test_read_timeout(scripted: Callable[[Handler], ScriptedServer]) -> None:
    def silent(peer: Peer) -> None:
        peer.read_request()
        peer.read_head()  # returns when the client gives up and closes

    server = scripted(silent)
    with crlf.Client(timeout=0.2) as client, pytest.raises(crlf.ReadTimeout):
        client.get(server.url())
    with crlf.Client(timeout=Timeout(read=0.2)) as client, pytest.raises(TimeoutError):
        client.get(server.url())


def test_connect_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with crlf.Client() as client, pytest.raises(crlf.ConnectError):
        client.get(f"http://127.0.0.1:{port}/")


def test_pool_timeout_when_every_connection_is_busy(
    serve: Callable[..., ScriptedServer],
) -> None:
    server = serve(lambda peer, m, t, h, b: peer.respond(200, b"x" * 100))
    limits = PoolLimits(max_connections=1)
    with crlf.Client(limits=limits, timeout=Timeout(pool=0.1)) as client:
        with client.stream("GET", server.url()) as held:
            with pytest.raises(crlf.PoolTimeout):
                client.get(server.url())
            assert held.read() == b"x" * 100
        assert client.get(server.url()).content == b"x" * 100
    assert server.connections == 1


def test_pool_waiter_gets_released_connection(serve: Callable[..., ScriptedServer]) -> None:
    server = serve(lambda peer, m, t, h, b: peer.respond(200, t.encode()))
    with crlf.Client(max_connections=1) as client:
        results: list[str] = []
        with client.stream("GET", server.url("/a")) as held:
            thread = threading.Thread(
                target=lambda: results.append(client.get(server.url("/b")).text)
            )
            thread.start()
            assert held.read() == b"/a"
        thread.join(5)
    assert results == ["/b"]
    assert server.connections == 1


def test_keep_alive_timeout_from_server_expires_connection(
    serve: Callable[..., ScriptedServer],
) -> None:
    # Keep-Alive: timeout=1 minus crlf's 1 s safety margin: the idle connection is never reused.
    server = serve(lambda peer, m, t, h, b: peer.respond(200, b"ok", [("Keep-Alive", "timeout=1")]))
    with crlf.Client() as client:
        client.get(server.url())
        client.get(server.url())
    assert server.connections == 2


def test_keep_alive_max_from_server(serve: Callable[..., ScriptedServer]) -> None:
    # Apache counts down: "max=1" then "max=0" (no more requests): a new connection.
    served: dict[int, int] = {}

    def respond(peer: Peer, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        served[peer.index] = served.get(peer.index, 0) + 1
        left = 2 - served[peer.index]
        peer.respond(200, b"ok", [("Keep-Alive", f"timeout=30, max={left}")])

    server = serve(respond)
    with crlf.Client() as client:
        for _ in range(4):
            client.get(server.url())
    assert server.connections == 2


def test_connection_close_from_server(serve: Callable[..., ScriptedServer]) -> None:
    server = serve(lambda peer, m, t, h, b: peer.respond(200, b"ok", [("Connection", "close")]))
    with crlf.Client() as client:
        for _ in range(3):
            assert client.get(server.url()).content == b"ok"
    assert server.connections == 3


def test_interim_responses_are_skipped(scripted: Callable[[Handler], ScriptedServer]) -> None:
    server = scripted(
        one_response(
            b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        )
    )
    with crlf.Client() as client:
        r = client.get(server.url())
    assert r.status_code == 200
    assert r.content == b"ok"


def test_bad_gzip_raises_decoding_error(scripted: Callable[[Handler], ScriptedServer]) -> None:
    server = scripted(
        one_response(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope")
    )
    with crlf.Client() as client:
        r = client.get(server.url())
    with pytest.raises(crlf.errors.DecodingError):
        _ = r.content
