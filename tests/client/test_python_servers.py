"""Client and AsyncClient against real Python ASGI servers: crlf's own (``crlf run``) and
uvicorn, serving tests/client/asgi_app.py."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import crlf

if TYPE_CHECKING:
    from .servers import AppServer


def test_sync_session(app_server: AppServer) -> None:
    with crlf.Client(accept_language="fr") as client:
        assert client.get(app_server.url("/")).text == "Hello, world!"
        assert client.get(app_server.url("/fr")).text == "Une session HTTP typique"
        echo = client.post(app_server.url("/echo"), params={"a": "1"}, data={"name": "Juan Garcia"})
        assert echo.json()["body"] == "name=Juan+Garcia"
        assert echo.json()["query"] == "a=1"
        client.get(app_server.url("/login"))
        moved = client.get(app_server.url("/redirect"))
        assert [h.status_code for h in moved.history] == [302]
        assert moved.json()["headers"]["cookie"] == "session=juan"
        with client.stream("GET", app_server.url("/stream")) as r:
            assert r.headers["transfer-encoding"] == "chunked"
            assert b"".join(r.iter_bytes()) == b"".join(b"%d," % i for i in range(100))
        for _ in range(100):
            assert client.get(app_server.url("/")).status_code == 200
        assert client.pool.connections_opened == 1


def test_async_session(app_server: AppServer) -> None:
    async def main() -> None:
        async with crlf.AsyncClient(max_connections=10) as client:
            results = await asyncio.gather(*(client.get(app_server.url("/")) for _ in range(100)))
            assert {r.text for r in results} == {"Hello, world!"}
            assert client.pool.connections_opened <= 10
            big = (await client.post(app_server.url("/echo"), content=b"x" * 200_000)).json()
            assert len(big["body"]) == 200_000
            async with client.stream("GET", app_server.url("/stream")) as r:
                data = b"".join([c async for c in r.aiter_bytes()])
            assert data == b"".join(b"%d," % i for i in range(100))

    asyncio.run(main())
