"""A piece of body cut from the buffer: the C helper's ``data_from_buffer`` against its twin.

Every body reader (Content-Length, chunked, until close, and next_event's inlined
Content-Length step) ends the same way: the first ``n`` bytes of the connection's buffer, or all
of it when shorter, become a Data event and leave the buffer. ``_readers._data_from_buffer``
does it in Python; the C helper in one call. Every protocol test runs with each (conftest.py);
this file holds the two to the same result on each edge, and checks what the C one refuses.
``cut`` (``del buf[:n]``) is tested here too: an emptied buffer keeps a small allocation.
"""

from __future__ import annotations

import gc
import sys
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crlf.protocol import Data, Request, _readers
from tests.protocol._twins import twins

if TYPE_CHECKING:
    from collections.abc import Callable

    Cut = Callable[[bytearray, int, type[Data]], Data]

c_cut: Cut | None
try:
    from crlf.protocol._speedups import data_from_buffer as c_cut
except ImportError:  # pragma: no cover - built by the test setup (scripts/setup-test.sh)
    c_cut = None

needs_c = pytest.mark.skipif(c_cut is None, reason="the C helper was not built")


@pytest.mark.parametrize("cut", twins(_readers._data_from_buffer, "data_from_buffer"))
@pytest.mark.parametrize(
    ("buffered", "n", "data", "left"),
    [
        (b"name=Juan", 4, b"name", b"=Juan"),  # part of the buffer
        (b"name=Juan", 9, b"name=Juan", b""),  # exactly the buffer
        (b"name", 100, b"name", b""),  # more than is here: all of it
        (b"name", 0, b"", b"name"),  # nothing
        (b"", 5, b"", b""),
    ],
)
def test_the_first_n_bytes_leave_the_buffer(
    cut: Cut, buffered: bytes, n: int, data: bytes, left: bytes
) -> None:
    buf = bytearray(buffered)
    piece = cut(buf, n, Data)
    assert type(piece) is Data
    assert type(piece.data) is bytes
    assert piece.data == data
    assert buf == left


@needs_c
@given(st.binary(max_size=300), st.integers(min_value=0, max_value=400))
def test_c_and_python_agree(buffered: bytes, n: int) -> None:
    assert c_cut is not None
    ours, theirs = bytearray(buffered), bytearray(buffered)
    assert c_cut(ours, n, Data) == _readers._data_from_buffer(theirs, n, Data)
    assert ours == theirs


@pytest.mark.parametrize("cut", twins(_readers._data_from_buffer, "data_from_buffer"))
@pytest.mark.parametrize("n", [2, 10])
def test_an_exported_buffer_is_not_cut(cut: Cut, n: int) -> None:
    """As ``del buf[:n]`` and ``buf.clear()``: a bytearray a memoryview holds cannot resize."""
    buf = bytearray(b"abcd")
    view = memoryview(buf)
    with pytest.raises(BufferError):
        cut(buf, n, Data)
    view.release()
    assert buf == b"abcd"


@needs_c
@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((b"abc", 1, Data), TypeError, "data_from_buffer"),  # bytes, not a bytearray
        ((bytearray(b"abc"), -1, Data), ValueError, "n must be >= 0"),
        ((bytearray(b"abc"), "1", Data), TypeError, "integer"),
        ((bytearray(b"abc"), 1, Request), AttributeError, "has no attribute 'data'"),
        ((bytearray(b"abc"), 1, int), TypeError, "no __new__"),
    ],
)
def test_what_it_refuses(args: tuple[object, ...], error: type[Exception], message: str) -> None:
    assert c_cut is not None
    with pytest.raises(error, match=message):
        c_cut(*args)  # type: ignore[arg-type]
    assert c_cut(bytearray(b"abc"), 1, Data).data == b"a"  # the class bound before still works


@needs_c
def test_it_gives_back_the_references_it_takes() -> None:
    assert c_cut is not None
    buf = bytearray(b"x" * 1000)
    gc.disable()  # (a collection in between would move counts of its own)
    try:
        before = sys.getrefcount(Data), sys.getrefcount(buf)
        pieces = [c_cut(buf, 3, Data) for _ in range(100)]
        assert {p.data for p in pieces} == {b"xxx"}
        del pieces
        after = sys.getrefcount(Data), sys.getrefcount(buf)
    finally:
        gc.enable()
    assert after == before
    assert len(buf) == 700


@pytest.mark.parametrize("cut", twins(_readers._cut, "cut"))
@pytest.mark.parametrize(("n", "left"), [(0, b"GET / HTTP/1.1"), (4, b"/ HTTP/1.1"), (14, b"")])
def test_cut_drops_what_was_read(
    cut: Callable[[bytearray, int], None], n: int, left: bytes
) -> None:
    buf = bytearray(b"GET / HTTP/1.1")
    cut(buf, n)
    assert buf == left
    buf += b"next"  # the buffer goes on growing as before
    assert buf == left + b"next"


@needs_c
@pytest.mark.parametrize(("size", "kept"), [(68, True), (4000, True), (70_000, False)])
def test_emptied_buffer_keeps_a_small_allocation(size: int, kept: bool) -> None:
    """``sys.getsizeof`` of a bytearray counts its allocation: a small one stays for the next
    request, a large one (a body's) is given back, as ``buf.clear()`` gives it back. (Python
    3.14's bytearray keeps its bytes in a bytes object: there the helper takes the regular
    path, ``del buf[:n]``, and only the content is checked.)"""
    from crlf.protocol._speedups import cut, data_from_buffer

    for empty in (lambda buf: cut(buf, len(buf)), lambda buf: data_from_buffer(buf, size, Data)):
        buf = bytearray(size)
        allocated = sys.getsizeof(buf)
        empty(buf)
        assert buf == b""
        if sys.version_info < (3, 14):
            assert (sys.getsizeof(buf) == allocated) is kept
        buf += b"GET / HTTP/1.1\r\n\r\n"
        assert buf == b"GET / HTTP/1.1\r\n\r\n"


@needs_c
@pytest.mark.parametrize(("n", "error"), [(-1, ValueError), (5, ValueError), ("1", TypeError)])
def test_cut_refuses_what_is_not_in_the_buffer(n: object, error: type[Exception]) -> None:
    from crlf.protocol._speedups import cut

    buf = bytearray(b"abcd")
    with pytest.raises(error):
        cut(buf, n)  # type: ignore[arg-type]
    assert buf == b"abcd"
    view = memoryview(buf)
    with pytest.raises(BufferError):  # as del buf[:4]: an exported buffer does not resize
        cut(buf, 4)
    view.release()
