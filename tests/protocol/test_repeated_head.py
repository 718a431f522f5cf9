"""A request head repeated byte for byte on one connection is parsed once (connection.py).

What the repeat yields must be exactly what a fresh parse of the same bytes yields: the same
events, the same framing, the same persistence and 100-continue state, and headers the caller
may change without touching the earlier request's.
"""

from __future__ import annotations

import pytest

from crlf.errors import RemoteProtocolError
from crlf.protocol import (
    NEED_DATA,
    PAUSED,
    Connection,
    Data,
    Event,
    Limits,
    Memo,
    Request,
    Role,
)
from tests.helpers import drain

HOST = b"Host: example.com\r\n"
MESSAGES = {
    "get": b"GET /a?b=1 HTTP/1.1\r\n" + HOST + b"Accept: */*\r\n\r\n",
    "get-trailing-ows": b"GET / HTTP/1.1\r\n" + HOST + b"X-A: b \t\r\n\r\n",
    "content-length": b"POST /f HTTP/1.1\r\n" + HOST + b"Content-Length: 5\r\n\r\nhello",
    "chunked": b"POST /f HTTP/1.1\r\n"
    + HOST
    + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nT: v\r\n\r\n",
    "http10-keep-alive": b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "http10": b"GET / HTTP/1.0\r\n\r\n",
    "close": b"GET / HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n",
    "expect": b"POST / HTTP/1.1\r\n"
    + HOST
    + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
    "upgrade": b"GET /ws HTTP/1.1\r\n"
    + HOST
    + b"Connection: upgrade\r\nUpgrade: websocket\r\n\r\n",
    "upgrade-chunked": b"POST /ws HTTP/1.1\r\n"
    + HOST
    + b"Connection: upgrade\r\nUpgrade: websocket\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"2\r\nok\r\n0\r\n\r\n",
    "connect": b"CONNECT example.com:443 HTTP/1.1\r\n" + HOST + b"\r\n",
    "absolute-form": b"GET http://example.com/x HTTP/1.1\r\n" + HOST + b"\r\n",
}


def answer(conn: Connection) -> None:
    """A minimal final response, then the next cycle when the connection persists."""
    conn.send_response(200, [], b"")


def merged(events: list[Event]) -> list[Event]:
    """Consecutive Data events joined, so that bodies fed in pieces compare equal."""
    out: list[Event] = []
    for event in events:
        if type(event) is Data and out and type(out[-1]) is Data:
            out[-1] = Data(bytes(out[-1].data) + bytes(event.data))
        else:
            out.append(event)
    return out


def outcome(conn: Connection, events: list[Event]) -> tuple[object, ...]:
    return (
        merged(events),
        conn.their_state,
        conn.our_state,
        conn.keep_alive,
        conn.their_http_version,
        conn.client_is_waiting_for_100_continue,
    )


def first_exchange(message: bytes) -> tuple[object, ...]:
    conn = Connection(Role.SERVER)
    conn.receive_data(message)
    return outcome(conn, drain(conn))


@pytest.mark.parametrize("name", list(MESSAGES))
@pytest.mark.parametrize("split", ["one-buffer", "separate", "byte-by-byte", "after-empty-line"])
def test_a_repeated_head_gives_what_a_fresh_parse_gives(name: str, split: str) -> None:
    message = MESSAGES[name]
    expected = first_exchange(message)
    conn = Connection(Role.SERVER)
    conn.receive_data(message + message if split == "one-buffer" else message)
    first = drain(conn)
    assert outcome(conn, first) == expected
    # An application changing the first request's list (ASGI middleware may) changes nothing
    # for the repeat.
    first_request = first[0]
    assert isinstance(first_request, Request)
    first_request.headers.items().append((b"x-changed", b"by the first application"))
    first_request.headers.items().pop(0)
    if not conn.keep_alive or name == "connect":
        return  # no second request on this connection (a 2xx to CONNECT starts a tunnel)
    assert conn.next_event() is PAUSED  # the next request waits for our answer
    answer(conn)
    conn.start_next_cycle()
    if split == "separate":
        conn.receive_data(message)
    elif split == "after-empty-line":  # RFC 9112 §2.2: ignored, and the head is still a repeat
        conn.receive_data(b"\r\n" + message)
    elif split == "byte-by-byte":
        events: list[Event] = []
        for i in range(len(message)):
            conn.receive_data(message[i : i + 1])
            events += drain(conn)
        second_events = events
    if split != "byte-by-byte":
        second_events = drain(conn)
    assert outcome(conn, second_events) == expected
    second_request = second_events[0]
    assert isinstance(second_request, Request)
    assert first_request.headers.items() is not second_request.headers.items()
    # Taken from the memo, not parsed again: the names as received are read from the
    # remembered head itself (and each request has its own list of items).
    assert second_request.headers._raw_source is first_request.headers._raw_source
    assert second_request.headers._items is not first_request.headers._items
    second_request.headers.items().append((b"x-added", b"by the application"))
    assert b"x-added" not in first_request.headers


def test_a_longer_head_with_the_same_beginning_is_parsed_afresh() -> None:
    conn = Connection(Role.SERVER)
    short = b"GET / HTTP/1.1\r\n" + HOST + b"\r\n"
    conn.receive_data(short)
    drain(conn)
    answer(conn)
    conn.start_next_cycle()
    conn.receive_data(b"GET / HTTP/1.1\r\n" + HOST + b"X-More: 1\r\n\r\n")
    request = conn.next_event()
    assert isinstance(request, Request)
    assert request.headers.get(b"x-more") == b"1"


def test_a_partial_repeat_waits_for_the_rest() -> None:
    conn = Connection(Role.SERVER)
    message = MESSAGES["get"]
    conn.receive_data(message)
    drain(conn)
    answer(conn)
    conn.start_next_cycle()
    conn.receive_data(message[:-1])
    assert conn.next_event() is NEED_DATA
    conn.receive_data(message[-1:])
    assert isinstance(conn.next_event(), Request)


def test_a_repeat_still_counts_against_the_body_limit() -> None:
    # The limit is the connection's own, fixed for its life: a body over it is refused the
    # first time and the head is never remembered, so the repeat is refused too.
    message = b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: 11\r\n\r\n"
    for _ in range(2):
        conn = Connection(Role.SERVER, limits=Limits(max_body_size=10))
        conn.receive_data(message)
        with pytest.raises(RemoteProtocolError) as info:
            conn.next_event()
        assert info.value.status_hint == 413


def test_large_heads_are_not_remembered_but_still_parsed() -> None:
    big = b"GET / HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * 5000 + b"\r\n\r\n"
    conn = Connection(Role.SERVER)
    for _ in range(3):
        conn.receive_data(big)
        request, _end = drain(conn)
        assert isinstance(request, Request)
        assert request.headers.get(b"x-big") == b"a" * 5000
        answer(conn)
        conn.start_next_cycle()


@pytest.mark.parametrize("name", list(MESSAGES))
def test_connections_sharing_a_memo_parse_a_head_once(name: str) -> None:
    # A server gives its connections one Memo: a client opening a connection per request
    # repeats a head the server parsed on another connection.
    message = MESSAGES[name]
    expected = first_exchange(message)
    memo = Memo(Limits())
    requests = []
    for _ in range(3):
        conn = Connection(Role.SERVER, memo=memo)
        conn.receive_data(message)
        events = drain(conn)
        assert outcome(conn, events) == expected
        requests.append(events[0])
    assert memo.request is not None
    assert memo.request[4] == message[: message.index(b"\r\n\r\n") + 4]
    first, second, third = requests
    assert isinstance(first, Request)
    assert isinstance(second, Request)
    assert isinstance(third, Request)
    second.headers.items().append((b"x-added", b"on the second connection"))
    assert b"x-added" not in first.headers
    assert b"x-added" not in third.headers


def test_a_memo_belongs_to_one_set_of_limits() -> None:
    limits = Limits(max_body_size=10)
    memo = Memo(limits)
    assert Connection(Role.SERVER, memo=memo)._limits is limits  # taken from the memo
    assert Connection(Role.SERVER, limits=limits, memo=memo)._limits is limits
    with pytest.raises(ValueError, match="other limits"):
        Connection(Role.SERVER, limits=Limits(max_body_size=10), memo=memo)


def test_a_connection_without_a_memo_makes_its_own() -> None:
    limits = Limits(max_body_size=10)
    own = Connection(Role.SERVER, limits=limits)
    assert own._limits is limits
    assert own._memo.limits is limits
    default = Connection(Role.CLIENT)
    assert default._limits == Limits()
    assert default._memo.limits is default._limits
    assert default._memo is not Connection(Role.CLIENT)._memo


@pytest.mark.parametrize("role", ["SERVER", Role, None, 1])
def test_the_role_is_one_of_the_two_members(role: object) -> None:
    with pytest.raises(TypeError, match=r"our_role must be Role\.CLIENT or Role\.SERVER"):
        Connection(role)  # type: ignore[arg-type]
