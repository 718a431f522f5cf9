"""The ASGI ``websocket`` scope on top of :mod:`crlf.websocket` (ASGI WebSocket spec 2.4).

Theory of operation
-------------------
The HTTP/1.1 driver (``_http11.py``) calls :func:`handle_upgrade` for a ``GET`` with
``Upgrade: websocket``, with itself as ``host`` (the hook contract is in
``HttpProtocol.on_websocket``). From there one :class:`WebSocketSession` runs the exchange:

1. **Handshake check** (RFC 6455 §4.2.1): a malformed request is answered 400 (426 with
   ``Sec-WebSocket-Version: 13`` for another version) and the connection closes; the application
   never sees it.
2. **Connect**: the application runs in a task; its first ``receive()`` is ``websocket.connect``.
   Until it answers, the socket still belongs to the HTTP driver, which buffers anything the
   client sends early and notices a disconnect.
3. The application either
   - sends ``websocket.accept``: permessage-deflate is negotiated (RFC 7692; on unless the server
     turns it off), the ``101`` is written through the driver's protocol connection, and the
     driver hands the socket over (``host.detach``): from now on this session is the transport's
     protocol and the bytes already received are fed to a :class:`~crlf.websocket.WSConnection`;
   - sends ``websocket.close`` first: ``403 Forbidden`` over HTTP (ASGI spec);
   - sends ``websocket.http.response.start``/``.body`` (the denial extension): that response is
     sent over HTTP through the driver's cycle, and the connection may go on with keep-alive.
4. **Open**: received messages are queued for ``receive()`` as ``websocket.receive``; Pings are
   answered at once; ``send()`` writes frames. Keepalive Pings go out every ``ping_interval``
   seconds and a missing Pong after ``ping_timeout`` closes the connection with 1011.
5. **Closing** (RFC 6455 §7.1): a Close from the client is answered and the TCP connection is
   closed by us (§7.1.1: the server closes first); ``websocket.close`` from the application sends
   our Close and waits up to ``close_timeout`` for the client's. A protocol violation sends the
   close code the codec chose (1002/1007/1009) and closes. The application then gets
   ``websocket.disconnect`` with the code; a ``send()`` after that raises
   :class:`ClientDisconnected` (an ``OSError``, as the ASGI spec asks).

Backpressure: ``send()`` waits while the transport asked us to pause writing; reading pauses
while more than ``_READ_HIGH_WATER`` received bytes wait for ``receive()``.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from typing import TYPE_CHECKING, Any

from crlf.errors import LocalProtocolError, RemoteProtocolError
from crlf.protocol import InformationalResponse, Role
from crlf.websocket import (
    BytesMessage,
    CloseConnection,
    ConnectionState,
    Ping,
    Pong,
    TextMessage,
    WSConnection,
)
from crlf.websocket.handshake import VERSION_HEADERS, accept_headers, validate_upgrade_request

if TYPE_CHECKING:
    from collections.abc import Awaitable, Generator

    from crlf.protocol import Request
    from crlf.websocket import PerMessageDeflate, UpgradeRequest

__all__ = ["ClientDisconnected", "WebSocketSession", "handle_upgrade"]

DEFAULT_CLOSE_TIMEOUT = 10.0  # websockets close_timeout 10: wait this long for the client's Close
_READ_HIGH_WATER = 1024 * 1024  # queued, unreceived message bytes before we stop reading
# From this many bytes (or characters) a message to send is written as header + payload with
# writelines instead of one concatenated frame: the copy it saves costs more than the extra buffer.
_WRITELINES_MIN = 64 * 1024

# ASGI session states.
_CONNECTING = 0  # the application has not answered the handshake
_OPEN = 1  # accepted
_CLOSED = 2  # disconnected (or denied): nothing more to send
_DENYING = 3  # websocket.http.response in progress
_CLOSING = 4  # the application sent websocket.close; the client's Close has not come yet


class ClientDisconnected(OSError):
    """Raised by ``send()`` when the WebSocket is closed (ASGI: "an IOError subclass")."""


class _Ready:
    """An awaitable that is already done: what ``send`` returns when it need not wait."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return iter(())  # type: ignore[return-value]


_READY = _Ready()
_current_task = asyncio.current_task


def handle_upgrade(host: Any, request: Request, scope: dict[str, Any]) -> None:
    """The driver's hook: run the ASGI websocket scope for an upgrade request.

    Args:
        host: the HTTP/1.1 driver (``HttpProtocol``) that read the request.
        request: the request head.
        scope: the ASGI scope the driver built (type ``websocket``).
    """
    try:
        upgrade = validate_upgrade_request(request)
    except RemoteProtocolError as exc:
        host.closing = True  # bad input: answer, then close (Connection: close)
        status = exc.status_hint
        host.respond(
            status, VERSION_HEADERS if status in (400, 426) and _bad_version(request) else None
        )
        host.flush()
        return
    # ASGI WebSocket spec 2.4: accept headers (2.1), close reasons (2.3), disconnect reasons (2.4).
    scope["asgi"] = {"version": "3.0", "spec_version": "2.4"}
    session = WebSocketSession(host, upgrade, scope)
    session.start()


def _bad_version(request: Request) -> bool:
    return request.headers.get_all(b"sec-websocket-version") != [b"13"]


class WebSocketSession(asyncio.Protocol):
    """One WebSocket connection under an ASGI application.

    Args:
        host: the HTTP/1.1 driver that owns the socket until the handshake completes.
        upgrade: the validated opening request.
        scope: the ASGI ``websocket`` scope.
    """

    def __init__(self, host: Any, upgrade: UpgradeRequest, scope: dict[str, Any]) -> None:
        self.host = host
        self.loop: asyncio.AbstractEventLoop = host.loop
        self.upgrade = upgrade
        self.scope = scope
        self.transport: Any = None
        self.conn: WSConnection | None = None
        self.status = _CONNECTING
        self.connect_sent = False
        self.queue: deque[tuple[dict[str, Any], int]] = deque()  # (message, its size)
        self.queued_bytes = 0
        self.waiter: asyncio.Future[None] | None = None  # _receive() waits (not yet open)
        self.receiver: asyncio.Future[dict[str, Any]] | None = None  # receive() waits (open)
        self.drain_waiter: asyncio.Future[None] | None = None
        self.failure: int | None = None  # a protocol error's close code, waiting for the queue
        self.write_paused = False
        self.read_paused = False  # we asked the transport to stop reading (see _update_reading)
        self.queue_full = False  # more than _READ_HIGH_WATER bytes wait for receive()
        self.disconnected = False  # websocket.disconnect is queued (or was delivered)
        self.lost = False  # the TCP connection is gone
        self.task: asyncio.Task[None] | None = None
        self.ping_handle: asyncio.TimerHandle | None = None
        self.pong_handle: asyncio.TimerHandle | None = None
        self.close_handle: asyncio.TimerHandle | None = None
        # Config.ws_* (uvicorn's --ws-max-size, --ws-ping-interval, --ws-ping-timeout,
        # --ws-per-message-deflate).
        config = host.state.config
        self.max_size: int = config.ws_max_size
        self.ping_interval: float | None = config.ws_ping_interval
        self.ping_timeout: float | None = config.ws_ping_timeout
        self.deflate_enabled: bool = config.ws_per_message_deflate

    # -- running the application ----------------------------------------------------------------

    def start(self) -> None:
        """Start the application's task."""
        host = self.host
        context = contextvars.copy_context()
        task = self.loop.create_task(self.run(), context=context)
        self.task = task
        host.state.tasks.add(task)
        task.add_done_callback(host.state.tasks.discard)

    async def run(self) -> None:
        """Run the application, then finish what it left undone."""
        host = self.host
        try:
            await host.app(self.scope, self.receive, self.send)
        except BaseException as exc:
            if not isinstance(exc, Exception):
                raise  # cancellation, KeyboardInterrupt: not the application's failure to report
            if not self.disconnected and not (
                self.status == _CONNECTING and self._http_disconnected()
            ):
                host.state.error_logger.error("Exception in ASGI application", exc_info=exc)
            if self.status == _CONNECTING:
                self.refuse(500)
            elif self.status == _OPEN:
                self.fail(1011)
            return
        if self.status == _CONNECTING:
            host.state.error_logger.error("ASGI callable returned without sending handshake.")
            self.refuse(500)
        elif self.status == _OPEN:
            self.close_with(1000, "")
        elif self.status == _DENYING:
            host.state.error_logger.error("ASGI callable returned without completing the response.")
            cycle = host.cycle
            if cycle is not None:
                host.abort_cycle(cycle)

    # -- ASGI receive ----------------------------------------------------------------------------

    def receive(self) -> Awaitable[dict[str, Any]]:
        """ASGI ``receive``: connect, then messages, then ``websocket.disconnect``.

        Once the connection is open this makes no coroutine: a queued message comes back in a
        done future, and an application that must wait gets the future the next message is
        handed to (``_deliver``), so a message costs no queue round trip.
        """
        if self.connect_sent:
            queue = self.queue
            if queue:
                ready: asyncio.Future[dict[str, Any]] = self.loop.create_future()
                ready.set_result(self._pop())
                return ready
            if self.status == _OPEN and self.failure is None:
                receiver: asyncio.Future[dict[str, Any]] = self.loop.create_future()
                self.receiver = receiver
                return receiver
        return self._receive()

    def _pop(self) -> dict[str, Any]:
        message, size = self.queue.popleft()
        self.queued_bytes -= size
        if self.queue_full and self.queued_bytes < _READ_HIGH_WATER // 2:
            self.queue_full = False
            self._update_reading()
        return message

    async def _receive(self) -> dict[str, Any]:
        # receive() for everything but an open connection: connect, the handshake's outcome,
        # a pending protocol failure, and after the disconnect.
        if not self.connect_sent:
            self.connect_sent = True
            return {"type": "websocket.connect"}
        while True:
            if self.queue:
                return self._pop()
            if self.failure is not None:
                self._fail_now()  # the messages before a protocol error are all delivered
                continue
            if self.status == _CONNECTING and self._http_disconnected():
                self._queue_disconnect(1006, "")
                continue
            if self.status == _CLOSED and not self.disconnected:
                self._queue_disconnect(1006, "")
                continue
            if self.disconnected:
                # Everything was delivered already: keep answering disconnect.
                return {"type": "websocket.disconnect", "code": 1006, "reason": ""}
            if self.status == _OPEN:
                return await self.receive()  # accepted while we waited: the open path
            waiter = self.loop.create_future()
            self.waiter = waiter
            if self.status == _CONNECTING:
                cycle = self.host.cycle
                if cycle is not None:
                    cycle.waiter = waiter  # the driver resolves it when the client goes away
            await waiter

    def _http_disconnected(self) -> bool:
        # Before the handshake the HTTP driver owns the socket: the client is gone when the
        # driver saw EOF (a client does not half-close while waiting for its 101) or a close.
        host = self.host
        cycle = host.cycle
        return cycle is None or cycle.disconnected or host.closed or host.eof

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _deliver(self, message: dict[str, Any], size: int) -> None:
        # Hand ``message`` to an application waiting in receive(), else queue it. (While the
        # application waits the queue is empty, so the order of messages is kept.)
        receiver = self.receiver
        if receiver is not None:
            self.receiver = None
            if not receiver.done():  # done: the application's receive() was cancelled
                if self._step_now(receiver, message):
                    return
                receiver.set_result(message)
                return
        self.queue.append((message, size))
        self.queued_bytes += size
        if self.queued_bytes > _READ_HIGH_WATER and not self.queue_full:
            self.queue_full = True
            self._update_reading()
        self._wake()

    def _step_now(self, receiver: asyncio.Future[dict[str, Any]], message: dict[str, Any]) -> bool:
        # The application's task waits in receive() on ``receiver``, and we run straight from
        # the event loop (data_received, a timer: no task is current). Rather than
        # set_result(), which schedules the task's wakeup for the next loop turn, the wakeup
        # runs now, in the context the task gave it: the echo is written before data_received
        # returns, one loop turn and one Handle sooner. Only the task's own wakeup is run this
        # way (the future's only callback, the task waiting on exactly this future); anything
        # else waiting on it is left to set_result() and the loop, as asyncio would do, and so
        # is a delivery from inside a task (accept() feeding early bytes, another task of the
        # application failing the connection): a task cannot be stepped inside another.
        # (Both attributes are asyncio's, C and Python implementations alike; getattr keeps
        # another loop's task or future on the ordinary path.)
        if getattr(self.task, "_fut_waiter", None) is not receiver:
            return False
        if _current_task(self.loop) is not None:
            return False
        callbacks = getattr(receiver, "_callbacks", None)
        if not callbacks or len(callbacks) != 1:
            return False
        wakeup, context = callbacks[0]
        receiver.remove_done_callback(wakeup)
        receiver.set_result(message)
        context.run(wakeup, receiver)
        return True

    def _update_reading(self) -> None:
        # Read from the socket unless the application is behind (queue_full), the peer does not
        # read what we write (write_paused: Pongs and echoes would pile up in our buffer), or a
        # protocol error waits for the queue to drain (failure).
        pause = self.queue_full or self.write_paused or self.failure is not None
        if pause != self.read_paused and not self.lost and self.transport is not None:
            self.read_paused = pause
            if pause:
                self.transport.pause_reading()
            else:
                self.transport.resume_reading()

    def _queue_disconnect(self, code: int, reason: str) -> None:
        if self.disconnected:
            return
        self.disconnected = True
        self.status = _CLOSED
        self._deliver({"type": "websocket.disconnect", "code": code, "reason": reason}, 0)

    # -- ASGI send -------------------------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> Any:
        """ASGI ``send``; returns an awaitable that waits only when writing is paused.

        Raises:
            ClientDisconnected: the connection is closed.
            RuntimeError: a message out of order or of an unknown type.
        """
        kind = message["type"]
        status = self.status
        if kind == "websocket.send":
            if status != _OPEN:
                if status in (_CLOSED, _CLOSING):
                    raise ClientDisconnected("the WebSocket is closed")
                raise RuntimeError("websocket.send before websocket.accept")
            conn = self.conn
            assert conn is not None
            text = message.get("text")
            try:
                if text is not None:
                    if len(text) < _WRITELINES_MIN:
                        self.transport.write(conn.send_text(text))
                    else:
                        # A large message: header and payload written as two buffers, so the
                        # payload is not copied into a frame (1 MiB echo: one 1 MiB copy less).
                        self.transport.writelines(conn.send_message_parts(text))
                else:
                    payload = message.get("bytes")
                    if payload is None:
                        raise RuntimeError("websocket.send needs 'text' or 'bytes'")
                    if len(payload) < _WRITELINES_MIN:
                        self.transport.write(conn.send_bytes(payload))
                    else:
                        self.transport.writelines(conn.send_message_parts(payload))
            except LocalProtocolError:
                # Our Close already went out (we are closing): the message cannot be sent.
                raise ClientDisconnected("the WebSocket is closing") from None
            if self.write_paused and not self.lost:
                return self._drain()
            return _READY
        if kind == "websocket.accept":
            if status != _CONNECTING:
                return self._out_of_order(kind)
            self.accept(message)
            return _READY
        if kind == "websocket.close":
            if status == _CONNECTING:
                self.refuse(403)  # ASGI: close before accept is an HTTP 403
            elif status == _OPEN:
                self.close_with(int(message.get("code") or 1000), message.get("reason") or "")
            elif status in (_CLOSED, _CLOSING):
                return _READY  # closing a closed socket: nothing to do
            else:
                return self._out_of_order(kind)
            return _READY
        if kind == "websocket.http.response.start":
            if status != _CONNECTING:
                return self._out_of_order(kind)
            self.status = _DENYING
            return self._deny({**message, "type": "http.response.start"})
        if kind == "websocket.http.response.body":
            if status != _DENYING:
                return self._out_of_order(kind)
            if not message.get("more_body", False):
                self.status = _CLOSED
            return self._deny({**message, "type": "http.response.body"})
        return self._out_of_order(kind)

    def _out_of_order(self, kind: str) -> Any:
        if self.status in (_CLOSED, _CLOSING) and kind.startswith("websocket."):
            raise ClientDisconnected(f"ASGI message {kind!r} on a closed WebSocket")
        raise RuntimeError(f"unexpected ASGI message {kind!r} in this state")

    def _deny(self, message: dict[str, Any]) -> Any:
        cycle = self.host.cycle
        if cycle is None or cycle.disconnected:
            self.status = _CLOSED
            return _READY
        return cycle.send(message)

    async def _drain(self) -> None:
        waiter = self.drain_waiter
        if waiter is None:
            waiter = self.drain_waiter = self.loop.create_future()
        await waiter

    # -- handshake answers -------------------------------------------------------------------------

    def refuse(self, status: int) -> None:
        """Answer the handshake over HTTP (403 for close-before-accept, 500 for a crash)."""
        self.status = _CLOSED
        host = self.host
        if status >= 500:
            host.closing = True
        self._queue_disconnect(1006, "")
        try:
            host.respond(status)
            host.flush()
        except Exception as exc:  # the HTTP side could not answer: drop the connection
            host.state.error_logger.error("Could not answer the WebSocket handshake", exc_info=exc)
            host.close()

    def accept(self, message: dict[str, Any]) -> None:
        """Complete the handshake: negotiate, write the 101, take the socket over."""
        host = self.host
        if self._http_disconnected():
            self._queue_disconnect(1006, "")
            return
        deflate: PerMessageDeflate | None = None
        extensions: str | None = None
        if self.deflate_enabled and self.upgrade.extensions:
            negotiated = self.upgrade.negotiate_deflate()
            if negotiated is not None:
                deflate, extensions = negotiated
        subprotocol = message.get("subprotocol")
        headers = accept_headers(
            self.upgrade,
            subprotocol=subprotocol,
            extensions=extensions,
            headers=[*host.state.head_fields, *(message.get("headers") or ())],
        )
        head = host.conn.send(InformationalResponse(status_code=101, headers=headers))
        if host.state.trace:
            host.trace_response(head)
        host.write(head)
        conn = WSConnection(Role.SERVER, deflate=deflate, max_message_size=self.max_size)
        self.conn = conn
        self.status = _OPEN
        self.transport = host.transport
        rest = host.detach(self)
        if self.ping_interval:
            self.ping_handle = self.loop.call_later(self.ping_interval, self._keepalive)
        if rest:
            self.data_received(rest)
        if host.eof and not self.lost:
            self.eof_received()

    # -- asyncio.Protocol (after detach) -------------------------------------------------------------

    def eof_received(self) -> bool | None:
        conn = self.conn
        assert conn is not None
        conn.receive_eof()
        self.data_received(b"")  # what the codec still holds, then CloseConnection(1006)
        return None

    def data_received(self, data: bytes) -> None:
        conn = self.conn
        assert conn is not None
        if data:
            conn.receive_data(data)
        transport = self.transport
        waiting = self.receiver is not None  # a message handed to it is not processed yet
        try:
            while True:
                event = conn.next_event()
                if event is None:
                    break
                kind = type(event)
                if kind is TextMessage:
                    text: str = event.data  # type: ignore[union-attr,assignment]
                    self._deliver({"type": "websocket.receive", "text": text}, len(text))
                elif kind is BytesMessage:
                    payload: bytes = event.data  # type: ignore[union-attr,assignment]
                    self._deliver({"type": "websocket.receive", "bytes": payload}, len(payload))
                elif kind is Ping:
                    if conn.state is ConnectionState.OPEN:
                        transport.write(conn.send_pong(event.payload))  # type: ignore[union-attr]
                elif kind is Pong:
                    if self.pong_handle is not None:
                        self.pong_handle.cancel()
                        self.pong_handle = None
                else:
                    close: CloseConnection = event  # type: ignore[assignment]
                    if conn.state is ConnectionState.REMOTE_CLOSING:
                        # §5.5.1: echo the code; §7.1.1: the server closes the TCP connection.
                        transport.write(conn.send_close(close.code if close.code != 1005 else None))
                    self._queue_disconnect(close.code, close.reason)
                    self._close_transport()
                    return
        except RemoteProtocolError as exc:
            # §7.1.7: Fail the WebSocket Connection with the code the codec chose. Messages that
            # arrived before the bad frame are still delivered (and an echo of them still sent):
            # the failure waits until the application has taken them, or ``close_timeout``.
            self.failure = exc.close_code
            if not self.queue and (self.receiver is not None or not waiting):
                self._fail_now()
                return
            self._update_reading()
            self.close_handle = self.loop.call_later(DEFAULT_CLOSE_TIMEOUT, self._fail_now)

    def _fail_now(self) -> None:
        code = self.failure
        self.failure = None
        if code is None:
            return
        conn = self.conn
        assert conn is not None
        if not self.lost and conn.state is ConnectionState.OPEN:
            self.transport.write(conn.send_close(code))
        self._queue_disconnect(code, "")
        self._close_transport()

    def pause_writing(self) -> None:
        self.write_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        self._update_reading()
        self._wake_writer()

    def _wake_writer(self) -> None:
        waiter = self.drain_waiter
        if waiter is not None:
            self.drain_waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._cancel_timers()
        self._queue_disconnect(1006, "")
        self._wake_writer()
        self.host.release()

    # -- closing and keepalive ---------------------------------------------------------------------

    def close_with(self, code: int, reason: str) -> None:
        """The application closes: send our Close, wait for theirs (or ``close_timeout``)."""
        conn = self.conn
        assert conn is not None
        if self.lost or conn.state is not ConnectionState.OPEN:
            return
        try:
            data = conn.send_close(code, reason)
        except LocalProtocolError:
            data = conn.send_close(1000, "")  # a code the application may not send: plain close
        self.transport.write(data)
        self.status = _CLOSING
        self.close_handle = self.loop.call_later(DEFAULT_CLOSE_TIMEOUT, self._abort)
        # The application may still call receive(): it gets websocket.disconnect when theirs comes.

    def fail(self, code: int) -> None:
        """Close at once with ``code`` (application error, ping timeout)."""
        conn = self.conn
        assert conn is not None
        if not self.lost and conn.state is ConnectionState.OPEN:
            self.transport.write(conn.send_close(code))
        self._queue_disconnect(code, "")
        self._close_transport()

    def shutdown(self) -> None:
        """Server shutdown (called by the driver): Close 1001 "going away" (RFC 6455 §7.4.1)."""
        if self.status == _OPEN:
            self.close_with(1001, "")
            self._queue_disconnect(1001, "")

    def _close_transport(self) -> None:
        self._cancel_timers()
        if not self.lost:
            self.transport.close()

    def _abort(self) -> None:
        self.close_handle = None
        if not self.lost:
            self.transport.abort()

    def _cancel_timers(self) -> None:
        for handle in (self.ping_handle, self.pong_handle, self.close_handle):
            if handle is not None:
                handle.cancel()
        self.ping_handle = self.pong_handle = self.close_handle = None

    def _keepalive(self) -> None:
        self.ping_handle = None
        conn = self.conn
        if self.lost or conn is None or conn.state is not ConnectionState.OPEN:
            return
        self.transport.write(conn.send_ping(b"crlf"))
        if self.ping_timeout and self.pong_handle is None:
            self.pong_handle = self.loop.call_later(self.ping_timeout, self._pong_timeout)
        assert self.ping_interval
        self.ping_handle = self.loop.call_later(self.ping_interval, self._keepalive)

    def _pong_timeout(self) -> None:
        self.pong_handle = None
        self.fail(1011)  # websockets/uvicorn close 1011 "keepalive ping timeout"
