"""Client configuration: timeouts and pool limits (values, no behaviour).

Both are frozen: a client builds them once and every request reads them without copying.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_TIMEOUT", "PoolLimits", "Timeout", "TimeoutTypes", "to_timeout"]


@dataclass(frozen=True, slots=True)
class Timeout:
    """Seconds each phase may take; ``None`` waits forever.

    Attributes:
        connect: opening the TCP connection (and the TLS handshake).
        read: the longest wait for any byte of the response.
        write: the longest wait for the peer to accept request bytes.
        pool: waiting for a free connection when the pool is at its limits.
    """

    connect: float | None = 5.0
    read: float | None = 5.0
    write: float | None = 5.0
    pool: float | None = 5.0

    def __post_init__(self) -> None:
        for name in ("connect", "read", "write", "pool"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"timeout {name} must be >= 0 or None")


# httpx's default, 5 s for every phase; requests waits forever, which hangs on a silent peer.
DEFAULT_TIMEOUT = Timeout()

TimeoutTypes = Timeout | float | None


def to_timeout(value: TimeoutTypes | Timeout) -> Timeout:
    """Turn a number (every phase), ``None`` (no limit) or a :class:`Timeout` into a Timeout."""
    if isinstance(value, Timeout):
        return value
    if value is None:
        return Timeout(None, None, None, None)
    return Timeout(value, value, value, value)


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolLimits:
    """How many connections the pool opens and keeps.

    Attributes:
        max_connections: open connections in all (httpx: 100; aiohttp: 100).
        max_connections_per_host: open connections to one origin (aiohttp's ``limit_per_host``;
            ``None`` is no per-origin limit beyond ``max_connections``).
        max_keepalive: idle connections kept for reuse (httpx: 20).
        keepalive_expiry: seconds an idle connection is kept when the server did not say
            (httpx: 5 s). A ``Keep-Alive: timeout=N`` from the server lowers it (RFC 9112 §9.3,
            the header is from RFC 2068 §19.7.1.1).
    """

    max_connections: int = 100
    max_connections_per_host: int | None = None
    max_keepalive: int = 100
    keepalive_expiry: float = 5.0

    def __post_init__(self) -> None:
        if self.max_connections < 1:
            raise ValueError("max_connections must be >= 1")
        if self.max_connections_per_host is not None and self.max_connections_per_host < 1:
            raise ValueError("max_connections_per_host must be >= 1 or None")
        if self.max_keepalive < 0 or self.keepalive_expiry < 0:
            raise ValueError("max_keepalive and keepalive_expiry must be >= 0")
