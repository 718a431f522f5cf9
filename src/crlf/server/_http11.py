"""The HTTP/1.1 connection driver: one ``asyncio.Protocol`` and one protocol ``Connection`` per socket.

Theory of operation. Bytes from the socket go into ``crlf.protocol.Connection(Role.SERVER)``;
:meth:`HttpProtocol.handle_events` pulls events out of it:

- ``Request``: build the ASGI scope, make a :class:`~crlf.server._asgi.Cycle`, run the application.
  The application coroutine is stepped *eagerly* (``coro.send(None)`` right here, as the current
  task of an unscheduled task object, see ``_eager.py``): an app that never waits on anything
  pending (the common case: ``send`` does not block) finishes inside this call, and nothing is
  scheduled. Only when it yields a pending future does that task object start running, in a copied
  ``contextvars`` context, so requests never share context vars.
- ``Data`` / ``EndOfMessage``: queued on the cycle for ``receive()``. When more than
  ``_BODY_HIGH_WATER`` bytes wait unread we stop reading the socket (backpressure towards the client).
- ``PAUSED``: the next pipelined request is buffered but the current exchange is not over; it is
  parsed only after the response completes, so pipelined requests are answered in order
  (RFC 9112 §9.3.2). A full pipeline buffer stops reading too.
- ``NEED_DATA``: wait for bytes; ``ConnectionClosed``: close.

While ``handle_events`` runs, writes are *corked*: collected and written with one
``transport.write`` at the end, so sixteen pipelined requests cost one ``send`` syscall.

After a response completes the connection is kept (``start_next_cycle``) when both sides allow it
(``conn.keep_alive``), we are not shutting down and ``max_requests_per_connection`` is not used up;
every kept response carries ``Keep-Alive: timeout=T[, max=N]`` (N = requests still allowed, as
Apache counts down), the last one ``Connection: close`` (RFC 9112 §9.6).

Timeouts use one lazily re-armed timer per connection (phase + deadline; moving a deadline costs an
attribute store, not a new timer): ``HEAD`` (the head must arrive within ``timeout_header_read``;
slowloris), ``IDLE`` (keep-alive idle), ``BODY`` (the application waits for body bytes that do
not come), ``APP`` (no timeout while the application works).
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import socket
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from crlf.errors import LocalProtocolError, RemoteProtocolError
from crlf.protocol import (
    NEED_DATA,
    PAUSED,
    Connection,
    Data,
    EndOfMessage,
    Request,
    Role,
    State,
)

from ._asgi import _COMPLETE, _NOT_STARTED, _STARTED, Cycle
from ._eager import EagerTask, _enter_task, _leave_task, adopt
from ._logging import log_access, trace_request, trace_response
from ._proxy import _FORWARDING_FIELDS, resolve_forwarded
from ._sendfile import sendfile
from ._transport import error_response

if TYPE_CHECKING:
    from ._transport import ServerState

__all__ = ["HttpProtocol"]

# Enum members as module constants: ``State.DONE`` is a lookup through EnumType.__getattr__ (a
# Python-level hook, ~800 instructions) on every use; a global is one dict probe.
_MIGHT_SWITCH = State.MIGHT_SWITCH_PROTOCOL  # the request asked for Upgrade (RFC 9110 §7.8)
_DONE = State.DONE
_MUST_CLOSE = State.MUST_CLOSE
_ERROR = State.ERROR
_PH_HEAD = 0
_PH_IDLE = 1
_PH_BODY = 2
_PH_APP = 3

_IDLE_OWED = -1.0  # a deadline handle_events() replaces with the keep-alive idle one
_BODY_HIGH_WATER = 256 * 1024  # unread request body bytes before we stop reading the socket
_CORK_LIMIT = 64 * 1024  # corked bytes after which we write at once
_FILE_CHUNK = 256 * 1024  # file bytes read at once where sendfile cannot carry them
_VERSIONS = {b"1.1": "1.1", b"1.0": "1.0"}
_METHODS = {
    m: m.decode("ascii")
    for m in (b"GET", b"POST", b"PUT", b"DELETE", b"HEAD", b"OPTIONS", b"PATCH", b"CONNECT")
}
# Request fields on_request looks for in one pass (see there).
_NOTABLE_FIELDS = _FORWARDING_FIELDS | {b"upgrade"}
_CONNECTION_CLOSE = (b"connection", b"close")  # with the app's fields: the protocol must see it
_new = object.__new__
_FINISHED: Any = object()  # what next() gives back when the application's coroutine returned
_TCP_FAMILIES = (socket.AF_INET, socket.AF_INET6)


def split_target(target: bytes) -> tuple[bytes, bytes]:
    """``(raw_path, query_string)`` of a request-target (RFC 9112 §3.2).

    Absolute-form (``http://host/p?q``) yields its path and query; asterisk-form ``*`` and
    authority-form (CONNECT) are passed through as the path.
    """
    if target[:1] != b"/":
        scheme_end = target.find(b"://")
        if scheme_end > 0:
            rest = target[scheme_end + 3 :]
            cut = len(rest)
            for sep in (b"/", b"?", b"#"):
                i = rest.find(sep)
                if 0 <= i < cut:
                    cut = i
            target = rest[cut:]
            if target[:1] != b"/":
                target = b"/" + target
    hash_at = target.find(b"#")
    if hash_at >= 0:
        target = target[:hash_at]
    q = target.find(b"?")
    if q < 0:
        return target, b""
    return target[:q], target[q + 1 :]


class HttpProtocol(asyncio.Protocol):
    """Serves HTTP/1.1 on one socket. See the module docstring for the theory of operation.

    Args:
        state: what the server's connections share.
    """

    __slots__ = (
        "answer",
        "app",
        "client",
        "closed",
        "closing",
        "conn",
        "cork",
        "cork_buffer",
        "corked",
        "cycle",
        "deadline",
        "drain_waiter",
        "entry",
        "eof",
        "first_chunk",
        "handling",
        "loop",
        "may_switch",
        "pending",
        "phase",
        "prepared",
        "proxy_trusted",
        "read_paused",
        "ready",
        "requests_left",
        "scheme",
        "scope_template",
        "server",
        "state",
        "timer",
        "timer_at",
        "transport",
        "upgraded",
        "write_paused",
    )

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.loop = state.loop
        self.app = state.app
        self.entry = state.entry
        self.transport: Any = None
        self.conn: Connection = Connection(Role.SERVER, memo=state.memo)
        self.cycle: Cycle | None = None
        self.client: tuple[str, int] | None = None
        self.server: tuple[str, int | None] | None = None
        self.scheme = "https" if state.is_ssl else "http"
        # Writes collected while handle_events() runs; `cork` is this list then, else None.
        self.cork_buffer: list[bytes | bytearray | memoryview] = []
        self.cork: list[bytes | bytearray | memoryview] | None = None
        self.corked = 0
        self.handling = False
        self.phase = _PH_HEAD
        self.deadline = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at = 0.0  # when `timer` fires (loop time): no TimerHandle.when() call to compare
        self.read_paused = False
        self.write_paused = False
        self.drain_waiter: asyncio.Future[None] | None = None
        self.eof = False
        self.closing = False
        self.closed = False
        # The first bytes of the request being received (None until some arrive): whether a
        # request has begun (header timeout, 408), and whether a head too malformed to parse
        # was a HEAD (its error answer then has no body). Kept by reference, looked at only then.
        self.first_chunk: bytes | None = None
        self.requests_left = state.max_requests
        self.proxy_trusted = False
        self.may_switch = True  # the request has an Upgrade field (or it was not looked for)
        self.upgraded: Any = None
        self.pending: dict[str, Any] | None = None  # the scope of a request not yet started
        self.prepared = state.prepared  # the application's answer-from-memory hook, if any
        self.answer: tuple[int, Any, bytes] | None = None  # its answer, sent at the request's end
        self.ready = state.ready  # a done future: what send() returns when it need not wait
        # Each request's scope is a copy of this, with the per-request keys set (on_request).
        self.scope_template: dict[str, Any] = {}

    # -- asyncio.Protocol callbacks --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        state = self.state
        state.connections.add(self)
        limit = state.limit_concurrency
        if limit is not None and len(state.connections) > limit:
            # RFC 9110 §15.6.4: 503 tells the client the refusal is temporary.
            self.write(error_response(503, state.date, state.server_value))
            self.close()
            return
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in _TCP_FAMILIES:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # pragma: no cover - a socket already being torn down
                pass
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self.client = (str(peer[0]), int(peer[1]))
        local = transport.get_extra_info("sockname")
        if isinstance(local, tuple) and len(local) >= 2:
            self.server = (str(local[0]), int(local[1]))
        elif isinstance(local, str) and local:
            self.server = (local, None)
        if state.proxy_headers:
            self.proxy_trusted = (self.client[0] if self.client else None) in state.trusted or (
                self.client is None
            )
        self.scope_template = {
            "type": "http",
            "asgi": state.asgi_info,
            "http_version": "1.1",
            "server": self.server,
            "client": self.client,
            "scheme": self.scheme,
            "method": "GET",
            "root_path": state.root_path,
            "path": "/",
            "raw_path": b"/",
            "query_string": b"",
            "headers": [],
            "state": {},
            "extensions": state.extensions,
        }
        self.arm(_PH_HEAD, self.loop.time() + state.timeout_header_read)

    def data_received(self, data: bytes) -> None:
        if self.first_chunk is None:
            self.first_chunk = data
        self.conn.receive_data(data)
        if not self.handling:
            self.handle_events()

    def eof_received(self) -> bool:
        self.eof = True
        self.conn.receive_eof()
        if not self.handling:
            self.handle_events()
        # Keep our sending half open until the response in progress is written (half-close).
        # (asyncio's TLS transport cannot half-close: it would only warn.)
        return self.cycle is not None and not self.closed and not self.state.is_ssl

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.state.connection_closed(self)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        cycle = self.cycle
        if cycle is not None:
            cycle.disconnect()
        self.wake_writer()

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        self.wake_writer()

    # -- writing ----------------------------------------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Write bytes (corked while events are being handled)."""
        if self.closed:
            return
        cork = self.cork
        if cork is not None:
            cork.append(data)
            self.corked += len(data)
            if self.corked > _CORK_LIMIT:
                self.flush()  # the transport may now ask us to pause: send() sees write_paused
        else:
            self.transport.write(data)

    def flush(self) -> None:
        """Write out what the cork collected."""
        cork = self.cork
        if cork:
            out = cork[0] if len(cork) == 1 else b"".join(cork)
            cork.clear()  # one list per connection, emptied in place
            self.corked = 0
            if not self.closed:
                self.transport.write(out)

    def drain(self) -> asyncio.Future[None]:
        """A future done when the transport wants more bytes (or the connection is gone)."""
        waiter = self.drain_waiter
        if waiter is None:
            waiter = self.drain_waiter = self.loop.create_future()
        return waiter

    def wake_writer(self) -> None:
        """Release an application waiting in :meth:`drain`."""
        waiter = self.drain_waiter
        if waiter is not None:
            self.drain_waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def can_sendfile(self) -> bool:
        """Whether ``os.sendfile`` can carry file bodies (a plain socket: no TLS)."""
        return self.state.sendfile_ok and not self.closed

    async def send_file(self, fd: int, offset: int, count: int, zero_copy: bool) -> bool:
        """Write ``count`` bytes of the file ``fd`` from ``offset``: ``os.sendfile`` or reads.

        Returns:
            Whether the connection is still there to write the rest of the response.
        """
        if zero_copy:
            sent = await sendfile(self, fd, offset, count)
            if sent == count:
                return True
            if self.closed or self.transport.is_closing():
                return False
            offset += sent  # sendfile refused this file or socket: read the rest
            count -= sent
        while True:
            size = min(count, _FILE_CHUNK)
            data = os.pread(fd, size, offset)
            if len(data) != size:  # the file shrank under us: the framing is broken, cut it
                self.close()
                return False
            self.write(data)
            offset += size
            count -= size
            if not count:
                return not self.closed
            if self.write_paused:
                await self.drain()
            if self.closed or self.transport.is_closing():
                return False

    def close(self) -> None:
        """Flush and close the socket."""
        self.flush()
        self.cork = None
        if not self.closed and self.transport is not None:
            self.transport.close()
        self.closing = True

    # -- the event loop of one connection ------------------------------------------------------

    def handle_events(self) -> None:
        """Pull events out of the protocol connection until it needs bytes (module docstring)."""
        self.handling = True
        self.cork = self.cork_buffer
        next_event = self.conn.next_event
        try:
            while not self.closed:
                try:
                    event = next_event()
                except RemoteProtocolError as exc:
                    self.protocol_error(exc)
                    return
                kind = type(event)
                if kind is Request:
                    self.on_request(event)  # type: ignore[arg-type]
                elif kind is EndOfMessage:
                    cycle = self.cycle
                    if cycle is not None:
                        cycle.more_body = False  # Cycle.end(), inlined
                        if cycle.waiter is not None:
                            cycle.wake()
                        if self.pending is not None:
                            # The whole request is here: run the application now rather than
                            # after one more next_event() that can only say PAUSED.
                            self.start_app()
                        elif cycle.response == _COMPLETE:  # answered before the body was read
                            self.finish_cycle()
                    elif self.answer is not None:
                        self.send_answer()
                elif kind is Data:
                    cycle = self.cycle
                    if cycle is not None and cycle.response != _COMPLETE:
                        data: bytes = event.data  # type: ignore[union-attr, assignment]
                        if cycle.body_deadline and self.state.body_min_rate is not None:
                            cycle.body_deadline = min(
                                cycle.body_deadline + len(data) / self.state.body_min_rate,
                                self.loop.time() + self.state.timeout_body_read,
                            )
                        cycle.feed(data)
                        if cycle.body_size > _BODY_HIGH_WATER and not self.read_paused:
                            self.read_paused = True
                            self.transport.pause_reading()
                elif self.pending is not None:
                    # NEED_DATA or PAUSED right after a head (and whatever body was already here):
                    # now run the application, then look for the next request.
                    self.start_app()
                elif event is NEED_DATA:
                    if (
                        self.cycle is None
                        and self.phase == _PH_IDLE
                        and self.first_chunk is not None
                    ):
                        # A new request has begun: it must be whole within the header timeout.
                        self.arm(_PH_HEAD, self.loop.time() + self.state.timeout_header_read)
                    break
                elif event is PAUSED:
                    if self.conn.buffer_is_full and not self.read_paused:
                        self.read_paused = True
                        self.transport.pause_reading()
                    break
                else:  # ConnectionClosed
                    if self.cycle is None:
                        self.close()
                    break
        finally:
            self.handling = False
            if self.deadline < 0.0:  # _IDLE_OWED: an exchange finished and none began since
                # arm_idle(), inlined (once per batch, but every hello request is a batch).
                deadline = self.deadline = self.loop.time() + self.state.timeout_keep_alive
                if self.timer is None or self.timer_at > deadline:
                    self.arm(_PH_IDLE, deadline)
            cork = self.cork
            self.cork = None
            if cork:  # flush(), inlined: what this batch wrote goes out in one write
                out = cork[0] if len(cork) == 1 else b"".join(cork)
                cork.clear()
                self.corked = 0
                if not self.closed:
                    self.transport.write(out)

    def protocol_error(self, exc: RemoteProtocolError) -> None:
        """Answer a malformed request with its status and close (never echoing its bytes)."""
        cycle = self.cycle
        state = self.state
        if cycle is None or (cycle.response == _NOT_STARTED and not cycle.head_sent):
            if cycle is not None:
                head_only = cycle.request.method == b"HEAD"
            else:  # RFC 9110 §9.3.2: no body in the answer to a HEAD, even a malformed one
                head_only = (self.first_chunk or b"").lstrip(b"\r\n")[:5] == b"HEAD "
            self.write(error_response(exc.status_hint, state.date, state.server_value, head_only))
        if cycle is not None:
            cycle.disconnect()
        self.close()

    # -- one exchange -----------------------------------------------------------------------------

    def on_request(self, request: Request) -> None:
        """Start the exchange for ``request``: scope, cycle, application."""
        state = self.state
        self.phase = _PH_APP
        self.deadline = 0.0
        if self.requests_left is not None:
            self.requests_left -= 1
        target = request.target
        prepared = self.prepared
        if prepared is not None:
            answer = prepared(request.method, target, request.headers.items())
            if answer is not None:
                # Answered from the application's memory without running it (ServerState):
                # no scope, no cycle; sent when the request ends (send_answer).
                self.answer = answer
                return
        if target[0] == 0x2F:  # origin-form, the common case, inline
            # No "#" to cut: the protocol refuses one in a request-target (RFC 9112 §3.2). And
            # find() rather than ``in``: bytes.__contains__ first tries its operand as an int
            # and formats a TypeError for it (some 1,800 instructions) before it searches.
            q = target.find(b"?")
            if q < 0:
                raw_path, query = target, b""
            else:
                raw_path, query = target[:q], target[q + 1 :]
        else:
            raw_path, query = split_target(target)
        path = raw_path.decode("latin-1")
        if "%" in path:
            path = unquote(path)
        headers = request.headers.items()
        # The connection's scope template, copied: a dict copy and six stores cost less than
        # building the fourteen-key dict (ASGI HTTP scope) afresh.
        scope = self.scope_template.copy()
        client = self.client
        if self.proxy_trusted:
            # One pass over the (lowercase) names answers two questions at once for the usual
            # request that has none of these fields: are there forwarded fields to resolve
            # (RFC 7239), and can this be an upgrade (RFC 9110 §7.8: no Upgrade field, no
            # switch)? Cheaper than set.isdisjoint over a map plus the their_state property.
            may_switch = forwarded_fields = False
            for name, _ in headers:
                if name in _NOTABLE_FIELDS:
                    if name == b"upgrade":
                        may_switch = True
                    else:
                        forwarded_fields = True
            if forwarded_fields:
                proxies = state.trusted
                forwarded = resolve_forwarded(client[0] if client else None, headers, proxies)
                if forwarded.client is not None:
                    client = scope["client"] = forwarded.client
                if forwarded.scheme is not None:
                    scope["scheme"] = forwarded.scheme
                if forwarded.host is not None:
                    host = forwarded.host
                    headers = [(n, host if n == b"host" else v) for n, v in headers]
            self.may_switch = may_switch
        else:
            self.may_switch = True  # not looked for: start_app asks the protocol
        version = request.http_version
        if version != b"1.1":
            scope["http_version"] = _VERSIONS.get(version) or version.decode("ascii")
        method = request.method
        scope["method"] = _METHODS.get(method) or method.decode("latin-1")
        root_path = state.root_path
        scope["path"] = root_path + path if root_path else path
        scope["raw_path"] = raw_path
        scope["query_string"] = query
        scope["headers"] = headers
        scope["state"] = state.app_state.copy()
        # The Cycle, made field by field (see its docstring for why and which).
        cycle = _new(Cycle)
        cycle.proto = self
        cycle.request = request
        cycle.response = _NOT_STARTED
        cycle.body = None
        cycle.body_size = 0
        cycle.more_body = True
        cycle.body_done = False
        cycle.body_deadline = 0.0
        cycle.disconnected = False
        cycle.waiter = None
        cycle.head_sent = False
        cycle.sent = 0
        self.cycle = cycle
        if state.access_log:
            cycle.client = client
            cycle.started_at = time.time()
        if state.trace:
            trace_request(self, request)
        self.pending = scope

    def send_answer(self) -> None:
        """Send the answer ``prepared`` gave for the request that just ended, then go on."""
        answer = self.answer
        assert answer is not None
        status, headers, body = answer
        self.answer = None
        try:
            trusted, fields = self.server_fields(True, headers)
            out = self.conn.send_response(status, fields, body, trusted=trusted)
        except LocalProtocolError:
            # A field the protocol refuses: answered as an application's would be (500, close).
            self.state.error_logger.error("crlf_prepared_response gave a response crlf refuses")
            state = self.state
            self.write(error_response(500, state.date, state.server_value, False))
            self.close()
            return
        self.write(out)
        self.state.total_requests += 1
        self.finish_cycle()

    def start_app(self) -> None:
        """Run the application for the pending request, eagerly (module docstring)."""
        scope = self.pending
        self.pending = None
        cycle = self.cycle
        assert cycle is not None
        assert scope is not None
        request = cycle.request
        if request.method == b"CONNECT":
            # No tunnels here (ASGI has no CONNECT); RFC 9110 §9.3.6 lets a server refuse.
            self.closing = True
            self.respond_plain(cycle, 501)
            return
        if (
            self.may_switch
            and self.conn.their_state is _MIGHT_SWITCH
            and _wants_websocket(scope["headers"])
        ):
            self.on_websocket(request, scope, cycle)
            return
        context = contextvars.copy_context()
        # One task object for the whole server while applications finish without waiting:
        # steps never overlap (one thread, and _enter_task refuses a second current task).
        state = self.state
        task = state.eager_task
        if task is None:
            task = state.eager_task = EagerTask(self.loop)
        # The first step, as the current task (inlined _eager.step: this is the hot path). It is
        # next(coro.__await__(), _FINISHED) rather than coro.send(None): a coroutine that returns
        # ends the iteration without raising StopIteration (no exception object, no traceback).
        loop = self.loop
        try:
            coro = self.entry(scope, cycle.receive, cycle.send)
            awaiting = coro.__await__()
            _enter_task(loop, task)
            try:
                pending = context.run(next, awaiting, _FINISHED)
            finally:
                _leave_task(loop, task)
        except BaseException as exc:
            self.app_failed(cycle, exc)
            return
        if pending is _FINISHED:
            if cycle.response != _COMPLETE:
                self.app_returned(cycle)
            return
        # The application waits for something: the same task object carries on (see _eager.py).
        state.eager_task = None
        adopt(task, coro, context, pending)
        state.tasks.add(task)
        task.add_done_callback(lambda t: self.task_done(t, cycle))

    def task_done(self, task: asyncio.Task[Any], cycle: Cycle) -> None:
        """The application's task ended: check what it left behind."""
        self.state.tasks.discard(task)
        if task.cancelled():
            if cycle.response != _COMPLETE and not cycle.disconnected:
                self.abort_cycle(cycle)
            return
        exc = task.exception()
        if exc is not None:
            self.app_failed(cycle, exc)
        else:
            self.app_returned(cycle)

    def app_returned(self, cycle: Cycle) -> None:
        """The application returned; a response it did not finish is an error."""
        if cycle.response == _COMPLETE or cycle.disconnected:
            return
        if cycle.response == _NOT_STARTED:
            self.state.error_logger.error("ASGI callable returned without starting a response.")
            self.internal_error(cycle)
        else:
            self.state.error_logger.error("ASGI callable returned without completing the response.")
            self.abort_cycle(cycle)

    def app_failed(self, cycle: Cycle, exc: BaseException) -> None:
        """The application raised: 500 when nothing was sent yet, else cut the connection."""
        if not cycle.disconnected:
            self.state.error_logger.error("Exception in ASGI application", exc_info=exc)
        if cycle.response == _COMPLETE or cycle.disconnected:
            return
        if cycle.response == _NOT_STARTED or not cycle.head_sent:
            self.internal_error(cycle)
        else:
            self.abort_cycle(cycle)

    def internal_error(self, cycle: Cycle) -> None:
        """Send ``500 Internal Server Error`` (fixed body) and close afterwards."""
        self.closing = True
        if self.conn.our_state is _ERROR:
            # The application asked the protocol for something illegal: answer without it.
            state = self.state
            self.write(
                error_response(500, state.date, state.server_value, cycle.request.method == b"HEAD")
            )
            self.abort_cycle(cycle)
            return
        self.respond_plain(cycle, 500)

    def respond_plain(
        self, cycle: Cycle, status: int, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        """Answer the current exchange with ``status`` and a fixed ``text/plain`` body."""
        from http import HTTPStatus

        body = f"{status} {HTTPStatus(status).phrase}\n".encode("ascii")
        cycle.response = _STARTED
        cycle.status = status
        cycle.headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", b"%d" % len(body)),
            *(headers or ()),
        ]
        cycle.response = _COMPLETE
        self.send_body(cycle, body, True)

    def abort_cycle(self, cycle: Cycle) -> None:
        """End a half-sent response by closing: the client sees the body is short."""
        cycle.disconnect()
        self.close()

    def server_fields(self, final: bool, headers: list[tuple[bytes, bytes]]) -> tuple[bytes, Any]:
        """The server's own field lines (pre-encoded) and the fields the protocol checks.

        Date, Server and Keep-Alive are the server's (``ServerState``), never framing fields, so
        they go to ``send_response(trusted=...)`` as they are. ``Connection: close`` goes with
        the application's fields: the protocol must see it to close after this response.

        Args:
            final: the whole body is known (the protocol will set Content-Length).
            headers: the application's fields.
        """
        state = self.state
        left = self.requests_left
        if self.closing or state.shutting_down or self.eof or left == 0:
            self.closing = True
            return state.server_lines, [*headers, _CONNECTION_CLOSE]
        conn = self.conn
        if not conn.keep_alive:
            return state.server_lines, headers
        if conn.their_http_version == b"1.0" and not final and not _has_length(headers):
            # A streamed body to a 1.0 client is delimited by the close (RFC 9112 §6.3 rule 8):
            # the protocol adds Connection: close, so no Keep-Alive promise.
            return state.server_lines, headers
        if left is None:
            return state.keep_alive_lines, headers
        return state.keep_alive_max(left), headers

    def send_body(self, cycle: Cycle, body: bytes, final: bool) -> None:
        """Write a body piece (with the head first if it is not out yet); end it if ``final``."""
        if cycle.disconnected or self.cycle is not cycle:
            return
        conn = self.conn
        if self.state.access_log:
            cycle.sent += len(body)
        if not cycle.head_sent:
            # A LocalProtocolError (bad header, body longer than Content-Length) raises into the
            # application before anything is written, so app_failed() can still answer 500.
            trusted, headers = self.server_fields(final, cycle.headers)
            if final:
                # The protocol's fast path: head + body + end in one bytes object, one write.
                out = conn.send_response(cycle.status, headers, body, trusted=trusted)
                cycle.head_sent = True
                if self.state.trace:
                    trace_response(self, out[: out.find(b"\r\n\r\n") + 2])
                # write(), inlined: not closed here, or the guard above would have returned.
                cork = self.cork
                if cork is None:
                    self.transport.write(out)
                else:
                    cork.append(out)
                    self.corked += len(out)
                    if self.corked > _CORK_LIMIT:
                        self.flush()
                self.response_complete(cycle)
                return
            head = conn.send_response(cycle.status, headers, trusted=trusted)
            if body:
                head += b"".join(conn.send_chunks(Data(body)))
            cycle.head_sent = True
            if self.state.trace:
                trace_response(self, head)
            self.write(head)
            return
        if body:
            for piece in conn.send_chunks(Data(body)):
                self.write(piece)
        if final:
            end = conn.send(EndOfMessage())
            if end:
                self.write(end)
            self.response_complete(cycle)

    def response_complete(self, cycle: Cycle) -> None:
        """The response is fully written: log it, then keep or close the connection."""
        state = self.state
        state.total_requests += 1
        if cycle.waiter is not None:
            cycle.wake()
        if state.access_log:
            log_access(self, cycle)
        if self.cycle is not cycle:
            return
        # The request is read to its end (the protocol's side of the client is DONE or
        # MUST_CLOSE: cycle.end() ran at EndOfMessage), or the exchange was cut.
        if not cycle.more_body or cycle.disconnected:
            self.finish_cycle()
        elif self.conn.client_is_waiting_for_100_continue or self.closing:
            # The client may never send the body it announced: the connection cannot continue.
            self.close()
        # else: the request body is still coming; handle_events discards it, then finish_cycle().

    def finish_cycle(self) -> None:
        """Both messages are done: start the next exchange or close (RFC 9112 §9.3)."""
        conn = self.conn
        self.cycle = None
        state = self.state
        if self.closing or self.eof or state.shutting_down:
            self.close()
            return
        try:
            # Both sides DONE, or it raises: also when the connection cannot persist (a side
            # that is DONE on such a connection is MUST_CLOSE, RFC 9112 §9.6), so there is no
            # need to ask conn.keep_alive (a property) first.
            conn.start_next_cycle()
        except LocalProtocolError:
            self.close()
            return
        self.first_chunk = None
        self.phase = _PH_IDLE
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        if self.handling:
            # The keep-alive idle deadline is owed: handle_events() sets it when it runs out of
            # requests, so a batch of pipelined requests reads the clock once, not per request.
            self.deadline = _IDLE_OWED
        else:
            self.arm_idle()
            if asyncio.current_task(self.loop) is None:
                self.handle_events()
            else:
                # Called from an application task (its last send): the next request's eager
                # step cannot run inside another task; do it on the next loop turn.
                self.loop.call_soon(self.resume_events)

    def resume_events(self) -> None:
        """Handle buffered (pipelined) requests, if the connection is still free for them."""
        if not self.handling and not self.closed and self.cycle is None:
            self.handle_events()

    # -- request body flow control ---------------------------------------------------------------

    def body_consumed(self) -> None:
        """The application took the queued body: read from the socket again."""
        if self.read_paused and not self.conn.buffer_is_full:
            self.read_paused = False
            self.transport.resume_reading()

    def waiting_for_body(self, cycle: Cycle) -> None:
        """The application waits for body bytes: start the body timeout, make sure we read.

        Like Apache's ``RequestReadTimeout body=T,MinRate=R``: the first wait allows
        ``timeout_body_read`` seconds, and every byte received extends the deadline by 1/R s
        (never beyond ``timeout_body_read`` from now), so a client dripping a byte now and then
        cannot hold the connection forever. Without a minimum rate each wait gets the full time.
        """
        if self.cycle is cycle:
            state = self.state
            now = self.loop.time()
            if state.body_min_rate is None or not cycle.body_deadline:
                cycle.body_deadline = now + state.timeout_body_read
            self.arm(_PH_BODY, cycle.body_deadline)
            if self.read_paused:
                self.read_paused = False
                self.transport.resume_reading()

    def body_wait_over(self) -> None:
        """Body bytes came (or the wait ended): no body timeout while the application works."""
        if self.phase == _PH_BODY:
            self.phase = _PH_APP
            self.deadline = 0.0

    # -- timeouts ---------------------------------------------------------------------------------

    def arm(self, phase: int, deadline: float) -> None:
        """Enter ``phase`` with ``deadline`` (loop time), re-using the timer when it fires earlier."""
        self.phase = phase
        self.deadline = deadline
        timer = self.timer
        if timer is None or self.timer_at > deadline:
            if timer is not None:
                timer.cancel()
            self.timer = self.loop.call_at(deadline, self.on_timer)
            self.timer_at = deadline

    def arm_idle(self) -> None:
        """Start the keep-alive idle deadline (the timer is re-armed lazily, see arm())."""
        deadline = self.deadline = self.loop.time() + self.state.timeout_keep_alive
        if self.timer is None or self.timer_at > deadline:
            self.arm(_PH_IDLE, deadline)

    def on_timer(self) -> None:
        """The timer fired: act if the current deadline passed, else sleep until it."""
        self.timer = None
        deadline = self.deadline
        if not deadline or self.closed:
            return
        if self.loop.time() < deadline:
            self.timer = self.loop.call_at(deadline, self.on_timer)
            self.timer_at = deadline
            return
        phase = self.phase
        state = self.state
        if phase == _PH_HEAD:
            if (
                self.first_chunk is not None
            ):  # RFC 9110 §15.5.9: 408 for a request that did not finish in time
                self.write(error_response(408, state.date, state.server_value))
            self.close()
        elif phase == _PH_BODY:
            cycle = self.cycle
            if cycle is not None and not cycle.head_sent:
                self.write(error_response(408, state.date, state.server_value))
            if cycle is not None:
                cycle.disconnect()
            self.close()
        elif phase == _PH_IDLE:
            self.close()

    # -- graceful shutdown ---------------------------------------------------------------------

    def shutdown(self) -> None:
        """Server shutdown: close now when idle; otherwise close after the current response."""
        if self.upgraded is not None:
            handler = getattr(self.upgraded, "shutdown", None)
            if handler is not None:
                handler()
            else:
                self.close()
            return
        if self.cycle is None:
            self.close()
        else:
            self.closing = True

    # -- WebSocket hook ---------------------------------------------------------------------------

    def on_websocket(self, request: Request, scope: dict[str, Any], cycle: Cycle) -> None:
        """An ``Upgrade: websocket`` request: hand it to ``server/_websocket.py`` or refuse 403.

        The hook contract (stable): ``handle_upgrade(host, request, scope)`` where ``host`` is this
        object. The handler may answer over HTTP with ``host.respond(status, headers)`` (403 when
        the application closes before accepting), or complete the handshake by sending a 101 with
        ``host.conn.send(InformationalResponse(status_code=101, headers=...))`` written through
        ``host.transport`` and then call ``host.detach(protocol)``, which gives the socket to
        ``protocol`` and returns the bytes already received after the handshake.
        ``host.app``, ``host.loop``, ``host.state`` are there for it to use; on server shutdown
        ``protocol.shutdown()`` is called if it exists, and ``host.release()`` must be called by
        the handler when its connection ends.
        """
        scope["type"] = "websocket"
        scope["scheme"] = "wss" if scope["scheme"] == "https" else "ws"
        del scope["method"]
        protocols = request.headers.get_list(b"sec-websocket-protocol")
        scope["subprotocols"] = [p.decode("latin-1") for p in protocols]
        scope["extensions"] = {"websocket.http.response": {}}
        handler = self.state.websocket_handler
        if handler is None:
            self.respond_plain(cycle, 403)
            return
        handler(self, request, scope)

    def respond(self, status: int, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        """Answer the pending upgrade request over plain HTTP with a fixed body (e.g. 403)."""
        cycle = self.cycle
        if cycle is not None and cycle.response == _NOT_STARTED:
            self.respond_plain(cycle, status, headers)

    def detach(self, protocol: asyncio.BaseProtocol) -> bytes:
        """Give the socket to ``protocol`` after a 101; returns the bytes received after the head."""
        self.upgraded = protocol
        self.cycle = None
        self.deadline = 0.0
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.flush()
        self.cork = None
        self.transport.set_protocol(protocol)
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        data, _closed = self.conn.trailing_data
        return bytes(data)

    def trace_response(self, head: bytes) -> None:
        """``--trace`` a response head written by a hook (the WebSocket 101)."""
        trace_response(self, head)

    def release(self) -> None:
        """The upgraded connection ended (called by the WebSocket handler)."""
        self.closed = True
        self.state.connection_closed(self)


def _has_length(headers: Any) -> bool:
    """Whether the application's fields carry a Content-Length (any case)."""
    return any(name.lower() == b"content-length" for name, _ in headers)


def _wants_websocket(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether a GET asks to switch to WebSocket (RFC 6455 §4.1: ``Upgrade: websocket``)."""
    for name, value in headers:
        if name == b"upgrade":
            return b"websocket" in value.lower()
    return False
