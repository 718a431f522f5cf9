"""The WebSocket frame codec (RFC 6455 §5).

Theory of operation
-------------------
A frame is two header bytes, an optional 2- or 8-byte extended length, an optional 4-byte masking
key and the payload (§5.2)::

     0                   1                   2                   3
    +-+-+-+-+-------+-+-------------+-------------------------------+
    |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
    |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
    |N|V|V|V|       |S|             |   (if payload len==126/127)   |
    +-+-+-+-+-------+-+-------------+-------------------------------+

:class:`FrameDecoder` buffers received bytes and cuts whole frames out of them. It checks everything
that a single frame header can break: reserved bits (§5.2), reserved opcodes (§5.2), the masking
rule of the receiving role (§5.1: a server fails the connection on an unmasked frame, a client on
a masked one), control frames of more than 125 bytes or fragmented (§5.5), non-minimal length
encodings (§5.2 "the minimal number of bytes MUST be used"), and the size limit (close code 1009,
§7.4.1). It checks the header as soon as its bytes arrive, so an oversized or malformed frame is
refused before its payload is buffered. Message-level rules (continuation frames, UTF-8 across
fragments, permessage-deflate) belong to :mod:`crlf.websocket.connection`.

Masking (§5.3) XORs the payload with a repeating 4-byte key: the one step of a WebSocket session
that touches every payload byte with no C routine of the standard library to do it. crlf ships a
small optional C helper for it (``_speedups.c``, built at install when a compiler is there;
:data:`MASKING` says ``"c"``), as the websockets library does. Without it, pure Python has no
vector XOR, so two tricks are used, picked by size (measured on CPython 3.11, 1 MiB: the int
trick 5.4 ms, the translate trick 2.7 ms; 20 bytes: 0.6 µs against 2.4 µs):

* small payloads: one big-int XOR (``int.from_bytes`` of payload and repeated key);
* large payloads: the payload is cut into its four byte lanes (``data[i::4]``), each lane is XORed
  with one constant key byte through ``bytes.translate`` and a 256-byte table, and the lanes are
  written back with extended-slice assignment. Every step is a C loop over bytes.

The big-int XOR does not win back the large sizes even with the repeated key made by one
multiplication (``key * 0x00000001_00000001...``, cached per size): ``int.from_bytes`` and
``int.to_bytes`` alone cost 11 and 15 instructions a byte, the lanes about 20 in all (callgrind,
CPython 3.11; lanes against big int: 4 KiB 94k/154k, 64 KiB 1.3M/2.4M, 1 MiB 21M/39M).

A large masked payload that arrives in pieces (64 KiB or more buffered, frame not complete) is
taken out of the receive buffer piece by piece as it comes, still masked, so the buffer never
grows to the whole payload (no reallocation copies); once the frame is complete one pass
(``unmask_join``) joins the pieces and unmasks them into the payload. Nothing is allocated
ahead for the declared length, so a peer that declares a large frame costs only the memory of
what it actually sent. While such a frame is being drained and nothing but its header is
buffered, a received block of ``_DIRECT_MIN`` bytes or more is kept as the transport gave it
(``receive_data``: the bytes object itself, or a view of it, not a copy) instead of being
appended to the buffer; so is the block that starts such a frame when the buffer is empty (only
its header is buffered, where ``next_frame`` reads and checks it as any header). A 1 MiB echo so
costs the transport's copy and the one unmasking pass, where buffer, unmask and join were three
(``benchmarks/ws_cost.py``, the server's instructions per 1 MiB echo: 3.81M, then 2.47M with the
later blocks kept, 1.69M with the first one kept too). Smaller blocks are buffered, so a peer
trickling a payload byte by byte cannot make a piece object per byte.

Nothing here does I/O, and nothing imports asyncio, socket, time or logging.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import TYPE_CHECKING

from crlf.errors import LocalProtocolError, RemoteProtocolError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "MASKING",
    "MAX_CONTROL_PAYLOAD",
    "CloseCode",
    "Frame",
    "FrameDecoder",
    "Opcode",
    "encode_close_payload",
    "encode_frame",
    "frame_header",
    "mask",
    "parse_close_payload",
]

MAX_CONTROL_PAYLOAD = (
    125  # RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less"
)


class Opcode(IntEnum):
    """Frame opcodes (RFC 6455 §5.2, §11.8). 0x3-0x7 and 0xB-0xF are reserved."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


class CloseCode(IntEnum):
    """Close status codes (RFC 6455 §7.4.1, §11.7) that crlf sends or reports."""

    NORMAL = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    NO_STATUS_RCVD = 1005  # never on the wire: "the peer's Close frame carried no code"
    ABNORMAL_CLOSURE = 1006  # never on the wire: "the TCP connection closed without a Close frame"
    INVALID_PAYLOAD = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011


_DATA_OPCODES = frozenset({0x0, 0x1, 0x2})
_KNOWN_OPCODES = frozenset({0x0, 0x1, 0x2, 0x8, 0x9, 0xA})

# A masked frame whose payload arrives in pieces is taken out of the receive buffer as it comes,
# this many bytes at a time at least (see FrameDecoder.next_frame): the buffer then never holds
# the whole payload, so it is never reallocated and copied as it grows.
_DRAIN_MIN = 64 * 1024
# While a drained frame's payload is still coming and only its header is buffered, a received
# block at least this large is kept as it is instead of being buffered (FrameDecoder.receive_data).
_DIRECT_MIN = 16 * 1024

# Below this size the big-int XOR wins, above it the lane/translate XOR. Measured crossover ~400
# bytes with the tables built at import (256 B: 1.5 against 1.7 µs; 512 B: 2.3 against 1.9 µs;
# 2 KiB: 9.3 against 4.2 µs).
_TRANSLATE_MIN = 512
_IDENTITY_INT = int.from_bytes(bytes(range(256)), "little")
# The 256-byte translate table of ``x -> x ^ k`` for every key byte k: built once at import (256
# big-int XORs, about 0.3 ms; 64 KiB), an immutable tuple. Building one per lane per frame cost
# 16 % of the work of a message cut into 4 KiB frames.
_XOR_TABLES = tuple(
    (_IDENTITY_INT ^ int.from_bytes(bytes((k,)) * 256, "little")).to_bytes(256, "little")
    for k in range(256)
)


def _py_unmask(
    src: bytes | bytearray | memoryview, key: bytes | bytearray, start: int, end: int, phase: int
) -> bytes:
    """``src[start:end]`` XOR the key, byte ``i`` using ``key[(phase + i) % 4]``, in pure Python.

    ``phase`` is the payload offset of ``src[start]``: a payload received in pieces is unmasked
    piece by piece (FrameDecoder.next_frame).
    """
    n = end - start
    if n <= 0:
        return b""
    if phase & 3:
        key = key[phase & 3 :] + key[: phase & 3]
    if n < _TRANSLATE_MIN:
        repeated = key * ((n >> 2) + 1)
        return (
            int.from_bytes(src[start:end], "little") ^ int.from_bytes(repeated[:n], "little")
        ).to_bytes(n, "little")
    # The lanes are cut from a bytearray: bytearray.translate costs 6 instructions a byte against
    # 9 for bytes.translate (which also checks whether anything changed), so copying a bytes
    # payload first (1 a byte) is cheaper: mask() of 1 MiB of bytes 25.2M -> 22.1M instructions.
    # Each lane is a strided slice of ``src`` itself, read in place.
    if type(src) is not bytearray:
        src = bytearray(src[start:end])
        start, end = 0, n
    out = bytearray(n)
    for lane in range(4):
        out[lane::4] = src[start + lane : end : 4].translate(_XOR_TABLES[key[lane]])
    return bytes(out)


def _py_unmask_join(
    parts: list[bytes | bytearray | memoryview], key: bytes | bytearray, phase: int
) -> bytes:
    """The ``parts`` joined, XOR the key from payload offset ``phase`` (unmask_join's fallback)."""
    joined = parts[0] if len(parts) == 1 else b"".join(parts)
    return _py_unmask(joined, key, 0, len(joined), phase)


# The masking XOR used here: the C helper when it was built (it does the same in well under an
# instruction a byte, vectorised), else the pure-Python tricks above. Both give the same bytes
# (tests/websocket/test_frames.py runs every case through both).
_unmask: Callable[[bytes | bytearray | memoryview, bytes | bytearray, int, int, int], bytes]
_unmask_join: Callable[[list[bytes | bytearray | memoryview], bytes | bytearray, int], bytes]
try:
    from ._speedups import unmask as _unmask
    from ._speedups import unmask_join as _unmask_join
except ImportError:  # installed without a C compiler
    _unmask = _py_unmask
    _unmask_join = _py_unmask_join
    MASKING = "python"
else:
    MASKING = "c"


def mask(data: bytes | bytearray | memoryview, key: bytes) -> bytes:
    """XOR ``data`` with the repeating 4-byte masking ``key`` (RFC 6455 §5.3).

    Masking and unmasking are the same operation.

    Args:
        data: the payload.
        key: the 4-byte masking key.

    Returns:
        The masked (or unmasked) payload.
    """
    return _unmask(data, key, 0, len(data), 0)


class Frame:
    """One frame as received: the decoder's output.

    Attributes:
        opcode: the frame's opcode (an :class:`Opcode` value, as a plain int).
        fin: the FIN bit: this frame ends its message (§5.4).
        rsv1: the RSV1 bit, which permessage-deflate uses for "compressed" (RFC 7692 §6).
        payload: the unmasked payload.
    """

    __slots__ = ("fin", "opcode", "payload", "rsv1")

    def __init__(self, opcode: int, payload: bytes, fin: bool = True, rsv1: bool = False) -> None:
        self.opcode = opcode
        self.payload = payload
        self.fin = fin
        self.rsv1 = rsv1

    def __repr__(self) -> str:
        return (
            f"Frame(opcode={self.opcode!r}, fin={self.fin!r}, rsv1={self.rsv1!r}, "
            f"payload={self.payload[:32]!r}{'...' if len(self.payload) > 32 else ''})"
        )


_U16 = struct.Struct("!H")
_U64 = struct.Struct("!Q")
_HEAD_SHORT = struct.Struct("!BB")
_HEAD_MEDIUM = struct.Struct("!BBH")
_HEAD_LONG = struct.Struct("!BBQ")


class FrameDecoder:
    """Cuts frames out of a byte stream and checks each header (RFC 6455 §5.2).

    Args:
        expect_masked: True on the server side (client frames MUST be masked, §5.1), False on the
            client side (server frames MUST NOT be masked).
        max_payload: the largest payload a single frame may declare; larger fails with 1009.
        rsv1_allowed: True when an extension (permessage-deflate) gave RSV1 a meaning.
    """

    __slots__ = (
        "_buf",
        "_expect_masked",
        "_filled",
        "_head_len",
        "_left",
        "_pieces",
        "max_payload",
        "rsv1_allowed",
    )

    def __init__(
        self, *, expect_masked: bool, max_payload: int, rsv1_allowed: bool = False
    ) -> None:
        self._buf = bytearray()
        # A large masked frame being received: its payload so far, still masked, in pieces of
        # ``_filled`` bytes in all (unmasked and joined once complete, in one pass; memory grows
        # only with what arrived). Its header stays at the start of ``_buf``, followed by the
        # rest received.
        self._pieces: list[bytes | bytearray | memoryview] = []
        self._filled = 0
        # Of that frame: payload bytes still to come (0: no frame is being drained) and the
        # length of its header (receive_data then keeps blocks straight in _pieces).
        self._left = 0
        self._head_len = 0
        self._expect_masked = expect_masked
        self.max_payload = max_payload
        self.rsv1_allowed = rsv1_allowed

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Take received bytes: buffered, or kept as they are as a piece of a drained payload."""
        left = self._left
        n = len(data)
        if n >= _DIRECT_MIN:
            if left:
                if len(self._buf) == self._head_len:
                    # The block continues the payload of the frame being drained (module
                    # docstring). What it holds beyond the payload is buffered after the
                    # header, and next_frame then finds the frame complete (_filled == its
                    # length) and returns it.
                    if n <= left:
                        # The whole block is payload: keep the object itself when immutable.
                        self._pieces.append(data if type(data) is bytes else bytes(data))
                        self._filled += n
                        self._left = left - n
                        return
                    view = memoryview(data)
                    # A view of an immutable block is kept as it is; anything else is copied.
                    self._pieces.append(view[:left] if type(data) is bytes else bytes(view[:left]))
                    self._filled += left
                    self._left = 0
                    self._buf += view[left:]
                    return
            elif not self._buf and type(data) is bytes and self._expect_masked:
                drain = self._drain_start(data)
                if drain is not None:
                    start, declared = drain
                    # The block starts a large masked frame that it does not hold whole: only
                    # the header is buffered (next_frame reads and checks it there, as for
                    # every frame) and the payload so far is kept as a view of the block, as
                    # if next_frame had drained it, without copying it into the buffer first.
                    self._buf += data[:start]
                    self._pieces.append(memoryview(data)[start:])
                    self._filled = n - start
                    self._left = start + declared - n
                    self._head_len = start
                    return
        self._buf += data

    def _drain_start(self, data: bytes) -> tuple[int, int] | None:
        # Where the payload of the masked data frame at the start of ``data`` begins, and its
        # declared length, when that frame declares an extended length (126/127, §5.2) within
        # max_payload and does not end in ``data``; else None. Only the length is read here: next_frame checks the whole header
        # (and raises again what _extended_length raised) when it reads it from the buffer.
        b1 = data[1]
        if b1 < 0xFE or data[0] & 0x08:  # unmasked, no extended length, or a control frame
            return None
        try:
            extended = _extended_length(data, b1 & 0x7F, len(data))
        except RemoteProtocolError:
            return None
        if extended is None:  # pragma: no cover - a block of _DIRECT_MIN bytes holds the length
            return None
        declared, pos = extended
        start = pos + 4  # the masking key, then the payload
        if start + declared <= len(data) or declared > self.max_payload:
            return None
        return start, declared

    @property
    def buffered(self) -> int:
        """How many received bytes are not yet part of a returned frame."""
        return len(self._buf) + self._filled

    def next_frame(self) -> Frame | None:
        """The next complete frame, or None when more bytes are needed.

        Raises:
            RemoteProtocolError: the header breaks RFC 6455 (``close_code`` 1002) or declares a
                payload larger than ``max_payload`` (``close_code`` 1009).
        """
        buf = self._buf
        have = len(buf)
        if have < 2:
            return None
        b0 = buf[0]
        b1 = buf[1]
        opcode = b0 & 0x0F
        # §5.2: RSV bits "MUST be 0 unless an extension is negotiated that defines meanings for
        # non-zero values"; permessage-deflate defines RSV1 only, on data frames (RFC 7692 §6).
        if b0 & 0x70 and (b0 & 0x30 or not self.rsv1_allowed or opcode >= 0x8):
            raise RemoteProtocolError("reserved bit set in a WebSocket frame", close_code=1002)
        if opcode not in _KNOWN_OPCODES:
            raise RemoteProtocolError("reserved WebSocket opcode", close_code=1002)
        masked = b1 & 0x80
        if bool(masked) != self._expect_masked:
            # §5.1: the server closes on an unmasked frame, the client on a masked one.
            raise RemoteProtocolError(
                "unmasked client frame" if self._expect_masked else "masked server frame",
                close_code=1002,
            )
        length = b1 & 0x7F
        if opcode >= 0x8:
            # §5.5: control frames are at most 125 bytes (so never use an extended length) and
            # "MUST NOT be fragmented".
            if length > MAX_CONTROL_PAYLOAD:
                raise RemoteProtocolError("control frame payload over 125 bytes", close_code=1002)
            if not b0 & 0x80:
                raise RemoteProtocolError("fragmented control frame", close_code=1002)
            pos = 2
        elif length >= 126:
            extended = _extended_length(buf, length, have)
            if extended is None:
                return None
            length, pos = extended
        else:
            pos = 2
        if length > self.max_payload and opcode < 0x8:
            raise RemoteProtocolError("WebSocket frame too big", close_code=1009)
        if masked:
            start = pos + 4
            filled = self._filled  # payload bytes already unmasked into self._pieces
            end = start + length - filled
            if have < end:
                if have - start >= _DRAIN_MIN:
                    # A large payload arriving in pieces: take what is here out of the buffer,
                    # still masked (the header stays, to be read again with the next piece).
                    self._pieces.append(buf[start:have])  # one copy (unmask_join reads it)
                    self._filled = filled + have - start
                    self._left = end - have
                    self._head_len = start
                    del buf[start:]
                return None
            if filled:
                pieces = self._pieces
                if end > start:
                    pieces.append(buf[start:end])
                payload = _unmask_join(pieces, buf[pos:start], 0)
                self._pieces = []
                self._filled = 0
                self._left = 0
            else:
                payload = _unmask(buf, buf[pos:start], start, end, 0)
        else:
            end = pos + length
            if have < end:
                return None
            payload = bytes(buf[pos:end])
        del buf[:end]
        return Frame(opcode, payload, b0 & 0x80 != 0, b0 & 0x40 != 0)


def _extended_length(buf: bytes | bytearray, code: int, have: int) -> tuple[int, int] | None:
    """The payload length a header with the 7-bit length ``code`` 126 or 127 declares, and the
    offset after it: (length, 4) or (length, 10); None while ``buf`` (``have`` bytes) does not
    hold it yet (§5.2: a 16-bit or a 64-bit length, each in its minimal encoding).

    Raises:
        RemoteProtocolError: a non-minimal encoding, or the 64-bit length's high bit set (1002).
    """
    if code == 126:
        if have < 4:
            return None
        length = (buf[2] << 8) | buf[3]
        if length < 126:
            raise RemoteProtocolError("non-minimal frame length encoding", close_code=1002)
        return length, 4
    if have < 10:
        return None
    length = int.from_bytes(buf[2:10], "big")
    if length >> 63:
        # §5.2: "the most significant bit MUST be 0"
        raise RemoteProtocolError("frame length with the high bit set", close_code=1002)
    if length < 65536:
        raise RemoteProtocolError("non-minimal frame length encoding", close_code=1002)
    return length, 10


def frame_header(
    opcode: int, length: int, *, fin: bool = True, rsv1: bool = False, mask_key: bytes | None = None
) -> bytes:
    """The header of a frame carrying ``length`` payload bytes (RFC 6455 §5.2).

    Args:
        opcode: the frame's opcode.
        length: the payload length.
        fin: whether this frame ends its message.
        rsv1: set RSV1 (a compressed permessage-deflate message, RFC 7692 §6).
        mask_key: the 4-byte masking key (client role) or None (server role).

    Returns:
        The header bytes, masking key included; the payload is sent (masked) after it.
    """
    b0 = opcode | (0x80 if fin else 0) | (0x40 if rsv1 else 0)
    m = 0x80 if mask_key is not None else 0
    if length < 126:
        head = _HEAD_SHORT.pack(b0, m | length)
    elif length < 65536:
        head = _HEAD_MEDIUM.pack(b0, m | 126, length)
    else:
        head = _HEAD_LONG.pack(b0, m | 127, length)
    return head + mask_key if mask_key is not None else head


def encode_frame(
    opcode: int,
    payload: bytes,
    *,
    fin: bool = True,
    rsv1: bool = False,
    mask_key: bytes | None = None,
) -> bytes:
    """One whole frame: header and (masked, when ``mask_key`` is given) payload.

    Args:
        opcode: the frame's opcode.
        payload: the unmasked payload.
        fin: whether this frame ends its message.
        rsv1: set RSV1 (permessage-deflate).
        mask_key: the 4-byte masking key (client role) or None (server role).

    Returns:
        The frame's bytes.
    """
    head = frame_header(opcode, len(payload), fin=fin, rsv1=rsv1, mask_key=mask_key)
    if mask_key is not None:
        return head + mask(payload, mask_key)
    return head + payload


def _valid_wire_code(code: int) -> bool:
    # §7.4.1/§7.4.2 and the IANA registry (§11.7): 1000-1003 and 1007-1014 are defined; 1004 is
    # reserved, 1005/1006/1015 MUST NOT be sent; 1016-2999 are reserved for future RFCs; 3000-3999
    # are IANA-registered and 4000-4999 private use. 0-999 and 5000+ are not used.
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def parse_close_payload(payload: bytes) -> tuple[int, str]:
    """The code and reason of a received Close frame (RFC 6455 §5.5.1).

    Args:
        payload: the Close frame's payload.

    Returns:
        ``(code, reason)``; ``(1005, "")`` when the frame carried no code (§7.1.5).

    Raises:
        RemoteProtocolError: a 1-byte payload or a code that may not be sent (1002), or a
            reason that is not UTF-8 (1007).
    """
    if not payload:
        return CloseCode.NO_STATUS_RCVD, ""
    if len(payload) == 1:
        raise RemoteProtocolError("Close frame payload of 1 byte", close_code=1002)
    code = _U16.unpack_from(payload)[0]
    if not _valid_wire_code(code):
        raise RemoteProtocolError("invalid close code", close_code=1002)
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        # §5.5.1: "the body ... MUST be UTF-8"; §8.1 makes invalid UTF-8 a 1007 failure.
        raise RemoteProtocolError("close reason is not valid UTF-8", close_code=1007) from None
    return code, reason


def encode_close_payload(code: int | None, reason: str = "") -> bytes:
    """The payload of a Close frame to send (RFC 6455 §5.5.1).

    Args:
        code: the status code, or None for an empty Close frame (no code, no reason).
        reason: the reason; at most 123 bytes of UTF-8 so the payload fits 125 bytes.

    Returns:
        The payload.

    Raises:
        LocalProtocolError: the code may not be sent, or the reason is too long or given
            without a code.
    """
    if code is None or code == CloseCode.NO_STATUS_RCVD:
        if reason:
            raise LocalProtocolError("a close reason needs a close code")
        return b""
    if not _valid_wire_code(code):
        raise LocalProtocolError(f"close code {code} may not be sent")
    data = _U16.pack(code) + reason.encode("utf-8")
    if len(data) > MAX_CONTROL_PAYLOAD:
        raise LocalProtocolError("close reason longer than 123 bytes")
    return data
