"""One HTTP/1.1 connection, either role, without I/O (RFC 9112).

Feed it what the socket gave with :meth:`Connection.receive_data` and :meth:`receive_eof`, take
events with :meth:`next_event`, and turn your own events into bytes with :meth:`send`. The state
machine is described in ``_state.py``; this module applies RFC 9112's rules at each step:

* message framing, RFC 9112 §6.3 (which of Content-Length, chunked or close delimits a body,
  and the combinations that are rejected because they enable request smuggling);
* persistence, RFC 9112 §9.3 (HTTP/1.1 keeps the connection by default, HTTP/1.0 only with
  ``Connection: keep-alive``, ``close`` from either side ends it);
* pipelining, RFC 9112 §9.3.2: the next request is parsed only after ``start_next_cycle()``, so
  a server answers in order and holds at most ``Limits.max_buffer_bytes`` of what follows;
* ``Expect: 100-continue``, RFC 9110 §10.1.1, and protocol switches, RFC 9110 §7.8 / §9.3.6.
"""

from __future__ import annotations

import re
from http import HTTPStatus

from ..errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from ._abnf import (
    ABSOLUTE_FORM_RE,
    AUTHORITY_FORM_RE,
    CONTENT_LENGTH_RE,
    HOST_RE,
    RESPONSE_HEAD_RE,
    TOKEN_RE,
)
from ._readers import (
    END_OF_MESSAGE,
    FRAMING_FIELDS,
    BodyReader,
    ChunkedReader,
    ContentLengthReader,
    SplitHead,
    UntilCloseReader,
    cut,
    data_from_buffer,
    framing_fields,
    parse_content_length,
    parse_fields,
    parse_request_line,
    parse_response_head,
    request_from_plan,
    split_fields,
    split_request_head,
    take_request_head,
)
from ._state import Role, State
from ._writers import (
    STATUS_LINES,
    BodyWriter,
    ChunkedWriter,
    CloseDelimitedWriter,
    ContentLengthWriter,
    NoBodyWriter,
    encode_fields,
    status_line,
    write_head,
)
from .events import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    InformationalResponse,
    Request,
    Response,
    Sentinel,
)
from .headers import Headers
from .limits import Limits
from .memo import (
    MAX_REMEMBERED_FIELDS,
    MAX_REMEMBERED_HEAD,
    PLAN_CLOSE,
    PLAN_EXPECT_100,
    PLAN_SWITCH,
    CheckedFields,
    HeadKey,
    Memo,
    Plan,
)

__all__ = ["Connection"]

_SERVER = Role.SERVER
_CLIENT = Role.CLIENT
IDLE = State.IDLE
SEND_RESPONSE = State.SEND_RESPONSE
SEND_BODY = State.SEND_BODY
DONE = State.DONE
MUST_CLOSE = State.MUST_CLOSE
CLOSED = State.CLOSED
MIGHT_SWITCH = State.MIGHT_SWITCH_PROTOCOL
SWITCHED = State.SWITCHED_PROTOCOL
ERROR = State.ERROR

_DEFAULT_LIMITS = Limits()
# Events and readers the parser fills in itself are made without their __init__ (which checks
# and converts what a caller passes). object.__new__ called directly skips the lookup of
# __new__ on the class that ``Request.__new__(Request)`` pays on every request.
_new = object.__new__
_NO_OPTIONS: frozenset[bytes] = frozenset()
# Transfer codings registered by RFC 9112 §7 that we recognise but do not decode: 501.
_KNOWN_CODINGS = frozenset((b"gzip", b"x-gzip", b"deflate", b"compress", b"x-compress"))
_Body = bytes | bytearray | memoryview
# len() of Content-Length, Transfer-Encoding and Connection: what _send_response looks at.
_FRAMING_NAME_LENGTHS = frozenset((14, 17, 10))
# The Content-Length lines of small bodies, made once (a server's responses repeat lengths).
_LENGTH_LINES = {n: b"content-length: %d\r\n" % n for n in range(1024)}
# A request-target we send: no CTL, SP or non-ASCII byte (RFC 9112 §3.2).
_BAD_TARGET_RE = re.compile(rb"[^\x21-\x7e]")


def _connection_tokens(values: list[bytes]) -> set[bytes]:
    """The lowercased options of every Connection field (RFC 9110 §7.6.1)."""
    if len(values) == 1 and b"," not in values[0]:
        return {values[0].strip(b" \t").lower()}  # the usual single option
    return {t.strip(b" \t").lower() for v in values for t in v.split(b",")}


class Connection:
    """The sans-I/O state of one HTTP/1.1 connection.

    Args:
        our_role: :attr:`Role.SERVER` to read requests and write responses, :attr:`Role.CLIENT`
            for the opposite.
        limits: size limits for what we read (see :class:`Limits`).
    """

    __slots__ = (
        "_buf",
        "_client_state",
        "_eof",
        "_head_search_from",
        "_keep_alive",
        "_limits",
        "_memo",
        "_reader",
        "_request_method",
        "_server_role",
        "_server_state",
        "_switch_pending",
        "_writer",
        "client_is_waiting_for_100_continue",
        "our_role",
        "their_http_version",
    )

    # limits and memo (and send_response's reason and trusted) are meant to be passed by
    # keyword, but are not keyword-only: CPython 3.11 looks each keyword-only default up in a
    # dict on every call that omits it (about 150 instructions each, callgrind), where a
    # positional default is read from a tuple.
    def __init__(
        self, our_role: Role, limits: Limits | None = None, memo: Memo | None = None
    ) -> None:
        # (Identity, not isinstance: a Role is one of its two members.)
        if our_role is _SERVER:
            self._server_role = True
        elif our_role is _CLIENT:
            self._server_role = False
        else:
            raise TypeError("our_role must be Role.CLIENT or Role.SERVER")
        self.our_role = our_role
        if memo is None:
            memo = Memo(limits or _DEFAULT_LIMITS)
            limits = memo.limits
        elif limits is None:
            limits = memo.limits
        elif memo.limits is not limits:
            raise ValueError("the memo was made for other limits")
        self._limits = limits
        self._memo = memo
        self._buf = bytearray()
        self._eof = False
        self._head_search_from = 0
        self._client_state = IDLE
        self._server_state = IDLE
        self._reader: BodyReader | None = None
        self._writer: BodyWriter | None = None
        self._keep_alive = True
        self._request_method: bytes | None = None
        self._switch_pending = False
        self.client_is_waiting_for_100_continue = False
        self.their_http_version: bytes | None = None

    # ------------------------------------------------------------------ state --

    @property
    def our_state(self) -> State:
        """Our side's state."""
        return self._server_state if self._server_role else self._client_state

    @property
    def their_state(self) -> State:
        """The peer's state."""
        return self._client_state if self._server_role else self._server_state

    @property
    def keep_alive(self) -> bool:
        """Whether the connection can carry another exchange after this one (RFC 9112 §9.3)."""
        return self._keep_alive

    @property
    def trailing_data(self) -> tuple[bytes, bool]:
        """Bytes received but not parsed, and whether the peer has closed.

        After a protocol switch (101, or a 2xx to CONNECT) these belong to the new protocol.
        """
        return bytes(self._buf), self._eof

    @property
    def buffer_is_full(self) -> bool:
        """True when a paused connection holds more than ``max_buffer_bytes``: stop reading."""
        return len(self._buf) > self._limits.max_buffer_bytes

    def _settle(self) -> None:
        # A side that is DONE on a connection that cannot persist must close (RFC 9112 §9.6).
        if not self._keep_alive:
            if self._client_state is DONE:
                self._client_state = MUST_CLOSE
            if self._server_state is DONE:
                self._server_state = MUST_CLOSE

    def start_next_cycle(self) -> None:
        """Reset both sides to IDLE for the next exchange on a persistent connection.

        Raises:
            LocalProtocolError: the current exchange is not finished on both sides, or the
                connection cannot be reused.
        """
        if self._client_state is not DONE or self._server_state is not DONE:
            raise LocalProtocolError(
                f"not in a reusable state (client {self._client_state.name}, "
                f"server {self._server_state.name})"
            )
        self._client_state = IDLE
        self._server_state = IDLE
        # Both messages ended, so no reader or writer is left (each is dropped at its end),
        # a switch pending would have made a side SWITCHED or MIGHT_SWITCH, not DONE, and no
        # client waits for a 100 Continue (the request's end cleared that, as a client DONE
        # has sent all its content).
        self._request_method = None

    # ---------------------------------------------------------------- reading --

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Add bytes received from the peer.

        Raises:
            RuntimeError: after :meth:`receive_eof` (a closed stream cannot grow).
        """
        if self._eof:
            raise RuntimeError("received data after EOF")
        self._buf += data

    def receive_eof(self) -> None:
        """Record that the peer closed its sending half."""
        self._eof = True

    def next_event(self) -> Event | Sentinel:
        """Parse the next event from the received bytes.

        Returns:
            An event; :data:`NEED_DATA` when more bytes are needed; :data:`PAUSED` when the
            current exchange must end (``start_next_cycle``) or the protocol has switched.

        Raises:
            RemoteProtocolError: the peer broke RFC 9112. ``status_hint`` says how a server
                answers. The peer's state becomes ERROR and the connection must close.
        """
        try:
            if self._server_role:
                # Inlined _next_from_client: this is the per-request hot path of a server.
                state = self._client_state
                if state is IDLE:
                    buf = self._buf
                    if not buf:
                        if not self._eof:  # the usual wait between requests
                            return NEED_DATA
                    else:
                        last = self._memo.request
                        if last is not None and buf.startswith(last[4]):
                            # The same head as the last one parsed: what a keep-alive client
                            # polling one URL sends, byte for byte. That head ended at its first
                            # CRLF CRLF, so this one ends there too, and every check it passed
                            # depends only on its bytes and the limits: reuse their outcome.
                            cut(buf, len(last[4]))
                            self._head_search_from = 0
                            return self._start_request(last)
                        # A head parsed afresh: the C helper finds it, cuts it out and splits
                        # it; for the requests most clients send, in heads the memo keeps, it
                        # also makes every decision of _decide_request and gives the plan
                        # (seven items; else the head and its split), remembered and started
                        # as a repeated head's is. Its decisions are _decide_request's for
                        # those heads: tests/protocol/test_take_request_head.py compares them.
                        # It leaves the rest to _read_request: a buffer that starts with an
                        # empty line, a head not all here yet, any head without the helper.
                        taken = take_request_head(
                            buf, self._head_search_from, self._limits, MAX_REMEMBERED_HEAD
                        )
                        if taken is not None:
                            self._head_search_from = 0
                            if len(taken) == 2:  # the head and its split
                                head, split = taken
                                return self._decide_request(head, split)
                            self._memo.request = taken
                            return self._start_request(taken)
                    return self._read_request()
                if state is SEND_BODY:
                    reader = self._reader
                    if reader is not None:
                        if type(reader) is not ContentLengthReader:
                            return self._read_body()
                        remaining = reader.remaining
                        if remaining:
                            # Inlined ContentLengthReader.read for a body that is (partly) here.
                            buf = self._buf
                            if not buf:
                                return self._read_body()  # more to wait for, or a cut body
                            size = len(buf)
                            if size >= remaining:
                                # The whole content is here (the usual form POST): drop the
                                # reader now, and the next call ends the message.
                                self._reader = None
                            else:
                                reader.remaining = remaining - size
                            return data_from_buffer(buf, remaining, Data)
                        self._reader = None
                    # A request without content (most of them), or whose content was all read:
                    # its end, inlined _read_body.
                    if self._switch_pending:
                        self._client_state = MIGHT_SWITCH
                    else:
                        self._client_state = DONE if self._keep_alive else MUST_CLOSE
                        self.client_is_waiting_for_100_continue = False
                    return END_OF_MESSAGE
                return self._after_message(state)
            return self._next_from_server()
        except RemoteProtocolError:
            self._fail_theirs()
            raise

    def _fail_theirs(self) -> None:
        self._keep_alive = False
        if self._server_role:
            self._client_state = ERROR
        else:
            self._server_state = ERROR

    def _next_from_server(self) -> Event | Sentinel:
        state = self._server_state
        if state is SEND_RESPONSE:
            return self._read_response()
        if state is SEND_BODY:
            return self._read_body()
        if state is IDLE:
            # Nothing is owed to us yet. EOF here is an idle keep-alive connection the
            # server closed; bytes here are a protocol error (RFC 9112 §9.3: a response
            # only ever follows a request).
            if self._buf:
                raise RemoteProtocolError("data received before any request was sent")
            return ConnectionClosed() if self._eof else NEED_DATA
        return self._after_message(state)

    def _after_message(self, state: State) -> Event | Sentinel:
        if state is ERROR:
            raise RemoteProtocolError("the peer is in the ERROR state; close the connection")
        if state is CLOSED:
            return ConnectionClosed()
        if state is SWITCHED:
            return PAUSED
        # DONE / MUST_CLOSE / MIGHT_SWITCH_PROTOCOL: the exchange isn't over on our side yet.
        # A peer that closes meanwhile is reported, so a server learns of a disconnect while
        # its application still runs; bytes it pipelined wait in the buffer.
        if self._eof and not self._buf:
            self._set_their_state(CLOSED)
            self._keep_alive = False
            return ConnectionClosed()
        return PAUSED

    def _set_their_state(self, state: State) -> None:
        if self._server_role:
            self._client_state = state
        else:
            self._server_state = state

    def _find_head(self) -> bytes | None:
        """Cut the next head (start line + fields, CRLF-terminated) out of the buffer."""
        buf = self._buf
        limits = self._limits
        end = buf.find(b"\r\n\r\n", self._head_search_from)
        if end < 0:
            size = len(buf)
            line_end = buf.find(b"\r\n", 0, limits.max_start_line + 2)
            # A start line of exactly max_start_line bytes may sit here with only the CR of its
            # CRLF: refuse one byte later, so the outcome never depends on how bytes were split.
            if line_end < 0 and size > limits.max_start_line + 1:
                raise RemoteProtocolError(
                    "start line too long", status_hint=HTTPStatus.REQUEST_URI_TOO_LONG
                )
            if size > limits.max_head_bytes:
                raise RemoteProtocolError(
                    "header section too large",
                    status_hint=HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                )
            if self._eof:
                raise RemoteProtocolError("peer closed the connection in the middle of a head")
            self._head_search_from = size - 3 if size > 3 else 0
            return None
        self._head_search_from = 0
        if end + 4 > limits.max_head_bytes:
            line_end = buf.find(b"\r\n")
            if line_end > limits.max_start_line:
                raise RemoteProtocolError(
                    "start line too long", status_hint=HTTPStatus.REQUEST_URI_TOO_LONG
                )
            raise RemoteProtocolError(
                "header section too large", status_hint=HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
            )
        head = bytes(buf[: end + 4])
        cut(buf, end + 4)
        return head

    def _read_request(self) -> Event | Sentinel:
        """A request head the way without the C helper: the end of the stream, empty lines
        before a request, a head not all here yet, and every head without the helper."""
        buf = self._buf
        if not buf:  # and at EOF: next_event answers NEED_DATA for an empty buffer itself
            self._client_state = CLOSED
            self._keep_alive = False
            return ConnectionClosed()
        if buf[0] == 0x0D:
            # RFC 9112 §2.2: a server SHOULD ignore at least one empty line before a request.
            while buf.startswith(b"\r\n"):
                del buf[:2]
            if not buf:
                if self._eof:
                    self._client_state = CLOSED
                    self._keep_alive = False
                    return ConnectionClosed()
                return NEED_DATA
            if len(buf) == 1 and buf[0] == 0x0D and not self._eof:
                return NEED_DATA
            if buf[0] != 0x0D:
                # next_event looked for the remembered head, and offered the buffer to the C
                # helper, only when it did not start with an empty line: now it does not.
                return self.next_event()
        head = self._find_head()
        if head is None:
            return NEED_DATA
        limits = self._limits
        return self._decide_request(
            head, split_request_head(head, limits.max_start_line, limits.max_header_count)
        )

    def _decide_request(self, head: bytes, split: SplitHead | None) -> Request:
        """Check a request head and decide its framing and persistence (RFC 9112 §3.2, §6.3,
        §9.3; RFC 9110 §7.8, §10.1.1), from its split, or step by step without one."""
        limits = self._limits
        if split is not None:
            method, target, version, items, framing = split
        else:  # the step-by-step parser says what is wrong (or takes a long line's 414)
            method, target, version, line_end = parse_request_line(head, limits.max_start_line)
            items = parse_fields(head[line_end:], limits.max_header_count)._items
            framing = framing_fields(items)
        self.their_http_version = version  # (an error's answer is in the request's version)
        http11 = version == b"1.1"
        hosts: list[bytes] = []
        lengths: list[bytes] | None = None
        codings: list[bytes] | None = None
        connection: list[bytes] | None = None
        upgrade = expect = False
        # Only the fields that decide framing and persistence, as the splitter picked them out.
        for name, value in framing:
            if name == b"host":
                hosts.append(value)
            elif name == b"content-length":
                lengths = [*(lengths or ()), value]
            elif name == b"transfer-encoding":
                codings = [*(codings or ()), value]
            elif name == b"connection":
                connection = [*(connection or ()), value]
            elif name == b"upgrade":
                upgrade = True
            elif value.lower() == b"100-continue":  # Expect, RFC 9110 §10.1.1
                expect = True
        # RFC 9112 §3.2: exactly one Host on HTTP/1.1, never more than one, always valid.
        if len(hosts) != 1 and (http11 or hosts):
            raise RemoteProtocolError(
                "missing Host header" if not hosts else "more than one Host header (RFC 9112 §3.2)"
            )
        if hosts and not _is_host(hosts[0]):
            raise RemoteProtocolError("invalid Host header (RFC 9112 §3.2)")
        is_connect = method == b"CONNECT"
        if target[0] != 0x2F or is_connect:  # anything but origin-form is checked further
            _check_target(method, target, is_connect)
        flags = 0
        options = _connection_tokens(connection) if connection else None
        if (options is not None and b"close" in options) or (
            not http11 and (options is None or b"keep-alive" not in options)
        ):
            flags |= PLAN_CLOSE
        # Framing, RFC 9112 §6.3.
        length = 0  # no content (RFC 9112 §6.3 rule 7)
        if is_connect:
            # RFC 9110 §9.3.6: a CONNECT request has no content; what follows is the tunnel.
            flags |= PLAN_SWITCH
        elif codings is not None:
            _check_request_coding(codings, lengths is not None, http11)
            length = -1  # chunked
        elif lengths is not None:
            length = parse_content_length(lengths, limits.max_body_size)
        if upgrade and http11 and not is_connect and options is not None and b"upgrade" in options:
            # RFC 9110 §7.8: only an HTTP/1.1 request may ask to switch; Connection must
            # list "upgrade" so an intermediary did not forward it by mistake.
            flags |= PLAN_SWITCH
        if http11 and expect:
            # RFC 9110 §10.1.1: a 1.0 client's expectation is ignored.
            flags |= PLAN_EXPECT_100
        plan = (method, target, version, items, head, length, flags)
        if split is not None and len(head) <= MAX_REMEMBERED_HEAD:
            # (A head without a split, parsed step by step, is one the splitter refuses: those
            # are refused above too, but they are not worth remembering if ever they were not.)
            self._memo.request = plan
        return self._start_request(plan)

    def _start_request(self, plan: Plan) -> Request:
        """Start the request a plan describes (memo.py), whoever made it: the memo for a
        repeated head, the C helper or _decide_request for a fresh one."""
        method, _, version, _, _, length, flags = plan
        self.their_http_version = version
        if flags:
            if flags & PLAN_CLOSE:
                self._keep_alive = False
            if flags & PLAN_SWITCH:
                self._switch_pending = True
            if flags & PLAN_EXPECT_100:
                self.client_is_waiting_for_100_continue = True
        if length:  # else no content: the reader is None already (start_next_cycle)
            if length > 0:
                reader = _new(ContentLengthReader)
                reader.remaining = length
                self._reader = reader
            else:
                limits = self._limits
                self._reader = ChunkedReader(
                    limits.max_chunk_line, limits.max_body_size, limits.max_head_bytes
                )
        self._request_method = method
        self._client_state = SEND_BODY
        self._server_state = SEND_RESPONSE
        return request_from_plan(plan, Request, Headers)

    def _read_body(self) -> Event | Sentinel:
        # A client always has a reader; a server's request without one ends in next_event.
        reader = self._reader
        assert reader is not None
        event = reader.read(self._buf, self._limits.max_header_count)
        if event is None:
            if self._eof:
                event = reader.read_eof()
            else:
                return NEED_DATA
        if type(event) is EndOfMessage:
            self._reader = None
            if self._switch_pending:
                self._set_their_state(MIGHT_SWITCH if self._server_role else DONE)
            elif self._server_role:
                self._client_state = DONE if self._keep_alive else MUST_CLOSE
                # The whole body is here: nobody waits for a 100 (RFC 9110 §10.1.1 lets a server
                # omit it), and answering now leaves no body in flight to spoil keep-alive.
                self.client_is_waiting_for_100_continue = False
            else:
                self._server_state = DONE
                self._settle()
        return event

    def _read_response(self) -> Event | Sentinel:
        head = self._find_head()
        if head is None:
            if self._eof and not self._buf:  # pragma: no cover - _find_head raised at EOF
                raise RemoteProtocolError("server closed the connection without sending a response")
            return NEED_DATA
        limits = self._limits
        match = RESPONSE_HEAD_RE.fullmatch(head)
        if match is not None and match.start(4) <= limits.max_start_line and head[9] != 0x30:
            minor, status, reason, section = match.groups()
            code = int(status)
            reason = reason or b""
            version = b"1.1" if minor == b"1" else b"1.0"
            headers = split_fields(section, limits.max_header_count)
        else:  # the step-by-step parser says what is wrong
            code, reason, version, headers = parse_response_head(
                head, limits.max_start_line, limits.max_header_count
            )
        self.their_http_version = version
        if code < 200:
            if code == 101:
                if not self._switch_pending:
                    raise RemoteProtocolError("101 Switching Protocols without an Upgrade request")
                self._client_state = SWITCHED
                self._server_state = SWITCHED
            return InformationalResponse(
                status_code=code, headers=headers, reason=reason, http_version=version
            )
        lengths: list[bytes] = []
        codings: list[bytes] = []
        connection: list[bytes] = []
        for name, value in headers._items:
            if name in FRAMING_FIELDS:
                if name == b"content-length":
                    lengths.append(value)
                elif name == b"transfer-encoding":
                    codings.append(value)
                elif name == b"connection":
                    connection.append(value)
        options = _connection_tokens(connection) if connection else _NO_OPTIONS
        if b"close" in options or (version == b"1.0" and b"keep-alive" not in options):
            self._keep_alive = False
        method = self._request_method
        reader: BodyReader
        if method == b"CONNECT" and code < 300:
            # RFC 9110 §9.3.6: a 2xx to CONNECT starts the tunnel right after the head.
            self._client_state = SWITCHED
            self._server_state = SWITCHED
            return Response(status_code=code, headers=headers, reason=reason, http_version=version)
        self._switch_pending = False
        if self._client_state is MIGHT_SWITCH:
            self._client_state = DONE
        if method == b"HEAD" or code in (204, 304):
            reader = ContentLengthReader(0)  # RFC 9112 §6.3 rule 1
        elif codings:
            if lengths:
                raise RemoteProtocolError(
                    "response has both Transfer-Encoding and Content-Length (RFC 9112 §6.1)"
                )
            names = [c.strip(b" \t").lower() for v in codings for c in v.split(b",")]
            if names[-1] == b"chunked" and version == b"1.1":
                reader = ChunkedReader(limits.max_chunk_line, None, limits.max_head_bytes)
            else:
                reader = UntilCloseReader()  # RFC 9112 §6.3 rule 4 (response)
                self._keep_alive = False
        elif lengths:
            reader = ContentLengthReader(parse_content_length(lengths, None))
        else:
            reader = UntilCloseReader()  # RFC 9112 §6.3 rule 8
            self._keep_alive = False
        self._reader = reader
        self._server_state = SEND_BODY
        self._settle()
        response = _new(Response)
        response.status_code = code
        response.headers = headers
        response.reason = reason
        response.http_version = version
        return response

    # ---------------------------------------------------------------- writing --

    def send(self, event: Event) -> bytes:
        """Turn one of our events into the bytes to write.

        Raises:
            LocalProtocolError: the event is not allowed now or is malformed; our state
                becomes ERROR.
        """
        return b"".join(self.send_chunks(event))

    def send_chunks(self, event: Event) -> list[_Body]:
        """Like :meth:`send`, but a body payload is returned uncopied between its framing."""
        try:
            if type(event) is Data:
                writer = self._writer
                if writer is None or self.our_state is not SEND_BODY:
                    raise LocalProtocolError(f"can't send data in state {self.our_state.name}")
                return writer.frame(event.data)
            if type(event) is EndOfMessage:
                return [self._send_end(event.headers.raw_items())]
            if type(event) is Response:
                return [
                    self._send_response(event.status_code, event.headers.raw_items(), event.reason)
                ]
            if type(event) is InformationalResponse:
                return [self._send_informational(event)]
            if type(event) is Request:
                return [self._send_request(event)]
            if type(event) is ConnectionClosed:
                if self._server_role:
                    self._server_state = CLOSED
                else:
                    self._client_state = CLOSED
                self._keep_alive = False
                return []
            raise TypeError(f"not an event: {event!r}")
        except ProtocolError:
            self._fail_ours()
            raise

    def send_response(
        self,
        status_code: int,
        headers: list[tuple[bytes, bytes]],
        body: _Body | None = None,
        reason: bytes = b"",
        trusted: bytes = b"",
    ) -> bytes:
        """Serialise a final response head, and the whole body when ``body`` is given.

        The fast path for servers: with a complete ``body`` and no framing header, it sets
        ``Content-Length`` rather than chunking, and head and body come back as one bytes
        object, ready for a single write.

        Args:
            trusted: field lines the caller built itself, each ``name: value\r\n``, written
                right after the status line as they are: not validated and not looked at for
                framing. For a server's own Date, Server and Keep-Alive, whose bytes it made;
                never for anything that came from an application or a peer.

        Raises:
            LocalProtocolError: as :meth:`send`.
        """
        try:
            if body is None:
                return self._send_response(status_code, headers, reason, trusted)
            context: HeadKey | None = None
            if (
                self._server_state is SEND_RESPONSE
                and self._server_role
                and not (self._switch_pending or self.client_is_waiting_for_100_continue)
            ):
                # A whole body, no switch, no 100-continue pending: the head depends only on
                # what this key holds. The same key as the last head made (a server answering
                # one URL over and over) means the same bytes: reuse them, and their outcome.
                # (Its status passed _send_response's checks when it was made.)
                context = (
                    status_code,
                    tuple(headers),
                    reason,
                    trusted,
                    len(body),
                    self._request_method,
                    self.their_http_version,
                    self._keep_alive,
                )
                made = self._memo.head
                if made is not None and made[0] == context:
                    # (No writer to drop: one exists only in SEND_BODY.)
                    head, keep_alive = made[1]
                    if keep_alive:
                        self._server_state = DONE
                    else:
                        self._keep_alive = False
                        self._server_state = MUST_CLOSE
                    return head + body
            head = self._send_response(status_code, headers, reason, trusted, body, context)
            writer = self._writer
            if writer is None:
                # The common case: _send_response found the body to be exactly what the head
                # declares, finished the message and wrote the body after the head.
                return head
            return b"".join([head, *writer.frame(body), self._send_end([])])
        except ProtocolError:
            self._fail_ours()
            raise

    def _fail_ours(self) -> None:
        self._keep_alive = False
        if self._server_role:
            self._server_state = ERROR
        else:
            self._client_state = ERROR

    def _send_end(self, trailers: list[tuple[bytes, bytes]]) -> bytes:
        writer = self._writer
        if writer is None or self.our_state is not SEND_BODY:
            raise LocalProtocolError(f"can't end a message in state {self.our_state.name}")
        out = writer.finish(trailers)
        self._writer = None
        if self._server_role:
            self._server_state = DONE
        elif self._switch_pending:
            self._client_state = MIGHT_SWITCH
        else:
            self._client_state = DONE
        self._settle()
        return out

    def _send_informational(self, event: InformationalResponse) -> bytes:
        if not self._server_role or self._server_state is not SEND_RESPONSE:
            raise LocalProtocolError("an informational response can only precede a response")
        code = event.status_code
        if not 100 <= code <= 199:
            raise LocalProtocolError("informational responses are 1xx")
        if code == 101:
            if not self._switch_pending or self._request_method == b"CONNECT":
                raise LocalProtocolError("101 needs a request that asked for Upgrade")
            if self._client_state not in (MIGHT_SWITCH, SEND_BODY):
                raise LocalProtocolError("101 sent in a bad state")  # pragma: no cover
            self._client_state = SWITCHED
            self._server_state = SWITCHED
        elif code == 100:
            self.client_is_waiting_for_100_continue = False
        if self.their_http_version == b"1.0":
            # RFC 9110 §15.2: a server MUST NOT send a 1xx response to an HTTP/1.0 client.
            raise LocalProtocolError("1xx responses can't be sent to an HTTP/1.0 client")
        return write_head(status_line(code, event.reason), event.headers.raw_items())

    def _send_response(
        self,
        code: int,
        headers: list[tuple[bytes, bytes]],
        reason: bytes,
        trusted: bytes = b"",
        body: _Body | None = None,
        context: HeadKey | None = None,
    ) -> bytes:
        # With ``body`` (the whole of it): when the head declares exactly that body, the
        # message ends here and the body is written after the head, in the same join. With
        # ``context`` (send_response's memo key), the head made is remembered under it.
        body_length = None if body is None else len(body)
        if self._server_state is not SEND_RESPONSE or not self._server_role:
            raise LocalProtocolError(f"can't send a response in state {self.our_state.name}")
        if not 200 <= code <= 999:
            raise LocalProtocolError("final responses have a status of 200 or above")
        # The application's fields as a tuple: equal to the last response's (a server sends the
        # same few lists over and over) means checked already; checking costs more than the rest
        # of the head. Pairs are tuples of bytes, so the tuple holds exactly what was checked.
        key = tuple(headers) if context is None else context[1]  # send_response made it already
        memo = self._memo
        last = memo.response
        if last is not None and key == last[0]:
            checked = last[1]
        else:
            checked = _check_fields(headers)
            if len(checked[0]) <= MAX_REMEMBERED_FIELDS:
                try:
                    hash(key)  # only an immutable key is kept: no bytearray, no list pairs
                except (TypeError, ValueError):
                    pass
                else:
                    memo.response = key, checked
        fields, length, coding, close = checked
        if trusted:
            fields = trusted + fields if fields else trusted[:-2]
        method = self._request_method
        if self._switch_pending:
            self._switch_pending = False
            if method == b"CONNECT" and code < 300:
                self._client_state = SWITCHED
                self._server_state = SWITCHED
                head = _head(status_line(code, reason), fields, b"")
                return head if body is None else head + body
            if self._client_state is MIGHT_SWITCH:
                self._client_state = DONE  # the switch was declined (RFC 9110 §7.8)
        if close or self.client_is_waiting_for_100_continue:
            # Answering before the client sent the body it is holding back: the connection
            # can't be reused, since the body may still arrive (RFC 9110 §10.1.1).
            self._keep_alive = False
        http11 = self.their_http_version == b"1.1"
        writer: BodyWriter
        extra = b""
        if method == b"HEAD" or code == 204 or code == 304:
            writer = NoBodyWriter()
        elif length is not None:
            writer = ContentLengthWriter(length)
        elif coding is not None:
            if coding.strip() != b"chunked":
                raise LocalProtocolError("only the chunked transfer coding is supported")
            if http11:
                writer = ChunkedWriter()
            else:
                # Never chunk to an HTTP/1.0 client (RFC 9112 §6.1): delimit by closing.
                kept = [h for h in headers if h[0].lower() != b"transfer-encoding"]
                fields = encode_fields(kept)
                if trusted:
                    fields = trusted + fields if fields else trusted[:-2]
                writer = CloseDelimitedWriter()
                self._keep_alive = False
        elif body_length is not None:
            writer = _WHOLE_BODY  # written right after the head
            extra = _LENGTH_LINES.get(body_length) or b"content-length: %d\r\n" % body_length
        elif http11:
            writer = ChunkedWriter()
            extra = b"transfer-encoding: chunked\r\n"
        else:
            writer = CloseDelimitedWriter()
            self._keep_alive = False
        if not self._keep_alive:
            if not close:
                extra += b"connection: close\r\n"
        elif not http11:
            extra += b"connection: keep-alive\r\n"
        if not reason:
            start = STATUS_LINES.get(code) or status_line(code)
        else:
            start = status_line(code, reason)
        if writer is _WHOLE_BODY or (
            type(writer) is ContentLengthWriter and writer.remaining == body_length
        ):
            # The whole body comes with the head and is exactly what it declares: the message
            # ends here (send_response writes the body after the head). No writer to drop: one
            # exists only in SEND_BODY.
            self._server_state = DONE if self._keep_alive else MUST_CLOSE
            assert body is not None  # a length to match means a body was given
            if context is not None and len(fields) <= MAX_REMEMBERED_FIELDS:
                try:
                    hash(context)  # as for the field list: only an immutable key is kept
                except (TypeError, ValueError):
                    pass
                else:
                    if fields:
                        head = b"".join((start, fields, b"\r\n", extra, b"\r\n"))
                    else:
                        head = b"".join((start, extra, b"\r\n"))
                    memo.head = context, (head, self._keep_alive)
                    return head + body
            if fields:
                return b"".join((start, fields, b"\r\n", extra, b"\r\n", body))
            return b"".join((start, extra, b"\r\n", body))
        self._writer = writer
        self._server_state = SEND_BODY
        if fields:
            return b"".join((start, fields, b"\r\n", extra, b"\r\n"))
        return b"".join((start, extra, b"\r\n"))

    def _send_request(self, event: Request) -> bytes:
        if self._server_role:
            raise LocalProtocolError("a server can't send a request")
        if self._client_state is not IDLE:
            raise LocalProtocolError(f"can't send a request in state {self._client_state.name}")
        method = event.method
        if TOKEN_RE.fullmatch(method) is None:
            raise LocalProtocolError("the method is not a token")
        target = event.target
        if not target or _BAD_TARGET_RE.search(target) is not None:
            raise LocalProtocolError("the request-target contains forbidden characters")
        version = event.http_version
        if version not in (b"1.1", b"1.0"):
            raise LocalProtocolError("only HTTP/1.1 and HTTP/1.0 requests can be sent")
        if target == b"*" and method != b"OPTIONS":
            raise LocalProtocolError("asterisk-form is only for OPTIONS (RFC 9112 §3.2.4)")
        headers = event.headers
        hosts = 0
        lengths: list[bytes] = []
        codings: list[bytes] = []
        connection: list[bytes] = []
        upgrade = False
        for name, value in headers._items:  # one pass, as the request reader does
            if name in FRAMING_FIELDS:
                if name == b"host":
                    hosts += 1
                elif name == b"content-length":
                    lengths.append(value)
                elif name == b"transfer-encoding":
                    codings.append(value)
                elif name == b"connection":
                    connection.append(value)
                elif name == b"upgrade":
                    upgrade = True
        # RFC 9112 §3.2: one Host on HTTP/1.1; never more than one.
        if hosts > 1 or (hosts == 0 and version == b"1.1"):
            raise LocalProtocolError("HTTP/1.1 requests need exactly one Host (RFC 9112 §3.2)")
        writer: BodyWriter
        if lengths and codings:
            raise LocalProtocolError("both Content-Length and Transfer-Encoding (RFC 9112 §6.1)")
        if codings:
            if version != b"1.1" or codings[-1].strip().lower() != b"chunked":
                raise LocalProtocolError("requests can only use chunked, and only on HTTP/1.1")
            writer = ChunkedWriter()
        elif lengths:
            if len(lengths) > 1 or CONTENT_LENGTH_RE.fullmatch(lengths[0]) is None:
                raise LocalProtocolError("invalid Content-Length")
            writer = ContentLengthWriter(int(lengths[0]))
        else:
            writer = ContentLengthWriter(0)  # RFC 9112 §6.3 rule 7: no framing, no body
        options = _connection_tokens(connection) if connection else _NO_OPTIONS
        if b"close" in options or (version == b"1.0" and b"keep-alive" not in options):
            self._keep_alive = False
        self._switch_pending = method == b"CONNECT" or (b"upgrade" in options and upgrade)
        self._request_method = method
        self._writer = writer
        self._client_state = SEND_BODY
        self._server_state = SEND_RESPONSE
        return write_head(b"%s %s HTTP/%s\r\n" % (method, target, version), headers.raw_items())


# _send_response's writer for a whole body given with the head (send_response): none is needed.
_WHOLE_BODY = NoBodyWriter()


def _check_fields(headers: list[tuple[bytes, bytes]]) -> CheckedFields:
    """Encode and check a response's fields; find the framing ones (RFC 9112 §6.1, §6.3).

    Returns:
        The field lines joined by CRLF, the Content-Length value (or None), the
        Transfer-Encoding codings (or None), and whether Connection lists ``close``.

    Raises:
        LocalProtocolError: as :func:`encode_fields`; an invalid or repeated Content-Length;
            both Content-Length and Transfer-Encoding.
    """
    # The fields are joined and validated in C.
    fields = encode_fields(headers)
    length: int | None = None
    coding: bytes | None = None
    close = False
    for name, value in headers:
        # Applications send names in any case; only names of a framing field's length are
        # lowercased, so most fields cost one len() and one set lookup.
        if len(name) in _FRAMING_NAME_LENGTHS:
            name = name.lower()
            if name == b"content-length":
                if length is not None or CONTENT_LENGTH_RE.fullmatch(value) is None:
                    raise LocalProtocolError("invalid or repeated Content-Length")
                length = int(value)
            elif name == b"transfer-encoding":
                coding = value if coding is None else coding + b"," + value
            elif name == b"connection":
                close = close or b"close" in _connection_tokens([value])
    if length is not None and coding is not None:
        raise LocalProtocolError("both Content-Length and Transfer-Encoding (RFC 9112 §6.1)")
    return fields, length, coding, close


# RFC 3986 §3.2.2 reg-name octets: unreserved / pct-encoded / sub-delims.
_REG_NAME_OCTETS = b"-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~!$&'()*+,;=%"


def _is_host(value: bytes) -> bool:
    """Whether ``value`` is a valid Host (HOST_RE), the usual reg-name[:port] checked by lstrip."""
    # lstrip() with a set of octets runs in C without the fixed cost of a regex call; what it
    # leaves must be nothing or ":" port. Anything else (an IP-literal) goes to the regex.
    rest = value.lstrip(_REG_NAME_OCTETS)
    if not rest:
        return True
    if rest[0] == 0x3A and (len(rest) == 1 or rest[1:].isdigit()):
        return True
    return HOST_RE.fullmatch(value) is not None


def _head(start_line: bytes, fields: bytes, extra: bytes) -> bytes:
    if fields:
        return b"%s%s\r\n%s\r\n" % (start_line, fields, extra)
    return b"%s%s\r\n" % (start_line, extra)


def _check_request_coding(codings: list[bytes], has_length: bool, http11: bool) -> None:
    """A request's Transfer-Encoding, which must end in chunked, once (RFC 9112 §6.1, §6.3)."""
    # RFC 9112 §6.1: Transfer-Encoding with Content-Length is a smuggling shape; a server
    # MAY reject it and MUST close afterwards. We reject.
    if has_length:
        raise RemoteProtocolError("both Transfer-Encoding and Content-Length (RFC 9112 §6.1)")
    if not http11:
        # RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
        raise RemoteProtocolError("Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)")
    names = [c.strip(b" \t").lower() for v in codings for c in v.split(b",")]
    for coding in names:
        if TOKEN_RE.fullmatch(coding) is None:
            raise RemoteProtocolError("invalid transfer coding (RFC 9112 §6.1)")
    # RFC 9112 §6.3 rule 4: if chunked is not the final coding of a request, 400.
    if names[-1] != b"chunked" or b"chunked" in names[:-1]:
        raise RemoteProtocolError("chunked must be the final transfer coding, once")
    if len(names) > 1:
        # RFC 9112 §6.1: a coding we do not implement is answered 501.
        known = all(c in _KNOWN_CODINGS for c in names[:-1])
        raise RemoteProtocolError(
            "transfer coding not implemented" if known else "unknown transfer coding",
            status_hint=HTTPStatus.NOT_IMPLEMENTED,
        )


def _check_target(method: bytes, target: bytes, is_connect: bool) -> None:
    """The four request-target forms of RFC 9112 §3.2, each only where it belongs."""
    first = target[0]
    if is_connect:
        # §3.2.3: CONNECT takes authority-form, and only it does.
        if AUTHORITY_FORM_RE.fullmatch(target) is None:
            raise RemoteProtocolError("CONNECT needs an authority-form target (host:port)")
        return
    if first == 0x2F:  # pragma: no cover - "/": origin-form (§3.2.1); the caller skips it
        return
    if target == b"*":
        # §3.2.4: asterisk-form is only for a server-wide OPTIONS.
        if method != b"OPTIONS":
            raise RemoteProtocolError("asterisk-form is only allowed with OPTIONS")
        return
    match = ABSOLUTE_FORM_RE.fullmatch(target)
    if match is None:
        raise RemoteProtocolError("invalid request-target (RFC 9112 §3.2)")
    if b"@" in match.group(2):
        # RFC 9110 §4.2.4: userinfo is deprecated and a common phishing vector; refuse it.
        raise RemoteProtocolError("userinfo in the request-target")
