"""CONNECT tunnels with AsyncClient, proxy refusals, and write timeouts (a server that never
reads: the kernel buffers fill and the write times out)."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import TYPE_CHECKING

import pytest

import crlf
from crlf.client import Timeout

from .tls import tls_server

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from .servers import Handler, Peer, ScriptedServer

    Scripted = Callable[[Handler], ScriptedServer]


def tunnel_to(port: int) -> Handler:
    def tunnel(peer: Peer) -> None:
        head = peer.read_head()
        assert head is not None
        assert head[0] == "CONNECT"
        upstream = socket.create_connection(("127.0.0.1", port))
        peer.send(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        t = threading.Thread(target=pump, args=(upstream, peer.sock), daemon=True)
        t.start()
        pump(peer.sock, upstream)
        t.join(5)

    return tunnel


def test_async_connect_tunnel(scripted: Scripted) -> None:
    with tls_server() as (port, ca):
        proxy = scripted(tunnel_to(port))

        async def main() -> None:
            async with crlf.AsyncClient(proxy=f"http://127.0.0.1:{proxy.port}", verify=ca) as c:
                for _ in range(3):
                    r = await c.get(f"https://localhost:{port}/via-tunnel")
                    assert r.content == b"tls ok /via-tunnel"
                assert c.pool.connections_opened == 1

        asyncio.run(main())


def test_proxy_refusing_connect(scripted: Scripted) -> None:
    def refuse(peer: Peer) -> None:
        peer.read_head()
        peer.respond(
            407,
            b"",
            [("Proxy-Authenticate", 'Basic realm="p"')],
            reason="Proxy Authentication Required",
        )

    proxy = scripted(refuse)
    with (
        crlf.Client(proxy=f"http://127.0.0.1:{proxy.port}") as client,
        pytest.raises(crlf.errors.ProxyError, match="407"),
    ):
        client.get("https://example.invalid/")

    async def main() -> None:
        async with crlf.AsyncClient(proxy=f"http://127.0.0.1:{proxy.port}") as client:
            with pytest.raises(crlf.errors.ProxyError, match="407"):
                await client.get("https://example.invalid/")

    asyncio.run(main())


def test_write_timeout(scripted: Scripted) -> None:
    release = threading.Event()

    def never_reads(peer: Peer) -> None:
        release.wait(10)

    server = scripted(never_reads)
    body = b"x" * (64 * 1024 * 1024)  # more than the loopback socket buffers hold
    try:
        with (
            crlf.Client(timeout=Timeout(write=0.2), expect_continue_threshold=None) as client,
            pytest.raises(crlf.WriteTimeout),
        ):
            client.post(server.url(), content=body)
    finally:
        release.set()


def test_async_write_timeout(scripted: Scripted) -> None:
    release = threading.Event()

    def never_reads(peer: Peer) -> None:
        release.wait(10)

    server = scripted(never_reads)

    def chunks() -> Iterator[bytes]:
        block = b"y" * (1024 * 1024)
        for _ in range(64):
            yield block

    async def main() -> None:
        timeout = Timeout(write=0.2)
        async with crlf.AsyncClient(timeout=timeout, expect_continue_threshold=None) as client:
            with pytest.raises(crlf.WriteTimeout):
                await client.post(server.url(), content=chunks())

    try:
        asyncio.run(main())
    finally:
        release.set()


def test_reset_mid_body_is_a_read_error(scripted: Scripted) -> None:
    import struct

    def reset(peer: Peer) -> None:
        peer.read_request()
        peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
        # SO_LINGER 0: close() sends RST instead of FIN.
        peer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        peer.sock.close()

    server = scripted(reset)
    with crlf.Client() as client, pytest.raises((crlf.ReadError, crlf.RemoteProtocolError)):
        client.get(server.url())

    async def main() -> None:
        async with crlf.AsyncClient() as client:
            with pytest.raises((crlf.ReadError, crlf.RemoteProtocolError)):
                await client.get(server.url())

    asyncio.run(main())
