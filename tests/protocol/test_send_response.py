"""``Connection.send_response``: the server's one-call response writer.

A connection remembers the fields it checked for its last response (connection.py): a repeat
must write exactly what a fresh check writes, a refused list must stay refused, and lists
that can't be remembered safely (mutable parts) must still work. ``trusted`` lines go out as
given.
"""

from __future__ import annotations

import pytest

from crlf.errors import LocalProtocolError
from crlf.protocol import Connection, Limits, Memo, Role, State
from crlf.protocol.memo import MAX_REMEMBERED_FIELDS

GET = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
GET10 = b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"


def server(request: bytes = GET) -> Connection:
    conn = Connection(Role.SERVER)
    conn.receive_data(request)
    conn.next_event()
    conn.next_event()
    return conn


def next_request(conn: Connection, request: bytes = GET) -> None:
    conn.start_next_cycle()
    conn.receive_data(request)
    conn.next_event()
    conn.next_event()


HEADER_LISTS: dict[str, list[tuple[bytes, bytes]]] = {
    "none": [],
    "plain": [(b"Content-Type", b"text/plain"), (b"X-A", b"b")],
    "length": [(b"content-length", b"3")],
    "close": [(b"Connection", b"keep-alive, close"), (b"content-type", b"text/html")],
}


@pytest.mark.parametrize("name", list(HEADER_LISTS))
@pytest.mark.parametrize("request_head", [GET, GET10], ids=["1.1", "1.0"])
def test_a_repeated_list_writes_what_a_fresh_check_writes(name: str, request_head: bytes) -> None:
    headers = HEADER_LISTS[name]
    fresh = server(request_head)
    expected = (fresh.send_response(200, list(headers), b"abc"), fresh.keep_alive)
    conn = server(request_head)
    for _ in range(3):
        out = conn.send_response(200, list(headers), b"abc")
        assert (out, conn.keep_alive) == expected
        if not conn.keep_alive:
            break
        next_request(conn, request_head)


def test_a_different_list_is_checked_afresh() -> None:
    conn = server()
    conn.send_response(200, [(b"X-A", b"b")], b"")
    next_request(conn)
    out = conn.send_response(200, [(b"X-A", b"c"), (b"Content-Length", b"0")], b"")
    assert out.endswith(b"\r\nX-A: c\r\nContent-Length: 0\r\n\r\n")
    next_request(conn)
    with pytest.raises(LocalProtocolError):
        conn.send_response(200, [(b"X-A", b"c"), (b"Content-Length", b"x")], b"")


@pytest.mark.parametrize(
    "headers",
    [
        [(b"X-A", b"b\r\nSet-Cookie: stolen")],
        [(b"Bad Name", b"v")],
        [(b"X-A", b"nul\x00")],
        [(b"Content-Length", b"1"), (b"Content-Length", b"1")],
        [(b"Content-Length", b"+1")],
        [(b"Content-Length", b"3"), (b"Transfer-Encoding", b"chunked")],
    ],
)
def test_a_refused_list_stays_refused(headers: list[tuple[bytes, bytes]]) -> None:
    for _ in range(2):
        conn = server()
        with pytest.raises(LocalProtocolError):
            conn.send_response(200, headers, b"abc")
        assert conn.our_state is State.ERROR


def test_mutable_lists_are_not_remembered() -> None:
    conn = server()
    value = bytearray(b"b")
    headers = [(b"X-A", value)]
    out = conn.send_response(200, headers, b"")  # type: ignore[arg-type]
    assert b"\r\nX-A: b\r\n" in out
    value[:] = b"b\r\nX-Injected: 1"  # the same object, changed: must be checked again
    next_request(conn)
    with pytest.raises(LocalProtocolError):
        conn.send_response(200, headers, b"")  # type: ignore[arg-type]
    conn = server()
    as_lists = [[b"X-A", b"b"]]
    assert b"\r\nX-A: b\r\n" in conn.send_response(200, as_lists, b"")  # type: ignore[arg-type]
    as_lists[0][1] = b"b\nc"
    next_request(conn)
    with pytest.raises(LocalProtocolError):
        conn.send_response(200, as_lists, b"")  # type: ignore[arg-type]


def test_large_field_lists_are_checked_each_time() -> None:
    big = [(b"X-Big", b"v" * MAX_REMEMBERED_FIELDS)]
    conn = server()
    for _ in range(2):
        assert b"v" * MAX_REMEMBERED_FIELDS in conn.send_response(200, big, b"")
        next_request(conn)


TRUSTED = b"date: Thu, 26 Nov 2026 00:00:00 GMT\r\nserver: crlf\r\n"


def test_trusted_lines_follow_the_status_line() -> None:
    out = server().send_response(200, [(b"X-A", b"b")], b"hi", trusted=TRUSTED)
    assert out == b"HTTP/1.1 200 OK\r\n" + TRUSTED + b"X-A: b\r\ncontent-length: 2\r\n\r\nhi"
    out = server().send_response(204, [], b"", trusted=TRUSTED)
    assert out == b"HTTP/1.1 204 No Content\r\n" + TRUSTED + b"\r\n"


def test_trusted_lines_with_a_streamed_response() -> None:
    conn = server()
    head = conn.send_response(200, [], trusted=TRUSTED)
    assert head == b"HTTP/1.1 200 OK\r\n" + TRUSTED + b"transfer-encoding: chunked\r\n\r\n"
    conn10 = server(GET10)
    head = conn10.send_response(200, [(b"Transfer-Encoding", b"chunked")], trusted=TRUSTED)
    # Never chunked to HTTP/1.0 (RFC 9112 §6.1): the coding goes, the trusted lines stay.
    assert head == b"HTTP/1.1 200 OK\r\n" + TRUSTED + b"connection: close\r\n\r\n"
    assert not conn10.keep_alive


def test_trusted_lines_are_not_looked_at_for_framing() -> None:
    # The caller vouches for them: a Connection: close among them is not seen (which is why a
    # server passes only its own Date, Server and Keep-Alive there).
    conn = server()
    conn.send_response(200, [], b"", trusted=b"connection: close\r\n")
    assert conn.keep_alive


def test_connections_sharing_a_memo_write_what_a_fresh_check_writes() -> None:
    memo = Memo(Limits())
    headers = [(b"Content-Type", b"text/plain")]
    expected = server().send_response(200, headers, b"x")
    for _ in range(3):
        conn = Connection(Role.SERVER, memo=memo)
        conn.receive_data(GET)
        conn.next_event()
        conn.next_event()
        assert conn.send_response(200, list(headers), b"x") == expected
    assert memo.response is not None
    assert memo.response[0] == tuple(headers)
