"""The C request-head splitter against its pure-Python twin (src/crlf/protocol/_speedups.c).

``_readers._py_split_request_head`` is the reference: REQUEST_HEAD_RE's fullmatch, FIELD_RE's
findall and the OWS trim. The C helper must take exactly the heads it takes and give the same
method, target, version, fields and framing fields (the names as received stay in the head,
where Headers.raw_items reads them). Every other protocol test also runs with
both (conftest.py), so this file is about the edges: each character class, each limit.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crlf.protocol import _readers

if TYPE_CHECKING:
    from collections.abc import Callable

c_split: Callable[[bytes, int, int], _readers.SplitHead | None] | None
try:
    from crlf.protocol._speedups import split_request_head as c_split
except ImportError:  # pragma: no cover - built by the test setup (scripts/setup-test.sh)
    c_split = None

py_split = _readers._py_split_request_head


needs_c = pytest.mark.skipif(c_split is None, reason="the C helper was not built")


def same(
    head: bytes, max_start_line: int = 8190, max_fields: int = 100
) -> _readers.SplitHead | None:
    """Assert both splitters agree on ``head``; return the (Python) result."""
    assert c_split is not None
    want = py_split(head, max_start_line, max_fields)
    got = c_split(head, max_start_line, max_fields)
    if want is None:
        assert got is None, head
        return None
    assert got is not None, head
    assert got == want, head
    return want


GOOD = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"

# (head, accepted?): each character class and each structural rule of REQUEST_HEAD_RE.
CASES = [
    (GOOD, True),
    (b"GET / HTTP/1.0\r\n\r\n", True),
    (b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", False),  # the step-by-step parser answers 505
    (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", False),
    (b"GET / http/1.1\r\nHost: a\r\n\r\n", False),
    (b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", False),
    (b" GET / HTTP/1.1\r\nHost: a\r\n\r\n", False),
    (b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", False),
    (b"G@T / HTTP/1.1\r\nHost: a\r\n\r\n", False),
    (b"M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n", True),
    (b"GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", False),  # a fragment is never sent
    (b'GET /a|{^}~"!$ HTTP/1.1\r\nHost: a\r\n\r\n', True),
    (b"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", False),
    (b"GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", False),
    (b"GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n", False),
    (b"GET / HTTP/1.1\nHost: a\r\n\r\n", False),
    (b"GET / HTTP/1.1\r\nHost: a\n\r\n", False),  # bare LF
    (b"GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", False),  # bare CR
    (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", False),  # whitespace before the colon
    (b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", False),  # obs-fold
    (b"GET / HTTP/1.1\r\nHost: a\r\n\tfolded\r\n\r\n", False),
    (b"GET / HTTP/1.1\r\n: a\r\n\r\n", False),  # empty name
    (b"GET / HTTP/1.1\r\nHost a\r\n\r\n", False),  # no colon
    (b"GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", False),  # "(" is not a tchar
    (b"GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n", False),
    (b"GET / HTTP/1.1\r\nHost: a\x7fb\r\n\r\n", False),
    (b"GET / HTTP/1.1\r\nHost: a\x01b\r\n\r\n", False),
    (b"GET / HTTP/1.1\r\nHost: a\x80\xffb\r\n\r\n", True),  # obs-text
    (b"GET / HTTP/1.1\r\nHost: \t a b \t \r\n\r\n", True),  # OWS around, SP inside
    (b"GET / HTTP/1.1\r\nHost:\r\nX: \t \r\n\r\n", True),  # empty values
    (b"GET / HTTP/1.1\r\nHost: a:b:c\r\n\r\n", True),  # colons in a value
    (b"GET / HTTP/1.1\r\nhost: a\r\nACCEPT: b\r\nX-Y-Z: c\r\n\r\n", True),
    (b"GET / HTTP/1.1\r\n" + b"X" * 70 + b": long name\r\nHost: a\r\n\r\n", True),
    (b"GET / HTTP/1.1\r\n" + b"x" * 64 + b": at the buffer\r\nHost: a\r\n\r\n", True),
    (b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET", False),  # bytes after the head
    (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n\r\n", False),
    (b"GET / HTTP/1.1\r\nHost: a\r\n", False),  # not ended
    (b"GET / HTTP/1.1\r\n\r", False),
    (b"GET / HTTP/1.1", False),
    (b"GET / HTTP/1.", False),
    (b"GET /", False),
    (b"GET", False),
    (b"", False),
    (b"\r\n\r\n", False),
]


@needs_c
@pytest.mark.parametrize(("head", "accepted"), CASES)
def test_edges(head: bytes, accepted: bool) -> None:
    assert (same(head) is not None) is accepted


@needs_c
def test_fields_split_lowercased_and_trimmed() -> None:
    got = same(
        b"POST /f?q=1 HTTP/1.0\r\nHost: x\r\nContent-Length:  12 \r\nX-A: \tb c\t\r\n"
        b"connection: close\r\nEXPECT: 100-continue\r\n\r\n"
    )
    assert got == (
        b"POST",
        b"/f?q=1",
        b"1.0",
        [
            (b"host", b"x"),
            (b"content-length", b"12"),
            (b"x-a", b"b c"),
            (b"connection", b"close"),
            (b"expect", b"100-continue"),
        ],
        [
            (b"host", b"x"),
            (b"content-length", b"12"),
            (b"connection", b"close"),
            (b"expect", b"100-continue"),
        ],
    )


@needs_c
@pytest.mark.parametrize(
    "name", [b"Transfer-Encoding", b"transfer-encoding", b"TRANSFER-ENCODING", b"Upgrade"]
)
def test_framing_fields_in_any_case(name: bytes) -> None:
    head = b"GET / HTTP/1.1\r\nX: 1\r\n" + name + b": v\r\nHost: a\r\n\r\n"
    got = same(head)
    assert got is not None
    assert got[4] == [(name.lower(), b"v"), (b"host", b"a")]


@needs_c
@pytest.mark.parametrize("limit", [10, 14, 15, 16, 27, 28, 100])
def test_request_line_limit(limit: int) -> None:
    # The request line "GET /abcdef HTTP/1.1" is 20 bytes: within max_start_line, or the whole
    # head within it, is taken; otherwise None and the step-by-step parser answers 414.
    for head in (b"GET /abcdef HTTP/1.1\r\nHost: a\r\n\r\n", b"GET /abcdef HTTP/1.1\r\n\r\n"):
        assert (same(head, max_start_line=limit) is not None) is (len(head) <= limit or limit >= 20)


@needs_c
@pytest.mark.parametrize("fields", [0, 1, 2, 3])
def test_field_count_limit(fields: int) -> None:
    head = b"GET / HTTP/1.1\r\n" + b"".join(b"X%d: v\r\n" % i for i in range(fields)) + b"\r\n"
    for limit in (0, 1, 2, 3):
        assert (same(head, max_fields=limit) is not None) is (fields <= limit)


@needs_c
def test_common_names_are_shared() -> None:
    assert c_split is not None
    one = c_split(b"GET / HTTP/1.1\r\nHost: a\r\nx-custom: b\r\nUser-Agent: c\r\n\r\n", 8190, 100)
    two = c_split(b"GET / HTTP/1.1\r\nHOST: a\r\nX-Custom: b\r\nuser-agent: c\r\n\r\n", 8190, 100)
    assert one is not None
    assert two is not None
    assert one[3][0][0] is two[3][0][0]  # b"host": one object for every head, in any casing
    assert one[3][2][0] is two[3][2][0]  # b"user-agent" too
    assert one[0] is two[0]  # b"GET" too
    assert one[3][1][0] == two[3][1][0] == b"x-custom"  # an uncommon name: made each time


@needs_c
@pytest.mark.parametrize("length", [1, 63, 64, 65, 200])
def test_long_names_lowercased(length: int) -> None:
    # Names up to 64 bytes are lowercased through a buffer on the stack, longer ones in place.
    name = (b"X-" + b"Ab" * length)[:length]
    got = same(b"GET / HTTP/1.1\r\n" + name + b": v\r\nHost: a\r\n\r\n")
    assert got is not None
    assert got[3][0] == (name.lower(), b"v")


@needs_c
def test_argument_checks() -> None:
    assert c_split is not None
    with pytest.raises(TypeError):
        c_split(bytearray(GOOD), 8190, 100)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        c_split(GOOD, 8190)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        c_split(GOOD, "8190", 100)  # type: ignore[arg-type]


# Heads built from pieces near the grammar's edges: every byte class, CR/LF/SP/HTAB/colon in
# the wrong places, so that hypothesis finds any disagreement between the two.
_piece = st.sampled_from(
    [
        b"GET",
        b"POST",
        b" ",
        b"/",
        b"/a?b=c",
        b"#",
        b"*",
        b"HTTP/1.1",
        b"HTTP/1.0",
        b"HTTP/1.2",
        b"\r\n",
        b"\r",
        b"\n",
        b"\t",
        b":",
        b"Host",
        b"X-Y",
        b"v",
        b"\x00",
        b"\x7f",
        b"\x80",
        b"\xff",
        b"(",
        b"@",
        b"~",
        b"\r\n\r\n",
    ]
)


@needs_c
@settings(max_examples=400)
@given(st.lists(_piece, max_size=24), st.integers(0, 40), st.integers(0, 5))
@example([b"GET", b" ", b"/", b" ", b"HTTP/1.1", b"\r\n", b"Host", b":", b"v", b"\r\n\r\n"], 0, 0)
def test_generated_heads_agree(pieces: list[bytes], limit: int, max_fields: int) -> None:
    head = b"".join(pieces)
    same(head, max_start_line=limit, max_fields=max_fields)
    same(head)


@needs_c
@settings(max_examples=300)
@given(
    st.sampled_from([b"GET", b"POST", b"OPTIONS"]),
    st.lists(
        st.tuples(
            st.binary(min_size=0, max_size=12),
            st.binary(min_size=0, max_size=20),
        ),
        max_size=8,
    ),
)
def test_random_fields_agree(method: bytes, fields: list[tuple[bytes, bytes]]) -> None:
    head = method + b" /x HTTP/1.1\r\n" + b"".join(n + b":" + v + b"\r\n" for n, v in fields)
    same(head + b"\r\n")


def test_c_helper_built_where_required() -> None:
    # _readers.HEAD_SPLITTER names what the parser uses: the C helper exactly when it imports.
    # scripts/test.sh sets CRLF_REQUIRE_SPEEDUPS where a compiler and the Python headers are
    # installed (CI's setup installs both), so an install that silently fell back fails here.
    assert ("python" if c_split is None else "c") == _readers.HEAD_SPLITTER
    if os.environ.get("CRLF_REQUIRE_SPEEDUPS") == "1":
        assert c_split is not None, "gcc and the Python headers are here, yet it was not built"


@needs_c
def test_every_helper_has_its_twin() -> None:
    """An install without the helper runs each twin, and the tests run every protocol test with
    each: a helper added without one would go untested that way (and break that install)."""
    from crlf.protocol import _speedups, connection

    assert set(_readers.PYTHON_TWINS) == {n for n in dir(_speedups) if not n.startswith("_")}
    for name, twin in _readers.PYTHON_TWINS.items():
        assert callable(twin)
        assert getattr(_speedups, name).__name__ == name
        assert getattr(connection, name, None) in (getattr(_speedups, name), twin, None)
