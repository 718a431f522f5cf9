"""Helpers for the server tests: a crlf server in a thread, raw-socket clients, tiny ASGI apps.

The listening socket is bound to 127.0.0.1 port 0 and listening *before* the server thread starts,
so clients may connect at once (the kernel queues them): nothing sleeps waiting for the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from typing import TYPE_CHECKING, Any

from crlf.server import Config, Server
from crlf.server._server import _loop_factory

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "RunningServer",
    "hello_app",
    "read_response",
    "read_until_close",
    "running",
]


class RunningServer:
    """A server running in a background thread."""

    def __init__(self, server: Server, port: int, thread: threading.Thread) -> None:
        self.server = server
        self.port = port
        self.thread = thread
        self.exit_code: int | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def connect(self, timeout: float = 5.0) -> socket.socket:
        """A new client socket to the server."""
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def stop(self, force: bool = False) -> None:
        """Ask for a graceful shutdown and wait for the thread."""
        self.server.started.wait(10)
        self.server.request_exit(force=force)
        self.thread.join(30)


@contextlib.contextmanager
def running(app: Any, **options: Any) -> Iterator[RunningServer]:
    """Serve ``app`` on 127.0.0.1 (a free port) in a thread, with ``Config(**options)``.

    Yields:
        The running server; it is shut down on exit.
    """
    options.setdefault("log_level", "warning")
    options.setdefault("access_log", False)
    options.setdefault("lifespan", "off")
    config = Config(host="127.0.0.1", port=0, **options)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = Server(app, config)
    holder: dict[str, int] = {}

    def main() -> None:
        with asyncio.Runner(loop_factory=_loop_factory(config.loop)) as runner:
            holder["code"] = runner.run(server.serve(sockets=[sock]))

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    result = RunningServer(server, sock.getsockname()[1], thread)
    # Clients could connect at once, but a test may look at lifespan effects first: wait for
    # the startup to finish (an event, not a sleep), or for the thread to end when it failed.
    while not server.started.wait(0.05) and thread.is_alive():
        pass
    try:
        yield result
    finally:
        if thread.is_alive():
            result.stop()
        result.exit_code = holder.get("code")
        sock.close()


def read_response(sock: socket.socket, buffer: bytearray | None = None) -> tuple[bytes, bytes]:
    """Read one response with a Content-Length (or no) body; return ``(head, body)``.

    ``buffer`` carries bytes read past the response (pipelining) from call to call.
    """
    buf = buffer if buffer is not None else bytearray()
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a full head: {bytes(buf)!r}")
        buf += chunk
    end = buf.index(b"\r\n\r\n") + 4
    head = bytes(buf[:end])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(buf) < end + length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the body")
        buf += chunk
    body = bytes(buf[end : end + length])
    del buf[: end + length]
    return head, body


def read_until_close(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes."""
    data = bytearray()
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return bytes(data)


async def hello_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """200 ``text/plain`` echoing the path, with a Content-Length."""
    if scope["type"] != "http":
        return
    body = f"hello {scope['path']}".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/plain"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
