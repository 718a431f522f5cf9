"""An ASGI app for the client's interop tests with a real Python server (crlf run, or uvicorn).

Routes: ``/`` hello; ``/echo`` the request as JSON; ``/stream`` a chunked body of 100 pieces;
``/login`` sets a cookie; ``/redirect`` 302 to ``/echo``; ``/fr`` the seed's page negotiated by
Accept-Language.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    path = scope["path"]
    headers: list[tuple[bytes, bytes]] = [(b"content-type", b"text/plain; charset=utf-8")]
    if path == "/echo":
        payload = {
            "method": scope["method"],
            "path": path,
            "query": scope["query_string"].decode(),
            "headers": {k.decode(): v.decode("latin-1") for k, v in scope["headers"]},
            "body": body.decode("latin-1"),
        }
        out = json.dumps(payload).encode()
        headers = [(b"content-type", b"application/json")]
    elif path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for i in range(100):
            await send({"type": "http.response.body", "body": b"%d," % i, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    elif path == "/login":
        headers.append((b"set-cookie", b"session=juan; Path=/; HttpOnly"))
        out = b"welcome"
    elif path == "/redirect":
        await send(
            {"type": "http.response.start", "status": 302, "headers": [(b"location", b"/echo")]}
        )
        await send({"type": "http.response.body", "body": b""})
        return
    elif path == "/fr":
        langs = dict(scope["headers"]).get(b"accept-language", b"")
        text = "Une session HTTP typique" if b"fr" in langs else "A typical HTTP session"
        out = text.encode()
        headers.append((b"vary", b"accept-language"))
    else:
        out = b"Hello, world!"
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": out})
