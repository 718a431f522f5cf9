"""Range requests (RFC 9110 §14): parsing, Content-Range, multipart/byteranges."""

from __future__ import annotations

import email.parser
import email.policy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crlf.semantics.ranges import (
    MAX_RANGES,
    UNSATISFIABLE,
    MultipartByteranges,
    Unsatisfiable,
    content_range,
    parse_range,
    unsatisfied_range,
)

U = UNSATISFIABLE

PARSE_CASES: list[tuple[bytes, int, list[tuple[int, int]] | Unsatisfiable | None]] = [
    # RFC 9110 §14.1.2's examples, on a 10000-byte representation.
    (b"bytes=0-499", 10000, [(0, 499)]),
    (b"bytes=500-999", 10000, [(500, 999)]),
    (b"bytes=-500", 10000, [(9500, 9999)]),
    (b"bytes=9500-", 10000, [(9500, 9999)]),
    (b"bytes=0-0,-1", 10000, [(0, 0), (9999, 9999)]),
    (b"bytes=0-999,4500-5499,-1000", 10000, [(0, 999), (4500, 5499), (9000, 9999)]),
    # Clamping (§14.1.2): last-pos past the end, a suffix longer than the representation.
    (b"bytes=0-99999", 100, [(0, 99)]),
    (b"bytes=-500", 100, [(0, 99)]),
    (b"bytes=99-", 100, [(99, 99)]),
    (b"bytes=0-" + b"9" * 40, 100, [(0, 99)]),  # huge numbers without a huge int()
    (b"bytes=-" + b"9" * 40, 100, [(0, 99)]),
    # Syntax leniency: unit case, OWS, empty list elements (§5.6.1).
    (b"Bytes=0-1", 100, [(0, 1)]),
    (b" bytes=0-1 , ,500-600, ", 1000, [(0, 1), (500, 600)]),
    # Unsatisfiable (§14.1.1): 416 with bytes */size.
    (b"bytes=100-", 100, U),
    (b"bytes=100-200", 100, U),
    (b"bytes=" + b"9" * 40 + b"-", 100, U),
    (b"bytes=-0", 100, U),
    (b"bytes=100-,-0", 100, U),
    (b"bytes=0-", 0, U),
    # A zero-length representation: a suffix is satisfied by the whole (empty) 200.
    (b"bytes=-1", 0, None),
    (b"bytes=0-1,-1", 0, None),
    # Unsatisfiable specs among satisfiable ones are dropped.
    (b"bytes=200-300,0-9", 100, [(0, 9)]),
    # Ignored (None): not bytes, bad syntax, last < first (§14.1.1, §14.2).
    (b"items=0-1", 100, None),
    (b"bytes 0-1", 100, None),
    (b"bytes=", 100, None),
    (b"bytes=,", 100, None),
    (b"bytes=-", 100, None),
    (b"bytes=1-0", 100, None),
    (b"bytes=0-1,5-4", 100, None),
    (b"bytes=a-b", 100, None),
    (b"bytes=0-1-2", 100, None),
    (b"bytes=+1-2", 100, None),
    (b"bytes=0x1-2", 100, None),
    (b"bytes=1 -2", 100, None),
    (b"bytes=\xd9\xa1-2", 100, None),  # non-ASCII digits
    (b"bytes==0-1", 100, None),
    (b"", 100, None),
    # Coalescing (§14.6): overlapping and adjacent ranges merge, sorted.
    (b"bytes=0-,0-,0-", 100, [(0, 99)]),
    (b"bytes=0-50,25-75", 1000, [(0, 75)]),
    (b"bytes=10-20,0-9", 1000, [(0, 20)]),  # adjacent
    (b"bytes=500-600,0-10,5-20", 1000, [(0, 20), (500, 600)]),
    (b"bytes=0-9,20-29", 1000, [(0, 9), (20, 29)]),  # distinct ranges stay distinct
    (b"bytes=-100,0-", 1000, [(0, 999)]),
    # Far-apart ranges keep the requested order.
    (b"bytes=500-600,0-10", 1000, [(500, 600), (0, 10)]),
]


@pytest.mark.parametrize(("value", "size", "expected"), PARSE_CASES)
def test_parse_range(
    value: bytes, size: int, expected: list[tuple[int, int]] | Unsatisfiable | None
) -> None:
    assert parse_range(value, size) == expected


def test_too_many_ranges_are_ignored() -> None:
    spaced = b",".join(b"%d-%d" % (i * 1000, i * 1000) for i in range(MAX_RANGES + 1))
    assert parse_range(b"bytes=" + spaced, 10**6) is None
    spaced = b",".join(b"%d-%d" % (i * 1000, i * 1000) for i in range(MAX_RANGES))
    result = parse_range(b"bytes=" + spaced, 10**6)
    assert isinstance(result, list)
    assert len(result) == MAX_RANGES
    assert parse_range(b"bytes=0-0,10-10,20-20", 10**6, max_ranges=2) is None


def test_coalesce_gap_is_configurable() -> None:
    assert parse_range(b"bytes=0-0,50-50", 1000) == [(0, 0), (50, 50)]
    assert parse_range(b"bytes=0-0,50-50", 1000, coalesce_gap=80) == [(0, 50)]
    assert parse_range(b"bytes=0-0,50-50,900-", 1000, coalesce_gap=80) == [(0, 50), (900, 999)]
    assert parse_range(b"bytes=0-0,1-1", 1000) == [(0, 1)]


# Go's net/http fs_test.go ServeFileRangeTests, on its 11-byte file: crlf agrees on every case
# but the last, where Go ignores ranges summing past the size (200) and crlf coalesces them.
GO_FILE_SIZE = 11
GO_CASES: list[tuple[bytes, list[tuple[int, int]] | Unsatisfiable | None]] = [
    (b"bytes=0-4", [(0, 4)]),
    (b"bytes=2-", [(2, 10)]),
    (b"bytes=-5", [(6, 10)]),
    (b"bytes=3-7", [(3, 7)]),
    (b"bytes=0-0,-2", [(0, 0), (9, 10)]),
    (b"bytes=0-1,5-8", [(0, 1), (5, 8)]),
    (b"bytes=0-1,5-", [(0, 1), (5, 10)]),
    (b"bytes=5-1000", [(5, 10)]),
    (b"bytes=0-9", [(0, 9)]),
    (b"bytes=0-10", [(0, 10)]),
    (b"bytes=0-11", [(0, 10)]),
    (b"bytes=10-11", [(10, 10)]),
    (b"bytes=10-", [(10, 10)]),
    (b"bytes=11-", U),
    (b"bytes=11-12", U),
    (b"bytes=12-12", U),
    (b"bytes=11-100", U),
    (b"bytes=12-100", U),
    (b"bytes=100-", U),
    (b"bytes=100-1000", U),
    (b"bytes=0-,1-,2-,3-,4-", [(0, 10)]),  # Go: 200 (sum > size); crlf: one coalesced range
]


@pytest.mark.parametrize(("value", "expected"), GO_CASES)
def test_parse_range_agrees_with_go(
    value: bytes, expected: list[tuple[int, int]] | Unsatisfiable | None
) -> None:
    assert parse_range(value, GO_FILE_SIZE) == expected


@given(
    st.integers(min_value=0, max_value=10_000),
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(min_value=0, max_value=12_000)),
            st.one_of(st.none(), st.integers(min_value=0, max_value=12_000)),
        ),
        min_size=1,
        max_size=20,
    ),
)
def test_ranges_never_amplify(size: int, specs: list[tuple[int | None, int | None]]) -> None:
    text = b",".join(
        (b"" if a is None else b"%d" % a) + b"-" + (b"" if b is None else b"%d" % b)
        for a, b in specs
    )
    result = parse_range(b"bytes=" + text, size)
    if isinstance(result, list):
        assert result
        # Every range lies inside the representation and they sum to at most its size.
        assert all(0 <= first <= last < size for first, last in result)
        assert sum(last - first + 1 for first, last in result) <= size


@pytest.mark.parametrize(
    ("first", "last", "size", "value"),
    [(0, 499, 1234, b"bytes 0-499/1234"), (0, 0, 1, b"bytes 0-0/1"), (5, 9, 10, b"bytes 5-9/10")],
)
def test_content_range(first: int, last: int, size: int, value: bytes) -> None:
    assert content_range(first, last, size) == value


@pytest.mark.parametrize(
    ("first", "last", "size"), [(0, 10, 10), (5, 4, 10), (-1, 2, 10), (0, 0, 0)]
)
def test_content_range_rejects(first: int, last: int, size: int) -> None:
    with pytest.raises(ValueError, match="invalid byte range"):
        content_range(first, last, size)


@pytest.mark.parametrize(("size", "value"), [(0, b"bytes */0"), (1234, b"bytes */1234")])
def test_unsatisfied_range(size: int, value: bytes) -> None:
    assert unsatisfied_range(size) == value


DATA = bytes(range(256)) * 40  # 10240 bytes


def test_multipart_matches_rfc_9110_example_layout() -> None:
    body = MultipartByteranges(
        [(500, 999), (7000, 7999)], 8000, "application/pdf", "THIS_STRING_SEPARATES"
    )
    assert body.content_type == b"multipart/byteranges; boundary=THIS_STRING_SEPARATES"
    headers = [header for header, _, _ in body.parts()]
    assert headers == [
        b"--THIS_STRING_SEPARATES\r\nContent-Type: application/pdf\r\n"
        b"Content-Range: bytes 500-999/8000\r\n\r\n",
        b"\r\n--THIS_STRING_SEPARATES\r\nContent-Type: application/pdf\r\n"
        b"Content-Range: bytes 7000-7999/8000\r\n\r\n",
    ]
    assert body.closing == b"\r\n--THIS_STRING_SEPARATES--\r\n"
    assert [(first, last) for _, first, last in body.parts()] == [(500, 999), (7000, 7999)]


@pytest.mark.parametrize(
    ("ranges", "content_type", "boundary"),
    [
        ([(0, 0)], b"text/plain; charset=utf-8", b"b"),
        ([(0, 99), (200, 299), (10000, 10239)], "image/png", "3d6b6a416f9b5"),
        ([(5, 5), (0, 0)], None, "x" * 70),
        ([(0, 10239)], "", "with space"),
    ],
)
def test_multipart_length_is_the_encoded_length(
    ranges: list[tuple[int, int]], content_type: bytes | str | None, boundary: bytes | str
) -> None:
    body = MultipartByteranges(ranges, len(DATA), content_type, boundary)
    encoded = body.encode(DATA)
    assert len(encoded) == body.content_length
    # A real MIME parser reads it back: every part with its Content-Range and bytes.
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + body.content_type + b"\r\n\r\n" + encoded
    )
    assert message.is_multipart()
    parts = list(message.iter_parts())
    assert len(parts) == len(ranges)
    for part, (first, last) in zip(parts, ranges, strict=True):
        assert part["Content-Range"] == f"bytes {first}-{last}/{len(DATA)}"
        if content_type:
            assert part["Content-Type"] is not None
        else:
            assert part["Content-Type"] is None
        assert part.get_payload(decode=True) == DATA[first : last + 1]


def test_multipart_quotes_a_boundary_that_is_not_a_token() -> None:
    body = MultipartByteranges([(0, 1)], 10, None, b"a b:c")
    assert body.content_type == b'multipart/byteranges; boundary="a b:c"'


@pytest.mark.parametrize(
    ("ranges", "size", "content_type", "boundary"),
    [
        ([], 10, None, "b"),
        ([(0, 10)], 10, None, "b"),
        ([(0, 1)], 10, None, ""),
        ([(0, 1)], 10, None, "x" * 71),
        ([(0, 1)], 10, None, "ends with space "),
        ([(0, 1)], 10, None, "semi;colon"),
        ([(0, 1)], 10, "text/plain\r\nX-Evil: 1", "b"),
    ],
)
def test_multipart_rejects(
    ranges: list[tuple[int, int]], size: int, content_type: str | None, boundary: str
) -> None:
    with pytest.raises(ValueError, match=r"range|boundary|content type"):
        MultipartByteranges(ranges, size, content_type, boundary)
