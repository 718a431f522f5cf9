"""What every connection of one server shares, and the bytes-level helpers.

:class:`ServerState` holds the application, the parsed configuration in the shapes the hot path
wants (plain attributes, prebuilt header lists), the set of live connections (for graceful
shutdown and ``limit_concurrency``) and the per-second ``Date`` field. The ``Date`` value is
refreshed by one timer per server, so a request costs no clock read or formatting for it
(RFC 9110 §6.6.1 lets an origin server send the time the message was generated, to the second).
"""

from __future__ import annotations

import logging
import os
import time
import types
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from crlf.protocol import Limits, Memo

from ._proxy import TrustedProxies

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable

    from .config import Config

__all__ = ["ServerState", "error_response", "http_date"]

try:  # the semantics layer formats IMF-fixdate (RFC 9110 §5.6.7)
    from crlf.semantics.dates import format_http_date_bytes as _format_date
except ImportError:  # pragma: no cover - semantics/ is part of the package; kept for bisecting
    from email.utils import formatdate

    def _format_date(timestamp: float) -> bytes:
        return formatdate(timestamp, usegmt=True).encode("ascii")


def http_date(timestamp: float) -> bytes:
    """``Sun, 06 Nov 1994 08:49:37 GMT`` for a POSIX timestamp."""
    return _format_date(timestamp)


def error_response(
    status: int, date: bytes | None = None, server: bytes | None = None, head_only: bool = False
) -> bytes:
    """A complete ``Connection: close`` response with a fixed short body for ``status``.

    The body never echoes anything from the request (a reflected-input vector otherwise), and the
    bytes are built here rather than by the protocol connection, which is in ERROR by then.
    """
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body = f"{status} {phrase}\n".encode("ascii")
    lines = [f"HTTP/1.1 {status} {phrase}".encode("ascii")]
    if date is not None:
        lines.append(b"date: " + date)
    if server is not None:
        lines.append(b"server: " + server)
    lines += [
        b"content-type: text/plain; charset=utf-8",
        b"content-length: %d" % len(body),
        b"connection: close",
        b"",
        b"" if head_only else body,  # RFC 9110 §9.3.2: a response to HEAD has no content
    ]
    return b"\r\n".join(lines)


class ServerState:
    """Shared by every connection of one server (one event loop).

    Args:
        app: the ASGI 3 application (WSGI ones arrive wrapped).
        config: the configuration.
        loop: the event loop.
    """

    def __init__(self, app: Any, config: Config, loop: asyncio.AbstractEventLoop) -> None:
        self.app = app
        # What a request calls (HttpProtocol.start_app): the application, or its class's
        # __call__ bound to it once (see entry_point).
        self.entry = entry_point(app)
        self.config = config
        self.loop = loop
        self.limits: Limits | None = config.limits
        # One memo for every connection (crlf.protocol.memo): a head repeated on a new
        # connection (a client that closes after each request) is not parsed again either.
        self.memo = Memo(config.limits or Limits())
        # The task applications' first steps run as (server/_eager.py), shared by connections
        # until one application waits and takes it (_http11.HttpProtocol.start_app).
        self.eager_task: Any = None
        self.connections: set[Any] = set()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.on_idle: asyncio.Future[None] | None = None  # set by shutdown, done at 0 connections
        # Awaiting a done future is the cheapest await there is (C, no frame): send() returns it.
        self.ready: asyncio.Future[None] = loop.create_future()
        self.ready.set_result(None)
        self.app_state: dict[str, Any] = {}
        self.root_path = config.root_path
        self.asgi_info = {"version": "3.0", "spec_version": "2.3"}
        # Shared by every scope (read-only by the ASGI spec's convention): one dict less per request.
        self.extensions: dict[str, dict[str, Any]] = {
            "http.response.pathsend": {},
            "http.response.zerocopy": {},
        }
        self.timeout_keep_alive = config.timeout_keep_alive
        self.timeout_header_read = config.timeout_header_read
        self.timeout_body_read = config.timeout_body_read
        self.body_min_rate = config.body_min_rate
        self.max_requests = config.max_requests_per_connection
        self.limit_concurrency = config.limit_concurrency
        self.shutting_down = False
        self.is_ssl = config.is_ssl
        self.proxy_headers = config.proxy_headers
        self.trusted = TrustedProxies(config.trusted_proxies())
        self.access_logger = logging.getLogger("crlf.access")
        self.error_logger = logging.getLogger("crlf.error")
        self.trace_logger = logging.getLogger("crlf.trace")
        self.access_log = config.access_log and self.access_logger.isEnabledFor(logging.INFO)
        self.trace = config.trace
        # crlf's server extension: an application that can answer some requests from memory
        # without running (StaticFiles.crlf_prepared_response: a cached small file). Offered
        # each request first (HttpProtocol.on_request); not when every request must reach the
        # logs or a mount prefix must be cut, which the hook does not know about.
        hook = getattr(app, "crlf_prepared_response", None)
        self.prepared: Callable[..., tuple[int, Any, bytes] | None] | None = (
            hook
            if callable(hook) and not self.access_log and not self.trace and not self.root_path
            else None
        )
        self.websocket_handler: Callable[..., None] | None = None
        self.server_value: bytes | None = b"crlf" if config.server_header else None
        self.total_requests = 0
        ka = b"timeout=%d" % max(1, round(config.timeout_keep_alive))
        self.keep_alive_timeout_value = ka
        # The server's own fields, refreshed each second by refresh_date(): Date and Server as
        # (name, value) pairs (the WebSocket handshake adds them to its 101), and pre-encoded
        # field lines the protocol writes as they are (Connection.send_response(trusted=...)):
        # ``server_lines`` (Date, Server) and ``keep_alive_lines`` (those and Keep-Alive:
        # timeout=T). With --max-requests-per-connection the Keep-Alive line also counts down
        # (``max=N``): keep_alive_max() caches one set of lines per N for the current second.
        self.date: bytes = b""
        self.head_fields: list[tuple[bytes, bytes]] = []
        self.server_lines = b""
        self.keep_alive_lines = b""
        self._keep_alive_max: dict[int, bytes] = {}
        self._date_timer: asyncio.TimerHandle | None = None
        self.refresh_date()
        # File bodies go zero-copy (os.sendfile on the socket, _sendfile.py) on any loop, TLS aside.
        self.sendfile_ok = not self.is_ssl and hasattr(os, "sendfile")

    def connection_closed(self, connection: Any) -> None:
        """Forget a closed connection; wake the shutdown when it was the last one."""
        self.connections.discard(connection)
        waiter = self.on_idle
        if waiter is not None and not self.connections:
            self.on_idle = None
            if not waiter.done():
                waiter.set_result(None)

    def refresh_date(self) -> None:
        """Rebuild the ``Date``/``Server`` fields now, and again at the next second."""
        now = time.time()
        self.date = http_date(now)
        fields: list[tuple[bytes, bytes]] = []
        if self.config.date_header:
            fields.append((b"date", self.date))
        if self.server_value is not None:
            fields.append((b"server", self.server_value))
        self.head_fields = fields
        self.server_lines = b"".join(b"%s: %s\r\n" % field for field in fields)
        self.keep_alive_lines = b"%skeep-alive: %s\r\n" % (
            self.server_lines,
            self.keep_alive_timeout_value,
        )
        self._keep_alive_max = {}
        if not self.loop.is_closed():
            delay = 1.0 - (now % 1.0) + 0.001
            self._date_timer = self.loop.call_later(delay, self.refresh_date)

    def keep_alive_max(self, left: int) -> bytes:
        """The server's field lines with ``Keep-Alive: timeout=T, max=left`` (RFC 9112 §9.3)."""
        lines = self._keep_alive_max.get(left)
        if lines is None:
            lines = self._keep_alive_max[left] = b"%skeep-alive: %s, max=%d\r\n" % (
                self.server_lines,
                self.keep_alive_timeout_value,
                left,
            )
        return lines

    def stop(self) -> None:
        """Stop the per-second timer."""
        if self._date_timer is not None:
            self._date_timer.cancel()
            self._date_timer = None


def entry_point(app: Any) -> Any:
    """The callable to run ``app`` with: for an instance, its class's ``__call__`` bound once.

    Calling an instance goes through its type's ``tp_call`` slot, which looks ``__call__`` up
    on the class and binds it on every call; Starlette, FastAPI and crlf's StaticFiles are
    instances, so the lookup is made once here. Only a plain Python function is bound (what
    the implicit call would find); anything else is called as it is.
    """
    # The __call__ the implicit call would find: the first class in the MRO that defines one.
    # For a function, a bound method or a class it is a C slot, not a function: app as it is.
    call = next(
        (k.__dict__["__call__"] for k in type(app).__mro__ if "__call__" in k.__dict__), None
    )
    if isinstance(call, types.FunctionType):
        return types.MethodType(call, app)
    return app
