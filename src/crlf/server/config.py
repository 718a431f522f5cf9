"""Server configuration: one frozen :class:`Config`, validated once.

Option names follow uvicorn's where the two overlap (``host``, ``port``, ``uds``, ``fd``, ``workers``,
``loop``, ``interface``, ``log_level``, ``access_log``, ``timeout_keep_alive``,
``timeout_graceful_shutdown``, ``limit_concurrency``, ``ssl_certfile``, ``ssl_keyfile``,
``proxy_headers``, ``forwarded_allow_ips``, ``root_path``, ``app_dir``, ``factory``, ``lifespan``,
``backlog``, ``server_header``, ``date_header``), so a ``uvicorn`` command line mostly works as a
``crlf run`` command line. crlf adds the knobs of the seed's session (``max_requests_per_connection``,
counted down in ``Keep-Alive: timeout=T, max=N``) and of a safe lifecycle (``timeout_header_read``
against slowloris, ``timeout_body_read``), plus ``trace`` and ``wsgi_threads``.

Defaults, and why:

- ``timeout_keep_alive = 5`` seconds, as uvicorn and Apache 2.4 (``KeepAliveTimeout 5``). The seed's
  ``Keep-Alive: timeout=15`` is Apache 2.2's old default; pass ``--timeout-keep-alive 15`` to
  reproduce it.
- ``max_requests_per_connection = None``: unlimited, the ``Keep-Alive`` header then carries only
  ``timeout=T``. Apache's ``MaxKeepAliveRequests`` is 100; with a number, every response says how
  many more requests the connection may make (``max=98`` in the seed) and the last one closes.
- ``timeout_header_read = 10`` seconds for a whole request head, counted from the first byte (or
  from the accept): nginx ``client_header_timeout`` is 60, Apache ``RequestReadTimeout header=20-40``.
- ``timeout_body_read = 30`` seconds while the application waits for request body bytes
  (Apache ``RequestReadTimeout body=20``, nginx ``client_body_timeout 60``), extended by one
  second per ``body_min_rate = 500`` bytes received (Apache ``MinRate=500``), so a client that
  drips its body cannot hold a connection for ever; ``None`` restarts the timeout at each wait.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from crlf.protocol import Limits

__all__ = ["LOG_LEVELS", "Config"]

LoopName = Literal["auto", "asyncio", "uvloop"]
InterfaceName = Literal["auto", "asgi3", "wsgi"]
LifespanMode = Literal["auto", "on", "off"]

#: ``--log-level`` names (uvicorn's), mapped to :mod:`logging` levels; ``trace`` is below DEBUG.
LOG_LEVELS: dict[str, int] = {
    "critical": 50,
    "error": 40,
    "warning": 30,
    "info": 20,
    "debug": 10,
    "trace": 5,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Everything :func:`crlf.server.serve` needs besides the application.

    Raises:
        ValueError: from ``__post_init__`` when an option is out of range or names an unknown choice.
    """

    # Where to listen: host/port, or a Unix socket path, or an inherited file descriptor.
    host: str = "127.0.0.1"
    port: int = 8000
    uds: str | None = None
    fd: int | None = None
    backlog: int = 2048  # uvicorn's default; the kernel caps it at net.core.somaxconn
    # Processes and event loop.
    workers: int = 1
    loop: LoopName = "auto"
    # The application.
    interface: InterfaceName = "auto"
    lifespan: LifespanMode = "auto"
    factory: bool = False
    app_dir: str = "."
    root_path: str = ""
    wsgi_threads: int = 16  # bounded pool for --interface wsgi (gunicorn gthread: 1 per worker)
    # Logging.
    log_level: str = "info"
    access_log: bool = True
    trace: bool = False
    # The seed's session: persistent connections and their headers.
    timeout_keep_alive: float = 5.0
    max_requests_per_connection: int | None = None
    server_header: bool = True
    date_header: bool = True
    # A safe lifecycle.
    timeout_header_read: float = 10.0
    timeout_body_read: float = 30.0
    body_min_rate: float | None = 500.0  # bytes/s while the app waits (Apache MinRate=500)
    limit_concurrency: int | None = None
    timeout_graceful_shutdown: float = 30.0
    limits: Limits | None = None
    # TLS.
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_keyfile_password: str | None = None
    # Reverse proxies (X-Forwarded-* and RFC 7239 Forwarded), trusted only from these peers.
    proxy_headers: bool = True
    forwarded_allow_ips: str | list[str] = field(
        default_factory=lambda: os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
    )
    # WebSockets (uvicorn's names and defaults): the largest message, keepalive Pings every
    # interval seconds closed with 1011 when no Pong comes within the timeout (None: off), and
    # whether permessage-deflate (RFC 7692) may be negotiated.
    ws_max_size: int = 16 * 1024 * 1024
    ws_ping_interval: float | None = 20.0
    ws_ping_timeout: float | None = 20.0
    ws_per_message_deflate: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0..65535, not {self.port}")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.loop not in ("auto", "asyncio", "uvloop"):
            raise ValueError(f"loop must be auto, asyncio or uvloop, not {self.loop!r}")
        if self.interface not in ("auto", "asgi3", "wsgi"):
            raise ValueError(f"interface must be auto, asgi3 or wsgi, not {self.interface!r}")
        if self.lifespan not in ("auto", "on", "off"):
            raise ValueError(f"lifespan must be auto, on or off, not {self.lifespan!r}")
        if self.log_level.lower() not in LOG_LEVELS:
            raise ValueError(f"log_level must be one of {', '.join(LOG_LEVELS)}")
        for name in (
            "timeout_keep_alive",
            "timeout_header_read",
            "timeout_body_read",
            "timeout_graceful_shutdown",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.max_requests_per_connection is not None and self.max_requests_per_connection < 1:
            raise ValueError("max_requests_per_connection must be at least 1")
        if self.body_min_rate is not None and self.body_min_rate <= 0:
            raise ValueError("body_min_rate must be positive (or None)")
        if self.limit_concurrency is not None and self.limit_concurrency < 1:
            raise ValueError("limit_concurrency must be at least 1")
        if self.wsgi_threads < 1:
            raise ValueError("wsgi_threads must be at least 1")
        if self.root_path and (not self.root_path.startswith("/") or self.root_path.endswith("/")):
            raise ValueError("root_path must start with '/' and not end with '/'")
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None) and self.ssl_keyfile:
            raise ValueError("ssl_keyfile needs ssl_certfile")
        if self.uds is not None and self.fd is not None:
            raise ValueError("give at most one of uds and fd")
        if self.ws_max_size < 1:
            raise ValueError("ws_max_size must be at least 1")
        for name in ("ws_ping_interval", "ws_ping_timeout"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive (or None)")

    @property
    def is_ssl(self) -> bool:
        """Whether the server speaks TLS (a certificate file was given)."""
        return self.ssl_certfile is not None

    @property
    def log_level_number(self) -> int:
        """The :mod:`logging` level for ``log_level``."""
        return LOG_LEVELS[self.log_level.lower()]

    def trusted_proxies(self) -> list[str]:
        """``forwarded_allow_ips`` as a list of addresses, networks or ``*``."""
        value = self.forwarded_allow_ips
        items = value.split(",") if isinstance(value, str) else list(value)
        return [item.strip() for item in items if item.strip()]
