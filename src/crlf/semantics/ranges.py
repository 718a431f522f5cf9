"""Range requests: parse Range, build Content-Range and multipart/byteranges (RFC 9110 §14).

Theory of operation
-------------------
:func:`parse_range` turns a Range field value and the representation's size into one of:

* ``None``: ignore the field and answer 200 with the whole representation. That is what RFC
  9110 §14.2 requires for an unknown unit or invalid syntax, and what it allows for any request
  (a server MAY ignore Range), which crlf uses for a range-set with too many ranges;
* :data:`UNSATISFIABLE`: answer 416 with ``Content-Range: bytes */<size>`` (§15.5.17, §14.4);
* a list of ``(first, last)`` byte positions, inclusive and within the representation: one
  range is a 206 with Content-Range, several are a 206 ``multipart/byteranges``
  (:class:`MultipartByteranges`).

Denial of service. A Range header is tiny and asks for work in proportion to what it lists, so
``bytes=0-,0-,0-,...`` would make a server send a file many times over. crlf bounds it twice:
more than ``max_ranges`` range-specs and the field is ignored (Starlette also caps at 100); and
ranges that overlap or touch are coalesced (§14.6 allows it "regardless of the order" they were
requested), so the parts never sum to more than the representation. Go's net/http takes the
bluntest version of the second rule (ignore the field when the ranges sum to more than the
size); coalescing serves the client's bytes instead. Distinct ranges stay distinct by default
(``bytes=0-9,20-29`` is a two-part multipart/byteranges, as clients and tests expect); pass
``coalesce_gap`` to also join ranges separated by fewer bytes than a part header costs.
"""

from __future__ import annotations

import enum
import re
from typing import TYPE_CHECKING

from .fields import is_token, quote_string

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = [
    "COALESCE_GAP",
    "MAX_RANGES",
    "UNSATISFIABLE",
    "MultipartByteranges",
    "Unsatisfiable",
    "content_range",
    "parse_range",
    "unsatisfied_range",
]

MAX_RANGES = 100  # Starlette 100; Apache MaxRanges 200; nginx unlimited; Go unlimited (size rule)
"""The most range-specs a Range field may list before crlf ignores it."""

COALESCE_GAP = 0  # merge overlapping and adjacent ranges only; ~80 would be one part header
"""Ranges separated by fewer bytes than this are merged when coalescing (RFC 9110 §14.6)."""

# RFC 9110 §14.1.1: int-range = first-pos "-" [ last-pos ]; suffix-range = "-" suffix-length.
_RANGE_SPEC = re.compile(rb"([0-9]*)-([0-9]*)")
# Positions with more digits than this are larger than any file: no int() of a huge string.
_MAX_DIGITS = 18
_HUGE = 10**_MAX_DIGITS
# RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace
_BOUNDARY = re.compile(rb"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")


class Unsatisfiable(enum.Enum):
    """The type of :data:`UNSATISFIABLE` (a one-member enum, so ``is`` narrows it for mypy)."""

    UNSATISFIABLE = "unsatisfiable"


UNSATISFIABLE = Unsatisfiable.UNSATISFIABLE
""":func:`parse_range`'s answer when no range overlaps the representation: send 416."""


def _position(digits: bytes) -> int:
    return _HUGE if len(digits) > _MAX_DIGITS else int(digits)


def _coalesce(ranges: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    """Sort ``ranges`` and merge those that overlap or lie less than ``gap`` bytes apart."""
    ordered = sorted(ranges)
    merged = [ordered[0]]
    for first, last in ordered[1:]:
        previous_first, previous_last = merged[-1]
        if first <= previous_last + 1 + gap:
            merged[-1] = (previous_first, max(previous_last, last))
        else:
            merged.append((first, last))
    return merged


def parse_range(
    value: bytes,
    size: int,
    *,
    max_ranges: int = MAX_RANGES,
    coalesce_gap: int = COALESCE_GAP,
) -> list[tuple[int, int]] | Unsatisfiable | None:
    """Parse a Range field value against a representation of ``size`` bytes (RFC 9110 §14.2).

    Only the ``bytes`` unit is understood (its name is case-insensitive, §14.1). Positions are
    clamped: a last-pos past the end means the end, a suffix longer than the representation
    means all of it (§14.1.2). Empty list elements are allowed (§5.6.1).

    Args:
        value: the Range field value, e.g. ``b"bytes=0-499, -500"``.
        size: the selected representation's length in bytes.
        max_ranges: more range-specs than this and the field is ignored.
        coalesce_gap: ranges separated by fewer bytes than this are merged too (RFC 9110 §14.6
            allows joining ranges "separated by a gap that is smaller than the overhead of
            sending multiple parts"); 0 merges overlapping and adjacent ranges only.

    Returns:
        ``None`` to ignore the field (not ``bytes``, invalid syntax, ``last < first``, too many
        ranges, or a zero-length representation asked for a suffix: the 200 is that suffix);
        :data:`UNSATISFIABLE` when no range-spec is satisfiable (§14.1.1: a first-pos at or
        past the end, a zero suffix-length); otherwise the satisfiable ranges as inclusive
        ``(first, last)`` pairs. Unsatisfiable specs among satisfiable ones are dropped. When
        coalescing would merge any of several ranges (overlapping, adjacent or close), the
        result is the sorted, merged list (possibly a single range: then send a plain 206);
        otherwise the ranges keep the requested order.
    """
    unit, equals, range_set = value.strip(b" \t").partition(b"=")
    if not equals or unit.lower() != b"bytes":
        return None
    specs = [stripped for spec in range_set.split(b",") if (stripped := spec.strip(b" \t"))]
    if not specs or len(specs) > max_ranges:
        return None
    ranges: list[tuple[int, int]] = []
    suffix_on_empty = False
    for spec in specs:
        match = _RANGE_SPEC.fullmatch(spec)
        if match is None:
            return None
        first_s, last_s = match.groups()
        if first_s:
            first = _position(first_s)
            last = _position(last_s) if last_s else _HUGE
            if last < first:  # §14.1.1: such an int-range is invalid, so is the field
                return None
            if first < size:  # §14.1.1: satisfiable when first-pos < length
                ranges.append((first, min(last, size - 1)))
        elif last_s:
            length = _position(last_s)
            if length > 0:  # §14.1.1: a suffix-range is satisfiable when non-zero
                if size == 0:
                    suffix_on_empty = True
                else:
                    ranges.append((max(0, size - length), size - 1))
        else:
            return None  # "-" alone
    if not ranges:
        return None if suffix_on_empty else UNSATISFIABLE
    if len(ranges) > 1:
        merged = _coalesce(ranges, coalesce_gap)
        if len(merged) < len(ranges):
            return merged
    return ranges


def content_range(first: int, last: int, size: int) -> bytes:
    """The Content-Range of a 206 part: ``bytes first-last/size`` (RFC 9110 §14.4).

    Args:
        first: the first byte position.
        last: the last byte position, inclusive.
        size: the complete representation's length.

    Returns:
        For example ``b"bytes 0-499/1234"``.

    Raises:
        ValueError: the range is empty or outside the representation (§14.4 makes such a
            Content-Range invalid).
    """
    if not 0 <= first <= last < size:
        raise ValueError(f"invalid byte range {first}-{last} for size {size}")
    return b"bytes %d-%d/%d" % (first, last, size)


def unsatisfied_range(size: int) -> bytes:
    """The Content-Range of a 416 response: ``bytes */size`` (RFC 9110 §14.4, §15.5.17).

    Args:
        size: the current length of the selected representation.

    Returns:
        For example ``b"bytes */1234"``.
    """
    return b"bytes */%d" % size


class MultipartByteranges:
    """The framing of a ``multipart/byteranges`` body (RFC 9110 §14.6, RFC 2046 §5.1).

    Each part is a delimiter, its Content-Type (when known) and Content-Range fields, a blank
    line, then the bytes of one range; a closing delimiter ends the body. Lines end in CRLF. The
    framing is built once here, so :attr:`content_length` is the length of exactly these bytes
    plus the ranges (a dry run of the encoding, as Go's ``rangesMIMESize`` does, never a
    formula that can drift from the writer).

    A sender writes, for each ``(header, first, last)`` of :meth:`parts`, the header then the
    representation's bytes ``first..last`` (inclusive; a sendfile of ``last - first + 1``
    bytes), and finally :attr:`closing`. :meth:`encode` does all that for bytes in memory.

    Args:
        ranges: inclusive ``(first, last)`` pairs, as :func:`parse_range` returns.
        size: the complete representation's length.
        content_type: the representation's Content-Type, repeated in each part; ``None`` or
            empty to leave it out.
        boundary: the delimiter: 1 to 70 RFC 2046 bchars not ending in a space. It must not
            occur in the content; a random one (``secrets.token_hex(16)``) makes that certain
            for any practical purpose.

    Raises:
        ValueError: no ranges, a range outside the representation, a bad boundary, or a
            content type with CR, LF or NUL.
    """

    __slots__ = ("_closing", "_content_length", "_content_type", "_parts")

    def __init__(
        self,
        ranges: Sequence[tuple[int, int]],
        size: int,
        content_type: bytes | str | None,
        boundary: bytes | str,
    ) -> None:
        if isinstance(boundary, str):
            boundary = boundary.encode("ascii")
        if isinstance(content_type, str):
            content_type = content_type.encode("latin-1")
        if _BOUNDARY.fullmatch(boundary) is None:
            raise ValueError(f"invalid multipart boundary: {boundary!r}")
        if not ranges:
            raise ValueError("multipart/byteranges needs at least one range")
        type_line = b""
        if content_type:
            if any(c in content_type for c in b"\r\n\x00"):
                raise ValueError("content type contains CR, LF or NUL")
            type_line = b"Content-Type: " + content_type + b"\r\n"
        # RFC 2046 §5.1.1: the body starts with "--boundary"; every later delimiter is preceded
        # by the CRLF that ends the previous part's content, which belongs to the delimiter.
        delimiter = b"--" + boundary + b"\r\n"
        parts: list[tuple[bytes, int, int]] = []
        for index, (first, last) in enumerate(ranges):
            header = b"".join(
                (
                    b"\r\n" if index else b"",
                    delimiter,
                    type_line,
                    b"Content-Range: ",
                    content_range(first, last, size),
                    b"\r\n\r\n",
                )
            )
            parts.append((header, first, last))
        self._parts = parts
        self._closing = b"\r\n--" + boundary + b"--\r\n"
        self._content_length = sum(len(h) + last - first + 1 for h, first, last in parts) + len(
            self._closing
        )
        value = boundary if is_token(boundary) else quote_string(boundary)
        self._content_type = b"multipart/byteranges; boundary=" + value

    @property
    def content_type(self) -> bytes:
        """The response's Content-Type: ``multipart/byteranges; boundary=...`` (§14.6)."""
        return self._content_type

    @property
    def content_length(self) -> int:
        """The exact length of the whole body: every part header, range and the closing."""
        return self._content_length

    @property
    def closing(self) -> bytes:
        """The closing delimiter, ``\\r\\n--boundary--\\r\\n``, written after the last range."""
        return self._closing

    def parts(self) -> Iterator[tuple[bytes, int, int]]:
        """``(header bytes, first, last)`` per part, in order (``last`` inclusive)."""
        return iter(self._parts)

    def encode(self, data: bytes) -> bytes:
        """The whole body for a representation held in memory.

        Args:
            data: the complete representation (``size`` bytes).

        Returns:
            Exactly :attr:`content_length` bytes.
        """
        chunks: list[bytes] = []
        for header, first, last in self._parts:
            chunks.append(header)
            chunks.append(data[first : last + 1])
        chunks.append(self._closing)
        return b"".join(chunks)
