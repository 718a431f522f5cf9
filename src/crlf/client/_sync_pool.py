"""Blocking sockets: one :class:`SyncConnection` per TCP connection, a :class:`SyncPool` of them.

The hot path of a keep-alive GET is: pop an IDLE connection, ``sendall`` the head the protocol
core wrote, ``recv`` into the core until the response ends, push the connection back. Read and
write timeouts are kernel socket options (``SO_RCVTIMEO``/``SO_SNDTIMEO``) on a blocking socket,
so no ``poll()`` runs before each ``recv`` as it would with ``socket.settimeout``; TLS sockets
use ``settimeout`` (OpenSSL does not expect EAGAIN on a blocking socket).

A request on a *reused* connection that fails before any response byte arrived (the server
closed the idle connection as we wrote: RFC 9112 §9.3.1) raises :class:`StaleConnection`; the
client retries idempotent requests once on a new connection (RFC 9110 §9.2.2).
"""

from __future__ import annotations

import select
import socket
import ssl
import struct
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from ..errors import (
    ConnectError,
    ConnectTimeout,
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

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ._base import Prepared
    from ._config import PoolLimits, Timeout

__all__ = ["StaleConnection", "SyncConnection", "SyncPool", "open_socket"]

DONE = State.DONE
READ_SIZE = 64 * 1024  # one recv: nginx's default output buffers are 32 KiB x 2
_EOM = EndOfMessage()
_HAS_SOCKOPT_TIMEO = sys.platform.startswith("linux")
CONTINUE_TIMEOUT = 1.0  # seconds to wait for 100 Continue before sending anyway (curl: 1 s)


def _readable(sock: socket.socket, timeout: float) -> bool:
    """Whether ``sock`` has bytes (or EOF) to read within ``timeout`` seconds.

    poll() where it exists: select() cannot watch descriptors above FD_SETSIZE (1024).
    """
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(timeout * 1000))
    return bool(select.select([sock], [], [], timeout)[0])  # pragma: no cover - Windows


class StaleConnection(Exception):
    """A reused connection failed before the response began (internal: triggers one retry)."""


def _timeval(seconds: float | None) -> bytes:
    if not seconds:
        return struct.pack("ll", 0, 0)  # 0 = no timeout
    whole = int(seconds)
    micro = int((seconds - whole) * 1e6)
    return struct.pack("ll", whole, micro if whole or micro else 1)


def open_socket(host: str, port: int, timeout: Timeout) -> socket.socket:
    """A TCP connection with Nagle off (each request goes out whole in one write)."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout.connect)
    except TimeoutError as exc:
        raise ConnectTimeout(f"connecting to {host}:{port} timed out") from exc
    except OSError as exc:
        raise ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(None)  # blocking again: read/write timeouts are set per request
    return sock


class SyncConnection:
    """One client connection on a blocking socket, driven through a protocol Connection."""

    __slots__ = (
        "_rcv",
        "_snd",
        "counted",
        "expires_at",
        "idle_limit",
        "key",
        "pool",
        "proto",
        "requests_left",
        "served",
        "sock",
        "state",
        "tls",
    )

    def __init__(self, sock: socket.socket, key: PoolKey, tls: bool) -> None:
        self.sock = sock
        self.key = key
        self.tls = tls
        self.proto = Connection(Role.CLIENT)
        self.state = ConnState.NEW
        self.expires_at = 0.0
        self.idle_limit = 5.0  # seconds it may stay IDLE: the pool's expiry or the server's
        self.requests_left: int | None = None
        self.served = 0
        self.pool: SyncPool | None = None
        self.counted = True
        self._rcv: float | None = -1.0
        self._snd: float | None = -1.0

    # -------------------------------------------------------------- timeouts --

    def _set_timeouts(self, timeout: Timeout) -> None:
        read, write = timeout.read, timeout.write
        if read == self._rcv and write == self._snd:
            return
        if self.tls or not _HAS_SOCKOPT_TIMEO:
            self.sock.settimeout(read if write is None else max(read or 0, write) or None)
        else:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(read))
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(write))
        self._rcv, self._snd = read, write

    # ------------------------------------------------------------------- I/O --

    def _sendall(self, data: Any) -> None:
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise self._send_error(exc) from exc

    def _send_error(self, exc: OSError) -> Exception:
        """The typed error for a failed write."""
        if isinstance(exc, BlockingIOError | TimeoutError):
            return WriteTimeout("the server accepted no bytes within the write timeout")
        if self.served:  # nothing of this exchange was received yet: the idle race
            return StaleConnection(str(exc))
        return WriteError(f"sending the request failed: {exc}")

    def _recv(self, got_response: bool) -> None:
        try:
            data = self.sock.recv(READ_SIZE)
        except (BlockingIOError, TimeoutError, ssl.SSLWantReadError) as exc:
            raise ReadTimeout("no response bytes within the read timeout") from exc
        except OSError as exc:
            if self.served and not got_response:
                raise StaleConnection(str(exc)) from exc
            raise ReadError(f"reading the response failed: {exc}") from exc
        if data:
            self.proto.receive_data(data)
        else:
            if self.served and not got_response and not self.proto.trailing_data[0]:
                raise StaleConnection("the server closed the idle connection")
            self.proto.receive_eof()

    def is_dead(self) -> bool:
        """Whether an idle connection was closed (or sent junk) by the server meanwhile."""
        try:
            return _readable(self.sock, 0)
        except (OSError, ValueError):
            return True

    def close(self) -> None:
        """Close the socket; the connection is CLOSED."""
        self.state = ConnState.CLOSED
        try:
            self.sock.close()
        except OSError:  # pragma: no cover
            pass

    # -------------------------------------------------------------- exchange --

    def send_request(
        self, prep: Prepared, trace: Callable[[str, bytes], None] | None
    ) -> ResponseEvent | None:
        """Write the request; return an early final response if one came instead of 100."""
        timeout = prep.timeout
        if timeout.read != self._rcv or timeout.write != self._snd:
            self._set_timeouts(timeout)
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
        if trace is not None:
            trace("send_head", head)
        body = prep.body
        if body is None:
            proto.send(_EOM)
            try:
                self.sock.sendall(head)
            except OSError as exc:
                raise self._send_error(exc) from exc
            return None
        if body.data is not None and not prep.expect_continue:
            parts = proto.send_chunks(Data(body.data))
            end = proto.send(_EOM)
            if len(body.data) <= READ_SIZE:
                self._sendall(b"".join([head, *parts, end]))
            else:
                self._sendall(head)
                for part in parts:
                    self._sendall(part)
                if end:
                    self._sendall(end)
            return None
        self._sendall(head)
        if prep.expect_continue:
            early = self._wait_continue(trace)
            if early is not None:
                return early  # RFC 9110 §10.1.1: the server answered without wanting the body
        for chunk in body.chunks():
            for part in proto.send_chunks(Data(chunk)):
                self._sendall(part)
        end = proto.send(_EOM)
        if end:
            self._sendall(end)
        return None

    def _wait_continue(self, trace: Callable[[str, bytes], None] | None) -> ResponseEvent | None:
        try:
            ready = _readable(self.sock, CONTINUE_TIMEOUT)
        except (OSError, ValueError):
            ready = False
        if not ready:
            return None  # no answer in time: send the body anyway (RFC 9110 §10.1.1)
        event = self._next_event(True, trace)
        if type(event) is InformationalResponse:
            return None
        assert type(event) is ResponseEvent
        return event

    def _next_event(self, got_response: bool, trace: Callable[[str, bytes], None] | None) -> Any:
        proto = self.proto
        while True:
            if trace is not None:
                before = proto.trailing_data[0]
            event = proto.next_event()
            if event is NEED_DATA:
                self._recv(got_response)
                continue
            if trace is not None and type(event) in (ResponseEvent, InformationalResponse):
                end = before.find(b"\r\n\r\n")
                trace("receive_head", before[: end + 4])
            return event

    def read_response(
        self,
        prep: Prepared,
        early: ResponseEvent | None,
        stream: bool,
        release: Callable[[SyncConnection], None],
        trace: Callable[[str, bytes], None] | None,
    ) -> Response:
        """Read the response head (skipping 1xx) and, unless ``stream``, the whole body."""
        proto = self.proto
        event: Any = early
        if event is None:
            if trace is None:
                # The buffer is empty after a request (release() never pools a connection
                # holding stray bytes): read first instead of asking the parser for NEED_DATA.
                self._recv(False)
                event = proto.next_event()
                if type(event) is not ResponseEvent:
                    event = self._read_head(event, trace)
            else:
                event = self._read_head(NEED_DATA, trace)
        self.served += 1
        headers = event.headers
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
        if stream:
            resp = Response(
                event.status_code,
                headers,
                None,
                reason=event.reason,
                http_version=event.http_version,
                url=prep.url,
            )
            resp.set_cookie = set_cookie
            resp.encoded = encoded
            it = self._iter_body(release, trace)
            resp._attach_stream(it, None, lambda: self._abandon(it))
            return resp
        parts: list[Any] = []
        while True:
            ev = proto.next_event()
            t = type(ev)
            if t is Data:
                parts.append(ev.data)  # type: ignore[union-attr]
            elif t is EndOfMessage:
                break
            elif ev is NEED_DATA:
                self._recv(True)
            else:
                raise RemoteProtocolError("unexpected event in a response body")
        body = parts[0] if len(parts) == 1 else b"".join(parts)
        release(self)
        resp = Response(
            event.status_code,
            headers,
            body if type(body) is bytes else bytes(body),
            event.reason,
            event.http_version,
            prep.url,
        )
        resp.encoded = encoded
        if set_cookie:
            resp.set_cookie = True
        return resp

    def _read_head(self, event: Any, trace: Callable[[str, bytes], None] | None) -> ResponseEvent:
        """The final response head, given the first event parsed (or NEED_DATA)."""
        while True:
            if event is NEED_DATA:
                event = self._next_event(False, trace)
            if type(event) is ResponseEvent:
                return event
            if type(event) is not InformationalResponse:
                raise RemoteProtocolError("the server closed the connection without a response")
            # 100 Continue and 103 Early Hints are interim (RFC 9110 §15.2): skip them.
            event = self._next_event(False, trace)

    def _iter_body(self, release: Callable[[SyncConnection], None], trace: Any) -> Iterator[bytes]:
        proto = self.proto
        while True:
            ev = proto.next_event()
            t = type(ev)
            if t is Data:
                yield bytes(ev.data)  # type: ignore[union-attr]
            elif t is EndOfMessage:
                release(self)
                return
            elif ev is NEED_DATA:
                self._recv(True)
            else:
                raise RemoteProtocolError("unexpected event in a response body")

    def _abandon(self, it: Iterator[bytes]) -> None:
        # A streamed body closed before its end: the rest would have to be read to reuse the
        # connection; closing is cheaper for anything big (what httpx and urllib3 do).
        if self.state is ConnState.ACTIVE and self.pool is not None:
            self.pool.discard(self)

    def reusable(self) -> bool:
        """Whether both sides finished the exchange on a persistent connection."""
        proto = self.proto
        return (
            proto.our_state is DONE
            and proto.their_state is DONE
            and (self.requests_left is None or self.requests_left > 0)
        )


class SyncPool:
    """Connections keyed by origin (or proxy), with total and per-host limits.

    Args:
        limits: the pool limits.
        connect: opens a new :class:`SyncConnection` for a prepared request.
    """

    def __init__(
        self, limits: PoolLimits, connect: Callable[[Prepared, PoolKey], SyncConnection]
    ) -> None:
        self.limits = limits
        self._connect = connect
        self._idle: dict[PoolKey, list[SyncConnection]] = {}
        self._per_key: dict[PoolKey, int] = {}
        self._total = 0
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._waiting = 0  # threads in _cond.wait(): release() only notifies when there are some
        self._closed = False
        self.connections_opened = 0  # statistics, for tests and `crlf get -v`

    def _has_room(self, key: PoolKey) -> bool:
        limits = self.limits
        if self._total >= limits.max_connections:
            # Make room by closing an idle connection to any origin (oldest first).
            for k, idle in self._idle.items():
                if idle:
                    victim = idle.pop(0)
                    victim.close()
                    victim.counted = False
                    self._forget(k)
                    break
            else:
                return False
        per_host = limits.max_connections_per_host
        return per_host is None or self._per_key.get(key, 0) < per_host

    def _forget(self, key: PoolKey) -> None:
        self._total -= 1
        self._per_key[key] -= 1

    def acquire(self, key: PoolKey, prep: Prepared, check_dead: bool) -> SyncConnection:
        """An IDLE connection for ``key`` (ACTIVE now), or a NEW one once there is room.

        Raises:
            PoolTimeout: no room within ``prep.timeout.pool``.
        """
        with self._lock:
            idle = self._idle.get(key)
            now = time.monotonic()
            while idle:
                conn = idle.pop()
                if conn.expires_at <= now or (check_dead and conn.is_dead()):
                    conn.close()
                    conn.counted = False
                    self._forget(key)
                    continue
                conn.state = ConnState.ACTIVE
                return conn
            if self._closed:
                raise RuntimeError("the client is closed")
            deadline = None if prep.timeout.pool is None else now + prep.timeout.pool
            while not self._has_room(key):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise PoolTimeout("no connection became free within the pool timeout")
                self._waiting += 1
                try:
                    self._cond.wait(remaining)
                finally:
                    self._waiting -= 1
                idle = self._idle.get(key)
                if idle:
                    conn = idle.pop()
                    conn.state = ConnState.ACTIVE
                    return conn
            self._total += 1
            self._per_key[key] = self._per_key.get(key, 0) + 1
        try:
            conn = self._connect(prep, key)
        except BaseException:
            with self._lock:
                self._forget(key)
                if self._waiting:
                    self._cond.notify()
            raise
        conn.state = ConnState.ACTIVE
        conn.pool = self
        conn.idle_limit = self.limits.keepalive_expiry
        self.connections_opened += 1
        return conn

    def release(self, conn: SyncConnection) -> None:
        """Take back a connection whose exchange ended: IDLE if reusable, else CLOSED."""
        if conn.state is ConnState.CLOSED:
            self.discard(conn)
            return
        proto = conn.proto
        if (
            proto.our_state is DONE
            and proto.their_state is DONE
            and (conn.requests_left is None or conn.requests_left > 0)
            and not self._closed
            and not proto.trailing_data[0]  # stray bytes after the response: never reuse
        ):
            proto.start_next_cycle()
            with self._lock:
                idle = self._idle.get(conn.key)
                if idle is None:
                    idle = self._idle[conn.key] = []
                if len(idle) < self.limits.max_keepalive:
                    conn.state = ConnState.IDLE
                    conn.expires_at = time.monotonic() + conn.idle_limit
                    idle.append(conn)
                    if self._waiting:
                        self._cond.notify()
                    return
        conn.close()
        self.discard(conn)

    def discard(self, conn: SyncConnection) -> None:
        """Forget a connection that is being (or was) closed."""
        if conn.state is not ConnState.CLOSED:
            conn.close()
        with self._lock:
            if conn.counted:
                conn.counted = False
                self._forget(conn.key)
            if self._waiting:
                self._cond.notify()

    def close(self) -> None:
        """Close every idle connection; active ones close when their exchange ends."""
        with self._lock:
            self._closed = True
            for key, idle in self._idle.items():
                for conn in idle:
                    conn.close()
                    conn.counted = False
                    self._forget(key)
            self._idle.clear()

    def idle_count(self) -> int:
        """IDLE connections held (for tests)."""
        return sum(len(v) for v in self._idle.values())
