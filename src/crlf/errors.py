"""The one exception hierarchy of crlf.

::

    CrlfError
    ├── ProtocolError(msg, *, status_hint=400)     a message broke RFC 9112 / RFC 6455
    │   ├── LocalProtocolError    we were asked to send something illegal; our side is in ERROR
    │   └── RemoteProtocolError   the peer sent something illegal; their side is in ERROR.
    │                             ``status_hint`` is the status a server answers with (400, 413,
    │                             414, 431, 501, 505); WebSocket errors add ``close_code``.
    └── TransportError            raised by crlf.server and crlf.client only, never by protocol/
        ├── TimeoutException      (also a builtin ``TimeoutError``)
        │   ├── ConnectTimeout  ReadTimeout  WriteTimeout  PoolTimeout
        ├── NetworkError
        │   ├── ConnectError  ReadError  WriteError
        ├── ProxyError
        └── TooManyRedirects / HTTPStatusError (client conveniences, see below)

``protocol/`` raises only :class:`ProtocolError` subclasses (plus ``TypeError``/``ValueError`` for
API misuse); anything else escaping a parser is a bug, and the fuzz tests hold it to that.
Errors are translated once, at the layer boundary (``raise X(...) from exc``).
"""

from __future__ import annotations

from http import HTTPStatus

__all__ = [
    "ConnectError",
    "ConnectTimeout",
    "CrlfError",
    "DecodingError",
    "HTTPStatusError",
    "LocalProtocolError",
    "NetworkError",
    "PoolTimeout",
    "ProtocolError",
    "ProxyError",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "TimeoutException",
    "TooManyRedirects",
    "TransportError",
    "WriteError",
    "WriteTimeout",
]


class CrlfError(Exception):
    """Base of every exception crlf raises on purpose."""


class ProtocolError(CrlfError):
    """A message violated HTTP/1.1 (RFC 9112) or WebSocket (RFC 6455) rules.

    Args:
        msg: a fixed, human-readable reason. Servers never echo it into a response body.
        status_hint: the status code a server should answer with.
        close_code: for WebSocket errors, the close code to send (1002, 1007, 1009...).
    """

    def __init__(
        self,
        msg: str,
        *,
        status_hint: int = HTTPStatus.BAD_REQUEST,
        close_code: int = 1002,
    ) -> None:
        super().__init__(msg)
        self.msg = msg
        self.status_hint = int(status_hint)
        self.close_code = close_code

    def __reduce__(self) -> tuple[object, ...]:  # keep pickling (workers, pytest-xdist) working
        return (_rebuild, (type(self), self.msg, self.status_hint, self.close_code))


def _rebuild(cls: type[ProtocolError], msg: str, status: int, code: int) -> ProtocolError:
    return cls(msg, status_hint=status, close_code=code)


class LocalProtocolError(ProtocolError):
    """Raised when our own side is asked to send something RFC 9112/6455 forbids."""


class RemoteProtocolError(ProtocolError):
    """Raised when the peer sent bytes RFC 9112/6455 forbids; ``status_hint`` says how to answer."""


class TransportError(CrlfError):
    """Raised by the server and client I/O layers when the connection itself fails."""


class TimeoutException(TransportError, TimeoutError):
    """Raised when an I/O operation ran out of time."""


class ConnectTimeout(TimeoutException):
    """Raised when the TCP (or TLS) connection could not be opened in time."""


class ReadTimeout(TimeoutException):
    """Raised when the peer sent nothing for longer than the read timeout."""


class WriteTimeout(TimeoutException):
    """Raised when the peer accepted no bytes for longer than the write timeout."""


class PoolTimeout(TimeoutException):
    """Raised when no pooled connection became free within the pool timeout."""


class NetworkError(TransportError):
    """Raised when a socket operation failed."""


class ConnectError(NetworkError):
    """Raised when the connection could not be opened (refused, DNS, TLS handshake)."""


class ReadError(NetworkError):
    """Raised when reading from the socket failed or it closed unexpectedly."""


class WriteError(NetworkError):
    """Raised when writing to the socket failed."""


class ProxyError(TransportError):
    """Raised when an HTTP proxy refused or broke the tunnel."""


class DecodingError(CrlfError):
    """Raised when a response body's Content-Encoding could not be decoded."""


class TooManyRedirects(CrlfError):
    """Raised when a client followed more redirects than its maximum."""


class HTTPStatusError(CrlfError):
    """Raised by ``Response.raise_for_status()`` for a 4xx or 5xx response."""

    def __init__(self, msg: str, *, status_code: int) -> None:
        super().__init__(msg)
        self.status_code = status_code
