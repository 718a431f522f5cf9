"""CONNECT tunnels through an HTTP proxy (RFC 9110 §9.3.6), blocking and asyncio.

The proxy's answer is read with its own protocol :class:`~crlf.protocol.Connection` (a 2xx to
CONNECT switches protocols there); the tunnel then carries TLS to the origin on a fresh one.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..errors import ConnectTimeout, ProxyError, RemoteProtocolError
from ..protocol import (
    NEED_DATA,
    Connection,
    EndOfMessage,
    Headers,
    InformationalResponse,
    Request,
    Role,
)
from ..protocol import Response as ResponseEvent

if TYPE_CHECKING:
    import socket

    from ._config import Timeout

__all__ = ["async_connect_tunnel", "connect_tunnel"]

_EOM = EndOfMessage()
READ_SIZE = 64 * 1024


def connect_tunnel(
    sock: socket.socket, authority: bytes, proxy_auth: bytes | None, timeout: Timeout
) -> bytes:
    """Open a CONNECT tunnel (RFC 9110 §9.3.6) through an http proxy on ``sock``.

    Returns:
        Bytes the proxy sent after its 2xx head (normally none).

    Raises:
        ProxyError: the proxy refused (non-2xx) or broke the exchange.
    """
    proto = Connection(Role.CLIENT)
    headers = [(b"Host", authority)]
    if proxy_auth is not None:
        headers.append((b"Proxy-Authorization", proxy_auth))
    head = proto.send(Request(method=b"CONNECT", target=authority, headers=Headers(headers)))
    proto.send(_EOM)
    sock.settimeout(timeout.connect)
    try:
        sock.sendall(head)
        while True:
            event = proto.next_event()
            if event is NEED_DATA:
                data = sock.recv(READ_SIZE)
                if data:
                    proto.receive_data(data)
                else:
                    proto.receive_eof()
                continue
            if type(event) is InformationalResponse:
                continue
            break
    except TimeoutError as exc:
        raise ConnectTimeout("the proxy did not answer CONNECT in time") from exc
    except (OSError, RemoteProtocolError) as exc:
        raise ProxyError(f"CONNECT through the proxy failed: {exc}") from exc
    if type(event) is not ResponseEvent or not 200 <= event.status_code < 300:
        code = getattr(event, "status_code", "no response")
        raise ProxyError(f"the proxy refused CONNECT {authority.decode()}: {code}")
    sock.settimeout(None)
    return proto.trailing_data[0]


class _TunnelProtocol(asyncio.Protocol):
    """Reads the proxy's answer to CONNECT before the tunnel carries TLS."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.proto = Connection(Role.CLIENT)
        self.done: asyncio.Future[Any] = loop.create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.proto.receive_data(data)
        self._process()

    def eof_received(self) -> bool:
        self.proto.receive_eof()
        self._process()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(ProxyError(f"the proxy closed the connection: {exc}"))

    def _process(self) -> None:
        try:
            while True:
                ev = self.proto.next_event()
                if ev is NEED_DATA:
                    return
                if type(ev) is InformationalResponse:
                    continue
                if not self.done.done():
                    self.done.set_result(ev)
                return
        except RemoteProtocolError as exc:
            if not self.done.done():
                self.done.set_exception(ProxyError(f"bad answer to CONNECT: {exc}"))


async def async_connect_tunnel(
    loop: asyncio.AbstractEventLoop,
    proxy_host: str,
    proxy_port: int,
    authority: bytes,
    proxy_auth: bytes | None,
) -> tuple[asyncio.Transport, _TunnelProtocol]:
    """Open a CONNECT tunnel (RFC 9110 §9.3.6); return the transport, ready for start_tls."""
    transport, tunnel = await loop.create_connection(
        lambda: _TunnelProtocol(loop), proxy_host, proxy_port
    )
    headers = [(b"Host", authority)]
    if proxy_auth is not None:
        headers.append((b"Proxy-Authorization", proxy_auth))
    head = tunnel.proto.send(Request(method=b"CONNECT", target=authority, headers=Headers(headers)))
    tunnel.proto.send(_EOM)
    transport.write(head)
    ev = await tunnel.done
    if type(ev) is not ResponseEvent or not 200 <= ev.status_code < 300:
        transport.close()
        code = getattr(ev, "status_code", "no response")
        raise ProxyError(f"the proxy refused CONNECT {authority.decode()}: {code}")
    return transport, tunnel
