"""``crlf.websocket.connect(url)``: the issue's name for the asyncio client, and the layer rule it keeps.

The client lives in :mod:`crlf.wsclient` (asyncio, one layer above the sans-I/O codec); the package
``crlf.websocket`` serves its names lazily (PEP 562), so importing the codec still loads no asyncio.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from websockets.asyncio.server import ServerConnection
from websockets.asyncio.server import serve as ws_serve

import crlf.websocket
import crlf.wsclient

from .test_server import echo

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager

    Serve = Callable[..., AbstractContextManager[tuple[str, int]]]

MESSAGES: list[str | bytes] = [
    "hi",
    "h\u00e9llo \U0001f600",
    "",
    b"",
    b"\x00" * 126,
    os.urandom(70_000),
]


def test_importing_the_codec_loads_no_asyncio() -> None:
    # docs/design.md: websocket/ is sans-I/O; the client is loaded only when asked for.
    code = (
        "import sys, crlf.websocket\n"
        "assert 'asyncio' not in sys.modules, 'asyncio'\n"
        "assert 'crlf.wsclient' not in sys.modules, 'crlf.wsclient'\n"
        "crlf.websocket.connect\n"
        "assert 'crlf.wsclient' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_names_are_the_wsclient_ones() -> None:
    assert crlf.websocket.connect is crlf.wsclient.connect
    assert crlf.websocket.WebSocket is crlf.wsclient.WebSocket
    assert crlf.websocket.WebSocketClosed is crlf.wsclient.WebSocketClosed
    assert {"connect", "WebSocket", "WebSocketClosed"} <= set(dir(crlf.websocket))
    assert "connect" in crlf.websocket.__all__
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = crlf.websocket.no_such_name


async def test_connect_to_crlf_server(serve: Serve) -> None:
    with serve(echo) as (host, port):
        async with await crlf.websocket.connect(f"ws://{host}:{port}/") as ws:
            for message in MESSAGES:
                await ws.send(message)
                assert await ws.recv() == message
        assert ws.close_code == 1000


async def _ws_echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


@pytest.mark.parametrize("compression", [True, False])
async def test_connect_to_websockets_server(compression: bool) -> None:
    async with ws_serve(_ws_echo, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        ws = await crlf.websocket.connect(f"ws://127.0.0.1:{port}/", compression=compression)
        async with ws:
            for message in MESSAGES:
                await ws.send(message)
                assert await ws.recv() == message
            await ws.close(4001, "done")
        assert ws.close_code == 4001
        with pytest.raises(crlf.websocket.WebSocketClosed):
            await ws.recv()
