"""Sans-I/O WebSocket (RFC 6455) and permessage-deflate (RFC 7692), for both roles.

The opening handshake is plain HTTP/1.1 and runs on :mod:`crlf.protocol`; the helpers in
:mod:`crlf.websocket.handshake` check it. After the ``101``, a :class:`WSConnection` turns bytes
into events (:class:`TextMessage`, :class:`BytesMessage`, :class:`Ping`, :class:`Pong`,
:class:`CloseConnection`) and events into bytes. Nothing here does I/O.

The asyncio client is reachable from here too, as the issue names it::

    import crlf.websocket

    async with await crlf.websocket.connect("ws://127.0.0.1:8000/ws") as ws:
        await ws.send("hello")
        print(await ws.recv())

``connect``, ``WebSocket`` and ``WebSocketClosed`` live in :mod:`crlf.wsclient`, one layer up
(they need asyncio and sockets); a module ``__getattr__`` (PEP 562) loads that module the first
time one of these names is read. No module of this package imports it, so ``import
crlf.websocket`` still loads no asyncio, and the layer rules of docs/design.md hold.
"""

from __future__ import annotations

import importlib
from typing import Any

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
    "WebSocket",
    "WebSocketClosed",
    "accept_headers",
    "accept_key",
    "client_request_headers",
    "connect",
    "is_upgrade_request",
    "new_key",
    "validate_upgrade_request",
    "verify_response",
]

# The asyncio client's names, served from crlf.wsclient on first use (see the module docstring).
_CLIENT_NAMES = frozenset({"WebSocket", "WebSocketClosed", "connect"})


def __getattr__(name: str) -> Any:
    """PEP 562: ``connect``, ``WebSocket`` and ``WebSocketClosed`` from :mod:`crlf.wsclient`.

    Raises:
        AttributeError: any other name.
    """
    if name in _CLIENT_NAMES:
        # A dynamic import: the asyncio client stays in the layer above this sans-I/O package,
        # loaded only when asked for (``import crlf.websocket`` alone loads no asyncio).
        return getattr(importlib.import_module("crlf.wsclient"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
