"""Readers: bytes of a message head or body in, events out (RFC 9112 §2-§7).

Heads are found with one ``find(b"\\r\\n\\r\\n")`` and parsed by a few C-speed steps: a regex
``fullmatch`` validates the start line, a second one validates the whole header block, and
``findall`` splits it. Nothing loops over bytes in Python. A request head is first offered to
:func:`split_request_head`, which does all of that in one call (in C when the optional helper
``_speedups.c`` was built). With the helper, a server's connection goes one step further: its
``take_request_head`` finds the head in the buffer, cuts it out, splits it and, for the usual
requests, makes connection.py's framing and persistence decisions too (the Python decisions stay
the reference: tests/protocol/test_take_request_head.py). Body readers are small classes, one per
framing of RFC 9112 §6.3: Content-Length, chunked, and read-until-close (responses only).
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING

from ..errors import RemoteProtocolError
from ._abnf import (
    CHUNK_LINE_RE,
    CONTENT_LENGTH_RE,
    FIELD_RE,
    HEADER_BLOCK_RE,
    HTTP_VERSION_PREFIX_RE,
    REQUEST_HEAD_RE,
    REQUEST_LINE_RE,
    STATUS_LINE_RE,
)
from .events import Data, EndOfMessage, Request
from .headers import Headers

if TYPE_CHECKING:
    from .limits import Limits
    from .memo import Plan

__all__ = [
    "FRAMING_FIELDS",
    "ChunkedReader",
    "ContentLengthReader",
    "UntilCloseReader",
    "framing_fields",
    "parse_content_length",
    "parse_fields",
    "split_request_head",
]

# Events the parser fills in itself are made without their __init__ (see _request_from_plan).
_new = object.__new__


def _first_bad_line(block: bytes) -> str:
    """Explain why a header block failed validation (error path only, so it may be slow)."""
    for line in block.split(b"\r\n")[1:]:
        if not line:  # pragma: no cover - empty pieces only follow the last (valid) line
            continue
        if line[:1] in (b" ", b"\t"):
            return "obsolete line folding is not allowed (RFC 9112 §5.2)"
        if b"\n" in line or b"\r" in line:
            return "bare CR or LF in the header section (RFC 9112 §2.2)"
        name, colon, _ = line.partition(b":")
        if not colon:
            return "header line without a colon"
        if not name or name[-1:] in (b" ", b"\t"):
            return "whitespace before the colon of a header field (RFC 9112 §5.1)"
        return "invalid character in a header field name or value (RFC 9110 §5.5)"
    return "malformed header section"  # pragma: no cover - fullmatch failed on some line


def parse_fields(section: bytes, max_count: int) -> Headers:
    """Parse a field section (header or trailer fields).

    Args:
        section: the fields as the parser slices them: starting with the CRLF that ends the
            previous line, each field line after a CRLF, ending with CRLF CRLF.
        max_count: the most field lines accepted.

    Returns:
        The fields, names lowercased, raw casing kept.

    Raises:
        RemoteProtocolError: 400 for any grammar violation, 431 for too many fields.
    """
    if HEADER_BLOCK_RE.fullmatch(section) is None:
        raise RemoteProtocolError(_first_bad_line(section))
    return split_fields(section, max_count)


def _field_pairs(section: bytes) -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
    """A validated field section's (raw name, value) pairs and (lowercased name, value) items."""
    pairs: list[tuple[bytes, bytes]] = FIELD_RE.findall(section)
    # RFC 9112 §5.1: OWS after the value is not part of it (the regex kept it, so as never to
    # backtrack); rstrip per value costs less than scanning the section for it.
    return pairs, [(name.lower(), value.rstrip(b" \t")) for name, value in pairs]


def split_fields(section: bytes, max_count: int) -> Headers:
    """Split a field section already validated by HEADER_BLOCK_RE (or REQUEST_HEAD_RE)."""
    pairs, items = _field_pairs(section)
    if len(pairs) > max_count:
        raise RemoteProtocolError(
            "too many header fields", status_hint=HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
        )
    return Headers._from_parsed(items, pairs)


# A request head split: method, target, version (b"1.0" or b"1.1"), the (lowercased name,
# value) pairs, and the pairs among them that decide framing and persistence (FRAMING_FIELDS),
# in order. The names as received stay in the head (Headers.raw_items reads them from it).
SplitHead = tuple[bytes, bytes, bytes, list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]
# What take_request_head gives for a whole head cut from the buffer: its plan (memo.py, which
# holds the head) when it is one of the usual requests the helper decides, else the head and
# its split.
TakeHead = Callable[[bytearray, int, "Limits", int], "Plan | tuple[bytes, SplitHead] | None"]

# The fields a server reads a request's framing and persistence from: Host (RFC 9112 §3.2),
# Content-Length and Transfer-Encoding (§6.3), Connection (§9.3), Expect (RFC 9110 §10.1.1)
# and Upgrade (RFC 9110 §7.8). _speedups.c lists the same six first in its table of names.
FRAMING_FIELDS = frozenset(
    (b"host", b"content-length", b"transfer-encoding", b"connection", b"expect", b"upgrade")
)


def _py_split_request_head(head: bytes, max_start_line: int, max_fields: int) -> SplitHead | None:
    """A usual request head validated and split, or None (the C helper's pure-Python twin).

    ``head`` runs up to and including its CRLF CRLF. It is taken when REQUEST_HEAD_RE
    fullmatches it (version 1.0 or 1.1), its request line fits ``max_start_line`` and it has at
    most ``max_fields`` field lines; anything else is None, and the caller's step-by-step
    parser (parse_request_line, parse_fields) says what is wrong with it.
    """
    match = REQUEST_HEAD_RE.fullmatch(head)
    if match is None or (len(head) > max_start_line and match.start(4) > max_start_line):
        return None
    method, target, minor, section = match.groups()
    items = _field_pairs(section)[1]
    if len(items) > max_fields:
        return None
    version = b"1.1" if minor == b"1" else b"1.0"
    return method, target, version, items, framing_fields(items)


def _take_nothing(
    buf: bytearray, search_from: int, limits: Limits, max_decided: int
) -> Plan | tuple[bytes, SplitHead] | None:
    """take_request_head without the C helper: nothing is taken, and connection.py's
    _read_request finds, splits and decides the head in Python."""
    return None


def _request_from_plan(
    plan: Plan, request_class: type[Request], headers_class: type[Headers]
) -> Request:
    """The Request event a plan (memo.py) describes (the C helper's pure-Python twin).

    Made without the classes' ``__init__``, which checks and converts what a caller passes:
    the parser checked all of it already. The headers get a fresh list of the plan's items
    (applications, and ASGI middleware, may change the one they are given), and read the names
    as received from the plan's head when asked (Headers.raw_items)."""
    headers = headers_class._from_parsed(plan[3].copy(), plan[4])
    request = _new(request_class)
    request.method, request.target, request.http_version = plan[0], plan[1], plan[2]
    request.headers = headers
    return request


def _cut(buf: bytearray, n: int) -> None:
    """``del buf[:n]`` (the C helper's twin keeps a small allocation when that empties buf)."""
    del buf[:n]


def _data_from_buffer(buf: bytearray, n: int, data_class: type[Data]) -> Data:
    """The first ``n`` bytes of ``buf`` (all of it when shorter) cut out as a Data event (the
    C helper's pure-Python twin): what every body reader does with the content it found."""
    if len(buf) <= n:
        data = bytes(buf)
        buf.clear()
    else:
        data = bytes(buf[:n])
        del buf[:n]
    piece = _new(data_class)
    piece.data = data
    return piece


def framing_fields(items: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The items whose name is one of FRAMING_FIELDS, in order."""
    return [item for item in items if item[0] in FRAMING_FIELDS]


# The C helper does the same in one pass over the head (about 20 instructions a byte, its
# allocations included, where the regexes and the list comprehension take about 110);
# tests/protocol/test_speedups.py checks the two give the same result on every head they are
# given.
split_request_head: Callable[[bytes, int, int], SplitHead | None]
# With the C helper, a whole request head is also found, cut out of the buffer and, for the
# usual requests, decided in one call (connection.py's next_event).
take_request_head: TakeHead
# And the Request event a plan describes is made in one call, the memo's repeats' included.
request_from_plan: Callable[[Plan, type[Request], type[Headers]], Request]
# And a piece of body is cut from the buffer into its Data event in one call.
data_from_buffer: Callable[[bytearray, int, type[Data]], Data]
# And the bytes read are cut from the front of the buffer.
cut: Callable[[bytearray, int], None]
try:
    from ._speedups import (
        cut,
        data_from_buffer,
        request_from_plan,
        split_request_head,
        take_request_head,
    )
except ImportError:  # installed without a C compiler
    split_request_head = _py_split_request_head
    take_request_head = _take_nothing
    request_from_plan = _request_from_plan
    data_from_buffer = _data_from_buffer
    cut = _cut
    HEAD_SPLITTER = "python"
else:
    HEAD_SPLITTER = "c"

# Each C helper's pure-Python twin (or stand-in), by name: what an install without the helper
# runs, and what tests/protocol/conftest.py and benchmarks/parser.py put in its place (in this
# module and in connection.py, which import them) to run without it.
PYTHON_TWINS: dict[str, object] = {
    "split_request_head": _py_split_request_head,
    "take_request_head": _take_nothing,
    "request_from_plan": _request_from_plan,
    "data_from_buffer": _data_from_buffer,
    "cut": _cut,
}


def parse_content_length(values: list[bytes], max_body: int | None) -> int:
    """Content-Length per RFC 9110 §8.6 and RFC 9112 §6.3 rule 5.

    Identical repeated values (as separate lines or a comma list, e.g. ``42, 42``) are taken as
    one, which §8.6 permits; differing values are a framing error that must be rejected.
    """
    value = values[0]
    if len(values) == 1 and len(value) <= 18 and value.isdigit():
        # The usual case, one plain number: CONTENT_LENGTH_RE's 1*18DIGIT without a regex call
        # (bytes.isdigit is ASCII digits only).
        length = int(value)
        if max_body is not None and length > max_body:
            raise RemoteProtocolError(
                "request content is larger than the limit",
                status_hint=HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            )
        return length
    seen: bytes | None = None
    for value in values:
        for element in value.split(b","):
            element = element.strip(b" \t")
            if CONTENT_LENGTH_RE.fullmatch(element) is None:
                raise RemoteProtocolError("invalid Content-Length (RFC 9110 §8.6)")
            if seen is not None and int(element) != int(seen):
                raise RemoteProtocolError("conflicting Content-Length values (RFC 9112 §6.3)")
            seen = element
    assert seen is not None
    length = int(seen)
    if max_body is not None and length > max_body:
        raise RemoteProtocolError(
            "request content is larger than the limit",
            status_hint=HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        )
    return length


# The end of a message without trailers, one object for all (events are not changed by their
# readers, and its fields are one shared empty Headers): no allocation, no validation of an
# empty field list, per message.
END_OF_MESSAGE = EndOfMessage.__new__(EndOfMessage)
END_OF_MESSAGE.headers = Headers()


class ContentLengthReader:
    """A body of exactly ``length`` bytes (RFC 9112 §6.2)."""

    __slots__ = ("remaining",)

    def __init__(self, length: int) -> None:
        self.remaining = length

    def read(self, buf: bytearray, max_count: int) -> Data | EndOfMessage | None:
        """Take body bytes from ``buf``; None when more are needed."""
        if self.remaining == 0:
            return END_OF_MESSAGE
        if not buf:
            return None
        n = min(self.remaining, len(buf))
        self.remaining -= n
        return data_from_buffer(buf, n, Data)

    def read_eof(self) -> EndOfMessage:
        """The peer closed: fine only if the body is complete."""
        if self.remaining:
            raise RemoteProtocolError(
                f"peer closed the connection with {self.remaining} body bytes still to come"
            )
        return EndOfMessage()  # pragma: no cover - read() returns EndOfMessage first


class UntilCloseReader:
    """A response body delimited by the connection closing (RFC 9112 §6.3 rule 8)."""

    __slots__ = ()

    def read(self, buf: bytearray, max_count: int) -> Data | EndOfMessage | None:
        if not buf:
            return None
        return data_from_buffer(buf, len(buf), Data)

    def read_eof(self) -> EndOfMessage:
        return EndOfMessage()


_SIZE, _DATA, _DATA_CRLF, _TRAILERS = range(4)


class ChunkedReader:
    """The chunked transfer coding (RFC 9112 §7.1), trailers included.

    Each chunk-size line is bounded by ``max_chunk_line`` and matched by one regex that checks
    the hex size and every extension, quoted strings included. After each chunk's data the CRLF
    is required, not skipped: a missing one is a classic request-smuggling shape.
    """

    __slots__ = ("_max_body", "_max_line", "_max_trailer", "_remaining", "_state", "_total")

    def __init__(self, max_chunk_line: int, max_body: int | None, max_trailer: int) -> None:
        self._state = _SIZE
        self._remaining = 0
        self._total = 0
        self._max_line = max_chunk_line
        self._max_body = max_body
        self._max_trailer = max_trailer

    def read(self, buf: bytearray, max_count: int) -> Data | EndOfMessage | None:
        while True:
            state = self._state
            if state == _DATA:
                if not buf:
                    return None
                n = min(self._remaining, len(buf))
                self._remaining -= n
                if self._remaining == 0:
                    self._state = _DATA_CRLF
                return data_from_buffer(buf, n, Data)
            if state == _DATA_CRLF:
                if len(buf) < 2:
                    if buf and buf[0] != 0x0D:
                        raise RemoteProtocolError("chunk data not followed by CRLF (RFC 9112 §7.1)")
                    return None
                if buf[0] != 0x0D or buf[1] != 0x0A:
                    raise RemoteProtocolError("chunk data not followed by CRLF (RFC 9112 §7.1)")
                del buf[:2]
                self._state = _SIZE
                continue
            if state == _SIZE:
                end = buf.find(b"\r\n", 0, self._max_line + 2)
                if end < 0:
                    # "+ 1": a line of exactly max_line bytes may be here without the LF yet.
                    if len(buf) > self._max_line + 1:
                        raise RemoteProtocolError("chunk-size line too long (RFC 9112 §7.1.1)")
                    return None
                line = bytes(buf[:end])
                match = CHUNK_LINE_RE.fullmatch(line)
                if match is None:
                    raise RemoteProtocolError("invalid chunk-size line (RFC 9112 §7.1)")
                del buf[: end + 2]
                size = int(match.group(1), 16)
                if size == 0:
                    self._state = _TRAILERS
                    continue
                self._total += size
                if self._max_body is not None and self._total > self._max_body:
                    raise RemoteProtocolError(
                        "request content is larger than the limit",
                        status_hint=HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    )
                self._remaining = size
                self._state = _DATA
                continue
            # _TRAILERS: trailer-section = *( field-line CRLF ), then CRLF (RFC 9112 §7.1.2)
            if buf[:2] == b"\r\n":
                cut(buf, 2)  # (the message's last bytes, often the buffer's: see cut)
                return END_OF_MESSAGE
            end = buf.find(b"\r\n\r\n", 0, self._max_trailer + 4)
            if end < 0:
                # "+ 3": a section of exactly max_trailer bytes may still lack 3 bytes of its end.
                if len(buf) > self._max_trailer + 3:
                    raise RemoteProtocolError(
                        "trailer section too large",
                        status_hint=HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    )
                if len(buf) >= 2 and buf[0] != 0x0D and not (0x21 <= buf[0] <= 0x7E):
                    raise RemoteProtocolError("invalid trailer section (RFC 9112 §7.1.2)")
                return None
            trailers = parse_fields(b"\r\n" + bytes(buf[: end + 4]), max_count)
            cut(buf, end + 4)
            # RFC 9110 §6.5.1: framing fields must not come in trailers; refuse rather than merge.
            for name, _ in trailers.items():
                if name in (b"content-length", b"transfer-encoding", b"host"):
                    raise RemoteProtocolError("framing field in the trailer section")
            return EndOfMessage(trailers)

    def read_eof(self) -> EndOfMessage:
        raise RemoteProtocolError("peer closed the connection in the middle of a chunked body")


BodyReader = ContentLengthReader | ChunkedReader | UntilCloseReader


def parse_request_line(head: bytes, max_start_line: int) -> tuple[bytes, bytes, bytes, int]:
    """Parse the request line of a head that ends in CRLF CRLF (RFC 9112 §3).

    Returns:
        ``(method, target, http_version, line_end)``, where ``line_end`` indexes the line's CRLF.

    Raises:
        RemoteProtocolError: 400 for a malformed line, 414 when it is too long, 505 for an HTTP
            version other than 1.0 and 1.1.
    """
    line_end = head.find(b"\r\n")
    if line_end > max_start_line:
        raise RemoteProtocolError(
            "request line too long", status_hint=HTTPStatus.REQUEST_URI_TOO_LONG
        )
    match = REQUEST_LINE_RE.fullmatch(head, 0, line_end)
    if match is None:
        raise RemoteProtocolError(_why_bad_request_line(head[:line_end]))
    method, target, major, minor = match.groups()
    if major != b"1" or minor not in (b"1", b"0"):
        # RFC 9110 §15.6.6: 505 for a version we do not support. We speak 1.0 and 1.1 only.
        raise RemoteProtocolError(
            "HTTP version not supported", status_hint=HTTPStatus.HTTP_VERSION_NOT_SUPPORTED
        )
    return method, target, b"1.1" if minor == b"1" else b"1.0", line_end


def _why_bad_request_line(line: bytes) -> str:
    parts = line.split(b" ")
    if len(parts) == 3 and HTTP_VERSION_PREFIX_RE.fullmatch(parts[2]) is None:
        if parts[2].startswith(b"HTTP/"):
            return "malformed HTTP version"
        return "not an HTTP/1.x request line"
    if len(parts) == 2:
        return "request line without an HTTP version (HTTP/0.9 is not supported)"
    return "malformed request line (RFC 9112 §3)"


def parse_response_head(
    head: bytes, max_start_line: int, max_count: int
) -> tuple[int, bytes, bytes, Headers]:
    """Parse a response head. Returns ``(status_code, reason, http_version, headers)``."""
    line_end = head.find(b"\r\n")
    if line_end > max_start_line:
        raise RemoteProtocolError("status line too long")
    match = STATUS_LINE_RE.fullmatch(head, 0, line_end)
    if match is None:
        raise RemoteProtocolError("malformed status line (RFC 9112 §4)")
    major, minor, status, reason = match.groups()
    if major != b"1" or minor not in (b"1", b"0"):
        raise RemoteProtocolError("unsupported HTTP version in the status line")
    code = int(status)
    if code < 100:
        raise RemoteProtocolError("status code below 100 (RFC 9110 §15)")
    headers = parse_fields(head[line_end:], max_count)
    return code, reason or b"", major + b"." + minor, headers
