"""Shared test helpers: byte feeders, an event drainer and a client/server ConnectionPair.

``ConnectionPair`` is h11's idea (its tests' ``ConnectionPair``): a real client and a real server
:class:`~crlf.protocol.Connection` joined by an in-memory wire. Whatever one side sends, the other
receives at once, and the pair asserts that the events came out as they went in.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

__all__ = [
    "FEEDS",
    "ConnectionPair",
    "SocketClient",
    "assert_same_event",
    "bytewise",
    "drain",
    "feed",
    "merge_data",
    "whole",
]

# Every event yields at least one byte's worth of progress, so a reader that returns more than
# this many events without asking for data is looping.
MAX_EVENTS_PER_DRAIN = 10_000


def whole(data: bytes) -> list[bytes]:
    """The bytes in one piece."""
    return [data]


def bytewise(data: bytes) -> list[bytes]:
    """The bytes one at a time (h11 ``test_io``: every split point at once)."""
    return [data[i : i + 1] for i in range(len(data))]


# How a read case is fed: the name shows up in test ids.
FEEDS = {"whole": whole, "bytewise": bytewise}


def drain(conn: Connection, *, limit: int = MAX_EVENTS_PER_DRAIN) -> list[Event]:
    """Every event ``conn`` can produce now: stops at NEED_DATA, PAUSED or ConnectionClosed.

    Raises:
        AssertionError: more than ``limit`` events came out without the reader asking for
            data (a loop).
    """
    out: list[Event] = []
    for _ in range(limit):
        event = conn.next_event()
        if isinstance(event, Sentinel):
            return out
        out.append(event)
        if type(event) is ConnectionClosed:
            return out
    raise AssertionError(f"next_event() did not stop after {limit} events")


def feed(
    conn: Connection, pieces: Iterable[bytes], *, eof: bool = False
) -> tuple[list[Event], Sentinel | None]:
    """Feed ``pieces`` one by one, draining after each; then EOF if asked.

    Returns:
        The events in order, and what ``next_event`` said last (NEED_DATA, PAUSED, or None
        after ConnectionClosed).
    """
    events: list[Event] = []
    for piece in pieces:
        conn.receive_data(piece)
        events += drain(conn)
    if eof:
        conn.receive_eof()
        events += drain(conn)
    if events and type(events[-1]) is ConnectionClosed:
        return events, None
    last = conn.next_event()
    assert isinstance(last, Sentinel), last
    return events, last


def merge_data(events: Sequence[Event]) -> list[Event]:
    """Join runs of Data into one, dropping empty ones: how a body is split is not its meaning."""
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
            out.append(Data(bytes(event.data)))
        else:
            out.append(event)
    return out


def assert_same_event(sent: Event, got: Event) -> None:
    """Assert that ``got`` is what the peer should read for ``sent``.

    The writer may append framing fields (Content-Length, Transfer-Encoding, Connection) after
    the application's, and fills in the standard reason phrase, so heads compare on a prefix.
    """
    assert type(got) is type(sent), (sent, got)
    if isinstance(sent, Request):
        assert isinstance(got, Request)
        assert (got.method, got.target, got.http_version) == (
            sent.method,
            sent.target,
            sent.http_version,
        )
        assert got.headers.raw_items() == sent.headers.raw_items()
    elif isinstance(sent, Response | InformationalResponse):
        assert isinstance(got, Response | InformationalResponse)
        assert got.status_code == sent.status_code
        if sent.reason:
            assert got.reason == sent.reason
        sent_items = sent.headers.raw_items()
        assert got.headers.raw_items()[: len(sent_items)] == sent_items
    elif isinstance(sent, EndOfMessage):
        assert isinstance(got, EndOfMessage)
        assert got.headers.raw_items() == sent.headers.raw_items()
    else:
        assert got == sent, (sent, got)


class ConnectionPair:
    """A client and a server Connection over an in-memory wire.

    Args:
        limits: the limits both sides read with.
    """

    def __init__(self, limits: Limits | None = None) -> None:
        self.client = Connection(Role.CLIENT, limits=limits)
        self.server = Connection(Role.SERVER, limits=limits)
        # Everything each side wrote, in order, for tests that look at the bytes.
        self.wire: dict[Role, bytearray] = {Role.CLIENT: bytearray(), Role.SERVER: bytearray()}
        # Senders whose peer already read EndOfMessage with the last byte of a sized body.
        self._ended_early: set[Role] = set()

    def conns(self) -> Iterator[Connection]:
        """Both connections, client first."""
        yield self.client
        yield self.server

    def _ends(self, role: Role) -> tuple[Connection, Connection]:
        if role is Role.CLIENT:
            return self.client, self.server
        return self.server, self.client

    def send(
        self, role: Role, *events: Event, expect: Sequence[Event] | None = None
    ) -> list[Event]:
        """``role`` sends ``events``; the peer reads them.

        Args:
            role: who sends.
            events: what it sends.
            expect: what the peer must read, when it differs from ``events`` (a body to HEAD,
                a ConnectionClosed, ...). By default the peer must read ``events`` back.

        Returns:
            The events the peer read (Data runs merged).
        """
        sender, receiver = self._ends(role)
        closed = False
        for event in events:
            data = sender.send(event)
            self.wire[role] += data
            if type(event) is ConnectionClosed:
                closed = True
                receiver.receive_eof()
            elif data:
                receiver.receive_data(data)
        got = merge_data(drain(receiver))
        want = merge_data(events if expect is None else expect)
        if expect is None:
            if closed:
                want = [e for e in want if type(e) is not ConnectionClosed] + [ConnectionClosed()]
            if role in self._ended_early and want and type(want[0]) is EndOfMessage:
                # The reader ended the message with its last byte (a sized or absent body).
                self._ended_early.discard(role)
                want = want[1:]
            if (
                len(got) == len(want) + 1
                and want
                and type(want[-1]) in (Request, Response, Data)
                and got[-1] == EndOfMessage()
            ):
                self._ended_early.add(role)
                want = [*want, EndOfMessage()]
        assert len(got) == len(want), (want, got)
        for sent_event, got_event in zip(want, got, strict=True):
            assert_same_event(sent_event, got_event)
        return got

    def start_next_cycle(self) -> None:
        """Both sides start the next exchange."""
        for conn in self.conns():
            conn.start_next_cycle()

    def exchange(
        self,
        request: Request,
        response: Response,
        request_body: bytes = b"",
        response_body: bytes = b"",
    ) -> None:
        """One whole request/response exchange, checked on both sides."""
        self.send(Role.CLIENT, request)
        if request_body:
            self.send(Role.CLIENT, Data(request_body))
        self.send(Role.CLIENT, EndOfMessage())
        self.send(Role.SERVER, response)
        if response_body:
            self.send(Role.SERVER, Data(response_body))
        self.send(Role.SERVER, EndOfMessage())
        assert self.server.next_event() is PAUSED
        assert self.client.next_event() in (PAUSED, NEED_DATA)


class SocketClient:
    """crlf's client role over a plain blocking socket: the interop tests' user agent.

    Args:
        address: ``(host, port)`` to connect to.
        timeout: seconds any socket operation may block (a hung peer fails the test).
    """

    def __init__(self, address: tuple[str, int], timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(address, timeout=timeout)
        self.conn = Connection(Role.CLIENT)

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()

    def __enter__(self) -> SocketClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(self, *events: Event) -> None:
        """Write our events."""
        for event in events:
            self.sock.sendall(self.conn.send(event))

    def receive(self, *, until: tuple[type, ...] = (EndOfMessage, ConnectionClosed)) -> list[Event]:
        """Read events until one of type ``until`` (Data runs merged).

        Raises:
            AssertionError: the reader paused before reaching ``until``.
        """
        events: list[Event] = []
        while True:
            event = self.conn.next_event()
            if event is NEED_DATA:
                data = self.sock.recv(65536)
                if data:
                    self.conn.receive_data(data)
                else:
                    self.conn.receive_eof()
                continue
            assert not isinstance(event, Sentinel), "paused before the end of the response"
            events.append(event)
            if isinstance(event, until):
                return merge_data(events)

    def wait_closed(self) -> list[Event]:
        """Read until the peer closes; then what the connection makes of it."""
        while data := self.sock.recv(65536):
            self.conn.receive_data(data)
        self.conn.receive_eof()
        return drain(self.conn)

    def request(self, request: Request, body: bytes = b"") -> list[Event]:
        """One exchange: send ``request`` (and ``body``), read the response to its end."""
        if self.conn.our_state is State.DONE and self.conn.their_state is State.DONE:
            self.conn.start_next_cycle()
        self.send(request)
        if body:
            self.send(Data(body))
        self.send(EndOfMessage())
        events = self.receive()
        while isinstance(events[0], InformationalResponse):
            events = events[1:]
        return events
