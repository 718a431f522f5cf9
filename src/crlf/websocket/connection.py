"""A sans-I/O WebSocket connection after the opening handshake (RFC 6455 §5-§7).

Theory of operation
-------------------
:class:`WSConnection` turns received bytes into events and events to send into bytes, for either
role. Feed it with :meth:`~WSConnection.receive_data` / :meth:`~WSConnection.receive_eof`, read
events with :meth:`~WSConnection.next_event` until it returns None (it needs more bytes), and
write whatever :meth:`~WSConnection.send` (or the ``send_*`` helpers) return.

Receiving, one frame at a time from :class:`~crlf.websocket.frames.FrameDecoder`:

* control frames (Ping, Pong, Close) may arrive between the fragments of a message (§5.4) and
  come out as events at once;
* data frames are reassembled into whole messages: a TEXT or BINARY frame starts a message, and
  CONTINUATION frames extend it until FIN (§5.4). A continuation with no message started, or a
  new message before the last one finished, fails with 1002;
* text is validated as UTF-8 fragment by fragment with an incremental decoder, so invalid text
  fails (1007) as soon as the bad fragment arrives (§8.1), not only at the end of the message;
* with permessage-deflate, RSV1 on the first frame marks a compressed message (RFC 7692 §6.1);
  RSV1 on a continuation frame is a 1002;
* a message larger than ``max_message_size`` (after inflating) fails with 1009 (§7.4.1). The
  limit is applied to each frame's declared length before its payload is buffered.

Any violation raises :class:`~crlf.errors.RemoteProtocolError` whose ``close_code`` is what to
send: the caller then sends ``CloseConnection(exc.close_code)`` and closes the TCP connection
("_Fail the WebSocket Connection_", §7.1.7). Later ``next_event`` calls raise the same error.

The close handshake (§7.1)::

    OPEN --send Close--> LOCAL_CLOSING --receive Close--> CLOSED
    OPEN --receive Close--> REMOTE_CLOSING --send Close (event.response())--> CLOSED
    any --receive_eof() before a Close--> CLOSED (reported as CloseConnection(1006))

After receiving a Close nothing more is read: the peer must not send anything after it.
A server closes the TCP connection once CLOSED (§7.1.1); a client waits for the server to.
"""

from __future__ import annotations

import codecs
import os
from enum import Enum
from typing import TYPE_CHECKING

from crlf.errors import LocalProtocolError, RemoteProtocolError
from crlf.protocol import Role

from . import frames
from .events import BytesMessage, CloseConnection, Event, Ping, Pong, TextMessage
from .frames import (
    _DIRECT_MIN,
    MAX_CONTROL_PAYLOAD,
    FrameDecoder,
    Opcode,
    encode_close_payload,
    frame_header,
    mask,
    parse_close_payload,
)

if TYPE_CHECKING:
    from .deflate import PerMessageDeflate

__all__ = ["DEFAULT_MAX_MESSAGE_SIZE", "ConnectionState", "WSConnection"]

DEFAULT_MAX_MESSAGE_SIZE = (
    16 * 1024 * 1024
)  # uvicorn ws_max_size 16 MiB; websockets 1 MiB; Autobahn 9.* needs 16 MiB

_TEXT = Opcode.TEXT.value
_BINARY = Opcode.BINARY.value
_CONTINUATION = Opcode.CONTINUATION.value
_CLOSE = Opcode.CLOSE.value
_PING = Opcode.PING.value
_PONG = Opcode.PONG.value
_UTF8_DECODER = codecs.getincrementaldecoder("utf-8")


class ConnectionState(Enum):
    """Where the connection is in the close handshake (§7.1; wsproto's names)."""

    OPEN = "OPEN"
    LOCAL_CLOSING = "LOCAL_CLOSING"  # we sent a Close, theirs has not arrived
    REMOTE_CLOSING = "REMOTE_CLOSING"  # their Close arrived, ours is not sent
    CLOSED = "CLOSED"


_OPEN = ConnectionState.OPEN


class WSConnection:
    """One WebSocket connection, either role, after a successful handshake.

    Args:
        role: ``Role.SERVER`` (expects masked frames, sends unmasked) or ``Role.CLIENT``.
        deflate: the negotiated permessage-deflate codec, or None.
        max_message_size: the largest message (and frame) accepted, in bytes, after inflating.
    """

    __slots__ = (
        "_buf",
        "_decoder",
        "_deflate",
        "_eof",
        "_error",
        "_is_client",
        "_mask_bit",
        "_msg_compressed",
        "_msg_opcode",
        "_msg_parts",
        "_msg_size",
        "_out_opcode",
        "_utf8",
        "max_message_size",
        "role",
        "state",
    )

    def __init__(
        self,
        role: Role,
        *,
        deflate: PerMessageDeflate | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    ) -> None:
        self.role = role
        self._is_client = role is Role.CLIENT
        self._deflate = deflate
        self.max_message_size = max_message_size
        self._decoder = FrameDecoder(
            expect_masked=not self._is_client,
            max_payload=max_message_size,
            rsv1_allowed=deflate is not None,
        )
        # The decoder's receive buffer, read in place by the fast path of next_event (the
        # decoder only ever grows and trims this one bytearray, it never replaces it).
        self._buf = self._decoder._buf
        self._mask_bit = 0 if self._is_client else 0x80  # §5.1: client frames are masked
        self.state = ConnectionState.OPEN
        self._eof = False
        self._error: RemoteProtocolError | None = None
        # The message being received: its opcode (0 = none), parts, size, whether compressed.
        self._msg_opcode = 0
        self._msg_parts: list[bytes] | list[str] = []
        self._msg_size = 0
        self._msg_compressed = False
        self._utf8: codecs.IncrementalDecoder | None = None
        # The opcode of a message we are sending in fragments (0 = none).
        self._out_opcode = 0

    @property
    def deflate(self) -> PerMessageDeflate | None:
        """The negotiated permessage-deflate codec, or None."""
        return self._deflate

    # -- receiving ---------------------------------------------------------------------------

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Feed bytes received from the peer.

        Raises:
            LocalProtocolError: called after :meth:`receive_eof`.
        """
        if self._eof:
            raise LocalProtocolError("receive_data() after receive_eof()")
        if len(data) >= _DIRECT_MIN or self._decoder._left:
            # A large block, or a large frame being drained: the decoder may keep the block as
            # it is instead of copying it into its buffer.
            self._decoder.receive_data(data)
        else:
            self._buf += data  # the decoder's buffer (FrameDecoder.receive_data, without the call)

    def receive_eof(self) -> None:
        """Tell the connection the peer closed its side of the TCP connection."""
        self._eof = True

    def next_event(self) -> Event | None:
        """The next event, or None when more bytes are needed (or the connection is closed).

        Returns:
            A :class:`TextMessage`, :class:`BytesMessage`, :class:`Ping`, :class:`Pong` or
            :class:`CloseConnection`, or None.

        Raises:
            RemoteProtocolError: the peer broke RFC 6455; send ``CloseConnection(exc.close_code)``
                and close the TCP connection.
        """
        if self._error is not None:
            raise self._error
        buf = self._buf
        if len(buf) >= 2 and self.state is _OPEN and not self._msg_opcode:
            # The common case, in one call: a whole TEXT or BINARY message in one frame of at
            # most 125 bytes (FIN set, RSV bits clear: §5.2), masked as our role requires
            # (§5.1), within the size limit, not inside a fragmented message (§5.4). Every
            # other frame, and a frame not wholly received yet, takes the general path below.
            b0 = buf[0]
            length = buf[1] ^ self._mask_bit  # >= 128 when the MASK bit is wrong
            if (b0 == 0x81 or b0 == 0x82) and length < 126 and length <= self._decoder.max_payload:
                start = 6 if self._mask_bit else 2  # the 4-byte masking key follows the length
                end = start + length
                if len(buf) >= end:
                    if start == 6:
                        # §5.3, read in place (the C helper: 0.24 µs for 16 bytes, where the
                        # big-int XOR inline took 1.1; without it, that same XOR in _py_unmask).
                        payload = frames._unmask(buf, buf[2:6], 6, end, 0)
                    else:
                        payload = bytes(buf[2:end])
                    del buf[:end]
                    if b0 == 0x82:
                        return BytesMessage(payload)
                    try:
                        return TextMessage(payload.decode("utf-8"))
                    except UnicodeDecodeError:
                        # §8.1: invalid UTF-8 in a text message fails the connection with 1007.
                        self._error = RemoteProtocolError(
                            "text message is not valid UTF-8", close_code=1007
                        )
                        raise self._error from None
        elif not buf and not self._eof:
            return None  # nothing buffered: nothing to do
        try:
            return self._next_event()
        except RemoteProtocolError as exc:
            self._error = exc
            raise

    def _next_event(self) -> Event | None:
        decoder = self._decoder
        while True:
            state = self.state
            if state is ConnectionState.CLOSED or state is ConnectionState.REMOTE_CLOSING:
                return None  # §5.5.1: nothing follows a Close
            frame = decoder.next_frame()
            if frame is None:
                if self._eof:
                    # The TCP connection ended without a Close: §7.1.5 "1006".
                    self.state = ConnectionState.CLOSED
                    return CloseConnection(1006, "")
                return None
            opcode = frame.opcode
            payload = frame.payload
            if opcode in (_TEXT, _BINARY):
                if self._msg_opcode:
                    raise RemoteProtocolError(
                        "new message before the previous one finished", close_code=1002
                    )
                if frame.fin and not frame.rsv1:
                    # The common case: a whole, uncompressed message in one frame.
                    if opcode == _BINARY:
                        return BytesMessage(payload)
                    try:
                        return TextMessage(payload.decode("utf-8"))
                    except UnicodeDecodeError:
                        raise RemoteProtocolError(
                            "text message is not valid UTF-8", close_code=1007
                        ) from None
                self._msg_opcode = opcode
                self._msg_parts = []
                self._msg_size = 0
                self._msg_compressed = frame.rsv1
                if frame.rsv1:
                    assert self._deflate is not None  # the decoder refuses RSV1 without it
                    self._deflate.start_message()
                self._utf8 = _UTF8_DECODER("strict") if opcode == _TEXT and not frame.rsv1 else None
                event = self._add_fragment(payload, frame.fin)
                if event is not None:
                    return event
            elif opcode == _CONTINUATION:
                if not self._msg_opcode:
                    raise RemoteProtocolError(
                        "continuation frame without a message", close_code=1002
                    )
                if frame.rsv1:
                    # RFC 7692 §6.1: RSV1 is set on the first frame of a message only.
                    raise RemoteProtocolError("RSV1 on a continuation frame", close_code=1002)
                event = self._add_fragment(payload, frame.fin)
                if event is not None:
                    return event
            elif opcode == _PING:
                return Ping(payload)
            elif opcode == _PONG:
                return Pong(payload)
            else:  # _CLOSE: the decoder lets no other opcode through
                code, reason = parse_close_payload(payload)
                self.state = (
                    ConnectionState.CLOSED
                    if state is ConnectionState.LOCAL_CLOSING
                    else ConnectionState.REMOTE_CLOSING
                )
                return CloseConnection(code, reason)

    def _add_fragment(self, payload: bytes, fin: bool) -> Event | None:
        # One data frame of the message being received; returns the message once FIN arrives.
        self._msg_size += len(payload)
        # The next frame of this message may declare at most what is left (per-message limit;
        # a compressed message counts its compressed bytes here, its inflated size below).
        self._decoder.max_payload = self.max_message_size - self._msg_size
        parts = self._msg_parts
        if self._msg_compressed:
            # Compressed fragments are kept as they came and inflated once, at the end: one zlib
            # call per message instead of one per frame (Autobahn 12.x sends 128 KiB messages in
            # 256-byte frames). Bounded: at most max_message_size compressed bytes are kept, and
            # inflating stops at max_message_size (decompression bombs).
            parts.append(payload)  # type: ignore[arg-type]
            if not fin:
                return None
            assert self._deflate is not None
            compressed = parts[0] if len(parts) == 1 else b"".join(parts)  # type: ignore[arg-type]
            data = self._deflate.decompress(compressed, self.max_message_size, final=True)  # type: ignore[arg-type]
            if self._msg_opcode == _TEXT:
                try:
                    parts = [data.decode("utf-8")]
                except UnicodeDecodeError:
                    raise RemoteProtocolError(
                        "text message is not valid UTF-8", close_code=1007
                    ) from None
            else:
                parts = [data]
        else:
            utf8 = self._utf8
            if utf8 is not None:
                # Validated fragment by fragment, so bad text fails as soon as it arrives (§8.1).
                try:
                    text = utf8.decode(payload, fin)
                except UnicodeDecodeError:
                    raise RemoteProtocolError(
                        "text message is not valid UTF-8", close_code=1007
                    ) from None
                parts.append(text)  # type: ignore[arg-type]
            else:
                parts.append(payload)  # type: ignore[arg-type]
            if not fin:
                return None
        self._msg_parts = []
        self._decoder.max_payload = self.max_message_size
        opcode = self._msg_opcode
        self._msg_opcode = 0
        self._utf8 = None
        if opcode == _TEXT:
            return TextMessage("".join(parts))  # type: ignore[arg-type]
        return BytesMessage(b"".join(parts))  # type: ignore[arg-type]

    # -- sending -----------------------------------------------------------------------------

    def send(self, event: Event) -> bytes:
        """The bytes that send ``event``.

        Args:
            event: a message (or message fragment), Ping, Pong or CloseConnection.

        Returns:
            The bytes to write.

        Raises:
            LocalProtocolError: the event is not allowed now (e.g. data after our Close).
        """
        if isinstance(event, TextMessage):
            return self.send_text(event.data, fin=event.message_finished)
        if isinstance(event, BytesMessage):
            return self.send_bytes(event.data, fin=event.message_finished)
        if isinstance(event, Ping):
            return self.send_ping(event.payload)
        if isinstance(event, Pong):
            return self.send_pong(event.payload)
        if isinstance(event, CloseConnection):
            return self.send_close(event.code, event.reason)
        raise TypeError(f"not a WebSocket event: {event!r}")

    def _frame(self, opcode: int, payload: bytes, fin: bool, rsv1: bool) -> bytes:
        if self._is_client:
            key = os.urandom(4)
            return frame_header(opcode, len(payload), fin=fin, rsv1=rsv1, mask_key=key) + mask(
                payload, key
            )
        return frame_header(opcode, len(payload), fin=fin, rsv1=rsv1) + payload

    def send_message_parts(self, data: str | bytes | bytearray | memoryview) -> tuple[bytes, bytes]:
        """A whole message (text for ``str``, else binary) as its frame header and its payload.

        The same frame as :meth:`send_text` / :meth:`send_bytes` return, in two pieces to write
        with ``writelines``: a large payload is not copied into a new frame object (on the
        server side, unless compressed, the payload returned is ``data`` itself).

        Raises:
            LocalProtocolError: the message is not allowed now (after our Close, or while a
                fragmented message is being sent).
        """
        if self.state is not ConnectionState.OPEN:
            raise LocalProtocolError(f"cannot send a message in state {self.state.name}")
        if self._out_opcode:
            raise LocalProtocolError("a fragmented message is in progress")
        if isinstance(data, str):
            opcode = _TEXT
            payload = data.encode("utf-8")
        else:
            opcode = _BINARY
            payload = bytes(data)
        rsv1 = False
        codec = self._deflate
        if codec is not None and len(payload) >= codec.min_size:
            payload = codec.compress(payload)
            rsv1 = True
        if self._is_client:
            key = os.urandom(4)
            head = frame_header(opcode, len(payload), rsv1=rsv1, mask_key=key)
            return head, mask(payload, key)
        return frame_header(opcode, len(payload), rsv1=rsv1), payload

    def _send_data(self, opcode: int, payload: bytes, fin: bool) -> bytes:
        if self.state is not ConnectionState.OPEN:
            raise LocalProtocolError(f"cannot send a message in state {self.state.name}")
        if fin and not self._out_opcode:
            # A whole message in one frame: the common case, kept short.
            rsv1 = False
            codec = self._deflate
            if codec is not None and len(payload) >= codec.min_size:
                # Only whole messages are compressed; fragmented ones go uncompressed, which
                # RFC 7692 §6 allows message by message.
                payload = codec.compress(payload)
                rsv1 = True
            elif not self._is_client and len(payload) < 126:
                return bytes((0x80 | opcode, len(payload))) + payload
            return self._frame(opcode, payload, True, rsv1)
        if self._out_opcode:
            if self._out_opcode != opcode:
                raise LocalProtocolError("a fragmented message of the other type is in progress")
            opcode = _CONTINUATION
        self._out_opcode = 0 if fin else (self._out_opcode or opcode)
        return self._frame(opcode, payload, fin, False)

    def send_text(self, data: str, *, fin: bool = True) -> bytes:
        """The bytes of a text message (or, with ``fin=False``, of one fragment of it)."""
        return self._send_data(_TEXT, data.encode("utf-8"), fin)

    def send_bytes(self, data: bytes | bytearray | memoryview, *, fin: bool = True) -> bytes:
        """The bytes of a binary message (or, with ``fin=False``, of one fragment of it)."""
        return self._send_data(_BINARY, bytes(data), fin)

    def _check_control(self, payload: bytes) -> None:
        if len(payload) > MAX_CONTROL_PAYLOAD:
            raise LocalProtocolError("control frame payload over 125 bytes")
        state = self.state
        if state is ConnectionState.LOCAL_CLOSING or state is ConnectionState.CLOSED:
            raise LocalProtocolError(f"cannot send a control frame in state {state.name}")

    def send_ping(self, payload: bytes = b"") -> bytes:
        """The bytes of a Ping (§5.5.2)."""
        self._check_control(payload)
        return self._frame(_PING, payload, True, False)

    def send_pong(self, payload: bytes = b"") -> bytes:
        """The bytes of a Pong (§5.5.3)."""
        self._check_control(payload)
        return self._frame(_PONG, payload, True, False)

    def send_close(self, code: int | None = 1000, reason: str = "") -> bytes:
        """The bytes of a Close (§5.5.1), starting or completing the close handshake.

        Args:
            code: the status code; None or 1005 sends a Close without a code.
            reason: the reason (at most 123 bytes of UTF-8).

        Raises:
            LocalProtocolError: a Close was already sent, or the code/reason cannot be sent.
        """
        state = self.state
        if state is ConnectionState.LOCAL_CLOSING or state is ConnectionState.CLOSED:
            raise LocalProtocolError("a Close was already sent")
        payload = encode_close_payload(code, reason)
        self.state = (
            ConnectionState.CLOSED
            if state is ConnectionState.REMOTE_CLOSING
            else ConnectionState.LOCAL_CLOSING
        )
        return self._frame(_CLOSE, payload, True, False)
