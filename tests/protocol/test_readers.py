"""The readers, through Connection.next_event: every case of ``_cases.py`` in both roles.

Each case is fed whole, byte by byte, and each again followed by trailing bytes (the start of
a pipelined message), as h11's ``test_io.tr()`` does; the outcome must not depend on the split.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from crlf.errors import RemoteProtocolError
from crlf.protocol import (
    NEED_DATA,
    PAUSED,
    Connection,
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    Limits,
    Request,
    Role,
    State,
)
from tests.helpers import FEEDS, bytewise, drain, feed, merge_data
from tests.protocol._cases import BAD, CASES, Bad, Case

if TYPE_CHECKING:
    from collections.abc import Callable

TRAILING = {
    Role.SERVER: b"GET /next HTTP/1.1\r\nHo",
    Role.CLIENT: b"HTTP/1.1 200 OK\r\nCont",
}


def open_reader(
    role: Role,
    method: bytes = b"GET",
    limits: Limits | None = None,
    request_headers: list[tuple[bytes, bytes]] | None = None,
) -> Connection:
    """A connection ready to read: a server as is, a client once it has sent a request."""
    conn = Connection(role, limits=limits)
    if role is Role.CLIENT:
        target = b"example.com:443" if method == b"CONNECT" else b"/"
        headers = [(b"Host", b"example.com"), *(request_headers or [])]
        conn.send(Request(method=method, target=target, headers=headers))
        conn.send(EndOfMessage())
    return conn


def assert_events(want: list[Event], got: list[Event]) -> None:
    """Equal events, raw header casing and reason phrases included."""
    got = merge_data(got)
    assert got == want
    assert [repr(e) for e in got] == [repr(e) for e in want]
    for g, w in zip(got, want, strict=True):
        if isinstance(g, Data):
            assert isinstance(w, Data)
            assert g.data == w.data


def variants(items: list[Case] | list[Bad]) -> list[object]:
    """Each item fed whole and bytewise, exactly and with trailing bytes after it.

    Not with trailing bytes when the message ends at EOF: after a close-delimited body or a
    truncated message, more bytes would be body, or complete what was cut.
    """
    return [
        pytest.param(
            item, how, trailing, id=f"{item.id}-{how}-{'trailing' if trailing else 'exact'}"
        )
        for item in items
        for how in FEEDS
        for trailing in (False, True)
        if not (trailing and item.eof)
    ]


@pytest.mark.parametrize(("case", "how", "trailing"), variants(CASES))
def test_read(case: Case, how: str, trailing: bool) -> None:
    conn = open_reader(case.reader, case.method)
    extra = TRAILING[case.reader] if trailing else b""
    events, last = feed(conn, FEEDS[how](case.raw + extra), eof=case.eof)
    want = list(case.events)
    their_state = case.their_state
    if case.eof:
        # The close that ended the body is reported too, and the peer is gone.
        want.append(ConnectionClosed())
        their_state = State.CLOSED
        assert last is None
    else:
        assert last is PAUSED
    assert_events(want, events)
    assert conn.their_state is their_state
    assert conn.keep_alive is case.keep_alive
    assert conn.their_http_version == getattr(case.events[0], "http_version", None)
    if not case.eof:
        assert conn.trailing_data == (extra, False)
        assert conn.next_event() is PAUSED  # asking again changes nothing


@pytest.mark.parametrize(("bad", "how", "trailing"), variants(BAD))
def test_refused(bad: Bad, how: str, trailing: bool) -> None:
    conn = open_reader(bad.reader, bad.method, bad.limits, bad.request)
    extra = TRAILING[bad.reader] if trailing else b""
    with pytest.raises(RemoteProtocolError) as info:
        feed(conn, FEEDS[how](bad.raw + extra), eof=bad.eof)
    if bad.reader is Role.SERVER:
        assert info.value.status_hint == bad.status, info.value
    assert conn.their_state is State.ERROR
    assert not conn.keep_alive
    # After an error the connection is finished: every later call raises again.
    for _ in range(2):
        with pytest.raises(RemoteProtocolError):
            conn.next_event()


def _limit_cases() -> list[tuple[str, Limits, bytes, Callable[[int], bytes]]]:
    """(id, limits, prefix, make(n)): a message whose limited part is n bytes long."""
    head = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    return [
        (
            "start-line",
            Limits(max_start_line=40),
            b"",
            lambda n: b"GET /" + b"a" * (n - 14) + b" HTTP/1.1\r\nHost: a\r\n\r\n",
        ),
        (
            "head-bytes",
            Limits(max_head_bytes=100),
            b"",
            # n bytes in all, the empty line included
            lambda n: b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"b" * (n - 32) + b"\r\n\r\n",
        ),
        (
            "chunk-line",
            Limits(max_chunk_line=20),
            head,
            lambda n: b"1;e=" + b"v" * (n - 4) + b"\r\nx\r\n0\r\n\r\n",
        ),
        (
            "trailer-section",
            Limits(max_head_bytes=100),
            head,
            # n bytes of field lines before the final CRLF CRLF (the limit ChunkedReader applies)
            lambda n: b"0\r\nX: " + b"y" * (n - 3) + b"\r\n\r\n",
        ),
    ]


LIMITS = _limit_cases()


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize(("name", "limits", "prefix", "make"), LIMITS, ids=[c[0] for c in LIMITS])
def test_limit_boundary_is_inclusive(
    name: str, limits: Limits, prefix: bytes, make: Callable[[int], bytes], how: str
) -> None:
    """A part exactly at its limit is read, one byte more is refused, however the bytes arrive."""
    size = {
        "start-line": limits.max_start_line,
        "head-bytes": limits.max_head_bytes,
        "chunk-line": limits.max_chunk_line,
        "trailer-section": limits.max_head_bytes,
    }[name]
    at_limit = make(size)
    conn = Connection(Role.SERVER, limits=limits)
    events, last = feed(conn, [prefix, *FEEDS[how](at_limit)])
    assert last is PAUSED
    assert isinstance(events[-1], EndOfMessage)
    conn = Connection(Role.SERVER, limits=limits)
    with pytest.raises(RemoteProtocolError):
        feed(conn, [prefix, *FEEDS[how](make(size + 1))])


def test_every_status_hint_is_exercised() -> None:
    hints = {b.id.split("-")[0] for b in BAD if b.reader is Role.SERVER}
    assert hints == {"400", "413", "414", "431", "501", "505"}


# ---------------------------------------------------------------- one-off reads --


def test_client_refuses_bytes_before_any_request() -> None:
    conn = Connection(Role.CLIENT)
    assert conn.next_event() is NEED_DATA
    conn.receive_data(b"HTTP/1.1 200 OK\r\n\r\n")
    with pytest.raises(RemoteProtocolError):
        conn.next_event()
    assert conn.their_state is State.ERROR


def test_client_idle_close_is_connection_closed() -> None:
    conn = Connection(Role.CLIENT)
    conn.receive_eof()
    assert isinstance(conn.next_event(), ConnectionClosed)


def test_server_eof_at_a_message_boundary_is_connection_closed() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(b"\r\n")
    conn.receive_eof()
    assert drain(conn) == [ConnectionClosed()]
    assert conn.their_state is State.CLOSED
    assert not conn.keep_alive
    assert isinstance(conn.next_event(), ConnectionClosed)  # and stays so


def test_lone_cr_waits_for_more() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(b"\r")
    assert conn.next_event() is NEED_DATA
    conn.receive_data(b"\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert isinstance(conn.next_event(), Request)


def test_receive_data_after_eof_is_misuse() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_eof()
    with pytest.raises(RuntimeError):
        conn.receive_data(b"x")


def test_body_bytes_are_read_as_they_come() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nab")
    assert isinstance(conn.next_event(), Request)
    assert conn.next_event() == Data(b"ab")
    assert conn.next_event() is NEED_DATA
    conn.receive_data(b"cdefGET")
    assert conn.next_event() == Data(b"cdef")
    assert conn.next_event() == EndOfMessage()
    assert conn.next_event() is PAUSED
    assert conn.trailing_data == (b"GET", False)


def test_chunked_data_is_not_held_back_until_the_chunk_ends() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n")
    assert isinstance(conn.next_event(), Request)
    events = []
    for piece in bytewise(b"0123456789abcdef\r\n0\r\n\r\n"):
        conn.receive_data(piece)
        events += drain(conn)
    assert merge_data(events) == [Data(b"0123456789abcdef"), EndOfMessage()]
    assert len(events) == 17  # one Data per byte as it arrives, then the end


def test_pipelined_requests_in_one_buffer() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n" * 3)
    targets = []
    for _ in range(3):
        events = drain(conn)
        assert isinstance(events[0], Request)
        targets.append(events[0].target)
        conn.send_response(200, [], b"")
        conn.start_next_cycle()
    assert targets == [b"/1"] * 3
    assert conn.next_event() is NEED_DATA
