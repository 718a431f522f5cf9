"""llhttp's request vectors (../shared/conformance, MIT) run through the server-role parser.

Each vector is fed whole, split at every byte boundary, and byte by byte. An ``accept`` vector
must yield the expected method, target, version, headers and body for each message it holds; a
``reject`` vector must raise crlf's RemoteProtocolError; ``incomplete`` must complete nothing.
Where crlf takes the RFC's other permitted outcome (``alt_ok``), the vector's reasons must be
among those docs/conformance.md lists; the Host-less vectors are re-run with a Host inserted
(the runner's ``--inject-host``) so that the parser behind them is still tested.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from crlf.errors import RemoteProtocolError
from crlf.protocol import (
    NEED_DATA,
    PAUSED,
    Connection,
    ConnectionClosed,
    Data,
    EndOfMessage,
    Request,
    Role,
    State,
)

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "llhttp-requests.jsonl"
if not CORPUS.exists():  # the project's checkout may sit elsewhere than /work/main
    CORPUS = Path(__file__).resolve().parents[2].parent / "shared/conformance/llhttp-requests.jsonl"

# The alternatives crlf takes, each explained in docs/conformance.md.
ALT_REJECT_REASONS = {
    "no-host",  # RFC 9112 §3.2: HTTP/1.1 without Host is a 400
    "fragment",  # RFC 9112 §3.2: "#" is not part of a request-target
    "userinfo",  # RFC 9110 §4.2.4: userinfo in absolute-form is refused
    "asterisk",  # RFC 9112 §3.2.4: asterisk-form only with OPTIONS
    "te-coding",  # RFC 9112 §6.1: a coding other than chunked is 501
    "http09",  # HTTP/0.9 is not supported
    "obs-fold",  # RFC 9112 §5.2: obs-fold rejected
    "obsfold",
}
ALT_ACCEPT_IDS = {
    # a token method llhttp does not know: RFC 9110 §9.1 makes every token a method.
    "request/invalid.md#http-protocol-and-announce-method",
    "request/invalid.md#invalid-method",
}


def load() -> list[dict[str, Any]]:
    if not CORPUS.exists():
        return []
    return [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]


VECTORS = load()
pytestmark = pytest.mark.skipif(
    not VECTORS, reason=f"llhttp corpus not found at {CORPUS} (it lives in ../shared/conformance)"
)


@dataclass
class Message:
    method: bytes
    target: bytes
    version: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytearray = field(default_factory=bytearray)
    complete: bool = False


@dataclass
class Outcome:
    messages: list[Message]
    error: RemoteProtocolError | None
    switched: bool = False
    closed_with_more: bool = False  # stopped at a MUST_CLOSE with bytes left unread


def run(pieces: list[bytes]) -> Outcome:
    """Drive a server-role Connection the way a server does, answering each request 200."""
    conn = Connection(Role.SERVER)
    messages: list[Message] = []
    feed = iter(pieces)
    try:
        while True:
            event = conn.next_event()
            if event is NEED_DATA:
                piece = next(feed, None)
                if piece is None:
                    conn.receive_eof()
                else:
                    conn.receive_data(piece)
                continue
            if isinstance(event, Request):
                messages.append(
                    Message(
                        event.method,
                        event.target,
                        event.http_version,
                        event.headers.raw_items(),
                    )
                )
            elif isinstance(event, Data):
                messages[-1].body += event.data
            elif isinstance(event, EndOfMessage):
                messages[-1].complete = True
            elif isinstance(event, ConnectionClosed):
                return Outcome(messages, None)
            elif event is PAUSED:
                if conn.their_state is State.MIGHT_SWITCH_PROTOCOL:
                    return Outcome(messages, None, switched=True)
                if conn.our_state is State.SEND_RESPONSE:
                    conn.send_response(200, [], b"")
                if conn.our_state is State.MUST_CLOSE or conn.their_state is State.MUST_CLOSE:
                    rest = conn.trailing_data[0] + b"".join(feed)
                    return Outcome(messages, None, closed_with_more=bool(rest.strip(b"\r\n")))
                conn.start_next_cycle()
    except RemoteProtocolError as exc:
        assert conn.their_state is State.ERROR
        with pytest.raises(RemoteProtocolError):
            conn.next_event()  # after an error the connection is finished
        return Outcome(messages, exc)


def splits(data: bytes) -> list[list[bytes]]:
    out = [[data], [data[i : i + 1] for i in range(len(data))]]
    out += [[data[:i], data[i:]] for i in range(1, len(data))]
    return out


def latin1(s: str) -> bytes:
    return s.encode("latin-1")


def expected_messages(vector: dict[str, Any]) -> list[dict[str, Any]]:
    return vector.get("messages") or [vector]


def accepted(vector: dict[str, Any], outcome: Outcome, injected: bool) -> bool:
    complete = [m for m in outcome.messages if m.complete]
    want = expected_messages(vector)[: vector.get("count", 1)]
    if len(complete) < len(want):
        return False
    for got, exp in zip(complete, want, strict=False):
        if got.method != latin1(exp["method"]) or got.target != latin1(exp["url"]):
            return False
        if got.version != latin1(exp["version"]):
            return False
        headers = [(n.lower(), v) for n, v in got.headers]
        if injected:
            headers.remove((b"host", b"conformance.test"))
        if headers != [(latin1(n).lower(), latin1(v).strip(b" \t")) for n, v in exp["headers"]]:
            return False
        if bytes(got.body) != latin1(exp["body"]):
            return False
    # Anything after the expected messages may only fail because the input ended in it.
    if outcome.error is not None and not vector.get("incomplete_tail"):
        return "peer closed" in str(outcome.error) or vector.get("after") == "upgrade"
    return True


def wire(vector: dict[str, Any]) -> bytes:
    """What the black-box runner sends: ``send`` (raw completed, see its README) or ``raw``."""
    return latin1(vector.get("send", vector["raw"]))


def inject_host(vector: dict[str, Any]) -> bytes:
    raw = wire(vector)
    for offset in sorted(vector.get("host_insert_at", []), reverse=True):
        raw = raw[:offset] + b"Host: conformance.test\r\n" + raw[offset:]
    return raw


def judge(vector: dict[str, Any], raw: bytes, reasons: set[str], injected: bool = False) -> str:
    verdicts = set()
    for pieces in splits(raw):
        outcome = run(pieces)
        expect = vector["expect"]
        if expect == "accept":
            if accepted(vector, outcome, injected):
                verdicts.add("pass")
            elif outcome.error is not None and vector.get("alt_ok") == "reject" and reasons:
                if reasons & ALT_REJECT_REASONS:
                    verdicts.add("alt")
                else:
                    verdicts.add(f"fail: rejected ({outcome.error}) for {sorted(reasons)}")
            else:
                verdicts.add(f"fail: {outcome}")
        elif expect == "reject":
            good = vector.get("accepted_before", 0)
            done = [m for m in outcome.messages if m.complete]
            refused = outcome.error is not None or outcome.closed_with_more
            if refused and len(done) <= good:
                verdicts.add("pass")
            elif vector["id"] in ALT_ACCEPT_IDS and vector.get("alt_ok") == "accept":
                verdicts.add("alt")
            else:
                verdicts.add(f"fail: not rejected, {len(done)} messages completed")
        else:  # incomplete
            done = [m for m in outcome.messages if m.complete]
            verdicts.add("pass" if not done else "fail: a message completed")
    assert len(verdicts) == 1, f"the outcome depends on how the bytes were split: {verdicts}"
    return verdicts.pop()


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_vector(vector: dict[str, Any]) -> None:
    reasons = set(vector.get("alt_reasons", []))
    verdict = judge(vector, wire(vector), reasons)
    assert verdict in ("pass", "alt"), verdict
    if "no-host" in reasons:
        # --inject-host: the same vector with a Host, so the parser behind it is tested too.
        verdict = judge(vector, inject_host(vector), reasons - {"no-host"}, injected=True)
        assert verdict in ("pass", "alt"), verdict


def test_corpus_is_complete() -> None:
    assert len(VECTORS) == 119
