"""Connection-pool bookkeeping shared by the sync and async pools (no I/O here).

A pooled connection is in one of httpcore's four states::

    NEW --first request--> ACTIVE --response done, reusable--> IDLE --next request--> ACTIVE
                             |                                   |
                             +--- close / error / not reusable --+--> CLOSED

An IDLE connection expires after the pool's ``keepalive_expiry``, or sooner when the server
announced ``Keep-Alive: timeout=N`` (RFC 2068 §19.7.1.1, kept alive by RFC 9112 §9.3 practice:
Apache sends it, nginx honours it), and after ``max=N`` more requests it is not reused.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..protocol import Headers
    from ._proxy import Proxy
    from ._urls import URL

__all__ = [
    "KEEPALIVE_MARGIN",
    "WATCHED_FIELDS",
    "ConnState",
    "PoolKey",
    "keep_alive_params",
    "pool_key",
]

PoolKey = tuple[str, str, int, str]
# Seconds subtracted from a server's Keep-Alive timeout so we never reuse a connection the
# server is closing at that very moment (the race RFC 9112 §9.3.1 warns about).
KEEPALIVE_MARGIN = 1.0
# Response fields the connection looks for in one pass: Keep-Alive (pooling), Set-Cookie (the
# cookie jar is skipped for the usual response without one) and Content-Encoding (decoding).
WATCHED_FIELDS = frozenset((b"keep-alive", b"set-cookie", b"content-encoding"))


class ConnState(enum.Enum):
    """Where a pooled connection is in its life (httpcore's HTTPConnectionState)."""

    NEW = "NEW"
    ACTIVE = "ACTIVE"
    IDLE = "IDLE"
    CLOSED = "CLOSED"


def pool_key(url: URL, proxy: Proxy | None) -> PoolKey:
    """The pool key: the origin, or the proxy for plain-http forwarding, or both for CONNECT."""
    if proxy is None:
        return (url.scheme, url.host, url.port, "")
    p = proxy.url
    if url.scheme == "http":
        return ("http", p.host, p.port, "forward")  # absolute-form: one pool for every origin
    return (url.scheme, url.host, url.port, f"{p.host}:{p.port}")


def keep_alive_params(headers: Headers) -> tuple[float | None, int | None]:
    """``(timeout, max)`` from a ``Keep-Alive`` response field, None for what it omits."""
    timeout: float | None = None
    maximum: int | None = None
    for item in headers.get_list(b"keep-alive"):
        name, _, value = item.partition(b"=")
        name = name.strip().lower()
        value = value.strip().strip(b'"')
        if not value.isdigit() or len(value) > 9:
            continue
        if name == b"timeout":
            timeout = float(value)
        elif name == b"max":
            maximum = int(value)
    return timeout, maximum
