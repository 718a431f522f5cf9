"""What a connection remembers between messages, so that a repeat costs no second check.

A keep-alive client mostly repeats itself (wrk, health checks, the seed's polling, a reload),
and a server's application mostly sends the same header list. A :class:`Memo` holds two
one-entry memos, each keyed by exactly the bytes it stands for:

* ``request``: what the last request head parsed decided (its *plan*, which holds the head
  itself). A buffer that starts with that head byte for byte carries the same request; every
  check on it depends only on its bytes and the limits, which the memo is tied to.
* ``response``: the last response field list checked, as a tuple of ``(name, value)`` pairs,
  and the encoded lines with their framing decision. Only a hashable (immutable) tuple is kept.
* ``head``: the last whole response head made for a body given whole (status, fields, reason,
  the server's own lines, body length, request method and version, whether the connection was
  persistent): the head bytes and whether the connection stays persistent after it. Everything
  the head depends on is in its key, so an equal key means the same bytes.

Errors are never remembered. Each entry is one tuple, replaced by a single assignment, so a
reader sees an old entry or a new one, never half of each.

A :class:`~crlf.protocol.Connection` makes its own memo unless it is given one: a server gives
all its connections one, so that a client opening a connection per request (``Connection:
close``) repeats a head the server has already parsed. The memo is the caller's object, passed
in explicitly: the sans-I/O core keeps no module-level state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .limits import Limits

__all__ = ["PLAN_CLOSE", "PLAN_EXPECT_100", "PLAN_SWITCH", "Memo", "Plan"]

# What a parsed head decided: method, target, version, the lowercased field pairs, the head
# itself (the memo's key, and where Headers.raw_items reads the names as received), the body
# length (0 none, -1 chunked), and flags for what is unusual: the connection cannot persist
# (RFC 9112 §9.3), a protocol switch is pending (RFC 9110 §7.8), the client waits for a
# 100 Continue (RFC 9110 §10.1.1). Most requests have none, which costs one test.
Plan = tuple[bytes, bytes, bytes, list[tuple[bytes, bytes]], bytes, int, int]
PLAN_CLOSE = 1
PLAN_SWITCH = 2
PLAN_EXPECT_100 = 4
# A response field list checked: the lines joined by CRLF, Content-Length (or None), the
# Transfer-Encoding codings (or None), whether Connection lists "close".
CheckedFields = tuple[bytes, "int | None", "bytes | None", bool]
# What a whole response head depends on (see Connection._send_response): status code, field
# pairs, reason, trusted lines, body length, request method, request version, keep-alive before;
# and what it is: the head bytes and keep-alive after.
HeadKey = tuple[int, tuple[object, ...], bytes, bytes, int, "bytes | None", "bytes | None", bool]
MadeHead = tuple[bytes, bool]

# Only heads up to this size are remembered (an idle connection holds at most this for it),
# and field lists up to this many encoded bytes.
MAX_REMEMBERED_HEAD = 4096
MAX_REMEMBERED_FIELDS = 2048


class Memo:
    """The last request head and the last response field list a connection (or a server's
    connections) checked. Tied to one :class:`Limits`: a head's outcome depends on them.

    Args:
        limits: the limits of every connection that will use this memo.
    """

    __slots__ = ("head", "limits", "request", "response")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.request: Plan | None = None
        self.response: tuple[tuple[object, ...], CheckedFields] | None = None
        self.head: tuple[HeadKey, MadeHead] | None = None
