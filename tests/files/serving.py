"""Run an ASGI app on a real socket on 127.0.0.1 for the end-to-end tests.

The listening socket is bound (port 0) and put in listen state *before* the server thread starts,
so a client may connect at once: the kernel queues the connection until the server accepts it.
No sleep is needed to wait for the server to come up.

The server is crlf's own when ``crlf.server.serve`` exists; uvicorn otherwise (until crlf's
landed). ``CRLF_TEST_SERVER=uvicorn`` forces uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[MutableMapping[str, Any]]],
        Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]

__all__ = ["listening_socket", "serve_app", "server_name"]


def listening_socket() -> socket.socket:
    """A TCP socket bound to 127.0.0.1 on a free port, already listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def server_name() -> str:
    """``crlf`` or ``uvicorn``: which server :func:`serve_app` will use."""
    if os.environ.get("CRLF_TEST_SERVER") == "uvicorn":
        return "uvicorn"
    try:
        from crlf.server import Server  # noqa: F401
    except ImportError:
        return "uvicorn"
    return "crlf"


@contextlib.contextmanager
def _uvicorn(app: Any, sock: socket.socket) -> Iterator[None]:
    import uvicorn

    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def serve_app(app: Any, loop: str = "asyncio") -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a background thread.

    Args:
        app: an ASGI 3 application.
        loop: crlf's server's event loop (``asyncio`` or ``uvloop``).

    Yields:
        The base URL, e.g. ``http://127.0.0.1:40123``.
    """
    sock = listening_socket()
    port = sock.getsockname()[1]
    try:
        if server_name() == "uvicorn":
            with _uvicorn(app, sock):
                yield f"http://127.0.0.1:{port}"
        else:
            with _crlf(app, sock, loop):
                yield f"http://127.0.0.1:{port}"
    finally:
        sock.close()


@contextlib.contextmanager
def _crlf(app: Any, sock: socket.socket, loop: str) -> Iterator[None]:
    from crlf.server import Config, Server
    from crlf.server._server import _loop_factory

    config = Config(log_level="warning", access_log=False, lifespan="off")
    server = Server(app, config)

    def main() -> None:
        with asyncio.Runner(loop_factory=_loop_factory(loop)) as runner:
            runner.run(server.serve(sockets=[sock]))

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.started.wait(10)
        server.request_exit(force=True)
        thread.join(10)


@contextlib.contextmanager
def run_cli(*args: str) -> Iterator[str]:
    """Run ``python -m crlf ARGS --port 0`` in a subprocess; yield its base URL.

    The server's log line ``crlf running on http://127.0.0.1:PORT`` says when it listens and on
    which port: reading it is the synchronisation (no sleeps, no connect polling).
    """
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crlf",
            *args,
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--log-level",
            "info",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    url = None
    seen: list[str] = []
    try:
        for line in proc.stderr:
            seen.append(line)
            match = re.search(r"running on (http://127\.0\.0\.1:\d+)", line)
            if match:
                url = match.group(1)
                break
        if url is None:
            raise RuntimeError("crlf did not start:\n" + "".join(seen))
        # Keep draining stderr so the access log can never fill the pipe and block the server.
        drain = threading.Thread(target=proc.stderr.read, daemon=True)
        drain.start()
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
