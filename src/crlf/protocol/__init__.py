"""Sans-I/O HTTP/1.1 for both roles (RFC 9112): bytes in, events out.

No sockets, no asyncio, no clock, no logging: :class:`Connection` is a state machine that a
server, a client or a test drives. See ``docs/design.md`` for where it sits.
"""

from __future__ import annotations

from ._state import Role as Role
from ._state import State as State
from .connection import Connection as Connection
from .events import NEED_DATA as NEED_DATA
from .events import PAUSED as PAUSED
from .events import ConnectionClosed as ConnectionClosed
from .events import Data as Data
from .events import EndOfMessage as EndOfMessage
from .events import Event as Event
from .events import InformationalResponse as InformationalResponse
from .events import Request as Request
from .events import Response as Response
from .events import Sentinel as Sentinel
from .headers import Headers as Headers
from .limits import Limits as Limits
from .memo import Memo as Memo

__all__ = [
    "NEED_DATA",
    "PAUSED",
    "Connection",
    "ConnectionClosed",
    "Data",
    "EndOfMessage",
    "Event",
    "Headers",
    "InformationalResponse",
    "Limits",
    "Memo",
    "Request",
    "Response",
    "Role",
    "Sentinel",
    "State",
]
