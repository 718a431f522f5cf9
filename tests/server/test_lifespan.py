"""Lifespan: startup/shutdown, state handed to requests, unsupported apps, failures."""

from __future__ import annotations

from typing import Any

from tests.server.serving import read_response, running


async def _plain(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        raise ValueError("only http")  # many plain apps do this
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_auto_mode_tolerates_an_app_without_lifespan() -> None:
    with running(_plain, lifespan="auto") as server, server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        head, _ = read_response(sock)
        assert head.startswith(b"HTTP/1.1 200")


def test_on_mode_fails_for_an_app_that_raises() -> None:
    with running(_plain, lifespan="on") as server:
        server.thread.join(10)
    assert server.exit_code == 3


def test_state_reaches_requests_and_shutdown_runs() -> None:
    events: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    scope["state"]["db"] = "connected"
                    await send({"type": "lifespan.startup.complete"})
                else:
                    events.append("shutdown")
                    await send({"type": "lifespan.shutdown.failed", "message": "disk full"})
                    return
        body = scope["state"]["db"].encode()
        scope["state"]["db"] = "changed"  # a request's copy: the next one must not see this
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"9")]}
        )
        await send({"type": "http.response.body", "body": body})

    with running(app, lifespan="on") as server, server.connect() as sock:
        buf = bytearray()
        for _ in range(2):
            sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            assert read_response(sock, buf)[1] == b"connected"
    assert events == ["shutdown"]
    assert server.exit_code == 0
