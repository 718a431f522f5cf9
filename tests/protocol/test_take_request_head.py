"""The C helper's decided heads against connection.py's own decisions (``take_request_head``).

The pure-Python path is the reference: without the C helper ``Connection._read_request`` finds
the head and splits it, and ``Connection._decide_request`` decides framing and persistence (RFC 9112 §3.2, §6.3, §9.3; RFC 9110 §7.8,
§10.1.1). ``take_request_head`` cuts a head out of the buffer and, for the usual requests,
makes the same decisions in C (the plan, memo.py). For every head here it must either give
exactly the plan the reference remembers, or decline (the head and its split, or None), and
never decide a head the reference refuses.
"""

from __future__ import annotations

import gc
import sys
from typing import TYPE_CHECKING

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crlf.errors import RemoteProtocolError
from crlf.protocol import Connection, Limits, Request, Role, _readers, connection
from crlf.protocol.memo import MAX_REMEMBERED_HEAD, PLAN_EXPECT_100, PLAN_SWITCH, Plan

if TYPE_CHECKING:
    from crlf.protocol._readers import TakeHead

c_take: TakeHead | None
c_split: object
try:
    from crlf.protocol._speedups import split_request_head as c_split
    from crlf.protocol._speedups import take_request_head as c_take
except ImportError:  # pragma: no cover - built by the test setup (scripts/setup-test.sh)
    c_take = c_split = None

needs_c = pytest.mark.skipif(c_take is None, reason="the C helper was not built")

LIMITS = Limits()


def reference(data: bytes, limits: Limits) -> Plan | RemoteProtocolError | None:
    """What the pure-Python path decides for ``data``: the remembered plan, its error, or None
    (no whole head yet)."""
    saved = connection.take_request_head  # type: ignore[attr-defined]
    connection.take_request_head = _readers._take_nothing  # type: ignore[attr-defined]
    try:
        conn = Connection(Role.SERVER, limits=limits)
        conn.receive_data(data)
        try:
            event = conn.next_event()
        except RemoteProtocolError as error:
            return error
        if type(event) is not Request:
            return None
        remembered = conn._memo.request
        assert remembered is not None
        return remembered
    finally:
        connection.take_request_head = saved  # type: ignore[attr-defined]


def check(head: bytes, rest: bytes = b"", limits: Limits = LIMITS) -> str:
    """Assert the C helper agrees with the reference on ``head + rest``; say what it did."""
    assert c_take is not None
    assert len(head) <= MAX_REMEMBERED_HEAD
    want = reference(head + rest, limits)
    buf = bytearray(head + rest)
    got = c_take(buf, 0, limits, MAX_REMEMBERED_HEAD)
    if got is None:
        # Declined before splitting: no whole head, or one the step-by-step parser must judge
        # (the splitter refuses only heads the reference refuses too).
        assert buf == head + rest, head
        assert want is None or isinstance(want, RemoteProtocolError), head
        return "none"
    assert buf == rest, head  # the head, and only it, was cut from the buffer
    if len(got) == 2:
        taken, split = got
        assert taken == head, head
        assert c_split is not None
        assert split == c_split(head, limits.max_start_line, limits.max_header_count), head  # type: ignore[operator]
        return "split"
    assert isinstance(want, tuple), (head, want)
    assert got[4] == head, head
    assert want == got, head
    return "decided"


H = b"GET / HTTP/1.1\r\nHost: a\r\n"

# (head, what the helper does with it): every decision of _decide_request, each way it can go.
CASES = [
    (H + b"\r\n", "decided"),
    (b"GET / HTTP/1.0\r\n\r\n", "decided"),  # 1.0 without Host
    (b"GET / HTTP/1.1\r\n\r\n", "split"),  # 1.1 without Host: 400
    (H + b"Host: a\r\n\r\n", "split"),  # two Hosts: 400
    (b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", "split"),
    (b"GET / HTTP/1.1\r\nHost: a.b-c_d~e%41!$&'()*+,;=:8080\r\n\r\n", "decided"),
    (b"GET / HTTP/1.1\r\nHost: a:\r\n\r\n", "decided"),  # empty port
    (b"GET / HTTP/1.1\r\nHost: \r\n\r\n", "decided"),  # empty Host (RFC 9110 §7.2)
    (b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n", "decided"),
    (b"GET / HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n", "split"),  # IP-literal: the regex
    (b"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", "split"),
    (b"GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", "split"),
    (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "split"),
    (b"GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", "split"),
    (b"GET / HTTP/1.1\r\nHost: a:80a\r\n\r\n", "split"),
    (b"GET / HTTP/1.1\r\nHost: \xc3\xa9\r\n\r\n", "split"),
    (b"GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", "split"),  # absolute-form
    (b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "split"),  # asterisk-form
    (b"GET * HTTP/1.1\r\nHost: a\r\n\r\n", "split"),
    (b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", "split"),
    (b"CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n", "split"),  # CONNECT wants authority-form
    (b"CONNECTX /x HTTP/1.1\r\nHost: a\r\n\r\n", "decided"),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "decided"),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n", "decided"),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n", "decided"),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: " + b"9" * 18 + b"\r\n\r\n", "split"),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: " + b"1" * 19 + b"\r\n\r\n", "split"),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 104857600\r\n\r\n", "decided"),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 104857601\r\n\r\n", "split"),  # 413
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", "split"),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1,1\r\n\r\n", "split"),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", "split"),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", "split"),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: \xd9\xa1\r\n\r\n", "split"),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", "split"),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "split"),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", "split"),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", "split"),
    (
        b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
        "split",
    ),
    (b"POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "split"),
    (H + b"Connection: close\r\n\r\n", "decided"),
    (H + b"Connection: CLOSE\r\n\r\n", "decided"),
    (H + b"Connection: \t close \t\r\n\r\n", "decided"),
    (H + b"Connection: closed\r\n\r\n", "decided"),
    (H + b"Connection: ,, close,\r\n\r\n", "decided"),
    (H + b"Connection: keep-alive\r\nConnection: close\r\n\r\n", "decided"),
    (H + b"Connection: \r\n\r\n", "decided"),
    (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "decided"),
    (b"GET / HTTP/1.0\r\nConnection: Keep-Alive, x\r\n\r\n", "decided"),
    (b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", "decided"),
    (b"GET / HTTP/1.0\r\nConnection: keep-alives\r\n\r\n", "decided"),
    (H + b"Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n", "decided"),
    (H + b"Upgrade: websocket\r\nConnection: keep-alive, upgrade\r\n\r\n", "decided"),
    (H + b"Upgrade: websocket\r\n\r\n", "decided"),  # not listed in Connection: no switch
    (H + b"Connection: upgrade\r\n\r\n", "decided"),  # nothing to switch to
    (b"GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", "decided"),
    (H + b"Expect: 100-continue\r\n\r\n", "decided"),
    (H + b"Expect: 100-Continue\r\n\r\n", "decided"),
    (H + b"Expect: 100-continue, x\r\n\r\n", "decided"),
    (H + b"Expect: x\r\nExpect: 100-continue\r\n\r\n", "decided"),
    (b"GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", "decided"),
    (
        b"POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        "decided",
    ),
    (b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", "none"),  # 505 from the step-by-step parser
    (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", "none"),
    (b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", "none"),
    (b"GET / HTTP/1.1\r\nHost: a\r\n", "none"),  # not ended yet
    (b"GET / HTTP/1.1\r\nHost: a\r\n\r", "none"),
]


@needs_c
@pytest.mark.parametrize(("head", "outcome"), CASES)
def test_decisions_agree(head: bytes, outcome: str) -> None:
    assert check(head) == outcome
    # A pipelined request after it stays in the buffer, whatever the outcome.
    assert check(head, b"GET / HTTP/1.1\r\nHost: b\r\n\r\n") == outcome


@needs_c
def test_every_field_and_plan_value() -> None:
    head = (
        b"POST /f?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nX-A: \tb c\t\r\n"
        b"Connection: Upgrade\r\nUpgrade: h2c\r\nEXPECT: 100-continue\r\n\r\n"
    )
    assert c_take is not None
    got = c_take(bytearray(head + b"hello"), 0, Limits(max_body_size=None), MAX_REMEMBERED_HEAD)
    assert got is not None
    assert got == (
        b"POST",
        b"/f?q=1",
        b"1.1",
        [
            (b"host", b"x"),
            (b"content-length", b"5"),
            (b"x-a", b"b c"),
            (b"connection", b"Upgrade"),
            (b"upgrade", b"h2c"),
            (b"expect", b"100-continue"),
        ],
        head,
        5,
        PLAN_SWITCH | PLAN_EXPECT_100,  # persistent: no PLAN_CLOSE
    )
    assert check(head, b"hello") == "decided"


@needs_c
@pytest.mark.parametrize(
    "limits",
    [
        Limits(max_body_size=4),
        Limits(max_body_size=0),
        Limits(max_body_size=None),
        Limits(max_header_count=1),
        Limits(max_start_line=10),
        Limits(max_head_bytes=40),
        Limits(max_head_bytes=41),
    ],
    ids=repr,
)
def test_limits_are_the_references(limits: Limits) -> None:
    # Over a limit the helper declines and the reference answers 413, 414 or 431.
    for head in (
        b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n",
        b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
        b"GET /abcdef HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /abcdef HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n",
    ):
        check(head, limits=limits)


@needs_c
def test_search_from_and_arguments() -> None:
    assert c_take is not None
    buf = bytearray(H + b"\r\n")
    # The caller says where CRLF CRLF may start (it has looked before that): past it, none.
    assert c_take(buf, len(buf) - 3, LIMITS, 4096) is None
    assert c_take(buf, len(buf) - 4, LIMITS, 4096) is not None
    assert buf == b""
    with pytest.raises(TypeError):
        c_take(bytes(H + b"\r\n"), 0, LIMITS, 4096)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        c_take(bytearray(H), 0, LIMITS)  # type: ignore[call-arg]
    with pytest.raises(AttributeError):
        c_take(bytearray(H), 0, object(), 4096)  # type: ignore[arg-type]


@needs_c
@pytest.mark.parametrize("before", [b"\r\n", b"\r\n\r\n", b"\r"])
def test_empty_lines_first_are_left_to_read_request(before: bytes) -> None:
    # RFC 9112 §2.2: a server ignores empty lines before a request. The helper declines a
    # buffer that starts with one (untouched); _read_request drops them and the head after is
    # offered to the helper again (decided and remembered as any other).
    assert c_take is not None
    data = before + H + b"\r\n"
    buf = bytearray(data)
    assert c_take(buf, 0, LIMITS, MAX_REMEMBERED_HEAD) is None
    assert buf == data
    conn = Connection(Role.SERVER)
    conn.receive_data(data if before != b"\r" else b"\r\n" + H + b"\r\n")
    request = conn.next_event()
    assert isinstance(request, Request)
    assert request.target == b"/"
    assert conn._memo.request is not None
    assert conn._memo.request[4] == H + b"\r\n"


@needs_c
@pytest.mark.parametrize("size", [MAX_REMEMBERED_HEAD, MAX_REMEMBERED_HEAD + 1])
def test_heads_the_memo_would_not_keep_are_decided_in_python(size: int) -> None:
    # The helper decides only heads the memo remembers; a longer one comes back split, and
    # _decide_request decides it (and does not remember it).
    assert c_take is not None
    head = H + b"X-Long: " + b"v" * (size - len(H) - 12) + b"\r\n\r\n"
    assert len(head) == size
    got = c_take(bytearray(head), 0, LIMITS, MAX_REMEMBERED_HEAD)
    assert got is not None
    assert len(got) == (7 if size <= MAX_REMEMBERED_HEAD else 2)
    conn = Connection(Role.SERVER)
    conn.receive_data(head)
    request = conn.next_event()
    assert isinstance(request, Request)
    assert request.headers.get(b"x-long") == b"v" * (size - len(H) - 12)
    assert (conn._memo.request is not None) is (size <= MAX_REMEMBERED_HEAD)


@needs_c
def test_limits_read_anew_for_another_limits_object() -> None:
    # The helper keeps the last Limits it read (held, so its address is never reused) and
    # reads any other anew: alternating two gives each its own outcome.
    assert c_take is not None
    head = b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
    small, large = Limits(max_body_size=4), Limits(max_body_size=5)
    for _ in range(3):
        got = c_take(bytearray(head), 0, small, 4096)
        assert got is not None
        assert len(got) == 2  # the head and its split: the reference answers 413
        got = c_take(bytearray(head), 0, large, 4096)
        assert got is not None
        assert len(got) == 7
    assert check(head, limits=small) == "split"
    assert check(head, limits=Limits(max_body_size=5)) == "decided"


_method = st.sampled_from([b"GET", b"POST", b"HEAD", b"CONNECT", b"OPTIONS", b"PUT"])
_target = st.sampled_from([b"/", b"/a?b", b"*", b"http://h/x", b"h:443", b"/\xff"])
_version = st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/1.2"])
_name = st.sampled_from(
    [b"Host", b"host", b"Content-Length", b"Transfer-Encoding", b"Connection", b"connection",
     b"Expect", b"Upgrade", b"X-Other", b"Host ", b" Host"]
)  # fmt: skip
_value = st.sampled_from(
    [b"a", b"", b"a:80", b"[::1]", b"a b", b"0", b"12", b"007", b"1,1", b"+1", b"chunked",
     b"gzip, chunked", b"close", b"Keep-Alive", b"upgrade", b"keep-alive, Upgrade",
     b"100-continue", b"100-Continue", b"websocket", b" \t close", b"\x80", b"1" * 19]
)  # fmt: skip


@needs_c
@settings(max_examples=1500)
@given(_method, _target, _version, st.lists(st.tuples(_name, _value), max_size=6))
@example(b"GET", b"/", b"HTTP/1.1", [(b"Host", b"a"), (b"Connection", b"close")])
def test_generated_requests_agree(
    method: bytes, target: bytes, version: bytes, fields: list[tuple[bytes, bytes]]
) -> None:
    head = method + b" " + target + b" " + version + b"\r\n"
    head += b"".join(name + b": " + value + b"\r\n" for name, value in fields) + b"\r\n"
    check(head)
    check(head, b"x")


@needs_c
def test_every_path_gives_back_its_references() -> None:
    # Decided, split, declined, over a limit, refused: each reference the helper takes to a
    # shared object (a common name, a method, a version, the Limits) is given back.
    assert c_take is not None
    heads = [
        H + b"Connection: keep-alive\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc",
        H + b"Transfer-Encoding: chunked\r\n\r\n",
        b"GET http://a/ HTTP/1.1\r\nHost: a\r\nUser-Agent: x\r\n\r\n",
        b"GET / HTTP/1.2\r\nHost: a\r\n\r\n",
        H,
        b"\r\n" + H + b"\r\n",
        H + b"X-Long: " + b"v" * MAX_REMEMBERED_HEAD + b"\r\n\r\n",
    ]
    got = c_take(bytearray(H + b"\r\n"), 0, LIMITS, MAX_REMEMBERED_HEAD)
    assert got is not None
    assert len(got) != 2  # a plan
    shared = (got[0], got[2], got[3][0][0], LIMITS)  # method, version, b"host"
    # Garbage from earlier tests holds references too: collect it first, and let no collection
    # run in the loop, so that only the helper moves the counts.
    gc.collect()
    gc.disable()
    try:
        before = [sys.getrefcount(o) for o in shared]
        for _ in range(200):
            for head in heads:
                c_take(bytearray(head), 0, LIMITS, MAX_REMEMBERED_HEAD)
            with pytest.raises(TypeError):
                c_take(bytearray(H), "0", LIMITS, MAX_REMEMBERED_HEAD)  # type: ignore[arg-type]
        after = [sys.getrefcount(o) for o in shared]
    finally:
        gc.enable()
    assert after == before
