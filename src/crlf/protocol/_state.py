"""Who sends what, when: the HTTP/1.1 connection state machine (RFC 9112 §9).

Theory of operation (the same shape as h11's ``_state.py``): each side of a connection, CLIENT and
SERVER, has its own state, and events move them along these tables::

    CLIENT:  IDLE --Request--> SEND_BODY --EndOfMessage--> DONE
    SERVER:  IDLE --(their Request)--> SEND_RESPONSE --InformationalResponse--> SEND_RESPONSE
                                       SEND_RESPONSE --Response--> SEND_BODY --EndOfMessage--> DONE

A side in DONE goes on to MUST_CLOSE when the connection cannot be reused (``Connection: close``,
HTTP/1.0 without keep-alive, a close-delimited body); ``start_next_cycle()`` takes both DONE sides
back to IDLE for the next request on a persistent connection (RFC 9112 §9.3).

Switching protocols: a request that asks for ``Upgrade`` (RFC 9110 §7.8) or is a ``CONNECT``
(RFC 9110 §9.3.6) leaves the client in MIGHT_SWITCH_PROTOCOL once it is complete. A ``101``
(or a 2xx to CONNECT) takes both sides to SWITCHED_PROTOCOL and the bytes that follow belong to
the new protocol (``Connection.trailing_data``); any other response denies the switch and the
client goes to DONE.

Any protocol error puts the offending side in ERROR, which is final: no next request is read on a
connection after a protocol error (RFC 9112 §9.3 does not let a recipient resynchronise).
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Role", "State"]


class Role(Enum):
    """Which end of the connection we are."""

    CLIENT = "CLIENT"
    SERVER = "SERVER"


class State(Enum):
    """Where one side of the connection is in the current exchange."""

    IDLE = "IDLE"
    SEND_RESPONSE = "SEND_RESPONSE"  # server only: a request arrived, no final response yet
    SEND_BODY = "SEND_BODY"
    DONE = "DONE"
    MUST_CLOSE = "MUST_CLOSE"
    CLOSED = "CLOSED"
    MIGHT_SWITCH_PROTOCOL = "MIGHT_SWITCH_PROTOCOL"  # client only: asked for Upgrade/CONNECT
    SWITCHED_PROTOCOL = "SWITCHED_PROTOCOL"
    ERROR = "ERROR"
