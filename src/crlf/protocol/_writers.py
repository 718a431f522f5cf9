"""Writers: events out as bytes (RFC 9112 §2-§7).

A head is serialised with one ``join`` and checked once, afterwards, with C-speed scans: every
name must be a token and no name or value may carry CR, LF or NUL (RFC 9110 §5.5), which
would let a caller inject header lines or split the response. Body writers add the framing the
connection chose; payloads pass through untouched (``send_chunks`` does not even copy them).
"""

from __future__ import annotations

from http import HTTPStatus

from ..errors import LocalProtocolError
from ._abnf import FORBIDDEN_IN_FIELD_RE, OUTGOING_FIELDS_RE

__all__ = [
    "ChunkedWriter",
    "CloseDelimitedWriter",
    "ContentLengthWriter",
    "NoBodyWriter",
    "encode_fields",
    "status_line",
    "write_head",
]

STATUS_LINES: dict[int, bytes] = {
    int(s): b"HTTP/1.1 %d %s\r\n" % (int(s), s.phrase.encode("ascii")) for s in HTTPStatus
}


def status_line(status_code: int, reason: bytes = b"") -> bytes:
    """``HTTP/1.1 <code> <reason>\\r\\n``; the standard reason when none is given (RFC 9112 §4)."""
    if not reason:
        line = STATUS_LINES.get(status_code)
        if line is not None:
            return line
    if not 100 <= status_code <= 999:
        raise LocalProtocolError(f"status code {status_code} is not three digits (RFC 9110 §15)")
    if FORBIDDEN_IN_FIELD_RE.search(reason):
        raise LocalProtocolError("CR, LF or NUL in the reason phrase")
    return b"HTTP/1.1 %d %s\r\n" % (status_code, reason)


def encode_fields(headers: list[tuple[bytes, bytes]]) -> bytes:
    """Field lines ``name: value`` joined by CRLF (no final CRLF), validated in one pass.

    Raises:
        LocalProtocolError: a name is not a token, or a name or value contains CR, LF or NUL
            (RFC 9110 §5.5), which would let a caller inject lines or split the response.
    """
    if not headers:
        return b""
    try:
        fields = b"\r\n".join(map(b": ".join, headers))
    except TypeError:
        raise TypeError("header names and values must be bytes") from None
    # The count catches a value (or name) carrying CRLF plus a well-formed line of its own,
    # which the pattern alone would take for two fields: header injection (RFC 9110 §5.5).
    if OUTGOING_FIELDS_RE.fullmatch(fields) is None or fields.count(b"\n") != len(headers) - 1:
        raise LocalProtocolError(
            "a header field name is not a token, or a name or value contains CR, LF or NUL"
        )
    return fields


def write_head(start_line: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """Serialise a head: the start line (with its CRLF), the fields and the empty line.

    Raises:
        LocalProtocolError: as :func:`encode_fields`.
    """
    fields = encode_fields(headers)
    if fields:
        return b"%s%s\r\n\r\n" % (start_line, fields)
    return start_line + b"\r\n"


class ContentLengthWriter:
    """Sends exactly the declared number of bytes (RFC 9112 §6.2)."""

    __slots__ = ("remaining",)

    def __init__(self, length: int) -> None:
        self.remaining = length

    def frame(self, data: bytes | bytearray | memoryview) -> list[bytes | bytearray | memoryview]:
        n = len(data)
        if n > self.remaining:
            raise LocalProtocolError("body longer than the Content-Length sent")
        self.remaining -= n
        return [data] if n else []

    def finish(self, trailers: list[tuple[bytes, bytes]]) -> bytes:
        if self.remaining:
            raise LocalProtocolError(
                f"message ended {self.remaining} bytes short of its Content-Length"
            )
        if trailers:
            raise LocalProtocolError("trailers need the chunked coding")
        return b""


class ChunkedWriter:
    """The chunked coding (RFC 9112 §7.1); an empty Data sends nothing (it would end the body)."""

    __slots__ = ()

    def frame(self, data: bytes | bytearray | memoryview) -> list[bytes | bytearray | memoryview]:
        n = len(data)
        if not n:
            return []
        return [b"%x\r\n" % n, data, b"\r\n"]

    def finish(self, trailers: list[tuple[bytes, bytes]]) -> bytes:
        if not trailers:
            return b"0\r\n\r\n"
        return write_head(b"0\r\n", trailers)


class CloseDelimitedWriter:
    """A body ended by closing the connection (HTTP/1.0 peers, RFC 9112 §6.3 rule 8)."""

    __slots__ = ()

    def frame(self, data: bytes | bytearray | memoryview) -> list[bytes | bytearray | memoryview]:
        return [data] if len(data) else []

    def finish(self, trailers: list[tuple[bytes, bytes]]) -> bytes:
        if trailers:
            raise LocalProtocolError("trailers need the chunked coding")
        return b""


class NoBodyWriter:
    """Responses that carry no content: to HEAD, and 1xx/204/304 (RFC 9110 §6.4.1).

    Body bytes given anyway are dropped, not sent: for HEAD this is what lets an application
    answer HEAD with its GET code path (RFC 9110 §9.3.2).
    """

    __slots__ = ()

    def frame(self, data: bytes | bytearray | memoryview) -> list[bytes | bytearray | memoryview]:
        return []

    def finish(self, trailers: list[tuple[bytes, bytes]]) -> bytes:
        return b""


BodyWriter = ContentLengthWriter | ChunkedWriter | CloseDelimitedWriter | NoBodyWriter
