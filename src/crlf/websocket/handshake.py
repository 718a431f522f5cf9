"""The WebSocket opening handshake (RFC 6455 §4), both sides, as pure functions.

Server side: :func:`is_upgrade_request` tells an HTTP driver that a request asks for WebSocket;
:func:`validate_upgrade_request` checks it (§4.2.1) and returns an :class:`UpgradeRequest` with the
key, the offered subprotocols and extensions and the Origin; :func:`accept_headers` builds the
``101 Switching Protocols`` headers (§4.2.2) once the application accepted. A bad request raises
:class:`~crlf.errors.RemoteProtocolError` with ``status_hint`` 400, or 426 for a version other than
13 (§4.4: answer with ``Sec-WebSocket-Version: 13``, see :data:`VERSION_HEADERS`).

Client side: :func:`client_request_headers` builds the request headers with a fresh
:func:`new_key`; :func:`verify_response` checks the server's 101 (§4.1 "the client MUST Fail the
WebSocket Connection" list) and returns the chosen subprotocol and the negotiated
permessage-deflate codec.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from http import HTTPStatus
from typing import TYPE_CHECKING

from crlf.errors import LocalProtocolError, RemoteProtocolError

from .deflate import EXTENSION_NAME, PerMessageDeflate, parse_extensions

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from crlf.protocol.events import Request
    from crlf.protocol.headers import Headers

__all__ = [
    "VERSION_HEADERS",
    "UpgradeRequest",
    "accept_headers",
    "accept_key",
    "client_request_headers",
    "is_upgrade_request",
    "new_key",
    "validate_upgrade_request",
    "verify_response",
]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3
_TOKEN_RE = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")  # RFC 9110 §5.6.2
VERSION_HEADERS: list[tuple[bytes, bytes]] = [(b"sec-websocket-version", b"13")]
"""The header a 426 (or 400) answer to a bad ``Sec-WebSocket-Version`` carries (RFC 6455 §4.4)."""


def accept_key(key: bytes) -> bytes:
    """``Sec-WebSocket-Accept`` for a ``Sec-WebSocket-Key`` (RFC 6455 §4.2.2 step 5.4).

    Args:
        key: the key as sent (base64 text).

    Returns:
        base64(SHA-1(key + the RFC's GUID)).
    """
    return base64.b64encode(hashlib.sha1(key + _GUID).digest())


def new_key() -> bytes:
    """A fresh ``Sec-WebSocket-Key``: 16 random bytes, base64 (RFC 6455 §4.1 item 7)."""
    return base64.b64encode(os.urandom(16))


def _tokens(headers: Headers, name: bytes) -> list[bytes]:
    return [token.lower() for token in headers.get_list(name)]


def is_upgrade_request(headers: Headers) -> bool:
    """Whether a request asks to switch to WebSocket (its ``Upgrade`` lists ``websocket``).

    Args:
        headers: the request's headers.

    Returns:
        True when :func:`validate_upgrade_request` should handle the request.
    """
    return b"websocket" in _tokens(headers, b"upgrade")


class UpgradeRequest:
    """A valid WebSocket opening request (the result of :func:`validate_upgrade_request`).

    Attributes:
        key: the ``Sec-WebSocket-Key`` as sent.
        subprotocols: the offered subprotocols, in the client's order of preference.
        extensions: the offered extensions, parsed (see :func:`crlf.websocket.deflate.parse_extensions`).
        origin: the ``Origin`` header, or None (browsers always send it; RFC 6455 §10.2).
    """

    __slots__ = ("extensions", "key", "origin", "subprotocols")

    def __init__(
        self,
        *,
        key: bytes,
        subprotocols: list[str],
        extensions: list[tuple[str, list[tuple[str, str | None]]]],
        origin: bytes | None,
    ) -> None:
        self.key = key
        self.subprotocols = subprotocols
        self.extensions = extensions
        self.origin = origin

    def negotiate_deflate(
        self,
        *,
        server_no_context_takeover: bool = False,
        server_max_window_bits: int = 15,
        compress_level: int = PerMessageDeflate.DEFAULT_LEVEL,
    ) -> tuple[PerMessageDeflate, str] | None:
        """Accept the client's first acceptable permessage-deflate offer, if any (RFC 7692 §5).

        Returns:
            ``(codec, Sec-WebSocket-Extensions value)`` or None.
        """
        return PerMessageDeflate.server_accept(
            self.extensions,
            server_no_context_takeover=server_no_context_takeover,
            server_max_window_bits=server_max_window_bits,
            compress_level=compress_level,
        )


def _bad(msg: str, status: int = HTTPStatus.BAD_REQUEST) -> RemoteProtocolError:
    return RemoteProtocolError(msg, status_hint=status, close_code=1002)


def validate_upgrade_request(request: Request) -> UpgradeRequest:
    """Check a WebSocket opening request (RFC 6455 §4.2.1).

    Args:
        request: the request head.

    Returns:
        The parsed request.

    Raises:
        RemoteProtocolError: ``status_hint`` 400 for a malformed handshake, 426 for a
            ``Sec-WebSocket-Version`` other than 13 (answer with :data:`VERSION_HEADERS`).
    """
    headers = request.headers
    # §4.2.1 item 1: "An HTTP/1.1 or higher GET request"
    if request.method != b"GET":
        raise _bad("WebSocket handshake must be a GET request")
    if request.http_version != b"1.1":
        raise _bad("WebSocket handshake needs HTTP/1.1")
    # items 3 and 4: Upgrade lists websocket, Connection lists upgrade (case-insensitive tokens)
    if b"websocket" not in _tokens(headers, b"upgrade"):
        raise _bad("missing Upgrade: websocket")
    if b"upgrade" not in _tokens(headers, b"connection"):
        raise _bad("missing Connection: upgrade")
    # item 6: exactly one Sec-WebSocket-Version; §4.4: others get 426 with the versions we speak
    versions = headers.get_all(b"sec-websocket-version")
    if not versions:
        raise _bad("missing Sec-WebSocket-Version")
    if versions != [b"13"]:
        raise _bad("unsupported Sec-WebSocket-Version", HTTPStatus.UPGRADE_REQUIRED)
    # item 5: Sec-WebSocket-Key, "a base64-encoded value that, when decoded, is 16 bytes"
    keys = headers.get_all(b"sec-websocket-key")
    if len(keys) != 1:
        raise _bad("missing or repeated Sec-WebSocket-Key")
    key = keys[0].strip(b" \t")
    try:
        raw = binascii.a2b_base64(key, strict_mode=True)
    except binascii.Error:
        raise _bad("Sec-WebSocket-Key is not base64") from None
    if len(raw) != 16:
        raise _bad("Sec-WebSocket-Key is not 16 bytes")
    # item 8: Sec-WebSocket-Protocol, a list of tokens in order of preference (§11.3.4)
    subprotocols: list[str] = []
    for token in headers.get_list(b"sec-websocket-protocol"):
        if not _TOKEN_RE.match(token):
            raise _bad("malformed Sec-WebSocket-Protocol")
        subprotocols.append(token.decode("ascii"))
    # item 9: Sec-WebSocket-Extensions
    try:
        extensions = parse_extensions(headers.get_all(b"sec-websocket-extensions"))
    except RemoteProtocolError:
        raise _bad("malformed Sec-WebSocket-Extensions") from None
    return UpgradeRequest(
        key=key, subprotocols=subprotocols, extensions=extensions, origin=headers.get(b"origin")
    )


def accept_headers(
    upgrade: UpgradeRequest,
    *,
    subprotocol: str | None = None,
    extensions: str | None = None,
    headers: Iterable[tuple[bytes, bytes]] = (),
) -> list[tuple[bytes, bytes]]:
    """The headers of the ``101 Switching Protocols`` that accepts ``upgrade`` (RFC 6455 §4.2.2).

    Args:
        upgrade: the validated request.
        subprotocol: the application's choice; it must be one the client offered (§4.2.2 item 5.4).
        extensions: the ``Sec-WebSocket-Extensions`` value of what was negotiated.
        headers: more headers from the application (e.g. ``Set-Cookie``).

    Returns:
        The response's header list.

    Raises:
        LocalProtocolError: the subprotocol was not offered, or the application set a
            handshake header itself.
    """
    out: list[tuple[bytes, bytes]] = [
        (b"upgrade", b"websocket"),
        (b"connection", b"Upgrade"),
        (b"sec-websocket-accept", accept_key(upgrade.key)),
    ]
    if subprotocol is not None:
        if subprotocol not in upgrade.subprotocols:
            raise LocalProtocolError("the chosen subprotocol was not offered by the client")
        out.append((b"sec-websocket-protocol", subprotocol.encode("ascii")))
    if extensions:
        out.append((b"sec-websocket-extensions", extensions.encode("ascii")))
    for name, value in headers:
        lowered = name.lower()
        if lowered in _HANDSHAKE_FIELDS:
            raise LocalProtocolError(f"{name!r} is set by the WebSocket handshake")
        out.append((lowered, value))
    return out


_HANDSHAKE_FIELDS = frozenset(
    {
        b"upgrade",
        b"connection",
        b"sec-websocket-accept",
        b"sec-websocket-protocol",
        b"sec-websocket-extensions",
        b"content-length",
        b"transfer-encoding",
    }
)


def client_request_headers(
    host: bytes,
    *,
    key: bytes,
    subprotocols: Sequence[str] = (),
    deflate: bool = True,
    origin: bytes | None = None,
    headers: Iterable[tuple[bytes, bytes]] = (),
) -> list[tuple[bytes, bytes]]:
    """The headers of a client's opening request (RFC 6455 §4.1).

    Args:
        host: the ``Host`` value (``host[:port]``).
        key: the ``Sec-WebSocket-Key`` (see :func:`new_key`).
        subprotocols: subprotocols to offer, in order of preference.
        deflate: offer permessage-deflate.
        origin: an ``Origin`` to send (browsers do; other clients need not).
        headers: more headers (e.g. ``Authorization``).

    Returns:
        The request's header list; send it with ``GET <resource> HTTP/1.1``.
    """
    out: list[tuple[bytes, bytes]] = [
        (b"Host", host),
        (b"Upgrade", b"websocket"),
        (b"Connection", b"Upgrade"),
        (b"Sec-WebSocket-Key", key),
        (b"Sec-WebSocket-Version", b"13"),
    ]
    if subprotocols:
        out.append((b"Sec-WebSocket-Protocol", ", ".join(subprotocols).encode("ascii")))
    if deflate:
        out.append((b"Sec-WebSocket-Extensions", PerMessageDeflate.client_offer().encode("ascii")))
    if origin is not None:
        out.append((b"Origin", origin))
    out.extend(headers)
    return out


def verify_response(
    status_code: int,
    headers: Headers,
    *,
    key: bytes,
    subprotocols: Sequence[str] = (),
    deflate: bool = True,
) -> tuple[str | None, PerMessageDeflate | None]:
    """Check the server's answer to an opening request (RFC 6455 §4.1, client side).

    Args:
        status_code: the response's status.
        headers: the response's headers.
        key: the ``Sec-WebSocket-Key`` that was sent.
        subprotocols: the subprotocols that were offered.
        deflate: whether permessage-deflate was offered.

    Returns:
        ``(subprotocol or None, permessage-deflate codec or None)``.

    Raises:
        RemoteProtocolError: the server refused or broke the handshake.
    """
    if status_code != 101:
        raise RemoteProtocolError(f"server answered {status_code}, not 101", close_code=1002)
    if b"websocket" not in _tokens(headers, b"upgrade"):
        raise RemoteProtocolError("101 without Upgrade: websocket", close_code=1002)
    if b"upgrade" not in _tokens(headers, b"connection"):
        raise RemoteProtocolError("101 without Connection: upgrade", close_code=1002)
    if headers.get_all(b"sec-websocket-accept") != [accept_key(key)]:
        raise RemoteProtocolError("wrong Sec-WebSocket-Accept", close_code=1002)
    chosen = headers.get_all(b"sec-websocket-protocol")
    subprotocol: str | None = None
    if chosen:
        # §4.1: a subprotocol "that was not present in the client's handshake" fails
        subprotocol = chosen[0].decode("latin-1").strip()
        if len(chosen) != 1 or subprotocol not in subprotocols:
            raise RemoteProtocolError(
                "server chose a subprotocol that was not offered", close_code=1002
            )
    codec: PerMessageDeflate | None = None
    for name, params in parse_extensions(headers.get_all(b"sec-websocket-extensions")):
        # §4.1: an extension "not present in the client's handshake" fails the connection
        if name != EXTENSION_NAME or not deflate or codec is not None:
            raise RemoteProtocolError(
                "server chose an extension that was not offered", close_code=1002
            )
        codec = PerMessageDeflate.client_accept(params)
    return subprotocol, codec
