"""One request/response exchange seen as ASGI 3 messages (ASGI HTTP spec 2.x).

A :class:`Cycle` is made per request by the connection driver (``_http11.py``). Its bound methods
``receive`` and ``send`` are what the application gets. The cycle turns ``http.response.*``
messages into protocol events and bytes for the transport, and hands request body pieces
(``http.request``) to the application as the driver feeds them in.

Cycle states (like hypercorn's ``http_stream.py``)::

    response:  NOT_STARTED --start--> STARTED --body|zerocopy(more_body=False)|pathsend--> COMPLETE
    request:   more_body True --EndOfMessage--> False;  disconnected once the socket is gone

Speed matters here: the hello path is ``send(start)`` (stores two values), ``send(body)`` (one
protocol call for the head, one for the body, one for the end, one ``transport.write``). ``send``
returns a finished awaitable instead of being ``async def``, which saves a coroutine object per
message; it awaits only when the transport asked us to pause writing.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from crlf.protocol import Data, EndOfMessage, InformationalResponse

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Generator

    from crlf.protocol import Request

    from ._http11 import HttpProtocol

__all__ = ["Cycle"]

_NOT_STARTED = 0
_STARTED = 1
_COMPLETE = 2

_DISCONNECT: dict[str, Any] = {"type": "http.disconnect"}
_LARGE = 64 * 1024  # above this a body is written apart from its head (no copy into the join)
_FILE_CHUNK = 256 * 1024  # pathsend read size where sendfile cannot be used (uvloop, TLS, chunked)


class _Ready:
    """An awaitable that is already done: what ``send`` returns when it need not wait."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return iter(())  # type: ignore[return-value]  # an empty iterator finishes the await at once


_READY = _Ready()


class Cycle:
    """The ASGI side of one exchange.

    One is made per request, by :meth:`HttpProtocol.on_request
    <crlf.server._http11.HttpProtocol.on_request>`, which sets the fields itself on
    ``object.__new__(Cycle)`` (a class call through ``__init__`` costs some 700 instructions
    more, per request). Fields are given a value there only where a reader may come before the
    writer; ``status``/``headers`` are set by ``http.response.start`` (or ``respond_plain``) and
    read only after it, ``client``/``started_at`` only exist when the access log is on.
    """

    __slots__ = (
        "body",
        "body_deadline",
        "body_done",
        "body_size",
        "client",
        "disconnected",
        "head_sent",
        "headers",
        "more_body",
        "proto",
        "request",
        "response",
        "sent",
        "started_at",
        "status",
        "waiter",
    )

    proto: HttpProtocol  # the connection driver: transport, protocol connection, timers
    request: Request  # method (HEAD answers), target and headers (access log, trace)
    response: int  # _NOT_STARTED, _STARTED, _COMPLETE
    body: list[bytes] | None  # request body pieces not yet received by the application
    body_size: int  # their total size (backpressure)
    more_body: bool  # False once the request's EndOfMessage came
    body_done: bool  # the last http.request message was handed over
    body_deadline: float  # loop time; set at the first wait for body bytes
    disconnected: bool
    waiter: asyncio.Future[None] | None  # what receive() waits on
    head_sent: bool
    sent: int  # response body bytes (access log)
    status: int
    headers: list[tuple[bytes, bytes]]
    client: Any
    started_at: float

    # -- request side ---------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Queue a body piece for the application (called by the driver)."""
        body = self.body
        if body is None:
            self.body = [data]
        else:
            body.append(data)
        self.body_size += len(data)
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def disconnect(self) -> None:
        """The client is gone, or the exchange was cut: wake everything that waits."""
        self.disconnected = True
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def wake(self) -> None:
        """Release a ``receive()`` that waits (the response completed: it returns disconnect)."""
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def receive(self) -> Any:
        """ASGI ``receive``: the next ``http.request`` body message, or ``http.disconnect``.

        Once the whole body was handed over, it waits until the client disconnects or the
        response is complete, and then says ``http.disconnect`` (as uvicorn does). When the
        message is ready (the usual case: the body came with the head) the awaitable returned
        is a done future, cheaper to make and await than a coroutine.
        """
        message = self._ready_message()
        if message is None:
            return self._receive_wait()
        future = self.proto.loop.create_future()
        future.set_result(message)
        return future

    def _ready_message(self) -> dict[str, Any] | None:
        """The message ``receive()`` can give without waiting, if there is one."""
        if self.disconnected or self.response == _COMPLETE:
            return _DISCONNECT
        chunks = self.body
        if chunks is not None or (not self.more_body and not self.body_done):
            if chunks is not None and self.body_size:
                body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                self.body_size = 0
                self.proto.body_consumed()
            else:
                body = b""
            self.body = None
            more = self.more_body
            if not more:
                self.body_done = True
            return {"type": "http.request", "body": body, "more_body": more}
        return None

    async def _receive_wait(self) -> dict[str, Any]:
        while True:
            message = self._ready_message()
            if message is not None:
                return message
            proto = self.proto
            waiter = proto.loop.create_future()
            self.waiter = waiter
            if self.body_done:  # nothing more to read: wait for the end of the exchange
                await waiter
                continue
            # RFC 9110 §10.1.1: send 100 Continue only now that the application wants the body
            # (once: sending it clears the protocol's client_is_waiting_for_100_continue).
            if proto.conn.client_is_waiting_for_100_continue and self.response == _NOT_STARTED:
                proto.write(proto.conn.send(InformationalResponse(status_code=100)))
            proto.waiting_for_body(self)
            try:
                await waiter
            finally:
                proto.body_wait_over()

    # -- response side --------------------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> Any:
        """ASGI ``send``. Returns an awaitable (done at once unless writing is paused).

        Raises:
            RuntimeError: a message out of order, or of an unknown type.
        """
        kind = message["type"]
        if kind == "http.response.body":
            if self.response != _STARTED:
                return self._out_of_order(kind)
            proto = self.proto
            if message.get("more_body", False):
                proto.send_body(self, message.get("body", b""), False)
            else:
                self.response = _COMPLETE
                try:
                    proto.send_body(self, message.get("body", b""), True)
                except BaseException:
                    self.response = _STARTED  # not sent: the failure is answered 500
                    raise
            if proto.write_paused and not self.disconnected:
                return proto.drain()
            return proto.ready
        if kind == "http.response.start":
            if self.response != _NOT_STARTED:
                return self._out_of_order(kind)
            self.response = _STARTED
            self.status = message["status"]
            headers = message.get("headers", ())
            # Any iterable of pairs (ASGI); the protocol wants a list it can read twice.
            self.headers = headers if type(headers) is list else list(headers)
            return self.proto.ready
        if kind == "http.response.pathsend":
            if self.response != _STARTED:
                return self._out_of_order(kind)
            self.response = _COMPLETE
            return self._pathsend(message["path"])
        if kind == "http.response.zerocopy":
            if self.response != _STARTED:
                return self._out_of_order(kind)
            more_body = message.get("more_body", False)
            if not more_body:
                self.response = _COMPLETE
            return self._zerocopy(message, more_body)
        return self._out_of_order(kind)

    def _out_of_order(self, kind: str) -> Any:
        if self.disconnected:
            return _READY  # a late message to a closed connection is dropped, as uvicorn does
        if self.response == _COMPLETE:
            raise RuntimeError(f"ASGI message {kind!r} after the response was complete")
        if kind.startswith("http.response."):
            raise RuntimeError(f"ASGI message {kind!r} out of order")
        raise RuntimeError(f"unexpected ASGI message type {kind!r}")

    def make_head(self) -> bytes:
        """Serialise the response head with the server's fields (Date, Server, Keep-Alive)."""
        proto = self.proto
        trusted, headers = proto.server_fields(False, self.headers)
        head = proto.conn.send_response(self.status, headers, trusted=trusted)
        self.head_sent = True
        return head

    async def _pathsend(self, path: str) -> None:
        proto = self.proto
        if self.disconnected:
            return
        try:
            file = open(path, "rb")  # noqa: ASYNC230, SIM115 - a local open() is µs; closed below
        except BaseException:
            self.response = _STARTED  # nothing was sent: the failure is answered 500
            raise
        with file:
            try:
                size = os.fstat(file.fileno()).st_size
                head = self.make_head()
            except BaseException:
                self.response = _STARTED
                raise
            proto.write(head)
            if await self._send_span(file.fileno(), 0, size):
                proto.write(proto.conn.send(EndOfMessage()))
                proto.response_complete(self)

    async def _zerocopy(self, message: dict[str, Any], more_body: bool) -> None:
        """``http.response.zerocopy`` (ASGI extension): ``count`` bytes of a file from ``offset``."""
        proto = self.proto
        if self.disconnected:
            return
        file = message["file"]
        try:
            fd = file if type(file) is int else file.fileno()
            offset = message.get("offset")
            if offset is None:  # the spec: from the file's current position
                offset = os.lseek(fd, 0, os.SEEK_CUR)
            count = message.get("count")
            if count is None:  # the spec: to the end of the file
                count = max(0, os.fstat(fd).st_size - offset)
            head = None if self.head_sent else self.make_head()
        except BaseException:
            self.response = _STARTED  # nothing was sent: a failure before the head is a 500
            raise
        if head is not None:
            proto.write(head)
        if await self._send_span(fd, offset, count) and not more_body:
            proto.write(proto.conn.send(EndOfMessage()))
            proto.response_complete(self)

    async def _send_span(self, fd: int, offset: int, count: int) -> bool:
        """Send ``count`` bytes of file ``fd`` from ``offset`` as body, zero-copy where allowed.

        The protocol frames them (counts them against Content-Length, or makes a chunk).

        Returns:
            Whether the connection is still there.
        """
        proto = self.proto
        conn = proto.conn
        ok = proto.can_sendfile()  # zero-copy: the whole span in one send_file
        end = offset + count
        while offset < end and not self.disconnected:
            n = end - offset if ok else min(end - offset, _FILE_CHUNK)
            span: Any = _FileSpan(fd, offset, n)
            pieces: list[Any] = conn.send_chunks(Data(span))
            for piece in pieces:
                if isinstance(piece, _FileSpan):
                    if not await proto.send_file(piece.fd, piece.offset, piece.count, ok):
                        return False  # the connection is gone (connection_lost ends the cycle)
                else:
                    proto.write(piece)
            offset += n
            if proto.write_paused and not self.disconnected:
                await proto.drain()
        return not self.disconnected


class _FileSpan:
    """A byte range of an open file, passed through the protocol writer in place of a body."""

    __slots__ = ("count", "fd", "offset")

    def __init__(self, fd: int, offset: int, count: int) -> None:
        self.fd = fd
        self.offset = offset
        self.count = count

    def __len__(self) -> int:
        return self.count
