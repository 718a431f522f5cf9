"""The events a :class:`~crlf.websocket.connection.WSConnection` reads and sends (RFC 6455 §5.6, §5.5).

Received messages are whole: the connection reassembles fragments (§5.4), inflates
permessage-deflate and validates UTF-8 before it hands out a :class:`TextMessage` or
:class:`BytesMessage`. To send a message in fragments, send several events with
``message_finished=False`` on all but the last.

Plain ``__slots__`` classes (not frozen dataclasses): an echo server makes two per message, and
they are checked once, by the connection, not on construction (style.md §4).
"""

from __future__ import annotations

__all__ = ["BytesMessage", "CloseConnection", "Event", "Ping", "Pong", "TextMessage"]


class TextMessage:
    """A text message (opcode 0x1): ``data`` is the decoded UTF-8.

    Attributes:
        data: the text.
        message_finished: when sending, False makes this a fragment and more must follow.
    """

    __slots__ = ("data", "message_finished")

    def __init__(self, data: str, *, message_finished: bool = True) -> None:
        self.data = data
        self.message_finished = message_finished

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TextMessage):
            return (self.data, self.message_finished) == (other.data, other.message_finished)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"TextMessage(data={self.data[:40]!r}{'...' if len(self.data) > 40 else ''})"


class BytesMessage:
    """A binary message (opcode 0x2).

    Attributes:
        data: the payload.
        message_finished: when sending, False makes this a fragment and more must follow.
    """

    __slots__ = ("data", "message_finished")

    def __init__(self, data: bytes, *, message_finished: bool = True) -> None:
        self.data = data
        self.message_finished = message_finished

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BytesMessage):
            return (self.data, self.message_finished) == (other.data, other.message_finished)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"BytesMessage(data={self.data[:40]!r}{'...' if len(self.data) > 40 else ''})"


class Ping:
    """A Ping (§5.5.2); answer it with ``send(event.response())``.

    Attributes:
        payload: up to 125 bytes of application data, echoed by the Pong.
    """

    __slots__ = ("payload",)

    def __init__(self, payload: bytes = b"") -> None:
        self.payload = payload

    def response(self) -> Pong:
        """The Pong that answers this Ping (§5.5.3: "identical Application data")."""
        return Pong(self.payload)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Ping):
            return self.payload == other.payload
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Ping(payload={self.payload!r})"


class Pong:
    """A Pong (§5.5.3), solicited or not.

    Attributes:
        payload: up to 125 bytes of application data.
    """

    __slots__ = ("payload",)

    def __init__(self, payload: bytes = b"") -> None:
        self.payload = payload

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Pong):
            return self.payload == other.payload
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Pong(payload={self.payload!r})"


class CloseConnection:
    """A Close (§5.5.1), or the end of the connection without one (code 1006).

    Attributes:
        code: the status code (§7.4); 1005 when the peer's Close carried none, 1006 when the
            connection ended without a Close frame. Both are only reported, never sent.
        reason: the UTF-8 reason (at most 123 bytes when sent).
    """

    __slots__ = ("code", "reason")

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        self.code = code
        self.reason = reason

    def response(self) -> CloseConnection:
        """The Close that answers this one (§5.5.1: "typically echoes the status code")."""
        return CloseConnection(self.code, "")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CloseConnection):
            return (self.code, self.reason) == (other.code, other.reason)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CloseConnection(code={self.code!r}, reason={self.reason!r})"


Event = TextMessage | BytesMessage | Ping | Pong | CloseConnection
