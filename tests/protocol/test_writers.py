"""The writers, through Connection.send: canonical bytes, framing choices and refusals.

The canonical cases come from the same table as the reader tests (``_cases.py``): the writer,
given a case's events, must produce exactly the bytes the reader turns back into those events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from crlf.errors import LocalProtocolError
from crlf.protocol import (
    PAUSED,
    Connection,
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    InformationalResponse,
    Request,
    Response,
    Role,
    State,
)
from crlf.protocol._writers import status_line
from tests.helpers import ConnectionPair, drain
from tests.protocol._cases import CASES, Case

if TYPE_CHECKING:
    from collections.abc import Callable

CANONICAL = [c for c in CASES if c.canonical]


def open_writer(case: Case) -> Connection:
    """The role that writes ``case``: a client, or a server that has read a request."""
    if case.reader is Role.SERVER:
        return Connection(Role.CLIENT)
    return server_after(case.method)


def server_after(
    method: bytes = b"GET",
    version: bytes = b"1.1",
    fields: bytes = b"Host: a\r\n",
) -> Connection:
    """A server that has read one bodiless request."""
    conn = Connection(Role.SERVER)
    target = b"a:443" if method == b"CONNECT" else b"/"
    conn.receive_data(b"%s %s HTTP/%s\r\n%s\r\n" % (method, target, version, fields))
    events = drain(conn)
    assert isinstance(events[0], Request)
    return conn


@pytest.mark.parametrize("case", CANONICAL, ids=[c.id for c in CANONICAL])
def test_writes_canonical_bytes(case: Case) -> None:
    conn = open_writer(case)
    out = b"".join(conn.send(event) for event in case.events)
    assert out == case.raw
    assert conn.keep_alive is case.keep_alive


@pytest.mark.parametrize("case", CANONICAL, ids=[c.id for c in CANONICAL])
def test_send_chunks_is_send_without_copies(case: Case) -> None:
    conn = open_writer(case)
    pieces = [p for event in case.events for p in conn.send_chunks(event)]
    assert b"".join(pieces) == case.raw


def test_send_chunks_passes_the_payload_through() -> None:
    payload = memoryview(b"x" * 1000)
    conn = server_after()
    conn.send(Response(status_code=200))
    pieces = conn.send_chunks(Data(payload))
    assert pieces == [b"3e8\r\n", payload, b"\r\n"]
    assert pieces[1] is payload
    conn = server_after()
    conn.send(Response(status_code=200, headers=[(b"Content-Length", b"1000")]))
    assert conn.send_chunks(Data(payload))[0] is payload


# ------------------------------------------------------------ framing choices --


def test_no_framing_to_http11_is_chunked() -> None:
    conn = server_after()
    head = conn.send(Response(status_code=200, headers=[(b"Content-Type", b"text/plain")]))
    assert head == (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    assert conn.send(Data(b"hello")) == b"5\r\nhello\r\n"
    assert conn.send(Data(b"")) == b""  # an empty chunk would end the body
    assert conn.send(EndOfMessage([(b"X-T", b"1")])) == b"0\r\nX-T: 1\r\n\r\n"
    assert conn.our_state is State.DONE
    assert conn.keep_alive


def test_no_framing_to_http10_is_close_delimited() -> None:
    conn = server_after(version=b"1.0")
    head = conn.send(Response(status_code=200))
    assert head == b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n"
    assert conn.send(Data(b"raw")) == b"raw"
    assert conn.send(Data(b"")) == b""
    assert conn.send(EndOfMessage()) == b""
    assert conn.our_state is State.MUST_CLOSE
    assert not conn.keep_alive


def test_close_delimited_body_has_no_trailers() -> None:
    conn = server_after(version=b"1.0")
    conn.send(Response(status_code=200))
    with pytest.raises(LocalProtocolError):
        conn.send(EndOfMessage([(b"X", b"y")]))
    assert conn.our_state is State.ERROR


def test_chunked_asked_for_by_an_http10_client_is_close_delimited() -> None:
    conn = server_after(version=b"1.0", fields=b"Connection: keep-alive\r\n")
    head = conn.send(Response(status_code=200, headers=[(b"Transfer-Encoding", b"chunked")]))
    assert head == b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n"
    assert conn.send(Data(b"raw")) == b"raw"
    assert not conn.keep_alive


def test_http10_keep_alive_is_confirmed() -> None:
    conn = server_after(version=b"1.0", fields=b"Connection: keep-alive\r\n")
    head = conn.send(Response(status_code=200, headers=[(b"Content-Length", b"0")]))
    assert head == b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nconnection: keep-alive\r\n\r\n"
    conn.send(EndOfMessage())
    assert conn.our_state is State.DONE
    assert conn.keep_alive


@pytest.mark.parametrize("position", [0, 1])
def test_framing_fields_count_wherever_they_sit(position: int) -> None:
    # Regression: the field lookups kept the CR of every line but the last.
    other = (b"X-Other", b"y")
    checks: list[tuple[tuple[bytes, bytes], Callable[[Connection], bool]]] = [
        ((b"Content-Length", b"2"), lambda c: c.send(Data(b"ok")) == b"ok"),
        ((b"connection", b"close"), lambda c: not c.keep_alive),
        ((b"Transfer-Encoding", b"chunked"), lambda c: c.send(Data(b"ok")) == b"2\r\nok\r\n"),
    ]
    for field, check in checks:
        conn = server_after()
        fields = [field, other] if position == 0 else [other, field]
        head = conn.send(Response(status_code=200, headers=fields)).lower()
        for name in (b"content-length", b"transfer-encoding", b"connection"):
            assert head.count(name) <= 1, head
        assert check(conn)


def test_response_connection_close_is_not_repeated() -> None:
    conn = server_after()
    head = conn.send(
        Response(status_code=200, headers=[(b"Connection", b"close"), (b"Content-Length", b"0")])
    )
    assert head.lower().count(b"connection") == 1
    conn.send(EndOfMessage())
    assert conn.our_state is State.MUST_CLOSE


def test_client_asking_close_gets_connection_close() -> None:
    conn = server_after(fields=b"Host: a\r\nConnection: close\r\n")
    head = conn.send(Response(status_code=200, headers=[(b"Content-Length", b"0")]))
    assert head.endswith(b"connection: close\r\n\r\n")


def test_send_response_with_a_whole_body_sets_content_length() -> None:
    conn = server_after()
    out = conn.send_response(200, [(b"Content-Type", b"text/plain")], b"hello")
    assert out == (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ncontent-length: 5\r\n\r\nhello")
    assert conn.our_state is State.DONE


def test_send_response_keeps_a_given_content_length() -> None:
    conn = server_after()
    out = conn.send_response(200, [(b"Content-Length", b"5")], memoryview(b"hello"))
    assert out == b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


def test_send_response_head_only() -> None:
    conn = server_after()
    assert conn.send_response(404, []) == (
        b"HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    assert conn.our_state is State.SEND_BODY


def test_send_response_to_head_drops_the_body() -> None:
    conn = server_after(b"HEAD")
    out = conn.send_response(200, [(b"Content-Type", b"text/html")], b"<html>")
    assert out == b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    assert conn.our_state is State.DONE


@pytest.mark.parametrize("code", [204, 304])
def test_no_body_statuses_drop_the_body(code: int) -> None:
    conn = server_after()
    conn.send(Response(status_code=code))
    assert conn.send(Data(b"dropped")) == b""
    assert conn.send(EndOfMessage()) == b""
    assert conn.our_state is State.DONE


def test_standard_and_custom_reason_phrases() -> None:
    assert server_after().send(Response(status_code=418)) == (
        b"HTTP/1.1 418 I'm a Teapot\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    assert server_after().send(Response(status_code=599)).startswith(b"HTTP/1.1 599 \r\n")
    assert (
        server_after()
        .send(Response(status_code=200, reason=b"Fine"))
        .startswith(b"HTTP/1.1 200 Fine\r\n")
    )


def test_status_line_checks_the_code_itself() -> None:
    assert status_line(200) == b"HTTP/1.1 200 OK\r\n"
    with pytest.raises(LocalProtocolError):
        status_line(1000, b"x")
    with pytest.raises(LocalProtocolError):
        status_line(99)


def test_client_requests() -> None:
    conn = Connection(Role.CLIENT)
    head = conn.send(
        Request(
            method=b"POST",
            target=b"/up",
            headers=[(b"Host", b"a"), (b"Transfer-Encoding", b"chunked")],
        )
    )
    assert head == b"POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert conn.send(Data(b"abc")) == b"3\r\nabc\r\n"
    assert conn.send(EndOfMessage([(b"X", b"y")])) == b"0\r\nX: y\r\n\r\n"
    assert (conn.our_state, conn.their_state) == (State.DONE, State.SEND_RESPONSE)


def test_http10_request_without_keep_alive_will_close() -> None:
    conn = Connection(Role.CLIENT)
    conn.send(Request(method=b"GET", target=b"/", http_version=b"1.0"))
    assert not conn.keep_alive
    conn.send(EndOfMessage())
    assert conn.our_state is State.MUST_CLOSE


def test_connection_closed_event_closes_our_side() -> None:
    for conn in (Connection(Role.CLIENT), Connection(Role.SERVER)):
        assert conn.send(ConnectionClosed()) == b""
        assert conn.our_state is State.CLOSED
        assert not conn.keep_alive


# ------------------------------------------------------------------- refusals --

H = (b"Host", b"a")


def _request(**kw: object) -> Request:
    fields: dict[str, object] = {"method": b"GET", "target": b"/", "headers": [H]}
    fields.update(kw)
    return Request(**fields)  # type: ignore[arg-type]


CLIENT_REFUSALS: list[tuple[str, list[Event]]] = [
    ("cr-in-value", [_request(headers=[H, (b"X", b"a\rb")])]),
    ("lf-in-value", [_request(headers=[H, (b"X", b"a\nb")])]),
    ("nul-in-value", [_request(headers=[H, (b"X", b"a\x00b")])]),
    ("injected-line-in-value", [_request(headers=[(b"Host", b"a\r\nX-Injected: 1")])]),
    ("injected-line-in-name", [_request(headers=[H, (b"X: 1\r\nY", b"2")])]),
    ("space-in-name", [_request(headers=[H, (b"X Y", b"1")])]),
    ("colon-in-name", [_request(headers=[H, (b"X:", b"1")])]),
    ("empty-name", [_request(headers=[H, (b"", b"1")])]),
    ("non-ascii-name", [_request(headers=[H, (b"caf\xe9", b"1")])]),
    ("method-not-token", [_request(method=b"GE T")]),
    ("target-space", [_request(target=b"/a b")]),
    ("target-ctl", [_request(target=b"/a\x7f")]),
    ("target-empty", [_request(target=b"")]),
    ("version-2", [_request(http_version=b"2.0")]),
    ("no-host-http11", [_request(headers=[])]),
    ("two-hosts", [_request(headers=[H, H])]),
    (
        "cl-and-te",
        [_request(headers=[H, (b"Content-Length", b"1"), (b"Transfer-Encoding", b"chunked")])],
    ),
    ("te-not-chunked", [_request(headers=[H, (b"Transfer-Encoding", b"gzip")])]),
    (
        "te-http10",
        [_request(http_version=b"1.0", headers=[(b"Transfer-Encoding", b"chunked")])],
    ),
    ("cl-invalid", [_request(headers=[H, (b"Content-Length", b"+1")])]),
    ("cl-twice", [_request(headers=[H, (b"Content-Length", b"1"), (b"Content-Length", b"1")])]),
    ("body-longer-than-cl", [_request(headers=[H, (b"Content-Length", b"1")]), Data(b"ab")]),
    ("body-shorter-than-cl", [_request(headers=[H, (b"Content-Length", b"3")]), EndOfMessage()]),
    ("trailers-without-chunked", [_request(), EndOfMessage([(b"X", b"y")])]),
    (
        "chunked-trailer-with-crlf",
        [
            _request(headers=[H, (b"Transfer-Encoding", b"chunked")]),
            EndOfMessage([(b"X", b"a\r\nb: c")]),
        ],
    ),
    ("request-twice", [_request(), _request()]),
    ("data-before-request", [Data(b"x")]),
    ("end-before-request", [EndOfMessage()]),
    ("client-sends-response", [Response(status_code=200)]),
    ("client-sends-informational", [InformationalResponse(status_code=100)]),
    ("data-after-end", [_request(), EndOfMessage(), Data(b"x")]),
]


@pytest.mark.parametrize(
    "events", [c[1] for c in CLIENT_REFUSALS], ids=[c[0] for c in CLIENT_REFUSALS]
)
def test_client_refuses(events: list[Event]) -> None:
    conn = Connection(Role.CLIENT)
    *before, last = events
    for event in before:
        conn.send(event)
    with pytest.raises(LocalProtocolError):
        conn.send(last)
    assert conn.our_state is State.ERROR
    assert not conn.keep_alive
    with pytest.raises(LocalProtocolError):
        conn.send(Data(b"more"))


SERVER_REFUSALS: list[tuple[str, list[Event]]] = [
    ("cr-in-value", [Response(status_code=200, headers=[(b"X", b"a\rb")])]),
    ("lf-in-value", [Response(status_code=200, headers=[(b"X", b"a\nb")])]),
    ("nul-in-value", [Response(status_code=200, headers=[(b"X", b"a\x00b")])]),
    (
        "response-splitting",
        [Response(status_code=200, headers=[(b"X", b"1\r\nSet-Cookie: evil=1")])],
    ),
    ("cr-in-reason", [Response(status_code=200, reason=b"O\rK")]),
    ("lf-in-reason", [Response(status_code=200, reason=b"O\nK")]),
    ("nul-in-reason", [Response(status_code=200, reason=b"O\x00K")]),
    ("non-token-name", [Response(status_code=200, headers=[(b"X(Y)", b"1")])]),
    ("empty-name", [Response(status_code=200, headers=[(b"", b"1")])]),
    (
        "cl-and-te",
        [
            Response(
                status_code=200,
                headers=[(b"Content-Length", b"1"), (b"Transfer-Encoding", b"chunked")],
            )
        ],
    ),
    ("cl-invalid", [Response(status_code=200, headers=[(b"Content-Length", b"x")])]),
    (
        "cl-twice",
        [Response(status_code=200, headers=[(b"Content-Length", b"1"), (b"Content-Length", b"1")])],
    ),
    ("te-gzip", [Response(status_code=200, headers=[(b"Transfer-Encoding", b"gzip")])]),
    (
        "body-longer-than-cl",
        [Response(status_code=200, headers=[(b"Content-Length", b"1")]), Data(b"ab")],
    ),
    (
        "body-shorter-than-cl",
        [Response(status_code=200, headers=[(b"Content-Length", b"2")]), EndOfMessage()],
    ),
    (
        "trailers-with-cl",
        [
            Response(status_code=200, headers=[(b"Content-Length", b"0")]),
            EndOfMessage([(b"X", b"y")]),
        ],
    ),
    ("final-status-below-200", [Response(status_code=199)]),
    ("final-status-above-999", [Response(status_code=1000)]),
    ("informational-not-1xx", [InformationalResponse(status_code=200)]),
    ("101-without-upgrade", [InformationalResponse(status_code=101)]),
    (
        "informational-after-response",
        [Response(status_code=200), InformationalResponse(status_code=100)],
    ),
    ("response-twice", [Response(status_code=200), Response(status_code=200)]),
    ("end-twice", [Response(status_code=200), EndOfMessage(), EndOfMessage()]),
    ("server-sends-request", [_request()]),
    ("not-an-event", []),
]


@pytest.mark.parametrize(
    "events", [c[1] for c in SERVER_REFUSALS], ids=[c[0] for c in SERVER_REFUSALS]
)
def test_server_refuses(events: list[Event]) -> None:
    conn = server_after()
    if not events:
        with pytest.raises(TypeError):
            conn.send(object())  # type: ignore[arg-type]
        return
    *before, last = events
    for event in before:
        conn.send(event)
    with pytest.raises(LocalProtocolError):
        conn.send(last)
    assert conn.our_state is State.ERROR
    assert not conn.keep_alive


def test_server_refuses_a_response_before_any_request() -> None:
    conn = Connection(Role.SERVER)
    with pytest.raises(LocalProtocolError):
        conn.send(Response(status_code=400))
    with pytest.raises(LocalProtocolError):
        conn.send_response(400, [], b"bad")


def test_send_response_refusals_put_us_in_error() -> None:
    conn = server_after()
    with pytest.raises(LocalProtocolError):
        conn.send_response(200, [(b"Content-Length", b"1")], b"too long")
    assert conn.our_state is State.ERROR


def test_1xx_to_an_http10_client_is_refused() -> None:
    # RFC 9110 §15.2: a server MUST NOT send a 1xx response to an HTTP/1.0 client.
    conn = server_after(version=b"1.0")
    with pytest.raises(LocalProtocolError):
        conn.send(InformationalResponse(status_code=103))
    assert conn.our_state is State.ERROR


def test_101_to_connect_is_refused() -> None:
    conn = server_after(b"CONNECT", fields=b"Host: a:443\r\n")
    with pytest.raises(LocalProtocolError):
        conn.send(InformationalResponse(status_code=101))


def test_header_values_must_be_bytes() -> None:
    conn = server_after()
    with pytest.raises(TypeError):
        conn.send(Response(status_code=200, headers=[(b"X", "text")]))  # type: ignore[list-item]


def test_writer_output_round_trips() -> None:
    pair = ConnectionPair()
    pair.exchange(
        Request(method=b"POST", target=b"/f", headers=[H, (b"Content-Length", b"3")]),
        Response(status_code=201, headers=[(b"Location", b"/f/1")]),
        request_body=b"abc",
        response_body=b"created",
    )
    assert pair.wire[Role.SERVER].endswith(b"7\r\ncreated\r\n0\r\n\r\n")
    assert pair.server.next_event() is PAUSED
