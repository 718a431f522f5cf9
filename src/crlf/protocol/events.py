"""The events a :class:`crlf.protocol.Connection` reads and writes (RFC 9112 §2.1).

An HTTP/1.1 message is one head event (:class:`Request`, :class:`Response` or
:class:`InformationalResponse`), then zero or more :class:`Data`, then :class:`EndOfMessage`.
:class:`ConnectionClosed` says the peer closed its sending half.

These are plain ``__slots__`` classes, not frozen dataclasses: a server makes several per request
and a frozen dataclass ``__init__`` costs several times as much (measured, see BENCHMARKS.md).
They are validated once, by the parser (incoming) or the writer (outgoing), not on construction.
"""

from __future__ import annotations

from enum import Enum

from .headers import Headers

__all__ = [
    "NEED_DATA",
    "PAUSED",
    "ConnectionClosed",
    "Data",
    "EndOfMessage",
    "Event",
    "InformationalResponse",
    "Request",
    "Response",
    "Sentinel",
]


class Sentinel(Enum):
    """What :meth:`Connection.next_event` returns when it has no event to give."""

    NEED_DATA = "NEED_DATA"  # feed more bytes with receive_data() (or receive_eof())
    PAUSED = "PAUSED"  # the current exchange must finish first (start_next_cycle / upgrade)


NEED_DATA = Sentinel.NEED_DATA
PAUSED = Sentinel.PAUSED


def _coerce_headers(headers: Headers | list[tuple[bytes, bytes]] | None) -> Headers:
    if headers is None:
        return Headers()
    if isinstance(headers, Headers):
        return headers
    return Headers(headers)


class Request:
    """A request head (RFC 9112 §3).

    Attributes:
        method: the method token, case-sensitive (RFC 9110 §9.1), e.g. ``b"GET"``.
        target: the request-target exactly as sent (origin-, absolute-, authority- or asterisk-form).
        http_version: ``b"1.1"`` or ``b"1.0"``.
        headers: the header fields.
    """

    __slots__ = ("headers", "http_version", "method", "target")

    def __init__(
        self,
        *,
        method: bytes,
        target: bytes,
        headers: Headers | list[tuple[bytes, bytes]] | None = None,
        http_version: bytes = b"1.1",
    ) -> None:
        self.method = method
        self.target = target
        self.headers = _coerce_headers(headers)
        self.http_version = http_version

    def __repr__(self) -> str:
        return (
            f"Request(method={self.method!r}, target={self.target!r}, "
            f"http_version={self.http_version!r}, headers={self.headers!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Request):
            return NotImplemented
        return (self.method, self.target, self.http_version, self.headers) == (
            other.method,
            other.target,
            other.http_version,
            other.headers,
        )

    __hash__ = None  # type: ignore[assignment]


class _ResponseBase:
    __slots__ = ("headers", "http_version", "reason", "status_code")

    def __init__(
        self,
        *,
        status_code: int,
        headers: Headers | list[tuple[bytes, bytes]] | None = None,
        reason: bytes = b"",
        http_version: bytes = b"1.1",
    ) -> None:
        self.status_code = status_code
        self.headers = _coerce_headers(headers)
        self.reason = reason
        self.http_version = http_version

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, reason={self.reason!r}, "
            f"http_version={self.http_version!r}, headers={self.headers!r})"
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _ResponseBase)
        return (self.status_code, self.reason, self.http_version, self.headers) == (
            other.status_code,
            other.reason,
            other.http_version,
            other.headers,
        )

    __hash__ = None  # type: ignore[assignment]


class Response(_ResponseBase):
    """A final response head, status 200-599 (RFC 9112 §4). An empty reason gets the standard one."""

    __slots__ = ()


class InformationalResponse(_ResponseBase):
    """An interim 1xx response head (RFC 9110 §15.2), e.g. ``100 Continue`` or ``101``."""

    __slots__ = ()


class Data:
    """A piece of message body (already de-chunked when received).

    When sending, ``data`` may be any object with ``len()`` that the transport can write
    (bytes, memoryview); the writer adds chunk framing around it without copying it.
    """

    __slots__ = ("data",)

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self.data = data

    def __repr__(self) -> str:
        return f"Data(<{len(self.data)} bytes>)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Data):
            return NotImplemented
        return bytes(self.data) == bytes(other.data)

    __hash__ = None  # type: ignore[assignment]


class EndOfMessage:
    """The end of a message, with its trailer fields when the body was chunked (RFC 9112 §7.1.2)."""

    __slots__ = ("headers",)

    def __init__(self, headers: Headers | list[tuple[bytes, bytes]] | None = None) -> None:
        self.headers = _coerce_headers(headers)

    def __repr__(self) -> str:
        return f"EndOfMessage(headers={self.headers!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EndOfMessage):
            return NotImplemented
        return self.headers == other.headers

    __hash__ = None  # type: ignore[assignment]


class ConnectionClosed:
    """The peer closed its sending half (EOF at a message boundary)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ConnectionClosed()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConnectionClosed)

    __hash__ = object.__hash__


Event = Request | Response | InformationalResponse | Data | EndOfMessage | ConnectionClosed
