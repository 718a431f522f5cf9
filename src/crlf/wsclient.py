"""An asyncio WebSocket client on crlf's sans-I/O cores: :func:`connect`.

::

    import crlf.wsclient

    async with await crlf.wsclient.connect("ws://127.0.0.1:8000/ws") as ws:
        await ws.send("hello")
        print(await ws.recv())

The opening handshake is an HTTP/1.1 request written and read by :mod:`crlf.protocol`
(``Role.CLIENT``) and checked by :mod:`crlf.websocket.handshake` (RFC 6455 §4.1); after the
``101`` the bytes belong to a :class:`crlf.websocket.WSConnection`. A background reader task
answers Pings, queues messages for :meth:`WebSocket.recv` and completes the close handshake.

This module lives at the package root because :mod:`crlf.websocket` is sans-I/O (no asyncio) and
the client and server layers do not import each other.
"""

from __future__ import annotations

import asyncio
import ssl as _ssl
from collections import deque
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .errors import ConnectError, RemoteProtocolError, TransportError
from .protocol import Connection as HTTPConnection
from .protocol import EndOfMessage, InformationalResponse, Request, Response, Role
from .websocket import (
    BytesMessage,
    ConnectionState,
    Ping,
    Pong,
    TextMessage,
    WSConnection,
)
from .websocket.connection import DEFAULT_MAX_MESSAGE_SIZE
from .websocket.handshake import client_request_headers, new_key, verify_response

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Sequence
    from types import TracebackType

__all__ = ["WebSocket", "WebSocketClosed", "connect"]

_READ_SIZE = 256 * 1024


class WebSocketClosed(TransportError):
    """Raised by :meth:`WebSocket.send`/:meth:`WebSocket.recv` once the connection is closed.

    Attributes:
        code: the close code (1000 normal, 1006 when the connection dropped without a Close).
        reason: the close reason.
    """

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"WebSocket closed: {code} {reason}".rstrip())
        self.code = code
        self.reason = reason


async def connect(
    url: str,
    *,
    subprotocols: Sequence[str] = (),
    headers: Iterable[tuple[bytes, bytes]] = (),
    origin: str | None = None,
    compression: bool = True,
    max_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    open_timeout: float | None = 10.0,
    close_timeout: float = 10.0,
    ssl: _ssl.SSLContext | None = None,
) -> WebSocket:
    """Open a WebSocket connection (RFC 6455 §4.1).

    Args:
        url: ``ws://host[:port]/path?query`` or ``wss://...``.
        subprotocols: subprotocols to offer, in order of preference.
        headers: extra request headers.
        origin: an ``Origin`` header to send.
        compression: offer permessage-deflate (RFC 7692).
        max_size: the largest message accepted (larger ones close the connection with 1009).
        open_timeout: seconds for the TCP connection and the handshake together.
        close_timeout: seconds to wait for the server's Close and TCP close.
        ssl: the TLS context for ``wss://`` (default: the system's verified defaults).

    Returns:
        The open connection.

    Raises:
        ValueError: the URL is not a ws/wss URL.
        ConnectError: the TCP/TLS connection failed or timed out.
        RemoteProtocolError: the server refused or broke the handshake (``status_hint`` is its
            status when it answered with a plain HTTP response).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f"not a ws:// or wss:// URL: {url!r}")
    secure = parts.scheme == "wss"
    port = parts.port or (443 if secure else 80)
    host = parts.hostname
    host_header = host if ":" not in host else f"[{host}]"
    if parts.port is not None:
        host_header += f":{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    context = (ssl or _ssl.create_default_context()) if secure else None

    async def opening() -> WebSocket:
        try:
            reader, writer = await asyncio.open_connection(
                host, port, ssl=context, limit=_READ_SIZE
            )
        except OSError as exc:
            raise ConnectError(str(exc)) from exc
        try:
            return await _handshake(
                reader,
                writer,
                host_header.encode("idna"),
                target.encode("ascii"),
                subprotocols=subprotocols,
                headers=headers,
                origin=origin.encode("latin-1") if origin is not None else None,
                compression=compression,
                max_size=max_size,
                close_timeout=close_timeout,
            )
        except BaseException:
            writer.close()
            raise

    try:
        return await asyncio.wait_for(opening(), open_timeout)
    except TimeoutError as exc:
        raise ConnectError("WebSocket opening handshake timed out") from exc


async def _handshake(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    host: bytes,
    target: bytes,
    *,
    subprotocols: Sequence[str],
    headers: Iterable[tuple[bytes, bytes]],
    origin: bytes | None,
    compression: bool,
    max_size: int,
    close_timeout: float,
) -> WebSocket:
    key = new_key()
    http = HTTPConnection(Role.CLIENT)
    fields = client_request_headers(
        host,
        key=key,
        subprotocols=subprotocols,
        deflate=compression,
        origin=origin,
        headers=headers,
    )
    writer.write(http.send(Request(method=b"GET", target=target, headers=fields)))
    writer.write(http.send(EndOfMessage()))
    while True:
        event = http.next_event()
        if isinstance(event, InformationalResponse) and event.status_code == 101:
            break
        if isinstance(event, Response):
            raise RemoteProtocolError(
                f"WebSocket handshake refused: {event.status_code}",
                status_hint=event.status_code,
            )
        if isinstance(event, InformationalResponse):
            continue  # 100 Continue and the like: wait for the real answer
        data = await reader.read(_READ_SIZE)
        if not data:
            http.receive_eof()
            raise RemoteProtocolError("connection closed during the WebSocket handshake")
        http.receive_data(data)
    subprotocol, deflate = verify_response(
        101, event.headers, key=key, subprotocols=subprotocols, deflate=compression
    )
    rest, _closed = http.trailing_data
    conn = WSConnection(Role.CLIENT, deflate=deflate, max_message_size=max_size)
    return WebSocket(
        reader,
        writer,
        conn,
        rest,
        subprotocol=subprotocol,
        response_headers=event.headers.items(),
        close_timeout=close_timeout,
    )


class WebSocket:
    """An open client WebSocket (made by :func:`connect`).

    Attributes:
        subprotocol: the subprotocol the server chose, or None.
        response_headers: the headers of the server's ``101``, lowercased names.
        close_code: the close code once closed (1006 if the connection dropped), else None.
        close_reason: the close reason once closed.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        conn: WSConnection,
        rest: bytes,
        *,
        subprotocol: str | None,
        response_headers: list[tuple[bytes, bytes]],
        close_timeout: float,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._conn = conn
        self.subprotocol = subprotocol
        self.response_headers = response_headers
        self.close_code: int | None = None
        self.close_reason = ""
        self._close_timeout = close_timeout
        self._messages: deque[str | bytes] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._pongs: dict[bytes, asyncio.Future[None]] = {}
        self._closed = asyncio.get_running_loop().create_future()
        if rest:
            conn.receive_data(rest)
        self._task = asyncio.get_running_loop().create_task(self._read_loop())

    # -- reading ---------------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        conn = self._conn
        eof = False
        try:
            while True:
                self._process()
                if eof:
                    break
                data = await self._reader.read(_READ_SIZE)
                if data:
                    conn.receive_data(data)
                else:
                    conn.receive_eof()
                    eof = True  # one more _process() turns a missing Close into 1006
        except RemoteProtocolError as exc:
            # RFC 6455 §7.1.7: fail the connection with the codec's close code.
            if conn.state is ConnectionState.OPEN:
                self._writer.write(conn.send_close(exc.close_code))
            self._finish(exc.close_code, "")
        except (OSError, asyncio.IncompleteReadError):
            self._finish(1006, "")
        finally:
            self._writer.close()
            self._finish(1006, "")

    def _process(self) -> None:
        # Handle every buffered event.
        conn = self._conn
        while (event := conn.next_event()) is not None:
            if isinstance(event, TextMessage | BytesMessage):
                self._messages.append(event.data)
                self._wake()
            elif isinstance(event, Ping):
                if conn.state is ConnectionState.OPEN:
                    self._writer.write(conn.send_pong(event.payload))
            elif isinstance(event, Pong):
                waiter = self._pongs.pop(event.payload, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)
            else:
                if conn.state is ConnectionState.REMOTE_CLOSING:
                    code = event.code if event.code != 1005 else None
                    self._writer.write(conn.send_close(code))
                self._finish(event.code, event.reason)
                # §7.1.1: the client waits for the server to close TCP (the read loop's EOF).

    def _finish(self, code: int, reason: str) -> None:
        if self._closed.done():
            return
        self.close_code = code
        self.close_reason = reason
        self._closed.set_result(None)
        self._wake()
        for waiter in self._pongs.values():
            if not waiter.done():
                waiter.set_exception(WebSocketClosed(code, reason))
        self._pongs.clear()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def recv(self) -> str | bytes:
        """The next message: ``str`` for text, ``bytes`` for binary.

        Raises:
            WebSocketClosed: the connection is closed and every message was received.
        """
        while True:
            if self._messages:
                return self._messages.popleft()
            if self._closed.done():
                raise WebSocketClosed(self.close_code or 1006, self.close_reason)
            waiter = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            await waiter

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[str | bytes]:
        while True:
            try:
                yield await self.recv()
            except WebSocketClosed:
                return

    # -- writing ---------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed.done() or self._conn.state is not ConnectionState.OPEN:
            raise WebSocketClosed(self.close_code or 1006, self.close_reason)

    async def send(self, message: str | bytes | bytearray | memoryview) -> None:
        """Send a text (``str``) or binary message; waits while the socket is congested.

        Raises:
            WebSocketClosed: the connection is closing or closed.
        """
        self._check_open()
        conn = self._conn
        if isinstance(message, str):
            self._writer.write(conn.send_text(message))
        else:
            self._writer.write(conn.send_bytes(message))
        await self._drain()

    async def ping(self, payload: bytes = b"") -> None:
        """Send a Ping and wait for its Pong (RFC 6455 §5.5.2).

        Raises:
            WebSocketClosed: the connection closed before the Pong came.
        """
        self._check_open()
        payload = payload or f"{id(self) ^ len(self._pongs):x}".encode("ascii")
        waiter = asyncio.get_running_loop().create_future()
        self._pongs[payload] = waiter
        self._writer.write(self._conn.send_ping(payload))
        await self._drain()
        await waiter

    async def _drain(self) -> None:
        try:
            await self._writer.drain()
        except (OSError, RuntimeError):
            self._finish(1006, "")
            raise WebSocketClosed(1006, "") from None

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Start (or finish) the close handshake and wait for the connection to end (§7.1.2)."""
        conn = self._conn
        if conn.state is ConnectionState.OPEN or conn.state is ConnectionState.REMOTE_CLOSING:
            self._writer.write(conn.send_close(code, reason))
        try:
            await asyncio.wait_for(asyncio.shield(self._task), self._close_timeout)
        except TimeoutError:
            self._task.cancel()
            self._writer.transport.abort()
            self._finish(1006, "")

    async def wait_closed(self) -> None:
        """Wait until the connection is closed (by either side)."""
        await asyncio.shield(self._task)

    async def __aenter__(self) -> WebSocket:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<WebSocket state={self._conn.state.name} subprotocol={self.subprotocol!r}>"
