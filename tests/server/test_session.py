"""The seed's session over real sockets: persistence, pipelining, Keep-Alive, 1.0, 100-continue."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import socket
import struct
import threading
from typing import Any

import pytest

from tests.server.serving import hello_app, read_response, read_until_close, running

MIB = 1024 * 1024


def _get(path: str = "/", extra: bytes = b"", version: bytes = b"1.1") -> bytes:
    return b"GET " + path.encode() + b" HTTP/" + version + b"\r\nHost: t\r\n" + extra + b"\r\n"


def _header(head: bytes, name: bytes) -> bytes | None:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def test_two_requests_share_one_connection() -> None:
    with running(hello_app) as server, server.connect() as sock:
        buf = bytearray()
        sock.sendall(_get("/one"))
        head1, body1 = read_response(sock, buf)
        sock.sendall(_get("/two"))
        head2, body2 = read_response(sock, buf)
        assert head1.startswith(b"HTTP/1.1 200 OK\r\n")
        assert (body1, body2) == (b"hello /one", b"hello /two")
        assert _header(head2, b"keep-alive") == b"timeout=5"
        assert server.server.state is not None
        assert len(server.server.state.connections) == 1  # one accept served both


def test_date_and_server_headers() -> None:
    with running(hello_app) as server, server.connect() as sock:
        sock.sendall(_get())
        head, _ = read_response(sock)
        date = _header(head, b"date")
        assert date is not None
        assert re.fullmatch(rb"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", date)
        assert _header(head, b"server") == b"crlf"


def test_three_pipelined_requests_answered_in_order() -> None:
    with running(hello_app) as server, server.connect() as sock:
        sock.sendall(_get("/a") + _get("/b") + _get("/c"))
        buf = bytearray()
        bodies = [read_response(sock, buf)[1] for _ in range(3)]
        assert bodies == [b"hello /a", b"hello /b", b"hello /c"]


def test_keep_alive_max_counts_down_then_closes() -> None:
    with running(hello_app, max_requests_per_connection=3) as server, server.connect() as sock:
        buf = bytearray()
        seen = []
        for i in range(3):
            sock.sendall(_get(f"/{i}"))
            head, _ = read_response(sock, buf)
            seen.append((_header(head, b"keep-alive"), _header(head, b"connection")))
        assert seen == [
            (b"timeout=5, max=2", None),
            (b"timeout=5, max=1", None),
            (None, b"close"),
        ]
        assert read_until_close(sock) == b""


@pytest.mark.parametrize("connection", [b"", b"Connection: keep-alive\r\n"])
def test_http10_streamed_response_closes_and_never_chunks(connection: bytes) -> None:
    async def streaming(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part1 ", "more_body": True})
        await send({"type": "http.response.body", "body": b"part2"})

    with running(streaming) as server, server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.0\r\n" + connection + b"\r\n")
        data = read_until_close(sock)
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK")
        assert _header(head + b"\r\n", b"transfer-encoding") is None
        assert _header(head + b"\r\n", b"keep-alive") is None
        assert body == b"part1 part2"  # delimited by the close (RFC 9112 §6.3 rule 8)


def test_http10_without_keep_alive_closes() -> None:
    with running(hello_app) as server, server.connect() as sock:
        sock.sendall(b"GET /x HTTP/1.0\r\n\r\n")
        data = read_until_close(sock)
    assert b"connection: close" in data.lower()
    assert b"keep-alive:" not in data.lower()
    assert data.endswith(b"hello /x")


def test_http10_with_keep_alive_stays_open() -> None:
    with running(hello_app) as server, server.connect() as sock:
        buf = bytearray()
        sock.sendall(b"GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        head, _body = read_response(sock, buf)
        assert _header(head, b"connection") == b"keep-alive"
        assert _header(head, b"keep-alive") == b"timeout=5"
        sock.sendall(b"GET /y HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        assert read_response(sock, buf)[1] == b"hello /y"


def test_http10_never_gets_100_continue() -> None:
    with running(_echo_body) as server, server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.0\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nabcd")
        data = read_until_close(sock)
        assert b"100 Continue" not in data
        assert data.endswith(b"abcd")


def test_idle_connection_closed_after_keep_alive_timeout() -> None:
    with running(hello_app, timeout_keep_alive=0.05) as server, server.connect() as sock:
        sock.sendall(_get())
        read_response(sock)
        assert read_until_close(sock) == b""  # the server closed the idle connection


async def _echo_body(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def test_100_continue_sent_when_the_app_reads() -> None:
    with running(_echo_body) as server, server.connect() as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        interim = sock.recv(1024)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"hello")
        head, body = read_response(sock)
        assert head.startswith(b"HTTP/1.1 200")
        assert body == b"hello"


def test_100_continue_not_sent_when_the_app_answers_first() -> None:
    with running(hello_app) as server, server.connect() as sock:
        sock.sendall(
            b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        data = read_until_close(sock)
        assert data.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"100 Continue" not in data
        assert b"connection: close" in data.lower()  # the unsent body makes reuse impossible


def test_slowloris_cut_at_header_timeout_while_others_are_served() -> None:
    with running(hello_app, timeout_header_read=0.2) as server:
        with server.connect() as slow:
            slow.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ")
            for i in range(5):  # meanwhile a well-behaved client is served
                with server.connect() as good:
                    good.sendall(_get(f"/{i}"))
                    assert read_response(good)[1] == f"hello /{i}".encode()
            data = read_until_close(slow)
        assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
        assert b"connection: close" in data


def test_bad_request_gets_400_and_close_while_a_good_client_is_fine() -> None:
    with running(hello_app) as server, server.connect() as good:
        good.sendall(_get("/before"))
        buf = bytearray()
        assert read_response(good, buf)[1] == b"hello /before"
        with server.connect() as bad:
            bad.sendall(
                b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
            )
            data = read_until_close(bad)
        assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n")
        assert b"connection: close" in data
        assert b"Content-Length" not in data  # nothing of the request is echoed
        good.sendall(_get("/after"))
        assert read_response(good, buf)[1] == b"hello /after"


def test_head_request_gets_no_body() -> None:
    with running(hello_app) as server, server.connect() as sock:
        sock.sendall(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n" + _get("/next"))
        buf = bytearray()
        data = b""
        while b"hello /next" not in data:
            chunk = sock.recv(65536)
            assert chunk
            data += chunk
        first, _, rest = data.partition(b"\r\n\r\n")
        assert b"content-length: 7" in first  # the GET's length, no body (RFC 9110 §9.3.2)
        assert rest.startswith(b"HTTP/1.1 200 OK")
        del buf


def test_client_disconnect_mid_body_is_signalled() -> None:
    seen: list[str] = []
    done = threading.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                seen.append("disconnect")
                done.set()
                return
            if not message.get("more_body"):
                seen.append("complete")
                done.set()
                return

    with running(app) as server:
        with server.connect() as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\npartial")
        assert done.wait(5)
    assert seen == ["disconnect"]


def test_client_disconnect_mid_response_is_signalled() -> None:
    gone = threading.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        chunk = b"x" * 65536
        for _ in range(10_000):  # far more than the socket buffers hold
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        while (await receive())["type"] != "http.disconnect":  # first the (empty) request body
            pass
        gone.set()

    with running(app) as server:
        with server.connect() as sock:
            sock.sendall(_get())
            assert sock.recv(1024).startswith(b"HTTP/1.1 200 OK")
        assert gone.wait(10)


def test_app_exception_before_response_is_500() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    with running(app) as server, server.connect() as sock:
        sock.sendall(_get())
        data = read_until_close(sock)
    assert data.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert b"boom" not in data


def test_app_exception_after_start_cuts_the_connection() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        await asyncio.sleep(0)
        raise RuntimeError("boom")

    with running(app) as server, server.connect() as sock:
        sock.sendall(_get())
        data = read_until_close(sock)
    assert data.startswith(b"HTTP/1.1 200 OK")
    assert not data.endswith(b"0\r\n\r\n")  # no terminating chunk: the client sees it was cut


def test_websocket_refused_with_403() -> None:
    with running(hello_app) as server, server.connect() as sock:
        sock.sendall(
            b"GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        head, _ = read_response(sock)
    import crlf.server._transport

    try:
        import crlf.server._websocket  # noqa: F401
    except ImportError:
        assert head.startswith(b"HTTP/1.1 403 Forbidden")


def test_limit_concurrency_answers_503() -> None:
    with running(hello_app, limit_concurrency=1) as server, server.connect() as first:
        first.sendall(_get())
        read_response(first)
        with server.connect() as second:
            data = read_until_close(second)
        assert data.startswith(b"HTTP/1.1 503 Service Unavailable")


def test_body_timeout_answers_408() -> None:
    with running(_echo_body, timeout_body_read=0.1) as server, server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
        data = read_until_close(sock)
    assert data.startswith(b"HTTP/1.1 408")


def test_request_body_backpressure_pauses_reading() -> None:
    # The app reads nothing until told; the client's big upload must stall, not fill memory.
    release = threading.Event()
    received: list[int] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, release.wait)
        total = 0
        while True:
            message = await receive()
            total += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        received.append(total)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body"})

    size = 32 * 1024 * 1024
    with running(app) as server, server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % size)
        sock.setblocking(False)
        sent = 0
        chunk = b"x" * 65536
        try:
            while sent < size:
                sent += sock.send(chunk)
        except BlockingIOError:
            pass
        assert sent < size  # the server stopped reading: the socket buffers filled up
        release.set()
        sock.setblocking(True)
        sock.settimeout(10)
        rest = size - sent
        while rest > 0:
            n = sock.send(chunk[: min(rest, len(chunk))])
            rest -= n
        head, _ = read_response(sock)
    assert head.startswith(b"HTTP/1.1 204")
    assert received == [size]


def test_root_path_and_scope_fields() -> None:
    scopes: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scopes.append(scope)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body"})

    with running(app, root_path="/api") as server, server.connect() as sock:
        sock.sendall(_get("/caf%C3%A9/x?q=1&r", extra=b"X-Two: a\r\nx-two: b\r\n"))
        read_response(sock)
    scope = scopes[0]
    assert scope["path"] == "/api/café/x"
    assert scope["raw_path"] == b"/caf%C3%A9/x"
    assert scope["query_string"] == b"q=1&r"
    assert scope["root_path"] == "/api"
    assert scope["http_version"] == "1.1"
    assert scope["scheme"] == "http"
    assert scope["headers"] == [(b"host", b"t"), (b"x-two", b"a"), (b"x-two", b"b")]
    assert scope["client"][0] == "127.0.0.1"
    assert scope["server"] == ("127.0.0.1", server.port)
    assert scope["extensions"] == {"http.response.pathsend": {}, "http.response.zerocopy": {}}
    assert isinstance(scope["state"], dict)


def test_unix_socket(tmp_path: Any) -> None:
    import asyncio as aio

    from crlf.server import Config, Server

    path = str(tmp_path / "s.sock")
    server = Server(hello_app, Config(uds=path, log_level="warning", access_log=False))
    thread = threading.Thread(target=aio.run, args=(server.serve(),), daemon=True)
    thread.start()
    assert server.started.wait(10)
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(path)
            sock.sendall(_get("/u"))
            assert read_response(sock)[1] == b"hello /u"
    finally:
        server.request_exit()
        thread.join(10)


def _pathsend_app(path: str, chunked: bool = False) -> Any:
    size = os.path.getsize(path)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [] if chunked else [(b"content-length", str(size).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.pathsend", "path": path})

    return app


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
@pytest.mark.parametrize("chunked", [False, True])
def test_pathsend_sends_the_file(tmp_path: Any, loop: str, chunked: bool) -> None:
    data = os.urandom(10 * MIB + 17)  # several sendfile rounds (the socket buffer fills)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    app = _pathsend_app(str(path), chunked)
    with running(app, loop=loop) as server, server.connect() as sock:
        if chunked:
            sock.sendall(_get("/f", extra=b"Connection: close\r\n"))
            head, _, rest = read_until_close(sock).partition(b"\r\n\r\n")
            assert b"transfer-encoding: chunked" in head
            body = bytearray()
            while True:  # RFC 9112 §7.1 decoding
                size_line, _, rest = rest.partition(b"\r\n")
                size = int(size_line, 16)
                if size == 0:
                    break
                body += rest[:size]
                rest = rest[size + 2 :]
            assert body == data
        else:
            sock.sendall(_get("/f") + _get("/g"))
            buf = bytearray()
            for _ in range(2):
                head, body_bytes = read_response(sock, buf)
                assert head.startswith(b"HTTP/1.1 200 OK")
                assert body_bytes == data


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def _rss() -> int:
    """This process's resident set size in bytes (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")  # pragma: no cover


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_pathsend_waits_for_what_the_transport_holds(tmp_path: Any, loop: str) -> None:
    # Pipelined: an 8 MiB body message first (the transport keeps what the socket does not
    # take), then a pathsend, which must wait until those bytes are out and not pass them;
    # then one from an app that waited first (a task: no cork, the head goes to the transport).
    data = os.urandom(4 * MIB)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    big = os.urandom(8 * MIB)
    file_app = _pathsend_app(str(path))

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["path"] == "/big":
            headers = [(b"content-length", b"%d" % len(big))]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": big})
            return
        if scope["path"] == "/wait":
            await asyncio.sleep(0)
        await file_app(scope, receive, send)

    with running(app, loop=loop) as server, server.connect(timeout=20) as sock:
        sock.sendall(_get("/big") + _get("/f") + _get("/wait"))
        buf = bytearray()
        assert read_response(sock, buf)[1] == big
        for _ in range(2):
            head, body = read_response(sock, buf)
            assert head.startswith(b"HTTP/1.1 200 OK")
            assert body == data


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_zerocopy_spans_and_defaults(tmp_path: Any, loop: str) -> None:
    # http.response.zerocopy: a file object with offset/count, then a bare fd from its current
    # position to the end (the extension's defaults), then a body message; one framed response.
    data = os.urandom(3 * MIB + 5)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        length = 1000 + (len(data) - 2 * MIB) + 3
        headers = [(b"content-length", b"%d" % length)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        with open(path, "rb") as file:  # noqa: ASYNC230 - a local file, µs
            await send(
                {
                    "type": "http.response.zerocopy",
                    "file": file,
                    "offset": 10,
                    "count": 1000,
                    "more_body": True,
                }
            )
            os.lseek(file.fileno(), 2 * MIB, os.SEEK_SET)
            await send({"type": "http.response.zerocopy", "file": file.fileno(), "more_body": True})
        await send({"type": "http.response.body", "body": b"end", "more_body": False})

    with running(app, loop=loop) as server, server.connect() as sock:
        sock.sendall(_get("/f"))
        head, body = read_response(sock)
        assert head.startswith(b"HTTP/1.1 200 OK")
        assert body == data[10:1010] + data[2 * MIB :] + b"end"


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_zerocopy_past_the_end_of_the_file_closes(tmp_path: Any, loop: str) -> None:
    # More bytes promised than the file has (it shrank): sendfile hits the end, the response
    # cannot be finished, so the connection is closed after the bytes there were.
    path = tmp_path / "short.bin"
    path.write_bytes(b"x" * 5000)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [(b"content-length", b"9000")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        with open(path, "rb") as file:  # noqa: ASYNC230 - a local file, µs
            await send({"type": "http.response.zerocopy", "file": file, "offset": 0, "count": 9000})

    with running(app, loop=loop) as server, server.connect() as sock:
        sock.sendall(_get("/f"))
        head, _, body = read_until_close(sock).partition(b"\r\n\r\n")
        assert b"content-length: 9000" in head
        assert body == b"x" * 5000


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_pathsend_concurrent_downloads(tmp_path: Any, loop: str) -> None:
    # Four responses in flight at once, each waiting for its socket in turn: the client reads
    # one whole body while the server has the other three parked on full socket buffers.
    data = os.urandom(10 * MIB)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    with running(_pathsend_app(str(path)), loop=loop) as server:
        socks = [server.connect(timeout=20) for _ in range(4)]
        try:
            for sock in socks:
                sock.sendall(_get("/f"))
            for sock in socks:
                head, body = read_response(sock)
                assert head.startswith(b"HTTP/1.1 200 OK")
                assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
        finally:
            for sock in socks:
                sock.close()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_pathsend_to_a_slow_reader(tmp_path: Any, loop: str) -> None:
    # A small receive buffer read in small pieces: the server waits for the socket again and
    # again, never holds the file in memory, and every byte arrives in order.
    data = os.urandom(64 * MIB)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    expected = hashlib.sha256(data).digest()
    del data
    with running(_pathsend_app(str(path)), loop=loop) as server:
        before = _rss()
        peak = 0
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
            sock.settimeout(20)
            sock.connect(("127.0.0.1", server.port))
            sock.sendall(_get("/f", extra=b"Connection: close\r\n"))
            received = b""
            while b"\r\n\r\n" not in received:
                received += sock.recv(4096)
            head, _, first = received.partition(b"\r\n\r\n")
            assert b"content-length: %d" % (64 * MIB) in head
            digest = hashlib.sha256(first)
            got = len(first)
            while True:
                piece = sock.recv(8192)
                if not piece:
                    break
                digest.update(piece)
                got += len(piece)
                if got % (4 * MIB) < len(piece):
                    peak = max(peak, _rss() - before)
        assert got == 64 * MIB
        assert digest.digest() == expected
        assert peak < 16 * MIB, f"RSS grew {peak / MIB:.0f} MiB during the download"


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
@pytest.mark.parametrize("how", ["close", "reset"])
def test_pathsend_client_gone_mid_file_leaks_no_fd(tmp_path: Any, loop: str, how: str) -> None:
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(256 * MIB)  # sparse
    small = tmp_path / "small.bin"
    small.write_bytes(b"x" * 1000)
    finished = threading.Event()
    big_app, small_app = _pathsend_app(str(big)), _pathsend_app(str(small))

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            await (big_app if scope["path"] == "/big" else small_app)(scope, receive, send)
        finally:
            finished.set()

    with running(app, loop=loop) as server:
        # A first exchange: whatever the loop opens lazily is open before we count.
        with server.connect() as sock:
            sock.sendall(_get("/small", extra=b"Connection: close\r\n"))
            assert read_until_close(sock).endswith(b"x" * 1000)
        finished.clear()
        before = _open_fds()
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            sock.settimeout(20)
            sock.connect(("127.0.0.1", server.port))
            sock.sendall(_get("/big"))
            got = 0
            while got < MIB:
                got += len(sock.recv(65536))
            if how == "reset":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # close() with unread bytes: the kernel answers the server's next bytes with RST.
        assert finished.wait(20), "the server kept sending to a client that was gone"
        # One more exchange: the loop has run the closed connection's callbacks by then.
        with server.connect() as sock:
            sock.sendall(_get("/small", extra=b"Connection: close\r\n"))
            assert read_until_close(sock).endswith(b"x" * 1000)
        assert _open_fds() <= before, "a descriptor outlived the connection"


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_forced_shutdown_mid_file_leaks_no_fd(tmp_path: Any, loop: str) -> None:
    # A client that stopped reading: the file waits for its socket when the server is told to
    # stop now; the connection is aborted and the waiting task cancelled, and the duplicate
    # descriptor the wait used is closed with the rest.
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(256 * MIB)  # sparse
    with running(_pathsend_app(str(big)), loop=loop) as server:
        before = _open_fds()
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            sock.settimeout(20)
            sock.connect(("127.0.0.1", server.port))
            sock.sendall(_get("/big"))
            got = 0
            while got < MIB:
                got += len(sock.recv(65536))
            server.stop(force=True)
            assert not server.thread.is_alive()
        assert _open_fds() <= before, "a descriptor outlived the server"


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_core_session_on_both_loops(loop: str) -> None:
    with running(_echo_body, loop=loop) as server, server.connect() as sock:
        buf = bytearray()
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc" + _get("/x"))
        assert read_response(sock, buf)[1] == b"abc"
        assert read_response(sock, buf)[1] == b""
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        )
        assert read_response(sock, buf)[1] == b"abcde"


@pytest.mark.parametrize(
    "messages",
    [
        # A header value smuggling a CRLF (RFC 9110 §5.5) is refused by the protocol core.
        [{"status": 200, "headers": [(b"x-bad", b"a\r\nInjected: 1")]}, {"body": b"hi"}],
        # More body than the declared Content-Length.
        [{"status": 200, "headers": [(b"content-length", b"2")]}, {"body": b"too long"}],
        [{"status": 99, "headers": []}, {"body": b""}],
        # pathsend of a file that is not there.
        [{"status": 200, "headers": []}, {"path": "/nonexistent/crlf-test"}],
    ],
)
def test_illegal_responses_become_500(messages: list[dict[str, Any]]) -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        start, body = messages
        await send({"type": "http.response.start", **start})
        if "path" in body:
            await send({"type": "http.response.pathsend", **body})
        else:
            await send({"type": "http.response.body", **body})

    with running(app) as server, server.connect() as sock:
        sock.sendall(_get())
        data = read_until_close(sock)
    assert data.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert b"Injected" not in data


def test_body_dripped_below_the_minimum_rate_is_cut() -> None:
    # 1 byte per 50 ms is 20 B/s, under the 100 B/s asked: each byte buys 10 ms while 50 pass,
    # so the 0.2 s allowance runs out after a handful of bytes (RFC 9110 §15.5.9: 408).
    with (
        running(_echo_body, timeout_body_read=0.2, body_min_rate=100) as server,
        server.connect() as sock,
    ):
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n")
        import time

        sent = 0
        try:
            while sent < 100:
                sock.sendall(b"x")
                sent += 1
                time.sleep(0.05)  # the client's pace is what is under test, not a sync
        except OSError:
            pass
        data = read_until_close(sock)
    assert data.startswith(b"HTTP/1.1 408")
    assert sent < 20


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_half_closed_client_still_gets_its_response(loop: str) -> None:
    async def slow(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await asyncio.sleep(0)  # answer from a task, after the EOF was seen
        await hello_app(scope, receive, send)

    with running(slow, loop=loop) as server, server.connect() as sock:
        sock.sendall(_get("/half"))
        sock.shutdown(socket.SHUT_WR)  # RFC 9112 §9.6: the request is complete; we read on
        data = read_until_close(sock)
    assert data.startswith(b"HTTP/1.1 200 OK")
    assert data.endswith(b"hello /half")  # and then the server closed


def test_protocol_error_in_the_body_cuts_the_exchange() -> None:
    seen: list[str] = []
    first = threading.Event()
    done = threading.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                seen.append(message["type"])
                done.set()
                return
            first.set()

    with running(app) as server, server.connect() as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
        )
        assert first.wait(5)  # the application is reading the body
        sock.sendall(b"zz\r\n")  # not a chunk size (RFC 9112 §7.1)
        data = read_until_close(sock)
        assert done.wait(5)
    assert data.startswith(b"HTTP/1.1 400 Bad Request")
    assert seen == ["http.disconnect"]


def test_a_request_broken_before_the_app_starts_never_reaches_it() -> None:
    calls: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        calls.append(scope["path"])

    with running(app) as server, server.connect() as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n"
        )
        data = read_until_close(sock)
    assert data.startswith(b"HTTP/1.1 400 Bad Request")
    assert calls == []


@pytest.mark.parametrize("prefix", [b"", b"\r\n"])
def test_malformed_head_request_gets_its_error_without_a_body(prefix: bytes) -> None:
    # The head never parses, so the method comes from the request's first bytes (RFC 9110 §9.3.2:
    # no content in an answer to HEAD), after any empty lines a server ignores (RFC 9112 §2.2).
    with running(hello_app) as server, server.connect() as sock:
        sock.sendall(
            prefix + b"HEAD / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
        )
        data = read_until_close(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"content-length: 16" in head
    assert body == b""
