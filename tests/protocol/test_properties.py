"""Property tests (hypothesis) of the protocol core, both roles.

1. Round trip: a random valid message (method, target, fields from the RFC 9110 grammar, a body
   framed by Content-Length or chunked with random chunking, trailers) written by one role and
   read by the other, fed in random pieces, is the same message.
2. Invariant (h11 ``fuzz/``): for random bytes, and for valid messages mutated by byte flips,
   insertions, deletions and truncations, fed at random split points, ``next_event`` returns
   events, NEED_DATA or PAUSED or raises RemoteProtocolError, and nothing else; it never loops
   (the calls are bounded by the bytes fed) and never buffers beyond its limits.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crlf.errors import RemoteProtocolError
from crlf.protocol import (
    NEED_DATA,
    PAUSED,
    Connection,
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    InformationalResponse,
    Limits,
    Request,
    Response,
    Role,
    Sentinel,
    State,
)

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ------------------------------------------------------------------ grammar --

TCHAR = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Fields the connection interprets (framing, persistence, switching): the tests add them on
# purpose, never by chance.
RESERVED = {
    b"host",
    b"content-length",
    b"transfer-encoding",
    b"connection",
    b"expect",
    b"upgrade",
    b"keep-alive",
    b"te",
    b"trailer",
}
VCHAR_OBS = bytes([*range(0x21, 0x7F), *range(0x80, 0x100)])


def _join(parts: list[int]) -> bytes:
    return bytes(parts)


tokens = st.lists(st.sampled_from(TCHAR), min_size=1, max_size=12).map(_join)
names = tokens.filter(lambda n: n.lower() not in RESERVED)
# RFC 9110 §5.5: field-value = *field-content; no whitespace at either end (it is OWS).
vchars = st.sampled_from(VCHAR_OBS).map(lambda c: bytes([c]))
values = st.one_of(
    st.just(b""),
    vchars,
    st.builds(
        lambda first, middle, last: first + middle + last,
        vchars,
        st.lists(st.sampled_from(VCHAR_OBS + b" \t"), max_size=30).map(_join),
        vchars,
    ),
)
fields = st.lists(st.tuples(names, values), max_size=8)
# RFC 9112 §3.2.1 origin-form, with the characters crlf's request line takes (no "#").
TARGET_CHARS = bytes(c for c in range(0x21, 0x7F) if c != ord("#"))
targets = st.lists(st.sampled_from(TARGET_CHARS), max_size=40).map(lambda cs: b"/" + bytes(cs))
methods = st.one_of(
    st.sampled_from([b"GET", b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS"]),
    tokens.filter(lambda m: m not in (b"CONNECT", b"HEAD")),
)
reasons = st.lists(st.sampled_from(VCHAR_OBS + b" \t"), max_size=20).map(_join)
statuses = st.integers(200, 599).filter(lambda c: c not in (204, 304))


@st.composite
def body_pieces(draw: st.DrawFn) -> list[bytes]:
    """A body cut into random pieces (each becomes one Data event, one chunk when chunked)."""
    body = draw(st.binary(max_size=300))
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=6)))
    bounds = [0, *cuts, len(body)]
    return [body[a:b] for a, b in itertools.pairwise(bounds)]


@st.composite
def split(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """``data`` cut at random points (empty pieces included: receive_data(b"") is legal)."""
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=12)))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@dataclass
class Message:
    """One message as events: a head, the body pieces, the trailers."""

    head: Request | Response
    pieces: list[bytes]
    trailers: list[tuple[bytes, bytes]] = field(default_factory=list)
    eof: bool = False  # close-delimited: the writer's peer must see the close

    def events(self) -> list[Event]:
        out: list[Event] = [self.head]
        out += [Data(p) for p in self.pieces]
        out.append(EndOfMessage(self.trailers))
        return out


@st.composite
def requests(draw: st.DrawFn) -> Message:
    version = draw(st.sampled_from([b"1.1", b"1.0"]))
    headers = [(b"Host", b"example.com"), *draw(fields)]
    pieces = draw(body_pieces())
    chunked = version == b"1.1" and draw(st.booleans())
    trailers: list[tuple[bytes, bytes]] = []
    if chunked:
        headers.append((b"Transfer-Encoding", b"chunked"))
        trailers = draw(fields)
    elif pieces != [b""] or draw(st.booleans()):
        headers.append((b"Content-Length", b"%d" % sum(map(len, pieces))))
    if version == b"1.0":
        headers.append((b"Connection", b"keep-alive"))
    position = draw(st.integers(0, len(headers) - 1))
    headers.insert(position, headers.pop())  # framing fields anywhere, not only last
    request = Request(
        method=draw(methods), target=draw(targets), headers=headers, http_version=version
    )
    return Message(request, pieces, trailers)


@st.composite
def responses(draw: st.DrawFn) -> tuple[bytes, Message]:
    """(the request's HTTP version, a response to it)."""
    version = draw(st.sampled_from([b"1.1", b"1.0"]))
    headers = draw(fields)
    pieces = draw(body_pieces())
    framing = draw(st.sampled_from(["length", "chunked", "none"]))
    trailers: list[tuple[bytes, bytes]] = []
    eof = False
    if framing == "length":
        headers.append((b"Content-Length", b"%d" % sum(map(len, pieces))))
    elif framing == "chunked" and version == b"1.1":
        headers.append((b"Transfer-Encoding", b"chunked"))
        trailers = draw(fields)
    elif version == b"1.1":
        trailers = draw(fields)  # the writer picks chunked itself
    else:
        eof = True  # to HTTP/1.0 the writer delimits by closing
    if headers:
        position = draw(st.integers(0, len(headers) - 1))
        headers.insert(position, headers.pop())
    reason = draw(st.one_of(st.just(b""), reasons))
    response = Response(status_code=draw(statuses), headers=headers, reason=reason)
    return version, Message(response, pieces, trailers, eof)


# --------------------------------------------------------------- round trips --


def read_all(conn: Connection, pieces: list[bytes], eof: bool) -> list[Event]:
    """Feed ``pieces``, draining after each; the events, Data runs joined."""
    events: list[Event] = []
    calls = 0
    for piece in [*pieces, None]:
        if piece is None:
            if not eof:
                break
            conn.receive_eof()
        else:
            conn.receive_data(piece)
        while True:
            calls += 1
            assert calls <= 4 * (len(pieces) + sum(map(len, pieces))) + 20
            event = conn.next_event()
            if isinstance(event, Sentinel):
                break
            if events and type(event) is Data and type(events[-1]) is Data:
                previous = events[-1]
                assert isinstance(previous, Data)
                events[-1] = Data(bytes(previous.data) + bytes(event.data))
            elif type(event) is not Data or len(event.data):
                events.append(event)
            if type(event) is ConnectionClosed:
                break
    return events


def expected(message: Message) -> list[Event]:
    body = b"".join(message.pieces)
    return [message.head, *([Data(body)] if body else []), EndOfMessage(message.trailers)]


@SETTINGS
@given(message=requests(), data=st.data())
def test_request_round_trip(message: Message, data: st.DataObject) -> None:
    client = Connection(Role.CLIENT)
    wire = b"".join(client.send(e) for e in message.events())
    server = Connection(Role.SERVER)
    got = read_all(server, data.draw(split(wire)), eof=False)
    want = expected(message)
    assert got == want
    request = got[0]
    assert isinstance(request, Request)
    assert request.headers.raw_items() == message.head.headers.raw_items()
    trailers = got[-1]
    assert isinstance(trailers, EndOfMessage)
    assert trailers.headers.raw_items() == message.trailers
    assert server.their_state is State.DONE
    assert server.next_event() is PAUSED


@SETTINGS
@given(case=responses(), method=methods, data=st.data())
def test_response_round_trip(
    case: tuple[bytes, Message], method: bytes, data: st.DataObject
) -> None:
    version, message = case
    assert isinstance(message.head, Response)
    host = [(b"Host", b"a")]
    request = Request(method=method, target=b"/", headers=host, http_version=version)
    client = Connection(Role.CLIENT)
    server = Connection(Role.SERVER)
    server.receive_data(client.send(request) + client.send(EndOfMessage()))
    assert isinstance(_drain(server)[0], Request)
    wire = b"".join(server.send(e) for e in message.events())
    got = read_all(client, data.draw(split(wire)), eof=message.eof)
    if message.eof:
        assert got[-1] == ConnectionClosed()
        got = got[:-1]
    head = got[0]
    assert isinstance(head, Response)
    assert head.status_code == message.head.status_code
    assert head.reason == (message.head.reason or _standard_reason(message.head.status_code))
    sent = message.head.headers.raw_items()
    assert head.headers.raw_items()[: len(sent)] == sent
    assert got[1:] == expected(message)[1:]
    trailers = got[-1]
    assert isinstance(trailers, EndOfMessage)
    assert trailers.headers.raw_items() == message.trailers
    if not message.eof:
        assert client.their_state in (State.DONE, State.MUST_CLOSE)


def _standard_reason(code: int) -> bytes:
    from http import HTTPStatus

    try:
        return HTTPStatus(code).phrase.encode()
    except ValueError:
        return b""


@SETTINGS
@given(data=st.data(), messages=st.lists(requests(), min_size=1, max_size=4))
def test_pipelined_requests_round_trip(data: st.DataObject, messages: list[Message]) -> None:
    """Several requests in one stream, each answered before the next is read (RFC 9112 §9.3.2)."""
    messages = [m for m in messages if m.head.http_version == b"1.1"] or messages[:1]
    wire = b""
    for message in messages:
        client = Connection(Role.CLIENT)
        wire += b"".join(client.send(e) for e in message.events())
    server = Connection(Role.SERVER)
    for piece in data.draw(split(wire)):
        server.receive_data(piece)
    got: list[Event] = []
    for message in messages:
        events = _drain(server)
        assert events == expected(message)
        got += events
        assert server.next_event() is PAUSED
        if server.their_state is State.DONE:
            server.send_response(200, [], b"")
            server.start_next_cycle()
    assert len(got) >= len(messages) * 2


def _drain(conn: Connection) -> list[Event]:
    out: list[Event] = []
    while True:
        event = conn.next_event()
        if isinstance(event, Sentinel):
            return _merge(out)
        out.append(event)


def _merge(events: list[Event]) -> list[Event]:
    out: list[Event] = []
    for event in events:
        if type(event) is Data:
            if not len(event.data):
                continue
            if out and type(out[-1]) is Data:
                previous = out[-1]
                assert isinstance(previous, Data)
                out[-1] = Data(bytes(previous.data) + bytes(event.data))
                continue
        out.append(event)
    return out


# ------------------------------------------------------------------ invariant --

FUZZ_LIMITS = Limits(
    max_start_line=64,
    max_head_bytes=256,
    max_header_count=8,
    max_chunk_line=32,
    max_body_size=512,
    max_buffer_bytes=1024,
)
# What a reader may hold between calls that asked for data: a head up to its limit, or a
# trailer section up to its limit and the 3 bytes of its end still to come.
MAX_HELD = max(FUZZ_LIMITS.max_head_bytes + 3, FUZZ_LIMITS.max_chunk_line + 1)


def buffered(conn: Connection) -> int:
    return len(conn._buf)  # the invariant is about the private buffer itself


def drive(role: Role, pieces: list[bytes], eof: bool) -> RemoteProtocolError | None:
    """Drive ``role`` like a server or client would over ``pieces``; check the invariant.

    A server answers every request with 200 and starts the next cycle; a client sends a GET
    whenever it is idle. Only RemoteProtocolError may escape next_event; a Sentinel or an
    event comes back otherwise, within a bounded number of calls, holding a bounded buffer.
    """
    conn = Connection(role, limits=FUZZ_LIMITS)
    request = Request(method=b"GET", target=b"/", headers=[(b"Host", b"a")])
    budget = 6 * (len(pieces) + sum(map(len, pieces))) + 30
    queue = list(pieces)
    try:
        while True:
            budget -= 1
            assert budget > 0, "next_event() is looping"
            if role is Role.CLIENT and conn.our_state is State.IDLE:
                conn.send(request)
                conn.send(EndOfMessage())
            event = conn.next_event()
            if event is NEED_DATA:
                assert buffered(conn) <= MAX_HELD
                if queue:
                    conn.receive_data(queue.pop(0))
                elif eof and not conn.trailing_data[1]:
                    conn.receive_eof()
                else:
                    return None
            elif event is PAUSED:
                if role is Role.SERVER and conn.our_state is State.SEND_RESPONSE:
                    conn.send_response(200, [], b"")
                if conn.our_state is State.DONE and conn.their_state is State.DONE:
                    conn.start_next_cycle()
                    continue
                return None  # closing, or switched: the stream is no longer ours to parse
            elif isinstance(event, ConnectionClosed):
                return None
            else:
                assert isinstance(
                    event, Request | Response | InformationalResponse | Data | EndOfMessage
                )
    except RemoteProtocolError as exc:
        error = exc
    assert conn.their_state is State.ERROR
    assert 400 <= error.status_hint <= 505
    try:
        conn.next_event()
    except RemoteProtocolError:
        return error
    raise AssertionError("next_event() did not raise again after an error")


@SETTINGS
@given(role=st.sampled_from(Role), data=st.data(), eof=st.booleans())
def test_random_bytes(role: Role, data: st.DataObject, eof: bool) -> None:
    raw = data.draw(st.binary(max_size=600))
    drive(role, data.draw(split(raw)), eof)


# Bytes that mean something to the parser, so random streams get past the first check.
ALPHABET = [
    b"GET ",
    b"POST ",
    b"HTTP/1.1",
    b"HTTP/1.0",
    b" 200 OK",
    b"/",
    b" ",
    b"\r\n",
    b"\r\n\r\n",
    b"\r",
    b"\n",
    b":",
    b"Host: a",
    b"Content-Length: ",
    b"Transfer-Encoding: chunked",
    b"Connection: close",
    b"Expect: 100-continue",
    b"Upgrade: x\r\nConnection: upgrade",
    b"0",
    b"5",
    b"ff",
    b';ext="q"',
    b"a",
    b"\x00",
    b"\t",
    b"HTTP/1.1 101 Switching\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\n",
]


@SETTINGS
@given(role=st.sampled_from(Role), data=st.data(), eof=st.booleans())
def test_random_http_like_bytes(role: Role, data: st.DataObject, eof: bool) -> None:
    raw = b"".join(data.draw(st.lists(st.sampled_from(ALPHABET), max_size=60)))
    drive(role, data.draw(split(raw)), eof)


@st.composite
def mutated(draw: st.DrawFn, wire: bytes) -> bytes:
    """``wire`` with a few byte flips, insertions, deletions, and maybe a truncation."""
    data = bytearray(wire)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, len(data)))
        if kind == "insert":
            data[at:at] = draw(st.sampled_from([b"\r", b"\n", b"\r\n", b" ", b":", b"\x00", b"0"]))
        elif kind == "truncate":
            del data[at:]
        elif at < len(data):
            if kind == "flip":
                data[at] = draw(st.integers(0, 255))
            else:
                del data[at]
    return bytes(data)


@SETTINGS
@given(messages=st.lists(requests(), min_size=1, max_size=3), data=st.data(), eof=st.booleans())
def test_mutated_requests(messages: list[Message], data: st.DataObject, eof: bool) -> None:
    wire = b""
    for message in messages:
        client = Connection(Role.CLIENT)
        wire += b"".join(client.send(e) for e in message.events())
    bad = data.draw(mutated(wire))
    drive(Role.SERVER, data.draw(split(bad)), eof)


@SETTINGS
@given(case=responses(), data=st.data(), eof=st.booleans())
def test_mutated_responses(case: tuple[bytes, Message], data: st.DataObject, eof: bool) -> None:
    version, message = case
    server = Connection(Role.SERVER)
    server.receive_data(b"GET / HTTP/%s\r\nHost: a\r\n\r\n" % version)
    assert isinstance(server.next_event(), Request)
    wire = b"".join(server.send(e) for e in message.events())
    bad = data.draw(mutated(wire))
    drive(Role.CLIENT, data.draw(split(bad)), eof)


@SETTINGS
@given(
    extra=st.lists(st.tuples(names, values), min_size=0, max_size=40),
    pad=st.integers(0, 300),
    path=st.integers(0, 100),
    data=st.data(),
)
def test_heads_over_the_limit_are_refused(
    extra: list[tuple[bytes, bytes]], pad: int, path: int, data: st.DataObject
) -> None:
    """A head is read if and only if it fits the limits, however it is split: 414 for a long
    request line, 431 for too many bytes or fields."""
    headers = [(b"Host", b"a"), *extra, (b"X-Pad", b"p" * pad)]
    target = b"/" + b"t" * path
    wire = Connection(Role.CLIENT).send(Request(method=b"GET", target=target, headers=headers))
    error = drive(Role.SERVER, data.draw(split(wire)), eof=False)
    line = len(b"GET  HTTP/1.1") + len(target)
    if line > FUZZ_LIMITS.max_start_line:
        assert error is not None
        assert error.status_hint == 414
    elif len(wire) > FUZZ_LIMITS.max_head_bytes or len(headers) > FUZZ_LIMITS.max_header_count:
        assert error is not None
        assert error.status_hint == 431
    else:
        assert error is None
