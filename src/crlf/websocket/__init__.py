"""Sans-I/O WebSocket (RFC 6455) and permessage-deflate (RFC 7692), for both roles.

The opening handshake is plain HTTP/1.1 and runs on :mod:`crlf.protocol`; the helpers in
:mod:`crlf.websocket.handshake` check it. After the ``101``, a :class:`WSConnection` turns bytes
into events (:class:`TextMessage`, :class:`BytesMessage`, :class:`Ping`, :class:`Pong`,
:class:`CloseConnection`) and events into bytes. Nothing here does I/O.
"""

from __future__ import annotations

from .connection import DEFAULT_MAX_MESSAGE_SIZE as DEFAULT_MAX_MESSAGE_SIZE
from .connection import ConnectionState as ConnectionState
from .connection import WSConnection as WSConnection
from .deflate import PerMessageDeflate as PerMessageDeflate
from .events import BytesMessage as BytesMessage
from .events import CloseConnection as CloseConnection
from .events import Event as Event
from .events import Ping as Ping
from .events import Pong as Pong
from .events import TextMessage as TextMessage
from .frames import CloseCode as CloseCode
from .frames import Opcode as Opcode
from .handshake import UpgradeRequest as UpgradeRequest
from .handshake import accept_headers as accept_headers
from .handshake import accept_key as accept_key
from .handshake import client_request_headers as client_request_headers
from .handshake import is_upgrade_request as is_upgrade_request
from .handshake import new_key as new_key
from .handshake import validate_upgrade_request as validate_upgrade_request
from .handshake import verify_response as verify_response

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "BytesMessage",
    "CloseCode",
    "CloseConnection",
    "ConnectionState",
    "Event",
    "Opcode",
    "PerMessageDeflate",
    "Ping",
    "Pong",
    "TextMessage",
    "UpgradeRequest",
    "WSConnection",
    "accept_headers",
    "accept_key",
    "client_request_headers",
    "is_upgrade_request",
    "new_key",
    "validate_upgrade_request",
    "verify_response",
]
