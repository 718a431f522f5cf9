"""WSConnection (RFC 6455 §5-§7): messages, fragments, control frames, limits, the close handshake.

A real client and server connection talk over an in-memory wire; bad input is hand-made frames.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crlf.errors import LocalProtocolError, RemoteProtocolError
from crlf.protocol import Role
from crlf.websocket import (
    BytesMessage,
    CloseConnection,
    ConnectionState,
    Event,
    PerMessageDeflate,
    Ping,
    Pong,
    TextMessage,
    WSConnection,
    frames,
)
from crlf.websocket.frames import encode_frame

KEY = b"\x01\x02\x03\x04"


def client_frame(opcode: int, payload: bytes, *, fin: bool = True, rsv1: bool = False) -> bytes:
    return encode_frame(opcode, payload, fin=fin, rsv1=rsv1, mask_key=KEY)


def events(conn: WSConnection, wire: bytes, *, bytewise: bool = False) -> list[Event]:
    out: list[Event] = []
    chunks = [wire[i : i + 1] for i in range(len(wire))] if bytewise else [wire]
    for chunk in chunks:
        conn.receive_data(chunk)
        while (event := conn.next_event()) is not None:
            out.append(event)
    return out


def assert_state(conn: WSConnection, state: ConnectionState) -> None:
    # a function, not an inline assert, so mypy does not narrow conn.state for the rest of a test
    assert conn.state is state


def deflate_pair(min_size: int = 0) -> tuple[WSConnection, WSConnection]:
    server = WSConnection(Role.SERVER, deflate=PerMessageDeflate(is_server=True, min_size=min_size))
    client = WSConnection(Role.CLIENT, deflate=PerMessageDeflate(is_server=False))
    return server, client


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
@pytest.mark.parametrize("deflate", [False, True], ids=["plain", "deflate"])
def test_messages_both_ways(bytewise: bool, deflate: bool) -> None:
    if deflate:
        server, client = deflate_pair()
    else:
        server, client = WSConnection(Role.SERVER), WSConnection(Role.CLIENT)
    sent: list[Event] = [
        TextMessage("héllo €"),
        BytesMessage(b"\x00\xff" * 100),
        TextMessage(""),
        BytesMessage(b""),
        Ping(b"p"),
        Pong(b"q"),
        TextMessage("x" * 3000),
    ]
    for a, b in [(client, server), (server, client)]:
        wire = b"".join(a.send(event) for event in sent)
        assert events(b, wire, bytewise=bytewise) == sent


def test_fragmented_messages_with_interleaved_control_frames() -> None:
    server, client = WSConnection(Role.SERVER), WSConnection(Role.CLIENT)
    wire = (
        client.send(TextMessage("hé", message_finished=False))
        + client.send_ping(b"1")
        + client.send(TextMessage("llo", message_finished=False))
        + client.send(TextMessage(" world"))
        + client.send_bytes(b"ab", fin=False)
        + client.send_bytes(b"cd")
    )
    assert events(server, wire, bytewise=True) == [
        Ping(b"1"),
        TextMessage("héllo world"),
        BytesMessage(b"abcd"),
    ]


def test_utf8_split_across_fragments_is_valid() -> None:
    server = WSConnection(Role.SERVER)
    euro = "€".encode()
    wire = (
        client_frame(1, euro[:1], fin=False)
        + client_frame(0, euro[1:2], fin=False)
        + client_frame(0, euro[2:])
    )
    assert events(server, wire) == [TextMessage("€")]


def test_deflate_fragmented_incoming_message() -> None:
    server, _ = deflate_pair()
    compressed = PerMessageDeflate(is_server=False).compress(b"hello " * 100)
    wire = client_frame(1, compressed[:5], fin=False, rsv1=True) + client_frame(0, compressed[5:])
    assert events(server, wire) == [TextMessage("hello " * 100)]


def test_deflate_skips_tiny_and_fragmented_messages() -> None:
    server, _ = deflate_pair(min_size=32)
    assert server.deflate is not None
    assert server.send_text("hi")[0] == 0x81  # no RSV1: below min_size
    assert server.send_text("x" * 100)[0] == 0xC1
    assert server.send_text("x" * 100, fin=False)[0] == 0x01
    assert server.send_text("x" * 100)[0] == 0x80


@pytest.mark.parametrize(
    ("wire", "code"),
    [
        (encode_frame(1, b"unmasked"), 1002),
        (client_frame(0, b"x"), 1002),  # continuation without a message
        (client_frame(1, b"a", fin=False) + client_frame(2, b"b"), 1002),  # new message mid-message
        (client_frame(1, b"a", rsv1=True), 1002),  # RSV1 without deflate
        (client_frame(3, b""), 1002),
        (client_frame(0xB, b""), 1002),
        (client_frame(9, b"x" * 126), 1002),
        (client_frame(9, b"x", fin=False), 1002),
        (client_frame(8, b"\x03"), 1002),
        (client_frame(8, b"\x03\xec"), 1002),  # 1004
        (client_frame(1, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"), 1007),
        (client_frame(1, b"ab\xff", fin=False), 1007),  # fails at the bad fragment
        (
            client_frame(1, b"\xe2\x82", fin=False) + client_frame(0, b""),
            1007,
        ),  # truncated at the end
        (client_frame(8, b"\x03\xe8\xff"), 1007),
        (client_frame(2, b"x" * 1001), 1009),
        (client_frame(2, b"x" * 600, fin=False) + client_frame(0, b"x" * 600), 1009),
    ],
)
@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
def test_bad_input_fails_with_close_code(wire: bytes, code: int, bytewise: bool) -> None:
    server = WSConnection(Role.SERVER, max_message_size=1000)
    with pytest.raises(RemoteProtocolError) as info:
        events(server, wire, bytewise=bytewise)
    assert info.value.close_code == code
    # the error is final, and the server can still fail the connection with a Close
    with pytest.raises(RemoteProtocolError):
        server.next_event()
    assert server.send_close(info.value.close_code)[:2] == b"\x88\x02"
    assert_state(server, ConnectionState.LOCAL_CLOSING)


def test_deflate_bad_input() -> None:
    server, _ = deflate_pair()
    bad_text = PerMessageDeflate(is_server=False).compress(b"ok \xff")
    with pytest.raises(RemoteProtocolError) as info:
        events(server, client_frame(1, bad_text, rsv1=True))
    assert info.value.close_code == 1007
    server, _ = deflate_pair()
    with pytest.raises(RemoteProtocolError) as info:
        events(
            server, client_frame(1, b"a", fin=False, rsv1=True) + client_frame(0, b"b", rsv1=True)
        )
    assert info.value.close_code == 1002
    server, _ = deflate_pair()
    with pytest.raises(RemoteProtocolError) as info:
        events(server, client_frame(1, b"\xff\xff\xff", rsv1=True))
    assert info.value.close_code == 1007
    server = WSConnection(
        Role.SERVER, deflate=PerMessageDeflate(is_server=True), max_message_size=10_000
    )
    bomb = PerMessageDeflate(is_server=False).compress(bytes(1_000_000))
    with pytest.raises(RemoteProtocolError) as info:
        events(server, client_frame(2, bomb, rsv1=True))
    assert info.value.close_code == 1009


def test_client_refuses_masked_server_frames() -> None:
    client = WSConnection(Role.CLIENT)
    with pytest.raises(RemoteProtocolError):
        events(client, client_frame(1, b"x"))


# -- the close handshake (§7.1) --------------------------------------------------------------


def test_close_initiated_by_the_client() -> None:
    server, client = WSConnection(Role.SERVER), WSConnection(Role.CLIENT)
    wire = client.send(CloseConnection(1001, "going"))
    assert_state(client, ConnectionState.LOCAL_CLOSING)
    (close,) = events(server, wire + client_frame(1, b"ignored after close"))
    assert isinstance(close, CloseConnection)
    assert close == CloseConnection(1001, "going")
    assert_state(server, ConnectionState.REMOTE_CLOSING)
    with pytest.raises(LocalProtocolError):
        server.send_text("too late")
    server.send_pong(b"still allowed")
    reply = server.send(close.response())
    assert_state(server, ConnectionState.CLOSED)
    assert events(client, reply) == [CloseConnection(1001, "")]
    assert_state(client, ConnectionState.CLOSED)
    assert client.next_event() is None


def test_close_initiated_by_the_server_delivers_pending_messages() -> None:
    server, client = WSConnection(Role.SERVER), WSConnection(Role.CLIENT)
    wire = server.send_close()
    with pytest.raises(LocalProtocolError):
        server.send_text("after close")
    with pytest.raises(LocalProtocolError):
        server.send_ping()
    with pytest.raises(LocalProtocolError):
        server.send_close()
    in_flight = client.send_text("in flight")  # sent before the server's Close arrived
    assert events(client, wire) == [CloseConnection(1000, "")]
    reply = in_flight + client.send_close(None)
    assert events(server, reply) == [TextMessage("in flight"), CloseConnection(1005, "")]
    assert_state(server, ConnectionState.CLOSED)


def test_eof_without_close_is_1006() -> None:
    server = WSConnection(Role.SERVER)
    server.receive_data(client_frame(1, b"partial")[:5])
    assert server.next_event() is None
    server.receive_eof()
    assert server.next_event() == CloseConnection(1006, "")
    assert_state(server, ConnectionState.CLOSED)
    assert server.next_event() is None
    with pytest.raises(LocalProtocolError):
        server.receive_data(b"x")


def test_send_misuse() -> None:
    client = WSConnection(Role.CLIENT)
    with pytest.raises(LocalProtocolError):
        client.send_ping(b"x" * 126)
    client.send_text("a", fin=False)
    with pytest.raises(LocalProtocolError):
        client.send_bytes(b"b")
    with pytest.raises(TypeError):
        client.send("text")  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        client.send_close(1000, "x" * 124)
    assert_state(client, ConnectionState.OPEN)


def test_event_reprs_and_equality() -> None:
    assert repr(TextMessage("x" * 50)).endswith("...)")
    assert repr(BytesMessage(b"y")) == "BytesMessage(data=b'y')"
    assert repr(Ping(b"a")) == "Ping(payload=b'a')"
    assert repr(Pong()) == "Pong(payload=b'')"
    assert repr(CloseConnection()) == "CloseConnection(code=1000, reason='')"
    assert repr(TextMessage("x")) == "TextMessage(data='x')"
    assert repr(BytesMessage(b"y" * 50)).endswith("...)")
    assert Ping(b"a").response() == Pong(b"a")
    for event in (TextMessage("x"), BytesMessage(b"x"), Ping(), Pong(), CloseConnection()):
        assert event != object()


@given(
    messages=st.lists(st.one_of(st.text(max_size=300), st.binary(max_size=300)), max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=5000), max_size=8),
    deflate=st.booleans(),
)
def test_any_messages_any_split(
    messages: list[str | bytes], cuts: list[int], deflate: bool
) -> None:
    if deflate:
        server, client = deflate_pair()
    else:
        server, client = WSConnection(Role.SERVER), WSConnection(Role.CLIENT)
    wire = b"".join(
        client.send_text(m) if isinstance(m, str) else client.send_bytes(m) for m in messages
    )
    got: list[Event] = []
    last = 0
    for cut in [*sorted(c for c in cuts if c <= len(wire)), len(wire)]:
        server.receive_data(wire[last:cut])
        last = cut
        while (event := server.next_event()) is not None:
            got.append(event)
    assert [e.data for e in got if isinstance(e, TextMessage | BytesMessage)] == messages


@given(st.binary(max_size=200), st.lists(st.integers(min_value=0, max_value=200), max_size=4))
def test_any_bytes_give_events_or_a_protocol_error(data: bytes, cuts: list[int]) -> None:
    # The fuzz invariant (style.md §5): nothing but events, None or RemoteProtocolError.
    server = WSConnection(
        Role.SERVER, deflate=PerMessageDeflate(is_server=True), max_message_size=100
    )
    last = 0
    try:
        for cut in [*sorted(c for c in cuts if c <= len(data)), len(data)]:
            server.receive_data(data[last:cut])
            last = cut
            while server.next_event() is not None:
                pass
    except RemoteProtocolError as exc:
        code = exc.close_code
    else:
        code = 1002
    assert code in (1002, 1007, 1009)


def test_large_binary_message_masked_path() -> None:
    server, client = WSConnection(Role.SERVER), WSConnection(Role.CLIENT)
    data = os.urandom(300_000)
    assert events(server, client.send_bytes(data)) == [BytesMessage(data)]


def test_small_whole_frames_byte_by_byte() -> None:
    # The one-call path of next_event (a whole frame of <= 125 bytes) and the general path agree
    # on every split of the stream, on both roles.
    sender = WSConnection(Role.SERVER)
    to_client = (
        sender.send_text("h\u00e9") + sender.send_bytes(b"\x00" * 125) + sender.send_text("")
    )
    to_server = (
        client_frame(1, "h\u00e9".encode()) + client_frame(2, b"\x00" * 125) + client_frame(1, b"")
    )
    expected = [TextMessage("h\u00e9"), BytesMessage(b"\x00" * 125), TextMessage("")]
    assert events(WSConnection(Role.CLIENT), to_client, bytewise=True) == expected
    assert events(WSConnection(Role.SERVER), to_server, bytewise=True) == expected


def test_small_frame_limits_and_errors_stick() -> None:
    # Over max_message_size: 1009 even for a frame the short path would take (§7.4.1).
    server = WSConnection(Role.SERVER, max_message_size=10)
    server.receive_data(client_frame(2, b"x" * 11))
    with pytest.raises(RemoteProtocolError) as info:
        server.next_event()
    assert info.value.close_code == 1009
    # Invalid UTF-8 in a whole small text frame: 1007 (§8.1), and again on the next call.
    server = WSConnection(Role.SERVER)
    server.receive_data(client_frame(1, b"ok\xff") + client_frame(1, b"fine"))
    for _ in range(2):
        with pytest.raises(RemoteProtocolError) as info:
            server.next_event()
        assert info.value.close_code == 1007
    # A masked frame to a client and an unmasked one to a server: 1002 (§5.1).
    client = WSConnection(Role.CLIENT)
    client.receive_data(client_frame(1, b"masked"))
    with pytest.raises(RemoteProtocolError) as info:
        client.next_event()
    assert info.value.close_code == 1002
    server = WSConnection(Role.SERVER)
    server.receive_data(encode_frame(1, b"bare"))
    with pytest.raises(RemoteProtocolError) as info:
        server.next_event()
    assert info.value.close_code == 1002


def chunked_events(conn: WSConnection, wire: bytes, chunk: int) -> list[Event]:
    out: list[Event] = []
    for i in range(0, len(wire), chunk):
        out += events(conn, wire[i : i + chunk])
    return out


@pytest.mark.parametrize("deflate", [False, True], ids=["plain", "deflate"])
@pytest.mark.parametrize("role", [Role.SERVER, Role.CLIENT], ids=["server", "client"])
def test_send_message_parts_is_the_same_message(role: Role, deflate: bool) -> None:
    # send_message_parts gives header and payload of the frame send_text/send_bytes would give
    # (for writelines); the payload of an uncompressed server message is the caller's object.
    if deflate:
        server, client = deflate_pair()
    else:
        server, client = WSConnection(Role.SERVER), WSConnection(Role.CLIENT)
    sender, receiver = (server, client) if role is Role.SERVER else (client, server)
    data = os.urandom(200_003)
    text = "h\u00e9llo \u20ac" * 20_000
    for message in (data, bytearray(data), memoryview(data), text, b"", ""):
        head, payload = sender.send_message_parts(message)
        if role is Role.SERVER and not deflate and type(message) is bytes:
            assert payload is message
        expected = (
            TextMessage(message) if isinstance(message, str) else BytesMessage(bytes(message))
        )
        assert chunked_events(receiver, head + payload, 65537) == [expected]
    if role is Role.SERVER and not deflate:
        assert server.send_message_parts(data) == (
            server.send_bytes(data)[:10],
            server.send_bytes(data)[10:],
        )
    elif role is Role.CLIENT and not deflate:
        head, payload = client.send_message_parts(text)
        assert head[1] & 0x80  # §5.1: masked
        assert len(payload) == len(text.encode())


def test_send_message_parts_misuse() -> None:
    client = WSConnection(Role.CLIENT)
    client.send_bytes(b"a", fin=False)
    with pytest.raises(LocalProtocolError):
        client.send_message_parts(b"b")  # a fragmented message is in progress
    client.send_bytes(b"c")
    client.send_close()
    with pytest.raises(LocalProtocolError):
        client.send_message_parts("after close")


@pytest.mark.parametrize("chunk", [4096, 65536, 262_144])
def test_large_messages_in_pieces_between_small_ones(chunk: int) -> None:
    # A large frame unmasked as its pieces arrive (the decoder's drain path) keeps its place in
    # the stream: the small frames around it, a fragmented text message split inside a UTF-8
    # sequence, and a Ping between its fragments all come out in order.
    server = WSConnection(Role.SERVER)
    big = os.urandom(300_001)
    text = ("\u20ac" * 50_000).encode()  # 150,000 bytes, cut at 100,001: inside a character
    wire = (
        client_frame(1, b"before")
        + client_frame(2, big)
        + client_frame(1, text[:100_001], fin=False)
        + client_frame(9, b"p")
        + client_frame(0, text[100_001:])
        + client_frame(2, b"after")
    )
    assert chunked_events(server, wire, chunk) == [
        TextMessage("before"),
        BytesMessage(big),
        Ping(b"p"),
        TextMessage("\u20ac" * 50_000),
        BytesMessage(b"after"),
    ]


@pytest.mark.parametrize("implementation", ["installed", "python"])
def test_small_masked_messages_on_the_fast_path(
    implementation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whole one-frame messages of at most 125 bytes take next_event's fast path, which unmasks
    # with frames._unmask (the C helper when built); the pure-Python XOR must give the same.
    if implementation == "python":
        monkeypatch.setattr(frames, "_unmask", frames._py_unmask)
    server = WSConnection(Role.SERVER)
    sizes = [0, 1, 3, 4, 5, 8, 15, 16, 17, 64, 125]
    wire = b"".join(
        encode_frame(2, bytes(range(n)), mask_key=bytes((n, 7, 200, 33))) for n in sizes
    ) + encode_frame(1, "h\u00e9llo".encode(), mask_key=b"\x01\x02\x03\x04")
    server.receive_data(wire)
    events = []
    while (event := server.next_event()) is not None:
        events.append(event)
    assert events == [BytesMessage(bytes(range(n))) for n in sizes] + [TextMessage("h\u00e9llo")]
