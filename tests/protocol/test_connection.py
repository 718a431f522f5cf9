"""The connection state machine, both roles at once over a ConnectionPair (RFC 9112 §9).

Persistence, pipelining, ``Expect: 100-continue``, protocol switches (Upgrade and CONNECT)
and the end of a connection, each checked on the states both sides report.
"""

from __future__ import annotations

import pytest

from crlf.errors import LocalProtocolError, RemoteProtocolError
from crlf.protocol import (
    NEED_DATA,
    PAUSED,
    Connection,
    ConnectionClosed,
    Data,
    EndOfMessage,
    InformationalResponse,
    Limits,
    Request,
    Response,
    Role,
    State,
)
from tests.helpers import ConnectionPair, drain

H = (b"Host", b"example.com")
GET = Request(method=b"GET", target=b"/", headers=[H])
OK = Response(status_code=200, headers=[(b"Content-Length", b"2")])


def states(pair: ConnectionPair) -> tuple[State, State, State, State]:
    """(client's our, client's their, server's their, server's our): both views must agree."""
    return (
        pair.client.our_state,
        pair.client.their_state,
        pair.server.their_state,
        pair.server.our_state,
    )


def full(conn: Connection) -> bool:
    """``buffer_is_full``, read through a call so that mypy does not pin its value."""
    return conn.buffer_is_full


def waiting(conn: Connection) -> bool:
    """``client_is_waiting_for_100_continue``, read through a call (see :func:`full`)."""
    return conn.client_is_waiting_for_100_continue


def test_initial_state() -> None:
    for role in Role:
        conn = Connection(role)
        assert (conn.our_state, conn.their_state) == (State.IDLE, State.IDLE)
        assert conn.keep_alive
        assert conn.their_http_version is None
        assert not conn.client_is_waiting_for_100_continue
        assert conn.trailing_data == (b"", False)
        assert not conn.buffer_is_full


def test_role_must_be_a_role() -> None:
    with pytest.raises(TypeError):
        Connection("SERVER")  # type: ignore[arg-type]


def test_limits_are_validated() -> None:
    for name in ("max_start_line", "max_head_bytes", "max_header_count", "max_chunk_line"):
        with pytest.raises(ValueError, match=name):
            Limits(**{name: 0})
    with pytest.raises(ValueError, match="max_body_size"):
        Limits(max_body_size=-1)
    assert Limits(max_body_size=None).max_body_size is None


# ---------------------------------------------------------------- persistence --


def test_http11_is_persistent_by_default() -> None:
    pair = ConnectionPair()
    for _ in range(3):
        pair.send(Role.CLIENT, GET)
        # The server knows at once that a GET without framing has no body (RFC 9112 §6.3).
        assert states(pair) == (
            State.SEND_BODY,
            State.SEND_RESPONSE,
            State.DONE,
            State.SEND_RESPONSE,
        )
        pair.send(Role.CLIENT, EndOfMessage())
        assert states(pair) == (State.DONE, State.SEND_RESPONSE) * 2
        pair.send(Role.SERVER, OK, Data(b"ok"), EndOfMessage())
        assert states(pair) == (State.DONE, State.DONE) * 2
        for conn in pair.conns():
            assert conn.keep_alive
            assert conn.next_event() is PAUSED
        pair.start_next_cycle()
        assert states(pair) == (State.IDLE, State.IDLE) * 2


def test_http10_keep_alive_persists() -> None:
    pair = ConnectionPair()
    request = Request(
        method=b"GET", target=b"/", headers=[(b"Connection", b"keep-alive")], http_version=b"1.0"
    )
    pair.send(Role.CLIENT, request, EndOfMessage())
    assert pair.server.their_http_version == b"1.0"
    pair.send(
        Role.SERVER,
        OK,
        Data(b"ok"),
        EndOfMessage(),
        expect=[
            Response(
                status_code=200,
                headers=[(b"Content-Length", b"2"), (b"connection", b"keep-alive")],
            ),
            Data(b"ok"),
            EndOfMessage(),
        ],
    )
    assert states(pair) == (State.DONE, State.DONE) * 2
    pair.start_next_cycle()


def test_http10_without_keep_alive_closes() -> None:
    pair = ConnectionPair()
    pair.send(Role.CLIENT, Request(method=b"GET", target=b"/", http_version=b"1.0"), EndOfMessage())
    assert states(pair) == (State.MUST_CLOSE, State.SEND_RESPONSE) * 2
    pair.send(Role.SERVER, Response(status_code=200))
    assert pair.wire[Role.SERVER].endswith(b"connection: close\r\n\r\n")
    pair.send(Role.SERVER, Data(b"until close"), EndOfMessage(), expect=[Data(b"until close")])
    assert states(pair)[1] is State.SEND_BODY  # the client can't know it ended yet
    pair.send(Role.SERVER, ConnectionClosed(), expect=[EndOfMessage(), ConnectionClosed()])
    assert states(pair)[1] is State.CLOSED
    with pytest.raises(LocalProtocolError):
        pair.server.start_next_cycle()


@pytest.mark.parametrize("who", list(Role))
def test_connection_close_from_either_side_means_must_close(who: Role) -> None:
    pair = ConnectionPair()
    close = (b"Connection", b"close")
    request = Request(
        method=b"GET", target=b"/", headers=[H, *([close] if who is Role.CLIENT else [])]
    )
    response = Response(
        status_code=200,
        headers=[(b"Content-Length", b"0"), *([close] if who is Role.SERVER else [])],
    )
    pair.send(Role.CLIENT, request, EndOfMessage())
    pair.send(Role.SERVER, response, EndOfMessage())
    assert states(pair) == (State.MUST_CLOSE,) * 4
    for conn in pair.conns():
        assert not conn.keep_alive
        assert conn.next_event() is PAUSED
        with pytest.raises(LocalProtocolError):
            conn.start_next_cycle()
    # The server closes; the client sees it, and nothing more comes.
    pair.send(Role.SERVER, ConnectionClosed())
    assert pair.client.their_state is State.CLOSED
    assert isinstance(pair.client.next_event(), ConnectionClosed)


def test_start_next_cycle_needs_both_sides_done() -> None:
    pair = ConnectionPair()
    pair.send(Role.CLIENT, GET, EndOfMessage())
    for conn in pair.conns():
        with pytest.raises(LocalProtocolError):
            conn.start_next_cycle()


def test_peer_closing_while_we_answer_is_reported() -> None:
    # A server learns that its client left while the application still runs.
    pair = ConnectionPair()
    pair.send(Role.CLIENT, GET, EndOfMessage())
    pair.send(Role.CLIENT, ConnectionClosed())
    assert pair.server.their_state is State.CLOSED
    assert not pair.server.keep_alive
    pair.send(Role.SERVER, OK, Data(b"ok"), expect=[OK, Data(b"ok"), EndOfMessage()])


def test_eof_after_pipelined_bytes_waits_for_them() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
    conn.receive_eof()
    assert len(drain(conn)) == 2
    assert conn.next_event() is PAUSED  # /2 waits: not a close yet
    conn.send_response(200, [], b"")
    conn.start_next_cycle()
    events = drain(conn)
    assert isinstance(events[0], Request)
    assert events[0].target == b"/2"
    # Now the buffer is empty: the close is reported while /2 is being answered.
    assert isinstance(conn.next_event(), ConnectionClosed)
    assert conn.their_state is State.CLOSED
    assert conn.send_response(200, [], b"").startswith(b"HTTP/1.1 200 OK\r\n")
    assert conn.our_state is State.MUST_CLOSE


# ---------------------------------------------------------------- pipelining --


def test_pipelined_request_waits_until_start_next_cycle() -> None:
    conn = Connection(Role.SERVER, limits=Limits(max_buffer_bytes=100))
    first = b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
    conn.receive_data(first + b"GET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
    events = drain(conn)
    assert [type(e) for e in events] == [Request, EndOfMessage]
    assert conn.next_event() is PAUSED
    assert not full(conn)
    conn.receive_data(b"x" * 100)
    assert full(conn)  # the caller should stop reading now
    assert conn.next_event() is PAUSED
    conn.send(Response(status_code=200, headers=[(b"Content-Length", b"0")]))
    assert conn.next_event() is PAUSED  # still: our response isn't finished
    conn.send(EndOfMessage())
    conn.start_next_cycle()
    request = conn.next_event()
    assert isinstance(request, Request)
    assert request.target == b"/2"


def test_server_responding_before_the_body_ends_still_reads_it() -> None:
    pair = ConnectionPair()
    request = Request(method=b"POST", target=b"/", headers=[H, (b"Content-Length", b"4")])
    pair.send(Role.CLIENT, request)
    pair.send(Role.SERVER, Response(status_code=413, headers=[(b"Content-Length", b"0")]))
    pair.send(Role.SERVER, EndOfMessage())
    assert states(pair) == (State.SEND_BODY, State.DONE) * 2
    assert pair.server.next_event() is NEED_DATA
    pair.send(Role.CLIENT, Data(b"abcd"), EndOfMessage())
    assert states(pair) == (State.DONE, State.DONE) * 2


# --------------------------------------------------------------- 100-continue --

EXPECT_POST = Request(
    method=b"POST",
    target=b"/upload",
    headers=[H, (b"Content-Length", b"3"), (b"Expect", b"100-continue")],
)


def test_100_continue_when_the_application_reads() -> None:
    pair = ConnectionPair()
    pair.send(Role.CLIENT, EXPECT_POST)
    assert waiting(pair.server)
    assert pair.server.next_event() is NEED_DATA
    pair.send(Role.SERVER, InformationalResponse(status_code=100))
    assert not waiting(pair.server)
    assert pair.wire[Role.SERVER] == b"HTTP/1.1 100 Continue\r\n\r\n"
    pair.send(Role.CLIENT, Data(b"abc"), EndOfMessage())
    pair.send(Role.SERVER, OK, Data(b"ok"), EndOfMessage())
    assert pair.server.keep_alive
    pair.start_next_cycle()


def test_answering_without_100_continue_disables_keep_alive() -> None:
    # RFC 9110 §10.1.1: the body may still come, so the connection can't be reused.
    pair = ConnectionPair()
    pair.send(Role.CLIENT, EXPECT_POST)
    pair.send(Role.SERVER, Response(status_code=417, headers=[(b"Content-Length", b"0")]))
    assert not pair.server.keep_alive
    assert pair.wire[Role.SERVER].endswith(b"connection: close\r\n\r\n")
    pair.send(Role.SERVER, EndOfMessage())
    assert pair.server.our_state is State.MUST_CLOSE
    assert pair.client.their_state is State.MUST_CLOSE


def test_a_body_sent_without_waiting_ends_the_wait() -> None:
    # Regression: the flag stayed set after the whole body arrived, so a server sent a stray
    # 100 after it, or dropped keep-alive when answering without one.
    pair = ConnectionPair()
    pair.send(Role.CLIENT, EXPECT_POST, Data(b"abc"), EndOfMessage())
    assert not waiting(pair.server)
    pair.send(Role.SERVER, OK, Data(b"ok"), EndOfMessage())
    assert pair.server.keep_alive
    pair.start_next_cycle()


def test_no_expectation_is_left_for_the_next_request() -> None:
    # The request's end clears it (a client that is DONE has sent all its content), so the
    # next request on the connection starts without one.
    conn = Connection(Role.SERVER)
    head = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
    conn.receive_data(head + b"abc" + b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert isinstance(conn.next_event(), Request)
    assert waiting(conn)
    assert conn.next_event() == Data(data=b"abc")
    assert conn.next_event() == EndOfMessage()
    assert not waiting(conn)
    conn.send_response(200, [], b"")
    conn.start_next_cycle()
    assert isinstance(conn.next_event(), Request)
    assert not waiting(conn)


def test_an_expectation_without_a_body_is_met_at_once() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n")
    assert isinstance(conn.next_event(), Request)
    assert waiting(conn)
    assert conn.next_event() == EndOfMessage()
    assert not waiting(conn)


@pytest.mark.parametrize(
    ("version", "value"), [(b"1.0", b"100-continue"), (b"1.1", b"something-else")]
)
def test_100_continue_only_from_http11_and_only_that_value(version: bytes, value: bytes) -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(b"GET / HTTP/%s\r\nHost: a\r\nExpect: %s\r\n\r\n" % (version, value))
    drain(conn)
    assert not conn.client_is_waiting_for_100_continue


def test_expect_is_case_insensitive() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(
        b"PUT / HTTP/1.1\r\nHost: a\r\nEXPECT: 100-Continue\r\nContent-Length: 1\r\n\r\n"
    )
    drain(conn)
    assert conn.client_is_waiting_for_100_continue


def test_client_reads_interim_responses_before_the_final_one() -> None:
    pair = ConnectionPair()
    pair.send(Role.CLIENT, EXPECT_POST)
    pair.send(Role.SERVER, InformationalResponse(status_code=100))
    pair.send(
        Role.SERVER,
        InformationalResponse(status_code=103, headers=[(b"Link", b"</a.css>; rel=preload")]),
    )
    assert pair.client.their_state is State.SEND_RESPONSE
    pair.send(Role.CLIENT, Data(b"abc"), EndOfMessage())
    pair.send(Role.SERVER, OK, Data(b"ok"), EndOfMessage())
    assert states(pair) == (State.DONE, State.DONE) * 2


# ------------------------------------------------------------ protocol switch --

UPGRADE = Request(
    method=b"GET",
    target=b"/chat",
    headers=[H, (b"Upgrade", b"websocket"), (b"Connection", b"Upgrade")],
)
SWITCHING = InformationalResponse(
    status_code=101, headers=[(b"Upgrade", b"websocket"), (b"Connection", b"Upgrade")]
)


def test_upgrade_accepted_hands_over_the_bytes() -> None:
    pair = ConnectionPair()
    pair.send(Role.CLIENT, UPGRADE, EndOfMessage())
    assert states(pair) == (State.MIGHT_SWITCH_PROTOCOL, State.SEND_RESPONSE) * 2
    pair.server.receive_data(b"\x81\x05hello")  # the client's first frame, early
    assert pair.server.next_event() is PAUSED
    pair.send(Role.SERVER, SWITCHING)
    assert states(pair) == (State.SWITCHED_PROTOCOL,) * 4
    pair.client.receive_data(b"\x81\x02hi")
    for conn in pair.conns():
        assert conn.next_event() is PAUSED
    assert pair.server.trailing_data == (b"\x81\x05hello", False)
    assert pair.client.trailing_data == (b"\x81\x02hi", False)
    pair.client.receive_eof()
    assert pair.client.trailing_data == (b"\x81\x02hi", True)


def test_upgrade_declined_is_an_ordinary_exchange() -> None:
    pair = ConnectionPair()
    pair.send(Role.CLIENT, UPGRADE, EndOfMessage())
    pair.send(Role.SERVER, OK, Data(b"no"), EndOfMessage())
    assert states(pair) == (State.DONE, State.DONE) * 2
    pair.start_next_cycle()
    pair.send(Role.CLIENT, GET)


def test_upgrade_declined_before_the_request_body_ends() -> None:
    pair = ConnectionPair()
    request = Request(
        method=b"POST",
        target=b"/",
        headers=[*UPGRADE.headers.raw_items(), (b"Content-Length", b"2")],
    )
    pair.send(Role.CLIENT, request)
    pair.send(Role.SERVER, OK, Data(b"no"), EndOfMessage())
    pair.send(Role.CLIENT, Data(b"ab"), EndOfMessage())
    assert states(pair) == (State.DONE, State.DONE) * 2


@pytest.mark.parametrize(
    "head",
    [
        b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n",  # no Connection: upgrade
        b"GET / HTTP/1.0\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
    ],
    ids=["without-connection-upgrade", "http10"],
)
def test_upgrade_needs_http11_and_connection_upgrade(head: bytes) -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(head)
    drain(conn)
    assert conn.their_state in (State.DONE, State.MUST_CLOSE)
    with pytest.raises(LocalProtocolError):
        conn.send(InformationalResponse(status_code=101))


def test_connect_tunnel_server_side() -> None:
    pair = ConnectionPair()
    connect = Request(method=b"CONNECT", target=b"example.com:443", headers=[H])
    pair.send(Role.CLIENT, connect, EndOfMessage())
    assert states(pair) == (State.MIGHT_SWITCH_PROTOCOL, State.SEND_RESPONSE) * 2
    pair.server.receive_data(b"\x16\x03\x01")  # a TLS ClientHello, early
    pair.send(Role.SERVER, Response(status_code=200))
    assert pair.wire[Role.SERVER] == b"HTTP/1.1 200 OK\r\n\r\n"  # no framing fields
    assert states(pair) == (State.SWITCHED_PROTOCOL,) * 4
    assert pair.server.trailing_data == (b"\x16\x03\x01", False)
    with pytest.raises(LocalProtocolError):
        pair.server.send(Data(b"x"))  # the tunnel isn't HTTP any more


def test_connect_refused_is_an_ordinary_exchange() -> None:
    pair = ConnectionPair()
    connect = Request(method=b"CONNECT", target=b"example.com:443", headers=[H])
    pair.send(Role.CLIENT, connect, EndOfMessage())
    pair.send(Role.SERVER, Response(status_code=403, headers=[(b"Content-Length", b"0")]))
    pair.send(Role.SERVER, EndOfMessage())
    assert states(pair) == (State.DONE, State.DONE) * 2


def test_client_connect_trailing_bytes_belong_to_the_tunnel() -> None:
    conn = Connection(Role.CLIENT)
    conn.send(Request(method=b"CONNECT", target=b"example.com:443", headers=[H]))
    conn.send(EndOfMessage())
    conn.receive_data(b"HTTP/1.1 200 Connection Established\r\n\r\n\x16\x03\x03")
    events = drain(conn)
    assert [type(e) for e in events] == [Response]
    assert conn.next_event() is PAUSED
    assert conn.trailing_data == (b"\x16\x03\x03", False)
    assert (conn.our_state, conn.their_state) == (State.SWITCHED_PROTOCOL,) * 2


def test_client_101_without_asking_is_refused() -> None:
    conn = Connection(Role.CLIENT)
    conn.send(GET)
    conn.send(EndOfMessage())
    conn.receive_data(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n")
    with pytest.raises(RemoteProtocolError):
        conn.next_event()


# ------------------------------------------------------------------- errors --


def test_a_remote_error_finishes_the_connection_for_good() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    drain(conn)
    conn.send_response(200, [], b"")
    conn.start_next_cycle()
    conn.receive_data(b"BAD REQUEST LINE\r\n\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        conn.next_event()
    assert info.value.status_hint == 400
    assert conn.their_state is State.ERROR
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")  # a good one after it: never read
    for _ in range(3):
        with pytest.raises(RemoteProtocolError):
            conn.next_event()
    with pytest.raises(LocalProtocolError):
        conn.start_next_cycle()


def test_a_local_error_keeps_refusing() -> None:
    conn = Connection(Role.CLIENT)
    with pytest.raises(LocalProtocolError):
        conn.send(Request(method=b"GET", target=b"/"))  # no Host
    assert conn.our_state is State.ERROR
    with pytest.raises(LocalProtocolError):
        conn.send(GET)
