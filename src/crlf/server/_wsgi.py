"""Running a WSGI application (PEP 3333) on the ASGI server: ``--interface wsgi``.

:class:`WSGIAdapter` is an ASGI 3 application that calls the WSGI application in a bounded
thread pool (``--wsgi-threads``). Both directions stream with backpressure:

- ``wsgi.input`` pulls the request body from ASGI ``receive()`` only when the application reads,
  so a slow application leaves the bytes in the socket (the HTTP layer pauses reading);
- each chunk of the response iterable is handed to ASGI ``send()`` and the thread waits until it
  was accepted, which is when the transport buffer has room again.

The thread and the event loop talk through ``run_coroutine_threadsafe``: one hop per body read and
per response chunk. The first chunk is held back until the second one (or the end) is known, so a
one-chunk response (Flask's usual) costs a single hop carrying the head, the body and the end.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = ["WSGIAdapter", "build_environ"]

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def _call(receive: Receive) -> dict[str, Any]:
    return await receive()


class _InputStream:
    """``wsgi.input``: a read-only binary stream fed by ASGI ``receive()`` on demand."""

    def __init__(self, receive: Receive, loop: asyncio.AbstractEventLoop) -> None:
        self._receive = receive
        self._loop = loop
        self._buffer = bytearray()
        self._eof = False

    def _fill(self) -> bool:
        """Fetch one more body message; False at the end of the body."""
        if self._eof:
            return False
        message = asyncio.run_coroutine_threadsafe(_call(self._receive), self._loop).result()
        if message["type"] != "http.request":  # http.disconnect
            self._eof = True
            return False
        self._buffer += message.get("body", b"")
        if not message.get("more_body", False):
            self._eof = True
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all of the body when ``size`` is negative or None)."""
        if size is None or size < 0:
            while self._fill():
                pass
            data = bytes(self._buffer)
            self._buffer.clear()
            return data
        while len(self._buffer) < size and self._fill():
            pass
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def readline(self, size: int | None = -1) -> bytes:
        """Read one line, including its ``\\n``, of at most ``size`` bytes."""
        while True:
            end = self._buffer.find(b"\n")
            limit = size if size is not None and size >= 0 else None
            if end >= 0 and (limit is None or end < limit):
                return self.read(end + 1)
            if limit is not None and len(self._buffer) >= limit:
                return self.read(limit)
            if not self._fill():
                return self.read(len(self._buffer) if limit is None else limit)

    def readlines(self, hint: int = -1) -> list[bytes]:
        """Read the remaining lines."""
        lines: list[bytes] = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                return lines

    def __iter__(self) -> Iterator[bytes]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line


def build_environ(scope: dict[str, Any], stream: Any, *, multiprocess: bool) -> dict[str, Any]:
    """The PEP 3333 ``environ`` for an ASGI http scope.

    Args:
        scope: the ASGI http scope.
        stream: the ``wsgi.input`` object.
        multiprocess: whether several worker processes serve the application.

    Returns:
        The environ dict. Header names containing ``_`` are dropped (as gunicorn and nginx do),
        so ``X_Forwarded_For`` cannot pose as ``X-Forwarded-For`` once both become ``HTTP_X_...``.
    """
    root_path: str = scope.get("root_path", "")
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    # PEP 3333 "unicode issues": PATH_INFO is the percent-decoded bytes, as latin-1.
    path_info = unquote_to_bytes(raw_path).decode("latin-1")
    if root_path and path_info.startswith(root_path):
        path_info = path_info[len(root_path) :]
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root_path,
        "PATH_INFO": path_info,
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": stream,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": multiprocess,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,  # the server frames the body (chunked included)
    }
    if client:
        environ["REMOTE_ADDR"] = str(client[0])
        environ["REMOTE_PORT"] = str(client[1])
    for name_b, value_b in scope.get("headers", []):
        name = name_b.decode("latin-1")
        if "_" in name:
            continue
        value = value_b.decode("latin-1")
        if name == "content-type":
            key = "CONTENT_TYPE"
        elif name == "content-length":
            key = "CONTENT_LENGTH"
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
        if key in environ:
            # RFC 9110 §5.3: repeated fields combine with commas (Cookie uses "; ").
            sep = "; " if key == "HTTP_COOKIE" else ","
            environ[key] = environ[key] + sep + value
        else:
            environ[key] = value
    return environ


async def _send_all(send: Send, messages: list[dict[str, Any]]) -> None:
    for message in messages:
        await send(message)


class WSGIAdapter:
    """An ASGI 3 application that runs a WSGI application in a thread pool.

    Args:
        app: the WSGI application.
        executor: the bounded pool the application runs in.
        multiprocess: the ``wsgi.multiprocess`` flag.
    """

    def __init__(self, app: Any, executor: ThreadPoolExecutor, *, multiprocess: bool) -> None:
        self.app = app
        self.executor = executor
        self.multiprocess = multiprocess

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":  # WSGI has no lifespan: acknowledge both phases
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if kind != "http":  # a WSGI application cannot take a WebSocket
            await send({"type": "websocket.close", "code": 1000})
            return
        loop = asyncio.get_running_loop()
        environ = build_environ(scope, _InputStream(receive, loop), multiprocess=self.multiprocess)
        await loop.run_in_executor(self.executor, self._run, environ, send, loop)

    def _run(self, environ: dict[str, Any], send: Send, loop: asyncio.AbstractEventLoop) -> None:
        head: dict[str, Any] = {}
        sent_head = False

        def start_response(
            status: str,
            headers: list[tuple[str, str]],
            exc_info: Any = None,
        ) -> Callable[[bytes], None]:
            if exc_info is not None and sent_head:
                raise exc_info[1].with_traceback(exc_info[2])  # PEP 3333: too late to change
            code = int(status.split(" ", 1)[0])
            head["message"] = {
                "type": "http.response.start",
                "status": code,
                "headers": [
                    (name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in headers
                ],
            }
            return write

        def hop(messages: list[dict[str, Any]]) -> None:
            asyncio.run_coroutine_threadsafe(_send_all(send, messages), loop).result()

        def write(data: bytes) -> None:  # the legacy write() callable (PEP 3333)
            nonlocal sent_head
            messages = [] if sent_head else [head["message"]]
            sent_head = True
            messages.append({"type": "http.response.body", "body": data, "more_body": True})
            hop(messages)

        result: Iterable[bytes] = self.app(environ, start_response)
        try:
            pending: bytes | None = None
            for chunk in result:
                if not chunk:
                    continue
                if pending is not None:
                    messages = [] if sent_head else [head["message"]]
                    sent_head = True
                    messages.append(
                        {"type": "http.response.body", "body": pending, "more_body": True}
                    )
                    hop(messages)
                pending = bytes(chunk)
            if "message" not in head:
                raise RuntimeError("the WSGI application did not call start_response()")
            final = [] if sent_head else [head["message"]]
            sent_head = True
            final.append({"type": "http.response.body", "body": pending or b"", "more_body": False})
            hop(final)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
