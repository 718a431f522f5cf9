"""The Response API (httpx/requests names) and streaming edge cases, both clients."""

from __future__ import annotations

import asyncio
import io
import os
from typing import TYPE_CHECKING

import pytest

import crlf
from crlf.cli.get import _Progress
from crlf.client import ResponseNotRead
from crlf.client._tls import make_ssl_context

from .test_sync_features import echo

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from .servers import Peer, ScriptedServer

    Serve = Callable[..., ScriptedServer]


def test_response_api(serve: Serve) -> None:
    text = "línea uno\r\nlínea dos\nlínea tres"

    def respond(peer: Peer, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        if target == "/boom":
            peer.respond(503, b"down", reason="Service Unavailable")
        elif target == "/odd":
            peer.respond(299, b"", reason="")
        else:
            peer.respond(
                200,
                text.encode("utf-8"),
                [("Content-Type", "text/plain; charset=utf-8"), ("X-Multi", "a"), ("X-Multi", "b")],
            )

    server = serve(respond)
    with crlf.Client() as client:
        r = client.get(server.url("/"))
        assert repr(r) == "<Response [200 OK]>"
        assert r.is_success
        assert r.ok
        assert not r.is_error
        assert not r.is_redirect
        assert r.headers["x-multi"] == "a, b"
        assert r.headers.get_list("X-Multi") == ["a", "b"]
        assert "X-MULTI" in r.headers
        assert 3 not in r.headers  # type: ignore[comparison-overlap]
        assert "x-multi" in list(r.headers)
        assert len(r.headers) == 3
        assert ("x-multi", "b") in r.headers.multi_items()
        assert r.headers.get("nope") is None
        assert "ResponseHeaders" in repr(r.headers)
        assert r.raise_for_status() is r
        assert list(r.iter_lines()) == ["línea uno", "línea dos", "línea tres"]
        assert "".join(r.iter_text()) == text
        assert next(iter(r.iter_bytes(5))) == text.encode()[:5]
        assert r.request is not None
        assert repr(r.request).startswith("<Request [GET http://127.0.0.1:")
        boom = client.get(server.url("/boom"))
        with pytest.raises(crlf.HTTPStatusError, match="Server error '503 Service Unavailable'"):
            boom.raise_for_status()
        odd = client.get(server.url("/odd"))
        assert odd.reason_phrase == ""
        with client.stream("GET", server.url("/")) as s:
            with pytest.raises(ResponseNotRead):
                _ = s.content
            assert list(s.iter_raw()) == [text.encode()]
            with pytest.raises(RuntimeError, match="already streamed"):
                s.read()
        with client.stream("GET", server.url("/")) as s:
            assert s.read() == text.encode()
            assert list(s.iter_bytes()) == [text.encode()]


def test_abandoned_stream_closes_connection(serve: Serve) -> None:
    big = os.urandom(2_000_000)
    server = serve(lambda peer, m, t, h, b: peer.respond(200, big))
    with crlf.Client() as client:
        with client.stream("GET", server.url()) as r:
            first = next(r.iter_bytes())
            assert big.startswith(first)
        assert client.pool.idle_count() == 0
        assert client.get(server.url()).content == big
    assert server.connections == 2


def test_async_stream_backpressure_and_abandon(serve: Serve) -> None:
    big = os.urandom(3_000_000)
    server = serve(lambda peer, m, t, h, b: peer.respond(200, big))

    async def main() -> None:
        async with crlf.AsyncClient() as client:
            async with client.stream("GET", server.url()) as r:
                with pytest.raises(ResponseNotRead):
                    _ = r.content
                await asyncio.sleep(0.05)  # let the buffer fill past its high-water mark
                got = [c async for c in r.aiter_bytes(65536)]
            assert b"".join(got) == big
            async with client.stream("GET", server.url()) as r:
                async for _chunk in r.aiter_raw():
                    break
            assert (await client.get(server.url())).content == big
            async with client.stream("GET", server.url()) as r:
                assert await r.aread() == big
                assert [c async for c in r.aiter_bytes()] == [big]

    asyncio.run(main())
    assert server.connections == 2


def test_async_expect_continue_refused_early(scripted: Callable[..., ScriptedServer]) -> None:
    def refuse(peer: Peer) -> None:
        peer.read_head()
        peer.respond(417, b"no", [("Connection", "close")], reason="Expectation Failed")

    server = scripted(refuse)

    async def main() -> None:
        async with crlf.AsyncClient(expect_continue_threshold=10) as client:
            r = await client.post(server.url(), content=b"q" * 100_000)
            assert r.status_code == 417

    asyncio.run(main())


def test_async_large_upload_and_file_body(serve: Serve) -> None:
    server = serve(echo)
    payload = b"w" * 3_000_000

    def gen() -> Iterator[bytes]:
        for i in range(0, len(payload), 100_000):
            yield payload[i : i + 100_000]

    async def main() -> None:
        async with crlf.AsyncClient(expect_continue_threshold=None) as client:
            got = (await client.put(server.url(), content=gen())).json()
            assert len(got["body"]) == len(payload)
            f = io.BytesIO(b"from a file")
            got = (await client.put(server.url(), content=f)).json()
            assert got["body"] == "from a file"
            assert got["headers"]["content-length"] == "11"

    asyncio.run(main())


def test_async_proxy_forward(serve: Serve) -> None:
    proxy = serve(echo)

    async def main() -> None:
        async with crlf.AsyncClient(proxy=f"http://127.0.0.1:{proxy.port}") as client:
            got = (await client.get("http://example.invalid/x")).json()
            assert got["target"] == "http://example.invalid/x"

    asyncio.run(main())


def test_progress_meter() -> None:
    out = io.StringIO()
    p = _Progress(out, 2048)
    p.update(1024, final=False)
    p.update(1024, final=True)
    assert "100.0%" in out.getvalue()
    assert "2.0 KiB / 2.0 KiB" in out.getvalue()
    assert out.getvalue().endswith("\n")
    unknown = io.StringIO()
    _Progress(unknown, None).update(10, final=True)
    assert "? %" in unknown.getvalue()


def test_tls_context_options(tmp_path: object) -> None:
    with pytest.raises(FileNotFoundError):
        make_ssl_context("/nonexistent/ca.pem")
    ctx = make_ssl_context(False)
    assert ctx.check_hostname is False
    assert make_ssl_context(ctx) is ctx
    assert (
        make_ssl_context("/etc/ssl/certs") is not None if os.path.isdir("/etc/ssl/certs") else True
    )
