"""Status codes: reason phrases, the five classes, pre-built status lines (RFC 9110 §15).

The seed's session lists the five classes of status codes; RFC 9110 §15 defines them by the
first digit. Reason phrases are the ones RFC 9110 registers (plus the IANA registry's other
common entries), not Python's older :class:`http.HTTPStatus` phrases such as "Request Entity
Too Large" (RFC 9110 renamed 413 "Content Too Large", 416 "Range Not Satisfiable", 422
"Unprocessable Content").

The tables are read-only mappings built once at import: no module state can change at run time.
"""

from __future__ import annotations

import enum
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "REASON_PHRASES",
    "STATUS_LINES",
    "StatusClass",
    "reason_phrase",
    "status_class",
    "status_line",
]

# RFC 9110 §15 and the IANA "HTTP Status Code Registry". 418 is reserved by RFC 9110 §15.5.19
# and carries no phrase of its own there, but "(Unused)" codes are left out on purpose.
_PHRASES: dict[int, bytes] = {
    # 1xx Informational, RFC 9110 §15.2
    100: b"Continue",
    101: b"Switching Protocols",
    102: b"Processing",  # RFC 2518
    103: b"Early Hints",  # RFC 8297
    # 2xx Successful, RFC 9110 §15.3
    200: b"OK",
    201: b"Created",
    202: b"Accepted",
    203: b"Non-Authoritative Information",
    204: b"No Content",
    205: b"Reset Content",
    206: b"Partial Content",
    207: b"Multi-Status",  # RFC 4918
    208: b"Already Reported",  # RFC 5842
    226: b"IM Used",  # RFC 3229
    # 3xx Redirection, RFC 9110 §15.4
    300: b"Multiple Choices",
    301: b"Moved Permanently",
    302: b"Found",
    303: b"See Other",
    304: b"Not Modified",
    305: b"Use Proxy",
    307: b"Temporary Redirect",
    308: b"Permanent Redirect",
    # 4xx Client Error, RFC 9110 §15.5
    400: b"Bad Request",
    401: b"Unauthorized",
    402: b"Payment Required",
    403: b"Forbidden",
    404: b"Not Found",
    405: b"Method Not Allowed",
    406: b"Not Acceptable",
    407: b"Proxy Authentication Required",
    408: b"Request Timeout",
    409: b"Conflict",
    410: b"Gone",
    411: b"Length Required",
    412: b"Precondition Failed",
    413: b"Content Too Large",
    414: b"URI Too Long",
    415: b"Unsupported Media Type",
    416: b"Range Not Satisfiable",
    417: b"Expectation Failed",
    421: b"Misdirected Request",
    422: b"Unprocessable Content",
    423: b"Locked",  # RFC 4918
    424: b"Failed Dependency",  # RFC 4918
    425: b"Too Early",  # RFC 8470
    426: b"Upgrade Required",
    428: b"Precondition Required",  # RFC 6585
    429: b"Too Many Requests",  # RFC 6585
    431: b"Request Header Fields Too Large",  # RFC 6585
    451: b"Unavailable For Legal Reasons",  # RFC 7725
    # 5xx Server Error, RFC 9110 §15.6
    500: b"Internal Server Error",
    501: b"Not Implemented",
    502: b"Bad Gateway",
    503: b"Service Unavailable",
    504: b"Gateway Timeout",
    505: b"HTTP Version Not Supported",
    506: b"Variant Also Negotiates",  # RFC 2295
    507: b"Insufficient Storage",  # RFC 4918
    508: b"Loop Detected",  # RFC 5842
    510: b"Not Extended",  # RFC 2774 (historic)
    511: b"Network Authentication Required",  # RFC 6585
}

REASON_PHRASES: Mapping[int, bytes] = MappingProxyType(_PHRASES)
"""Every registered code crlf knows, mapped to its RFC 9110 reason phrase (read-only)."""

STATUS_LINES: Mapping[int, bytes] = MappingProxyType(
    {code: b"HTTP/1.1 %d %s\r\n" % (code, phrase) for code, phrase in _PHRASES.items()}
)
"""Pre-built HTTP/1.1 status lines, CRLF included, e.g. ``STATUS_LINES[200] == b"HTTP/1.1 200 OK\\r\\n"``.

A read-only mapping (index it or call ``.get``); use :func:`status_line` for codes it lacks.
"""


class StatusClass(enum.Enum):
    """The five classes of status codes, named by their first digit (RFC 9110 §15)."""

    INFORMATIONAL = 1
    """1xx: the request was received, continuing process (RFC 9110 §15.2)."""
    SUCCESSFUL = 2
    """2xx: the request was successfully received, understood and accepted (§15.3)."""
    REDIRECTION = 3
    """3xx: further action needs to be taken to complete the request (§15.4)."""
    CLIENT_ERROR = 4
    """4xx: the request contains bad syntax or cannot be fulfilled (§15.5)."""
    SERVER_ERROR = 5
    """5xx: the server failed to fulfil an apparently valid request (§15.6)."""


def reason_phrase(code: int) -> bytes:
    """The reason phrase of a status code.

    Args:
        code: a status code.

    Returns:
        The RFC 9110 phrase, e.g. ``b"Not Found"``; ``b""`` for a code crlf does not know, which
        RFC 9112 §4 allows (the reason-phrase may be empty).
    """
    return _PHRASES.get(code, b"")


def status_class(code: int) -> StatusClass:
    """The class of a status code, from its first digit (RFC 9110 §15).

    An unregistered code still has a class: RFC 9110 §15 asks a client to treat an unknown
    ``x99`` as ``x00`` of its class.

    Args:
        code: a status code in 100..599.

    Returns:
        Its :class:`StatusClass`.

    Raises:
        ValueError: the code is outside 100..599, which RFC 9110 §15 says is invalid.
    """
    if not 100 <= code <= 599:
        raise ValueError(f"status code out of range 100..599: {code!r}")
    return StatusClass(code // 100)


def status_line(code: int, reason: bytes | None = None) -> bytes:
    """An HTTP/1.1 status line with its CRLF (RFC 9112 §4).

    Args:
        code: a three-digit status code (100..599; RFC 9110 §15).
        reason: the reason phrase; ``None`` takes :func:`reason_phrase`. It must not contain CR,
            LF or NUL (RFC 9112 §4 allows HTAB, SP, VCHAR and obs-text only).

    Returns:
        For example ``b"HTTP/1.1 404 Not Found\\r\\n"``; known codes come from :data:`STATUS_LINES`.

    Raises:
        ValueError: the code is outside 100..599 or the reason has forbidden bytes.
    """
    if reason is None:
        line = STATUS_LINES.get(code)
        if line is not None:
            return line
        reason = b""
    if not 100 <= code <= 599:
        raise ValueError(f"status code out of range 100..599: {code!r}")
    # RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ); CTLs would split the line.
    if any((b < 0x20 and b != 0x09) or b == 0x7F for b in reason):
        raise ValueError("reason phrase contains control characters")
    return b"HTTP/1.1 %d %s\r\n" % (code, reason)
