"""crlf.AsyncClient: the same behaviour as Client (shared core), on asyncio.Protocol."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import pytest

import crlf
from crlf.client import PoolLimits, Timeout

from .test_sync_errors import _answer_then_drop, one_response
from .test_sync_features import _redirecting, echo

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from .servers import Handler, Nginx, Peer, ScriptedServer

    Serve = Callable[..., ScriptedServer]
    Scripted = Callable[[Handler], ScriptedServer]


@pytest.mark.interop
async def test_sequential_requests_reuse_one_connection(nginx: Nginx) -> None:
    async with crlf.AsyncClient() as client:
        ids = {(await client.get(nginx.url("/conn"))).text for _ in range(100)}
        assert client.pool.connections_opened == 1
    assert len(ids) == 1


@pytest.mark.interop
async def test_concurrent_requests_respect_max_connections(nginx: Nginx) -> None:
    async with crlf.AsyncClient(max_connections=5) as client:
        responses = await asyncio.gather(*(client.get(nginx.url("/conn")) for _ in range(200)))
        assert client.pool.connections_opened <= 5
    assert {r.status_code for r in responses} == {200}
    assert len({r.text for r in responses}) <= 5


@pytest.mark.interop
async def test_gzip_stream_and_redirect(nginx: Nginx) -> None:
    async with crlf.AsyncClient() as client:
        r = await client.get(nginx.url("/static/page.txt"))
        assert r.content == nginx.text
        moved = await client.get(nginx.url("/moved"))
        assert [h.status_code for h in moved.history] == [301]
        expected = (nginx.dir / "www" / "static" / "big.bin").read_bytes()
        async with client.stream("GET", nginx.url("/static/big.bin")) as s:
            chunks = [c async for c in s.aiter_bytes()]
        assert b"".join(chunks) == expected
        assert (await client.head(nginx.url("/static/data.json"))).content == b""
        assert client.pool.connections_opened == 1


async def test_post_bodies(serve: Serve) -> None:
    server = serve(echo)

    async def parts() -> AsyncIterator[bytes]:
        yield b"uno,"
        yield b"dos"

    async with crlf.AsyncClient(expect_continue_threshold=1000) as client:
        form = (await client.post(server.url(), data={"name": "Juan Garcia"})).json()
        chunked = (await client.post(server.url(), content=parts())).json()
        big = (await client.post(server.url(), content=b"z" * 4000)).json()
        as_json = (await client.patch(server.url(), json=[1, 2])).json()
    assert form["body"] == "name=Juan+Garcia"
    assert chunked["headers"]["transfer-encoding"] == "chunked"
    assert chunked["body"] == "uno,dos"
    assert big["headers"]["expect"] == "100-continue"
    assert len(big["body"]) == 4000
    assert json.loads(as_json["body"]) == [1, 2]
    assert server.connections == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 OK 200\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
        b"",
    ],
)
async def test_bad_responses_raise_typed_errors(scripted: Scripted, raw: bytes) -> None:
    server = scripted(one_response(raw))
    async with crlf.AsyncClient() as client:
        with pytest.raises((crlf.RemoteProtocolError, crlf.ReadError)):
            await client.get(server.url())


async def test_stale_connection_retried_for_get_not_post(scripted: Scripted) -> None:
    server = scripted(_answer_then_drop(drop_after_reading=True))
    async with crlf.AsyncClient() as client:
        assert (await client.get(server.url("/first"))).text == "conn 0"
        assert (await client.get(server.url("/second"))).text == "conn 1"
    other = scripted(_answer_then_drop(drop_after_reading=True))
    async with crlf.AsyncClient() as client:
        assert (await client.get(other.url("/first"))).text == "conn 0"
        with pytest.raises(crlf.ReadError):
            await client.post(other.url("/second"), content=b"once")


async def test_idle_connection_closed_by_server_is_replaced(scripted: Scripted) -> None:
    server = scripted(_answer_then_drop(drop_after_reading=False))
    async with crlf.AsyncClient() as client:
        assert (await client.get(server.url("/first"))).text == "conn 0"
        # Whether the server's FIN is seen before the request (dead idle connection skipped)
        # or after it (stale connection, retried), the answer comes from a new connection.
        assert (await client.get(server.url("/second"))).text == "conn 1"
    assert server.connections == 2


async def test_read_timeout(scripted: Scripted) -> None:
    def silent(peer: Peer) -> None:
        peer.read_request()
        peer.read_head()

    server = scripted(silent)
    async with crlf.AsyncClient(timeout=Timeout(read=0.2)) as client:
        with pytest.raises(crlf.ReadTimeout):
            await client.get(server.url())


async def test_pool_timeout(serve: Serve) -> None:
    server = serve(lambda peer, m, t, h, b: peer.respond(200, b"x"))
    limits = PoolLimits(max_connections=1)
    async with crlf.AsyncClient(limits=limits, timeout=Timeout(pool=0.1)) as client:
        async with client.stream("GET", server.url()) as held:
            with pytest.raises(crlf.PoolTimeout):
                await client.get(server.url())
            assert await held.aread() == b"x"
        assert (await client.get(server.url())).content == b"x"


async def test_redirect_and_cookies(serve: Serve) -> None:
    def respond(peer: Peer, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        if target == "/start":
            peer.respond(307, b"", [("Location", "/end"), ("Set-Cookie", "s=1; Path=/")])
        else:
            echo(peer, method, target, headers, body)

    server = serve(respond)
    async with crlf.AsyncClient() as client:
        r = await client.post(server.url("/start"), content=b"keep me")
    got = r.json()
    assert got["method"] == "POST"
    assert got["body"] == "keep me"
    assert got["headers"]["cookie"] == "s=1"
    assert [h.status_code for h in r.history] == [307]


async def test_too_many_redirects(serve: Serve) -> None:
    server = serve(_redirecting(302, "/start"))
    async with crlf.AsyncClient(max_redirects=3) as client:
        with pytest.raises(crlf.TooManyRedirects):
            await client.get(server.url("/start"))


async def test_per_host_limit(serve: Serve) -> None:
    server = serve(lambda peer, m, t, h, b: peer.respond(200, b"ok"))
    async with crlf.AsyncClient(max_connections_per_host=2) as client:
        results = await asyncio.gather(*(client.get(server.url()) for _ in range(30)))
        assert {r.content for r in results} == {b"ok"}
        assert client.pool.connections_opened == 2
    assert server.connections == 2


def test_client_survives_a_new_event_loop(serve: Serve) -> None:
    server = serve(lambda peer, m, t, h, b: peer.respond(200, b"ok"))
    client = crlf.AsyncClient()

    async def once() -> bytes:
        return (await client.get(server.url())).content

    assert asyncio.run(once()) == b"ok"
    assert asyncio.run(once()) == b"ok"  # the first loop's idle connection is not reused
    asyncio.run(client.aclose())
    assert server.connections == 2
