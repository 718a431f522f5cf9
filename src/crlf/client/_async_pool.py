"""asyncio: one :class:`AsyncConnection` (an ``asyncio.Protocol``) per TCP connection, a pool.

The connection parses in ``data_received``: bytes go straight into the protocol core and the
waiting request's future is resolved when the response ends (or, when streaming, when its head
arrives). A keep-alive GET therefore costs one ``transport.write``, one callback and one task
wake-up: no stream reader, no per-request task, no lock when an idle connection is at hand.

Read timeouts use one timer per connection that is moved, not recreated, per request: the timer
fires at most once per timeout period and re-arms itself if the deadline moved meanwhile.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..errors import (
    PoolTimeout,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    WriteError,
    WriteTimeout,
)
from ..protocol import (
    NEED_DATA,
    Connection,
    Data,
    EndOfMessage,
    InformationalResponse,
    Request,
    Role,
    State,
)
from ..protocol import (
    Response as ResponseEvent,
)
from ._models import Response
from ._pool import KEEPALIVE_MARGIN, WATCHED_FIELDS, ConnState, PoolKey, keep_alive_params
from ._sync_pool import StaleConnection

if TYPE_CHECKING:
    from ._base import Prepared
    from ._config import PoolLimits

__all__ = ["AsyncConnection", "AsyncPool"]

DONE = State.DONE
_EOM = EndOfMessage()
HIGH_WATER = 256 * 1024  # bytes of a streamed body buffered before reading pauses
CONTINUE_TIMEOUT = 1.0  # seconds to wait for 100 Continue (curl: 1 s)
Trace = Callable[[str, bytes], None] | None


class AsyncConnection(asyncio.Protocol):
    """One client connection driven by asyncio callbacks and the protocol core."""

    def __init__(self, loop: asyncio.AbstractEventLoop, key: PoolKey) -> None:
        self.loop = loop
        self.key = key
        self.proto = Connection(Role.CLIENT)
        self.transport: asyncio.Transport | None = None
        self.state = ConnState.NEW
        self.expires_at = 0.0
        self.idle_limit = 5.0  # seconds it may stay IDLE: the pool's expiry or the server's
        self.requests_left: int | None = None
        self.served = 0
        self.counted = True
        self.pool: AsyncPool | None = None
        self.trace: Trace = None
        self.dead = False
        self._waiter: asyncio.Future[Any] | None = None
        self._continue: asyncio.Future[Any] | None = None
        self._stream = False
        self._head: ResponseEvent | None = None
        self._parts: list[Any] = []
        self._buffered = 0
        self._body_done = False
        self._got_bytes = False
        self._deadline = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._read_timeout: float | None = None
        self._drain: asyncio.Future[None] | None = None
        self._paused_reading = False
        self.lost: asyncio.Future[None] = loop.create_future()  # resolved by connection_lost

    # ---------------------------------------------------- asyncio callbacks --

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._got_bytes = True
        proto = self.proto
        proto.receive_data(data)
        if self._waiter is None and not self._stream:
            if self.state is ConnState.IDLE:
                self.dead = True  # bytes on an idle connection: never reuse it (RFC 9112 §9.3)
            return
        try:
            self._process()
        except Exception as exc:
            self._fail(exc)

    def eof_received(self) -> bool:
        self.dead = True
        if self._waiter is not None and self.served and not self._got_bytes:
            # A reused connection closed before any byte of this response: the keep-alive
            # race (RFC 9112 §9.3.1), retried by the client for idempotent requests.
            self._fail(StaleConnection("the server closed the idle connection"))
            return False
        self.proto.receive_eof()
        if self._waiter is not None or self._stream:
            try:
                self._process()
            except Exception as exc:
                self._fail(exc)
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.dead = True
        self.state = ConnState.CLOSED
        if not self.lost.done():
            self.lost.set_result(None)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._waiter is not None or (self._stream and not self._body_done):
            if not self.proto.trailing_data[1]:
                self.proto.receive_eof()
                try:
                    self._process()
                except Exception as err:
                    self._fail(err)
            if self._waiter is not None or (self._stream and not self._body_done):
                self._fail(self._lost_error(exc))
        if self._continue is not None and not self._continue.done():
            self._continue.set_result(None)
        if self._drain is not None and not self._drain.done():
            self._drain.set_exception(WriteError("the connection was closed while sending"))
        if self.pool is not None:
            self.pool.discard(self)

    def _lost_error(self, exc: Exception | None) -> Exception:
        if self.served and not self._got_bytes and self._head is None:
            return StaleConnection("the server closed the idle connection")
        return ReadError(f"the connection was closed before the response ended: {exc or 'EOF'}")

    def pause_writing(self) -> None:
        self._drain = self.loop.create_future()

    def resume_writing(self) -> None:
        drain, self._drain = self._drain, None
        if drain is not None and not drain.done():
            drain.set_result(None)

    # --------------------------------------------------------------- parsing --

    def _process(self) -> None:
        proto = self.proto
        parts = self._parts
        while True:
            ev = proto.next_event()
            t = type(ev)
            if t is Data:
                parts.append(ev.data)  # type: ignore[union-attr]
                if self._stream:
                    self._buffered += len(ev.data)  # type: ignore[union-attr]
                    self._wake()
                    if self._buffered > HIGH_WATER and not self._paused_reading:
                        self._paused_reading = True
                        assert self.transport is not None
                        self.transport.pause_reading()
            elif t is EndOfMessage:
                self._body_done = True
                if self._stream:
                    self._wake()
                else:
                    waiter, self._waiter = self._waiter, None
                    if waiter is not None and not waiter.done():
                        waiter.set_result(None)
                return
            elif t is ResponseEvent:
                self._on_head(ev)  # type: ignore[arg-type]
            elif t is InformationalResponse:
                cont = self._continue
                if cont is not None and not cont.done():
                    cont.set_result(None)
            elif ev is NEED_DATA:
                return
            else:
                raise RemoteProtocolError("the server closed the connection without a response")

    def _on_head(self, ev: ResponseEvent) -> None:
        self._head = ev
        self.served += 1
        cont = self._continue
        if cont is not None and not cont.done():
            cont.set_result(ev)  # an early final answer: do not send the body
        if self._stream:
            waiter, self._waiter = self._waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, exc: BaseException) -> None:
        self.dead = True
        for fut in (self._waiter, self._continue):
            if fut is not None and not fut.done():
                fut.set_exception(exc)
        self._waiter = None
        if self.transport is not None:
            self.transport.close()

    # --------------------------------------------------------------- timeout --

    def _arm_timer(self, timeout: float | None) -> None:
        if timeout is None:
            self._deadline = 0.0
            return
        loop = self.loop
        self._deadline = loop.time() + timeout
        if self._timer is None:
            self._timer = loop.call_at(self._deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._waiter is None or not self._deadline:
            return  # nothing waits for a response right now
        now = self.loop.time()
        if now < self._deadline:
            self._timer = self.loop.call_at(self._deadline, self._on_timer)
            return
        self._fail(ReadTimeout("no response bytes within the read timeout"))

    # ------------------------------------------------------------- exchange --

    def start(self, prep: Prepared, stream: bool) -> asyncio.Future[Any]:
        """Write the head (and an in-memory body); return the future of the response."""
        proto = self.proto
        event = prep.event
        if event is None:
            event = prep.event = Request(
                method=prep.method,
                target=prep.target,
                headers=prep.headers,
                http_version=prep.http_version,
            )
        head = proto.send(event)
        if self.trace is not None:
            self.trace("send_head", head)
        self._head = None
        self._parts = []
        self._body_done = False
        self._got_bytes = False
        self._stream = stream
        self._waiter = waiter = self.loop.create_future()
        self._arm_timer(prep.timeout.read)
        transport = self.transport
        if transport is None or transport.is_closing():
            waiter.set_exception(
                StaleConnection("connection closed") if self.served else ReadError("closed")
            )
            return waiter
        body = prep.body
        if body is None:
            proto.send(_EOM)
            transport.write(head)
        elif body.data is not None and not prep.expect_continue:
            transport.writelines([head, *proto.send_chunks(Data(body.data)), proto.send(_EOM)])
        else:
            transport.write(head)
        return waiter

    async def send_body(self, prep: Prepared) -> None:
        """Send a streamed or 100-continue body after :meth:`start`."""
        body = prep.body
        if body is None or (body.data is not None and not prep.expect_continue):
            return
        transport = self.transport
        assert transport is not None
        if prep.expect_continue:
            self._continue = cont = self.loop.create_future()
            try:
                early = await asyncio.wait_for(asyncio.shield(cont), CONTINUE_TIMEOUT)
            except TimeoutError:
                early = None
            finally:
                self._continue = None
            if early is not None or self._head is not None:
                return  # RFC 9110 §10.1.1: answered already; the body is not wanted
        proto = self.proto
        chunks: Any = body.stream if body.is_async else body.chunks()
        if body.is_async:
            async for chunk in chunks:
                transport.writelines(proto.send_chunks(Data(bytes(chunk))))
                await self._drained(prep)
        else:
            for chunk in chunks:
                transport.writelines(proto.send_chunks(Data(chunk)))
                await self._drained(prep)
        transport.write(proto.send(_EOM))

    async def _drained(self, prep: Prepared) -> None:
        drain = self._drain
        if drain is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(drain), prep.timeout.write)
        except TimeoutError as exc:
            raise WriteTimeout("the server accepted no bytes within the write timeout") from exc

    def response(self, prep: Prepared) -> Response:
        """The response once :meth:`start`'s future resolved (the whole body, unless streaming)."""
        ev = self._head
        assert ev is not None
        headers = ev.headers
        maximum = None
        set_cookie = encoded = False
        for name, _ in headers.items():  # one pass for the fields the client acts on
            if name in WATCHED_FIELDS:
                if name == b"set-cookie":
                    set_cookie = True
                elif name == b"content-encoding":
                    encoded = True
                else:
                    timeout, maximum = keep_alive_params(headers)
                    if timeout is not None:
                        self.idle_limit = min(self.idle_limit, timeout - KEEPALIVE_MARGIN)
        # Keep-Alive: max=N counts the requests the server still takes after this one (Apache).
        if maximum is not None:
            self.requests_left = maximum
        elif self.requests_left is not None:
            self.requests_left -= 1
        if self._stream:
            resp = Response(
                ev.status_code,
                headers,
                None,
                reason=ev.reason,
                http_version=ev.http_version,
                url=prep.url,
            )
            resp.set_cookie = set_cookie
            resp.encoded = encoded
            resp._attach_stream(None, self._aiter_body(prep), self._abandon)
            return resp
        parts = self._parts
        body = parts[0] if len(parts) == 1 else b"".join(parts)
        self._parts = []
        self._deadline = 0.0
        if self.pool is not None:
            self.pool.release(self)
        resp = Response(
            ev.status_code,
            headers,
            bytes(body),
            reason=ev.reason,
            http_version=ev.http_version,
            url=prep.url,
        )
        resp.encoded = encoded
        if set_cookie:
            resp.set_cookie = True
        return resp

    async def _aiter_body(self, prep: Prepared) -> AsyncIterator[bytes]:
        while True:
            parts = self._parts
            if parts:
                self._parts = []
                self._buffered = 0
                if self._paused_reading and self.transport is not None:
                    self._paused_reading = False
                    self.transport.resume_reading()
                for part in parts:
                    yield bytes(part)
                continue
            if self._body_done:
                self._stream = False
                self._deadline = 0.0
                if self.pool is not None:
                    self.pool.release(self)
                return
            if self.state is ConnState.CLOSED:
                raise ReadError("the connection was closed before the body ended")
            self._waiter = waiter = self.loop.create_future()
            self._arm_timer(prep.timeout.read)
            await waiter

    def _abandon(self) -> None:
        if self.state is ConnState.ACTIVE:
            self._stream = False
            if self.pool is not None:
                self.pool.discard(self)

    def reusable(self) -> bool:
        """Whether both sides finished the exchange on a persistent connection."""
        proto = self.proto
        return (
            not self.dead
            and proto.our_state is DONE
            and proto.their_state is DONE
            and (self.requests_left is None or self.requests_left > 0)
            and not proto.trailing_data[0]  # stray bytes after the response: never reuse
        )

    def close(self) -> None:
        """Close the transport; the connection is CLOSED."""
        self.state = ConnState.CLOSED
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.transport is not None:
            try:
                self.transport.close()
            except RuntimeError:  # its event loop is already closed: nothing left to do
                pass


class AsyncPool:
    """asyncio connections keyed by origin (or proxy), with total and per-host limits."""

    def __init__(
        self,
        limits: PoolLimits,
        connect: Callable[[Prepared, PoolKey], Awaitable[AsyncConnection]],
    ) -> None:
        self.limits = limits
        self._connect = connect
        self._idle: dict[PoolKey, list[AsyncConnection]] = {}
        self._per_key: dict[PoolKey, int] = {}
        self._total = 0
        self._waiters: collections.deque[tuple[PoolKey, asyncio.Future[None]]] = collections.deque()
        self._closed = False
        self.connections_opened = 0

    def take_idle(self, key: PoolKey) -> AsyncConnection | None:
        """An IDLE connection for ``key`` (now ACTIVE) without waiting, or None."""
        idle = self._idle.get(key)
        if not idle:
            return None
        loop = idle[-1].loop
        if loop is not asyncio.get_running_loop():
            # A client reused under a new event loop (asyncio.run twice): these transports
            # belong to the old loop and cannot be used here.
            for conn in idle:
                conn.dead = True
        now = loop.time()
        while idle:
            conn = idle.pop()
            if conn.dead or conn.expires_at <= now:
                conn.close()
                self._forget(conn)
                continue
            conn.state = ConnState.ACTIVE
            return conn
        return None

    def _forget(self, conn: AsyncConnection) -> None:
        if conn.counted:
            conn.counted = False
            self._total -= 1
            self._per_key[conn.key] -= 1

    def _has_room(self, key: PoolKey) -> bool:
        limits = self.limits
        if self._total >= limits.max_connections:
            for idle in self._idle.values():
                if idle:
                    victim = idle.pop(0)
                    victim.close()
                    self._forget(victim)
                    break
            else:
                return False
        per_host = limits.max_connections_per_host
        return per_host is None or self._per_key.get(key, 0) < per_host

    async def acquire(self, key: PoolKey, prep: Prepared, fresh: bool = False) -> AsyncConnection:
        """An IDLE connection, or a NEW one once there is room.

        Raises:
            PoolTimeout: no room within ``prep.timeout.pool``.
        """
        if self._closed:
            raise RuntimeError("the client is closed")
        loop = asyncio.get_running_loop()
        deadline = None if prep.timeout.pool is None else loop.time() + prep.timeout.pool
        while True:
            if not fresh:
                conn = self.take_idle(key)
                if conn is not None:
                    return conn
            if self._has_room(key):
                break
            fut: asyncio.Future[None] = loop.create_future()
            entry = (key, fut)
            self._waiters.append(entry)
            try:
                remaining = None if deadline is None else max(0.0, deadline - loop.time())
                await asyncio.wait_for(fut, remaining)
            except TimeoutError as exc:
                raise PoolTimeout("no connection became free within the pool timeout") from exc
            finally:
                try:
                    self._waiters.remove(entry)
                except ValueError:
                    pass
        self._total += 1
        self._per_key[key] = self._per_key.get(key, 0) + 1
        try:
            conn = await self._connect(prep, key)
        except BaseException:
            self._total -= 1
            self._per_key[key] -= 1
            self._wake(None)
            raise
        conn.state = ConnState.ACTIVE
        conn.pool = self
        conn.idle_limit = self.limits.keepalive_expiry
        self.connections_opened += 1
        return conn

    def _wake(self, key: PoolKey | None) -> None:
        for k, fut in self._waiters:
            if (key is None or k == key) and not fut.done():
                fut.set_result(None)
                return
        if key is not None:
            # No one waits for this origin; an idle connection can still be closed to make
            # room for a waiter of another origin (see _has_room).
            self._wake(None)

    def release(self, conn: AsyncConnection) -> None:
        """Take back a connection whose exchange ended: IDLE if reusable, else CLOSED."""
        if conn.state is ConnState.ACTIVE and conn.reusable() and not self._closed:
            conn.proto.start_next_cycle()
            idle = self._idle.get(conn.key)
            if idle is None:
                idle = self._idle[conn.key] = []
            if len(idle) < self.limits.max_keepalive:
                conn.state = ConnState.IDLE
                conn.expires_at = conn.loop.time() + conn.idle_limit
                idle.append(conn)
                if self._waiters:
                    self._wake(conn.key)
                return
        self.discard(conn)

    def discard(self, conn: AsyncConnection) -> None:
        """Close and forget a connection."""
        if conn.state is not ConnState.CLOSED:
            conn.close()
        idle = self._idle.get(conn.key)
        if idle and conn in idle:
            idle.remove(conn)
        if conn.counted:
            self._forget(conn)
            if self._waiters:
                self._wake(None)

    def close(self) -> list[asyncio.Future[None]]:
        """Close every idle connection; returns futures resolved when their transports end."""
        self._closed = True
        closing: list[asyncio.Future[None]] = []
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
                self._forget(conn)
                if conn.transport is not None:
                    closing.append(conn.lost)
        self._idle.clear()
        return closing

    def idle_count(self) -> int:
        """IDLE connections held (for tests)."""
        return sum(len(v) for v in self._idle.values())
