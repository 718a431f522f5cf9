"""A slow client on a 1 GiB file: the server's memory stays flat (backpressure, not buffering).

Two paths are measured: the app's own chunked reads (the server's ``pathsend`` extension hidden
from the app, as under a server without it) and ``http.response.pathsend`` (crlf's server sends
the file itself). The client reads 1 MiB, then stops reading; while it stalls, the bytes the app
handed to ``send`` and the process's resident memory must stay far below the file's size. Then the
client reads the rest, and must get exactly 1 GiB.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest

from crlf.files import StaticFiles
from tests.files.serving import serve_app, server_name

if TYPE_CHECKING:
    from pathlib import Path

GIB = 1024 * 1024 * 1024
MIB = 1024 * 1024

pytestmark = pytest.mark.slow


def rss() -> int:
    """This process's resident set size in bytes (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class Counting:
    """Wraps the app: counts body bytes it sends, and can hide the pathsend extension."""

    def __init__(self, app: StaticFiles, *, pathsend: bool) -> None:
        self.app = app
        self.pathsend = pathsend
        self.sent = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not self.pathsend:
            scope = {**scope, "extensions": {}}

        async def counting_send(message: Any) -> None:
            self.sent += len(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, counting_send)


def settle(read: Any) -> int:
    """Wait until a counter stops moving (observing a steady state, bounded to 10 s)."""
    last, stable_since, deadline = read(), time.monotonic(), time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = read()
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= 0.5:
            break
    value: int = last
    return value


@pytest.mark.parametrize(
    ("pathsend", "loop"),
    [(False, "asyncio"), (True, "asyncio"), (True, "uvloop")],
    ids=["chunked", "pathsend", "pathsend-uvloop"],
)
def test_memory_stays_flat_for_a_slow_client_on_1_gib(
    tmp_path: Path, pathsend: bool, loop: str
) -> None:
    if pathsend and server_name() != "crlf":
        pytest.skip("only crlf's server offers http.response.pathsend here")
    big = tmp_path / "huge.bin"
    with open(big, "wb") as f:
        f.truncate(GIB)  # sparse: 1 GiB of zeros that take no disk space
    app = Counting(StaticFiles(tmp_path), pathsend=pathsend)
    with serve_app(app, loop) as url:
        port = int(url.rsplit(":", 1)[1])
        before = rss()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            sock.sendall(b"GET /huge.bin HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\n\r\n")
            received = b""
            while b"\r\n\r\n" not in received:
                received += sock.recv(65536)
            head, _, body_start = received.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200")
            assert b"content-length: %d" % GIB in head.lower()
            got = len(body_start)
            while got < MIB:
                got += len(sock.recv(65536))
            # The client stalls: whatever the server does now, it must not pull the file in.
            sent_while_stalled = settle(lambda: app.sent)
            stalled_growth = rss() - before
            assert sent_while_stalled < 64 * MIB
            assert stalled_growth < 64 * MIB, f"RSS grew {stalled_growth / MIB:.0f} MiB"
            # Now read the rest, watching the peak.
            peak = 0
            buffer = bytearray(1024 * 1024)
            view = memoryview(buffer)
            checkpoint = got
            while got < GIB:
                n = sock.recv_into(view)
                assert n, "connection closed early"
                got += n
                if got - checkpoint >= 64 * MIB:
                    checkpoint = got
                    peak = max(peak, rss() - before)
        assert got == GIB
        assert peak < 96 * MIB, f"RSS grew {peak / MIB:.0f} MiB during the download"
        if pathsend:
            assert app.sent == 0  # the server sent the file itself


def test_client_gone_stops_the_chunked_reads(tmp_path: Path) -> None:
    """A client that hangs up mid-body: the app stops reading the file (http.disconnect)."""
    size = 256 * MIB
    with open(tmp_path / "big.bin", "wb") as f:
        f.truncate(size)
    finished = threading.Event()
    inner = Counting(StaticFiles(tmp_path), pathsend=False)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        try:
            await inner(scope, receive, send)
        finally:
            finished.set()

    with serve_app(app) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-\r\n\r\n")
            got = 0
            while got < MIB:
                got += len(sock.recv(65536))
        assert finished.wait(20), "the app kept streaming to a client that was gone"
    assert inner.sent < size // 2
