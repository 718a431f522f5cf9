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


# The whole-head memo (Memo.head): every input a head depends on, varied one at a time over a run
# of connections that share one memo, each response compared with what a connection of its own
# (fresh memo) writes for the same request. A hit must give the same bytes and the same outcome.
HEAD_REQUESTS = {
    "get": GET,
    "get-1.0-keep-alive": GET10,
    "get-1.0": b"GET / HTTP/1.0\r\n\r\n",
    "head": b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n",
    "post": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi",
    "close": b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    "expect": b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
    "upgrade": b"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
}
HEAD_RESPONSES: list[tuple[int, list[tuple[bytes, bytes]], bytes, bytes, bytes]] = [
    # (status, fields, reason, trusted, body)
    (200, [], b"", b"", b""),
    (200, [], b"", b"", b"abc"),
    (200, [], b"", TRUSTED, b"abc"),
    (200, [(b"Content-Type", b"text/plain")], b"", TRUSTED, b"abc"),
    (200, [(b"Content-Type", b"text/plain")], b"Fine", TRUSTED, b"abc"),
    (404, [(b"Content-Type", b"text/plain")], b"", TRUSTED, b"abc"),
    (404, [(b"Content-Type", b"text/plain")], b"", TRUSTED, b"abcd"),
    (404, [(b"Content-Length", b"4")], b"", TRUSTED, b"abcd"),
    (204, [], b"", TRUSTED, b""),
    (304, [(b"ETag", b'"x"')], b"", TRUSTED, b""),
    (200, [(b"Connection", b"close")], b"", TRUSTED, b"abc"),
]


def served(request: bytes, memo: Memo | None) -> Connection:
    conn = Connection(Role.SERVER, memo=memo)
    conn.receive_data(request)
    conn.next_event()
    conn.next_event()
    return conn


@pytest.mark.parametrize("order", ["requests-outer", "responses-outer"])
def test_remembered_heads_write_what_a_fresh_head_writes(order: str) -> None:
    memo = Memo(Limits())
    pairs = [(r, s) for r in HEAD_REQUESTS for s in range(len(HEAD_RESPONSES))]
    if order == "responses-outer":
        pairs.sort(key=lambda pair: pair[1])
    hits = 0
    stored = False  # the previous response made a new memo entry
    for name, index in [pair for pair in pairs for _ in range(2)]:  # each twice in a row
        code, fields, reason, trusted, body = HEAD_RESPONSES[index]
        before = memo.head
        fresh = served(HEAD_REQUESTS[name], None)
        want = fresh.send_response(code, list(fields), body, reason=reason, trusted=trusted)
        conn = served(HEAD_REQUESTS[name], memo)
        got = conn.send_response(code, list(fields), body, reason=reason, trusted=trusted)
        assert got == want, (name, index)
        assert (conn.keep_alive, conn.our_state, conn.their_state) == (
            fresh.keep_alive,
            fresh.our_state,
            fresh.their_state,
        ), (name, index)
        hits += stored and memo.head is before  # the entry just made, used as it was
        stored = memo.head is not before
    # Remembered: a whole body (not HEAD, 204 or 304) with no switch or 100-continue pending,
    # 5 requests x 9 responses; each one's repeat was answered from the memo.
    assert hits == 5 * 9


def test_a_remembered_head_is_remembered_with_its_outcome() -> None:
    # Two requests in a row on one connection, the second answered from the memo: the
    # connection ends up where a fresh check leaves it (DONE, reusable), then closes when the
    # request asks it to, even though the response is the same.
    memo = Memo(Limits())
    conn = Connection(Role.SERVER, memo=memo)
    conn.receive_data(GET + GET + HEAD_REQUESTS["close"])
    for _ in range(3):
        conn.next_event()
        conn.next_event()
        out = conn.send_response(200, [], b"ok", trusted=TRUSTED)
        if conn.keep_alive:
            assert out == b"HTTP/1.1 200 OK\r\n" + TRUSTED + b"content-length: 2\r\n\r\nok"
            assert conn.our_state is State.DONE
            conn.start_next_cycle()
    assert out.endswith(b"content-length: 2\r\nconnection: close\r\n\r\nok")
    assert conn.our_state is State.MUST_CLOSE


def test_mutable_fields_never_stand_for_a_later_head() -> None:
    memo = Memo(Limits())
    value = bytearray(b"b")
    headers = [(b"X-A", value)]
    conn = served(GET, memo)
    assert b"\r\nX-A: b\r\n" in conn.send_response(200, headers, b"")  # type: ignore[arg-type]
    value[:] = b"c"
    conn = served(GET, memo)
    assert b"\r\nX-A: c\r\n" in conn.send_response(200, headers, b"")  # type: ignore[arg-type]
    assert memo.head is None
