"""The frame codec (RFC 6455 §5): header checks, masking, lengths, close payloads."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crlf.errors import LocalProtocolError, RemoteProtocolError
from crlf.websocket import frames as frames_module
from crlf.websocket.frames import (
    CloseCode,
    Frame,
    FrameDecoder,
    Opcode,
    encode_close_payload,
    encode_frame,
    frame_header,
    mask,
    parse_close_payload,
)

KEY = b"\x37\xfa\x21\x3d"  # RFC 6455 §5.7's example masking key


Unmask = Callable[[bytes | bytearray | memoryview, bytes | bytearray, int, int, int], bytes]


def implementations() -> list[object]:
    """Every masking XOR this install has: the pure-Python tricks, and the C helper if built.

    Each is a pair: ``unmask`` (one slice) and ``unmask_join`` (a list of pieces)."""
    found: list[object] = [
        pytest.param((frames_module._py_unmask, frames_module._py_unmask_join), id="python")
    ]
    try:
        from crlf.websocket._speedups import unmask, unmask_join
    except ImportError:
        pass
    else:
        found.append(pytest.param((unmask, unmask_join), id="c"))
    return found


@pytest.fixture(autouse=True, scope="module", params=implementations())
def masking(request: pytest.FixtureRequest) -> Iterator[Unmask]:
    # Every test here runs with each implementation in turn (module scope, so hypothesis's
    # tests may use it): the decoder and mask() call frames._unmask and frames._unmask_join.
    chosen, chosen_join = request.param
    saved = frames_module._unmask, frames_module._unmask_join
    frames_module._unmask, frames_module._unmask_join = chosen, chosen_join
    try:
        yield chosen
    finally:
        frames_module._unmask, frames_module._unmask_join = saved


def naive_mask(data: bytes, key: bytes) -> bytes:
    return bytes(b ^ key[i % 4] for i, b in enumerate(data))


def feed(decoder: FrameDecoder, wire: bytes, *, bytewise: bool) -> list[Frame]:
    """Every frame the decoder cuts out of ``wire``, fed whole or one byte at a time."""
    frames: list[Frame] = []
    chunks = [wire[i : i + 1] for i in range(len(wire))] if bytewise else [wire]
    for chunk in chunks:
        decoder.receive_data(chunk)
        while (frame := decoder.next_frame()) is not None:
            frames.append(frame)
    return frames


# RFC 6455 §5.7 examples, plus the three length encodings at their edges.
VALID = [
    # (wire, expect_masked, opcode, fin, payload)
    (bytes.fromhex("810548656c6c6f"), False, Opcode.TEXT, True, b"Hello"),
    (bytes.fromhex("818537fa213d7f9f4d5158"), True, Opcode.TEXT, True, b"Hello"),
    (bytes.fromhex("010348656c"), False, Opcode.TEXT, False, b"Hel"),
    (bytes.fromhex("80026c6f"), False, Opcode.CONTINUATION, True, b"lo"),
    (bytes.fromhex("890548656c6c6f"), False, Opcode.PING, True, b"Hello"),
    (bytes.fromhex("8a8537fa213d7f9f4d5158"), True, Opcode.PONG, True, b"Hello"),
    (b"\x82\x7e\x01\x00" + bytes(256), False, Opcode.BINARY, True, bytes(256)),
    (
        b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00" + bytes(65536),
        False,
        Opcode.BINARY,
        True,
        bytes(65536),
    ),
    (b"\x82\x7d" + b"a" * 125, False, Opcode.BINARY, True, b"a" * 125),
    (b"\x82\x7e\x00\x7e" + b"a" * 126, False, Opcode.BINARY, True, b"a" * 126),
    (b"\x82\x7e\xff\xff" + b"a" * 65535, False, Opcode.BINARY, True, b"a" * 65535),
    (b"\x82\x00", False, Opcode.BINARY, True, b""),
    (b"\x82\x80" + KEY, True, Opcode.BINARY, True, b""),
    (b"\x88\x00", False, Opcode.CLOSE, True, b""),
]


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
@pytest.mark.parametrize(("wire", "masked", "opcode", "fin", "payload"), VALID)
def test_valid_frames_decode(
    wire: bytes, masked: bool, opcode: int, fin: bool, payload: bytes, bytewise: bool
) -> None:
    decoder = FrameDecoder(expect_masked=masked, max_payload=1 << 20)
    trailing = b"\x8a\x00" if not masked else b"\x8a\x80" + KEY  # an empty Pong after it
    frames = feed(decoder, wire + trailing, bytewise=bytewise and len(wire) < 300)
    assert len(frames) == 2
    frame = frames[0]
    assert (frame.opcode, frame.fin, frame.payload, frame.rsv1) == (opcode, fin, payload, False)
    assert frames[1].opcode == Opcode.PONG
    assert decoder.buffered == 0


@pytest.mark.parametrize(("wire", "masked", "opcode", "fin", "payload"), VALID)
def test_encoder_writes_the_same_bytes(
    wire: bytes, masked: bool, opcode: int, fin: bool, payload: bytes
) -> None:
    key = wire[-len(payload) - 4 : -len(payload)] if payload else wire[-4:]
    assert encode_frame(opcode, payload, fin=fin, mask_key=key if masked else None) == wire


# (wire, expect_masked, rsv1_allowed, close_code, why)
INVALID = [
    (b"\x81\x85" + KEY + b"hello", False, False, 1002, "masked server frame"),
    (b"\x81\x05hello", True, False, 1002, "unmasked client frame"),
    (b"\xc1\x05hello", False, False, 1002, "RSV1 without an extension"),
    (b"\xa1\x05hello", False, True, 1002, "RSV2"),
    (b"\x91\x05hello", False, True, 1002, "RSV3"),
    (b"\xc9\x00", False, True, 1002, "RSV1 on a control frame"),
    (b"\x83\x00", False, False, 1002, "reserved data opcode 3"),
    (b"\x87\x00", False, False, 1002, "reserved data opcode 7"),
    (b"\x8b\x00", False, False, 1002, "reserved control opcode 0xB"),
    (b"\x8f\x00", False, False, 1002, "reserved control opcode 0xF"),
    (b"\x89\x7e\x00\x7e" + b"a" * 126, False, False, 1002, "ping over 125 bytes"),
    (b"\x88\x7e\x00\x7e" + b"a" * 126, False, False, 1002, "close over 125 bytes"),
    (b"\x09\x00", False, False, 1002, "fragmented ping"),
    (b"\x82\x7e\x00\x05hello", False, False, 1002, "16-bit length under 126"),
    (
        b"\x82\x7f" + (100).to_bytes(8, "big") + b"a" * 100,
        False,
        False,
        1002,
        "64-bit length under 65536",
    ),
    (b"\x82\x7f" + (1 << 63).to_bytes(8, "big"), False, False, 1002, "64-bit length high bit"),
    (b"\x82\x7f" + (1 << 40).to_bytes(8, "big"), False, False, 1009, "frame over the limit"),
    (b"\x82\x7e\x10\x00", False, False, 1009, "16-bit frame over the limit"),
]


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
@pytest.mark.parametrize(
    ("wire", "masked", "rsv1", "code", "why"), INVALID, ids=[c[-1] for c in INVALID]
)
def test_invalid_frames_fail(
    wire: bytes, masked: bool, rsv1: bool, code: int, why: str, bytewise: bool
) -> None:
    decoder = FrameDecoder(expect_masked=masked, max_payload=1000, rsv1_allowed=rsv1)
    with pytest.raises(RemoteProtocolError) as info:
        feed(decoder, wire, bytewise=bytewise)
    assert info.value.close_code == code


def test_rsv1_allowed_on_data_frames_with_deflate() -> None:
    decoder = FrameDecoder(expect_masked=False, max_payload=100, rsv1_allowed=True)
    (frame,) = feed(decoder, b"\xc1\x02ab", bytewise=False)
    assert frame.rsv1
    assert "rsv1=True" in repr(frame)


def test_control_frames_ignore_the_message_limit() -> None:
    # The connection shrinks max_payload to what a message has left; pings still pass.
    decoder = FrameDecoder(expect_masked=False, max_payload=0)
    (frame,) = feed(decoder, b"\x89\x7d" + b"p" * 125, bytewise=False)
    assert frame.payload == b"p" * 125


@pytest.mark.parametrize(
    "size", [0, 1, 3, 4, 5, 31, 125, 510, 511, 512, 513, 514, 2047, 2048, 2049, 4099, 70001]
)
def test_mask_matches_the_definition(size: int) -> None:
    # Around 512 bytes mask() switches from the big-int XOR to the translate lanes.
    data = os.urandom(size)
    key = os.urandom(4)
    assert mask(data, key) == naive_mask(data, key)
    assert mask(memoryview(data), key) == naive_mask(data, key)
    assert mask(bytearray(data), key) == naive_mask(data, key)
    assert type(mask(bytearray(data), key)) is bytes
    assert mask(mask(data, key), key) == data


def test_mask_rfc_example() -> None:
    # RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d is 7f 9f 4d 51 58.
    assert mask(b"Hello", KEY) == bytes.fromhex("7f9f4d5158")


@given(
    opcode=st.sampled_from([Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION]),
    payload=st.binary(max_size=3000),
    fin=st.booleans(),
    masked=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=3100), max_size=5),
)
def test_round_trip_any_split(
    opcode: int, payload: bytes, fin: bool, masked: bool, cuts: list[int]
) -> None:
    wire = encode_frame(opcode, payload, fin=fin, mask_key=os.urandom(4) if masked else None)
    decoder = FrameDecoder(expect_masked=masked, max_payload=1 << 20)
    frames: list[Frame] = []
    last = 0
    for cut in [*sorted(c for c in cuts if c <= len(wire)), len(wire)]:
        decoder.receive_data(wire[last:cut])
        last = cut
        while (frame := decoder.next_frame()) is not None:
            frames.append(frame)
    assert len(frames) == 1
    assert (frames[0].opcode, frames[0].payload, frames[0].fin) == (opcode, payload, fin)


def test_frame_header_lengths() -> None:
    assert frame_header(Opcode.TEXT, 0) == b"\x81\x00"
    assert frame_header(Opcode.TEXT, 125, fin=False) == b"\x01\x7d"
    assert frame_header(Opcode.TEXT, 126, rsv1=True) == b"\xc1\x7e\x00\x7e"
    assert (
        frame_header(Opcode.BINARY, 65536, mask_key=KEY)
        == b"\x82\xff" + (65536).to_bytes(8, "big") + KEY
    )


def test_frame_repr_truncates_payload() -> None:
    assert repr(Frame(Opcode.BINARY, b"x" * 100)).endswith("...)")
    assert repr(Frame(Opcode.BINARY, b"x")).endswith("'x')")


# -- close payloads (§5.5.1, §7.4) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "code", "reason"),
    [
        (b"", 1005, ""),
        (b"\x03\xe8", 1000, ""),
        (b"\x03\xe8bye", 1000, "bye"),
        (b"\x03\xe9" + "€".encode(), 1001, "€"),
        (b"\x0b\xb8", 3000, ""),
        (b"\x13\x87", 4999, ""),
        (b"\x03\xf6", 1014, ""),
    ],
)
def test_parse_close_payload(payload: bytes, code: int, reason: str) -> None:
    assert parse_close_payload(payload) == (code, reason)


@pytest.mark.parametrize(
    ("payload", "close_code"),
    [
        (b"\x03", 1002),
        *[
            (c.to_bytes(2, "big"), 1002)
            for c in (0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535)
        ],
        (b"\x03\xe8\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80", 1007),
        (b"\x03\xe8\xff", 1007),
    ],
)
def test_parse_close_payload_rejects(payload: bytes, close_code: int) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        parse_close_payload(payload)
    assert info.value.close_code == close_code


def test_encode_close_payload() -> None:
    assert encode_close_payload(None) == b""
    assert encode_close_payload(CloseCode.NO_STATUS_RCVD) == b""
    assert encode_close_payload(1000, "ok") == b"\x03\xe8ok"
    assert encode_close_payload(4000, "é" * 61) == b"\x0f\xa0" + "é".encode() * 61


@pytest.mark.parametrize(
    ("code", "reason"), [(None, "x"), (1006, ""), (999, ""), (1000, "x" * 124), (1000, "é" * 62)]
)
def test_encode_close_payload_rejects(code: int | None, reason: str) -> None:
    with pytest.raises(LocalProtocolError):
        encode_close_payload(code, reason)


def test_mask_every_key_byte_on_the_translate_path() -> None:
    # Large payloads are unmasked lane by lane through one 256-byte table per key byte: check
    # every key byte value (64 keys of 4 distinct bytes) against the definition (§5.3).
    data = os.urandom(4099)
    for first in range(0, 256, 4):
        key = bytes((first, first + 1, first + 2, first + 3))
        assert mask(data, key) == naive_mask(data, key)


def masked_frames(payload: bytes, key: bytes) -> bytes:
    """A masked BINARY frame carrying ``payload`` followed by a masked 3-byte PING."""
    return encode_frame(Opcode.BINARY, payload, mask_key=key) + encode_frame(
        Opcode.PING, b"abc", mask_key=key[::-1]
    )


@pytest.mark.parametrize(
    "chunk", [1000, 65536, 65537, 65539, 100_003, 262_144, 400_000], ids=lambda c: f"chunk{c}"
)
def test_large_masked_frame_drained_as_it_arrives(chunk: int) -> None:
    # A payload of 64 KiB or more arriving in pieces is taken out of the buffer piece by piece
    # (the decoder's drain path) and unmasked once whole; pieces that are not a multiple of 4
    # bytes start the next piece at another key byte. Every split gives the payload back, then
    # the next frame.
    payload = os.urandom(3 * 65536 + 3)
    key = bytes((0x01, 0x5A, 0xA5, 0xFE))
    wire = masked_frames(payload, key)
    decoder = FrameDecoder(expect_masked=True, max_payload=1 << 20)
    frames: list[Frame] = []
    fed = 0
    for i in range(0, len(wire), chunk):
        piece = wire[i : i + chunk]
        decoder.receive_data(piece)
        fed += len(piece)
        while (frame := decoder.next_frame()) is not None:
            frames.append(frame)
        # Bytes not yet returned as frames are all accounted for, drained or buffered.
        assert decoder.buffered == fed - sum(
            len(encode_frame(f.opcode, f.payload, mask_key=key)) for f in frames
        )
    assert [(f.opcode, f.fin) for f in frames] == [(Opcode.BINARY, True), (Opcode.PING, True)]
    assert frames[0].payload == payload
    assert frames[1].payload == b"abc"
    assert decoder.buffered == 0


def test_drained_frame_continued_without_buffering() -> None:
    # Once a frame is being drained and only its header is buffered, a block of _DIRECT_MIN
    # bytes or more is unmasked straight from what receive_data got: the buffer keeps just the
    # header. The block that completes the frame may carry the next frames; they are buffered
    # after the header and come out next, in order.
    payload = os.urandom(4 * 65536 + 1)
    key = bytes((0x01, 0x5A, 0xA5, 0xFE))
    wire = masked_frames(payload, key) + encode_frame(Opcode.TEXT, b"next", mask_key=key)
    header = 14
    decoder = FrameDecoder(expect_masked=True, max_payload=1 << 20)
    decoder.receive_data(wire[: header + 65536 + 3])  # drained by next_frame: phase 3 next
    assert decoder.next_frame() is None
    assert len(decoder._buf) == header
    decoder.receive_data(wire[header + 65536 + 3 : header + 2 * 65536 + 1])
    assert len(decoder._buf) == header  # not buffered: unmasked at once
    assert len(decoder._pieces) == 2
    assert decoder.buffered == header + 2 * 65536 + 1
    decoder.receive_data(wire[header + 2 * 65536 + 1 :])  # the rest, and two more frames
    frames = [decoder.next_frame() for _ in range(3)]
    assert decoder.next_frame() is None
    assert [(f.opcode, f.payload) for f in frames if f is not None] == [
        (Opcode.BINARY, payload),
        (Opcode.PING, b"abc"),
        (Opcode.TEXT, b"next"),
    ]
    assert decoder.buffered == 0
    assert decoder._left == 0


@pytest.mark.parametrize("size", [65535, 65536, 4 * 65536 + 1])  # 16- and 64-bit lengths
def test_large_frame_first_block_not_copied_into_the_buffer(size: int) -> None:
    # A block of _DIRECT_MIN bytes or more that starts a large masked frame, the buffer being
    # empty: only the header is buffered; the payload so far is kept as a view of the block
    # (no copy), and the frame comes out whole when the rest arrives.
    payload = os.urandom(size)
    wire = masked_frames(payload, KEY)
    header = 8 if size < 65536 else 14
    decoder = FrameDecoder(expect_masked=True, max_payload=1 << 20)
    first = wire[: header + 20_003]
    decoder.receive_data(first)
    assert len(decoder._buf) == header
    assert decoder._pieces[0].obj is first  # type: ignore[union-attr]
    assert decoder.buffered == len(first)
    assert decoder.next_frame() is None
    decoder.receive_data(wire[len(first) :])
    frames = [decoder.next_frame(), decoder.next_frame()]
    assert [(f.opcode, f.payload) for f in frames if f is not None] == [
        (Opcode.BINARY, payload),
        (Opcode.PING, b"abc"),
    ]
    assert decoder.next_frame() is None
    assert decoder.buffered == 0


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(encode_frame(Opcode.BINARY, bytes(70_000), mask_key=KEY), id="whole-frame"),
        pytest.param(encode_frame(Opcode.BINARY, bytes(20_000)), id="unmasked"),
        pytest.param(encode_frame(Opcode.BINARY, bytes(100), mask_key=KEY) * 200, id="small"),
    ],
)
def test_large_block_not_starting_a_drain_is_buffered(first: bytes) -> None:
    # Only a masked frame with an extended length that the block does not hold whole skips the
    # buffer; a whole frame, an unmasked one (refused by next_frame: 1002) or small frames are
    # buffered as any block is.
    decoder = FrameDecoder(expect_masked=True, max_payload=1 << 20)
    decoder.receive_data(first)
    assert len(decoder._buf) == len(first)
    assert not decoder._pieces


def test_large_block_over_max_payload_is_refused_without_keeping_it() -> None:
    # §7.4.1: a frame declaring more than max_payload is a 1009 from its header; the block that
    # starts it is not kept as a drained piece.
    decoder = FrameDecoder(expect_masked=True, max_payload=65536)
    decoder.receive_data(masked_frames(bytes(65537), KEY)[:30_000])
    assert not decoder._pieces
    with pytest.raises(RemoteProtocolError) as info:
        decoder.next_frame()
    assert info.value.close_code == 1009


@pytest.mark.parametrize("bad", ["rsv1", "non-minimal-length"])
def test_large_block_with_a_bad_header_still_fails_in_next_frame(bad: str) -> None:
    # The length is read before the header is checked (next_frame checks it, every call): a
    # large block whose frame has a reserved bit set, or a 64-bit length where 16 bits do,
    # still ends in 1002, as any other block.
    wire = bytearray(masked_frames(bytes(100_000), KEY)[:30_000])
    if bad == "rsv1":
        wire[0] |= 0x40  # RSV1 without an extension
    else:
        wire[2:10] = (60_000).to_bytes(8, "big")
    decoder = FrameDecoder(expect_masked=True, max_payload=1 << 20)
    decoder.receive_data(bytes(wire))
    with pytest.raises(RemoteProtocolError) as info:
        decoder.next_frame()
    assert info.value.close_code == 1002


def test_drained_frame_trickle_is_buffered() -> None:
    # Blocks under _DIRECT_MIN are buffered (and drained at _DRAIN_MIN), so a peer sending a
    # large payload a few bytes at a time does not make a piece object per block.
    payload = os.urandom(3 * 65536)
    wire = masked_frames(payload, KEY)
    decoder = FrameDecoder(expect_masked=True, max_payload=1 << 20)
    decoder.receive_data(wire[: 14 + 65536])
    assert decoder.next_frame() is None
    for i in range(14 + 65536, len(wire), 1000):
        decoder.receive_data(wire[i : i + 1000])
        if len(decoder._buf) - 14 < 65536 and i + 1000 < len(wire) - 14 - 65536:
            assert decoder.next_frame() is None
    assert len(decoder._pieces) <= 3
    frame = decoder.next_frame()
    assert frame is not None
    assert frame.payload == payload


@given(
    cuts=st.lists(st.integers(min_value=1, max_value=3 * 65536 + 40), min_size=1, max_size=12),
)
def test_large_frames_any_split_with_direct_blocks(cuts: list[int]) -> None:
    # Blocks of every size, above and below _DIRECT_MIN and _DRAIN_MIN, cut anywhere (inside
    # headers, across frame ends): the same frames as the whole stream fed at once.
    payload = bytes(range(256)) * 700 + b"xyz"
    wire = masked_frames(payload, KEY) + encode_frame(
        Opcode.BINARY, payload[:70_001], mask_key=KEY[::-1]
    )
    decoder = FrameDecoder(expect_masked=True, max_payload=1 << 20)
    got: list[tuple[int, bytes]] = []
    bounds = sorted({c % len(wire) for c in cuts} | {0, len(wire)})
    for a, b in itertools.pairwise(bounds):
        decoder.receive_data(wire[a:b])
        while (frame := decoder.next_frame()) is not None:
            got.append((frame.opcode, frame.payload))
    assert got == [
        (Opcode.BINARY, payload),
        (Opcode.PING, b"abc"),
        (Opcode.BINARY, payload[:70_001]),
    ]
    assert decoder.buffered == 0


def test_large_masked_frame_every_key_byte_at_every_phase() -> None:
    # The pieces of a drained payload are unmasked together, each from the payload offset it
    # starts at: every key byte value at every lane, with pieces that leave every offset
    # modulo 4.
    payload = os.urandom(3 * 65537 + 5)
    for first in range(0, 256, 4):
        key = bytes((first, first + 1, first + 2, first + 3))
        wire = encode_frame(Opcode.BINARY, payload, mask_key=key)
        decoder = FrameDecoder(expect_masked=True, max_payload=1 << 20)
        # 14 header bytes, then pieces of 65537 bytes: drained at payload offsets 0, 65537 and
        # 131074 (key phases 0, 1, 2); the last 5 bytes complete it at phase 3.
        decoder.receive_data(wire[: 14 + 65537])
        assert decoder.next_frame() is None
        for k in (1, 2):
            decoder.receive_data(wire[14 + 65537 * k : 14 + 65537 * (k + 1)])
            assert decoder.next_frame() is None
        assert decoder._filled == 3 * 65537  # the drain path was taken
        assert len(decoder._pieces) == 3
        decoder.receive_data(wire[14 + 65537 * 3 :])
        frame = decoder.next_frame()
        assert frame is not None
        assert frame.payload == payload, key


@pytest.mark.parametrize("chunk", [65537, 262_144])
def test_large_unmasked_frame_in_pieces(chunk: int) -> None:
    # The client role receives unmasked frames: large ones are buffered whole, as before.
    payload = os.urandom(3 * 65536 + 3)
    wire = encode_frame(Opcode.BINARY, payload) + encode_frame(Opcode.PING, b"abc")
    decoder = FrameDecoder(expect_masked=False, max_payload=1 << 20)
    frames: list[Frame] = []
    for i in range(0, len(wire), chunk):
        decoder.receive_data(wire[i : i + chunk])
        while (frame := decoder.next_frame()) is not None:
            frames.append(frame)
    assert [f.payload for f in frames] == [payload, b"abc"]


def test_large_masked_frame_limits_still_checked_first() -> None:
    # The header is checked before any of the payload is kept or unmasked (§7.4.1: 1009).
    decoder = FrameDecoder(expect_masked=True, max_payload=65536 * 2)
    wire = encode_frame(Opcode.BINARY, bytes(65536 * 2 + 1), mask_key=KEY)
    decoder.receive_data(wire[:70000])
    with pytest.raises(RemoteProtocolError) as info:
        decoder.next_frame()
    assert info.value.close_code == 1009


def test_large_masked_frame_keeps_only_what_arrived() -> None:
    # A peer declaring a 16 MiB frame and sending 100 KiB of it costs about 100 KiB here: the
    # drained pieces hold what arrived, nothing is allocated for the declared length.
    decoder = FrameDecoder(expect_masked=True, max_payload=1 << 24)
    header = frame_header(Opcode.BINARY, 1 << 24, mask_key=KEY)
    decoder.receive_data(header + bytes(100_000))
    assert decoder.next_frame() is None
    assert decoder.buffered == len(header) + 100_000
    assert sum(len(piece) for piece in decoder._pieces) == 100_000
    assert len(decoder._buf) == len(header)


@pytest.mark.parametrize("phase", [0, 1, 2, 3, 4, 7])
@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 15, 16, 17, 511, 512, 4099])
def test_unmask_slice_at_any_phase(masking: Unmask, size: int, phase: int) -> None:
    # unmask(src, key, start, end, phase): byte i of src[start:end] uses key[(phase + i) % 4],
    # read in place from bytes, bytearray or memoryview, always returning bytes.
    data = os.urandom(size + 13)
    key = os.urandom(4)
    start, end = 5, 5 + size
    want = bytes(b ^ key[(phase + i) % 4] for i, b in enumerate(data[start:end]))
    for src in (data, bytearray(data), memoryview(data)):
        got = masking(src, key, start, end, phase)
        assert got == want
        assert type(got) is bytes


@pytest.mark.parametrize("phase", [0, 1, 2, 3, 6])
@pytest.mark.parametrize(
    "sizes", [[], [0], [1], [5, 0, 3], [7, 9, 8, 1], [4099, 1, 65536, 13]], ids=str
)
def test_unmask_join_pieces_at_any_phase(sizes: list[int], phase: int) -> None:
    # unmask_join(parts, key, phase): the pieces joined, byte i using key[(phase + i) % 4]
    # across piece boundaries that fall at any offset modulo 4 and 8. Pieces are of each kind
    # the decoder keeps: bytes, a bytearray cut from its buffer, a view of a received block.
    kinds = (bytes, bytearray, lambda b: memoryview(b"..." + b)[3:])
    parts: list[bytes | bytearray | memoryview] = [
        kinds[i % 3](os.urandom(n)) for i, n in enumerate(sizes)
    ]
    key = os.urandom(4)
    joined = b"".join(parts)
    want = bytes(b ^ key[(phase + i) % 4] for i, b in enumerate(joined))
    got = frames_module._unmask_join(parts, key, phase)
    assert type(got) is bytes
    assert got == want


def test_c_helper_refuses_bad_arguments() -> None:
    speedups = pytest.importorskip("crlf.websocket._speedups", reason="C helper not built")
    with pytest.raises(ValueError, match="4 bytes"):
        speedups.unmask(b"abcd", b"abc", 0, 4, 0)
    for start, end, phase in ((-1, 2, 0), (3, 2, 0), (0, 5, 0), (0, 4, -1)):
        with pytest.raises(ValueError, match="outside"):
            speedups.unmask(b"abcd", KEY, start, end, phase)
    with pytest.raises(TypeError):
        speedups.unmask("text", KEY, 0, 4, 0)
    with pytest.raises(TypeError):
        speedups.unmask(b"abcd", KEY, 0, 4)
    with pytest.raises(ValueError, match="4 bytes"):
        speedups.unmask_join([b"abcd"], b"abcde", 0)
    with pytest.raises(ValueError, match="phase"):
        speedups.unmask_join([b"abcd"], KEY, -1)
    for parts in ((b"abcd",), [b"ab", "cd"], b"abcd", [b"ab", 1]):
        with pytest.raises(TypeError, match="bytes-like"):
            speedups.unmask_join(parts, KEY, 0)
    released = memoryview(b"abcd")
    released.release()
    with pytest.raises(ValueError, match="released"):
        speedups.unmask_join([b"ab", released], KEY, 0)
    with pytest.raises(TypeError):
        speedups.unmask_join([b"abcd"], KEY)


def test_c_helper_built_where_required() -> None:
    # frames.MASKING names what the decoder uses: the C helper exactly when it imports. And
    # scripts/test.sh sets CRLF_REQUIRE_SPEEDUPS where a compiler and the Python headers are
    # installed (CI's setup installs both), so an install that silently fell back fails here.
    try:
        from crlf.websocket import _speedups  # noqa: F401
    except ImportError:
        built = "python"
    else:
        built = "c"
    assert built == frames_module.MASKING
    if os.environ.get("CRLF_REQUIRE_SPEEDUPS") == "1":
        assert built == "c", "gcc and the Python headers are here, yet the C helper was not built"
