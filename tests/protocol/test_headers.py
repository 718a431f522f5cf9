"""Headers and the event classes: lookups, raw casing, equality, reprs (RFC 9110 §5)."""

from __future__ import annotations

import pytest

from crlf.protocol import (
    NEED_DATA,
    PAUSED,
    Connection,
    ConnectionClosed,
    Data,
    EndOfMessage,
    Headers,
    InformationalResponse,
    Request,
    Response,
    Role,
    Sentinel,
)
from tests.helpers import drain

FIELDS = [
    (b"Host", b"example.com"),
    (b"Accept", b"text/html, , application/json"),
    (b"ACCEPT", b"*/*"),
    (b"X-Empty", b""),
]


def parsed(fields: bytes) -> Headers:
    """Headers as the parser builds them."""
    conn = Connection(Role.SERVER)
    conn.receive_data(b"GET / HTTP/1.1\r\n" + fields + b"\r\n")
    request = drain(conn)[0]
    assert isinstance(request, Request)
    return request.headers


BUILT = Headers(FIELDS)
PARSED = parsed(
    b"Host: example.com\r\nAccept: text/html, , application/json\r\nACCEPT: */*\r\nX-Empty:\r\n"
)


@pytest.mark.parametrize("headers", [BUILT, PARSED], ids=["built", "parsed"])
class TestHeaders:
    def test_items_are_lowercased_in_order(self, headers: Headers) -> None:
        assert headers.items() == [(n.lower(), v) for n, v in FIELDS]
        assert list(headers) == headers.items()
        assert len(headers) == 4

    def test_raw_items_keep_the_casing(self, headers: Headers) -> None:
        assert headers.raw_items() == FIELDS
        assert repr(headers) == f"Headers({FIELDS!r})"

    def test_lookups_ignore_case(self, headers: Headers) -> None:
        assert headers.get(b"HOST") == b"example.com"
        assert headers.get(b"accept") == b"text/html, , application/json"
        assert headers.get(b"missing") is None
        assert headers.get(b"missing", b"d") == b"d"
        assert headers.get_all(b"Accept") == [b"text/html, , application/json", b"*/*"]
        assert headers.get_all(b"missing") == []

    def test_get_list_splits_and_drops_empty_elements(self, headers: Headers) -> None:
        # RFC 9110 §5.6.1: recipients accept empty list elements and ignore them.
        assert headers.get_list(b"accept") == [b"text/html", b"application/json", b"*/*"]
        assert headers.get_list(b"x-empty") == []

    def test_contains(self, headers: Headers) -> None:
        assert b"host" in headers
        assert b"X-EMPTY" in headers
        assert b"nope" not in headers
        assert "host" not in headers  # str is never a field name here

    def test_equality_ignores_name_case(self, headers: Headers) -> None:
        assert headers == Headers([(n.upper(), v) for n, v in FIELDS])
        assert headers != Headers(FIELDS[:2])
        assert headers != FIELDS
        with pytest.raises(TypeError):
            hash(headers)


def test_empty_headers() -> None:
    headers = Headers()
    assert headers.items() == headers.raw_items() == []
    assert not len(headers)
    assert parsed(b"Host: a\r\n") == Headers([(b"host", b"a")])


def test_events_compare_by_value() -> None:
    request = Request(method=b"GET", target=b"/", headers=[(b"Host", b"a")])
    assert request == Request(method=b"GET", target=b"/", headers=Headers([(b"host", b"a")]))
    assert request != Request(method=b"GET", target=b"/", http_version=b"1.0")
    assert request != "GET /"
    response = Response(status_code=200, reason=b"OK")
    assert response == Response(status_code=200, reason=b"OK")
    assert response != Response(status_code=200)
    assert response != InformationalResponse(status_code=200, reason=b"OK")
    assert Data(b"ab") == Data(memoryview(b"ab"))
    assert Data(b"ab") != b"ab"
    assert EndOfMessage() == EndOfMessage([])
    assert EndOfMessage() != EndOfMessage([(b"X", b"y")])
    assert EndOfMessage() != Data(b"")
    assert ConnectionClosed() == ConnectionClosed()
    assert ConnectionClosed() != EndOfMessage()
    assert hash(ConnectionClosed())
    for unhashable in (request, response, Data(b""), EndOfMessage()):
        with pytest.raises(TypeError):
            hash(unhashable)


def test_event_reprs_never_show_body_bytes() -> None:
    assert repr(Data(b"secret")) == "Data(<6 bytes>)"
    assert repr(ConnectionClosed()) == "ConnectionClosed()"
    assert repr(EndOfMessage()) == "EndOfMessage(headers=Headers([]))"
    assert repr(Request(method=b"GET", target=b"/")) == (
        "Request(method=b'GET', target=b'/', http_version=b'1.1', headers=Headers([]))"
    )
    assert repr(InformationalResponse(status_code=100)) == (
        "InformationalResponse(status_code=100, reason=b'', http_version=b'1.1', "
        "headers=Headers([]))"
    )


def test_event_defaults() -> None:
    assert Request(method=b"GET", target=b"/").headers == Headers()
    assert Response(status_code=200).http_version == b"1.1"
    headers = Headers([(b"A", b"b")])
    assert Response(status_code=200, headers=headers).headers is headers


def test_sentinels() -> None:
    assert NEED_DATA is Sentinel.NEED_DATA
    assert PAUSED is Sentinel.PAUSED
    assert len({NEED_DATA, PAUSED}) == 2


@pytest.mark.parametrize(
    "head",
    [
        # Decided by the C helper (when built), split by either splitter, and parsed step by
        # step (an IP-literal Host is decided in Python; an obs-text target too).
        b"GET / HTTP/1.1\r\nhOsT: a\r\nX-Odd-CASE:  v \t\r\nx-lower:\r\nContent-Length: 0\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: [::1]\r\nX-Odd-CASE:  v \t\r\nx-lower:\r\n\r\n",
        b"GET / HTTP/1.0\r\nX-Odd-CASE:  v \t\r\nConnection: keep-alive\r\nx-lower:\r\n\r\n",
        b"POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nX-Odd-CASE: v\r\n\r\n",
    ],
)
def test_raw_items_of_a_parsed_head_keep_the_casing(head: bytes) -> None:
    # Names as received are read from the head only when asked for; values are the trimmed ones.
    body = b"0\r\n\r\n" if b"chunked" in head else b""
    conn = Connection(Role.SERVER)
    conn.receive_data((head + body) * 2)
    names = [line.split(b":")[0] for line in head.split(b"\r\n")[1:-2]]
    for _ in range(2):  # parsed afresh, then the remembered head
        request = conn.next_event()
        assert isinstance(request, Request)
        raw = request.headers.raw_items()
        assert [name for name, _ in raw] == names
        assert [value for _, value in raw] == [value for _, value in request.headers.items()]
        assert (b"X-Odd-CASE", b"v") in raw
        while not isinstance(conn.next_event(), EndOfMessage):
            pass
        conn.send_response(200, [], b"")
        conn.start_next_cycle()
