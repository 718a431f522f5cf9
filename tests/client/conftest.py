"""Fixtures for the client tests: scripted raw-socket servers and nginx (see servers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from .servers import (
    AppServer,
    Handler,
    Nginx,
    Peer,
    ScriptedServer,
    keep_alive_server,
    nginx_binary,
    running_nginx,
)

if TYPE_CHECKING:
    from pathlib import Path

Respond = Callable[[Peer, str, str, dict[str, str], bytes], None]


@pytest.fixture
def scripted() -> Iterator[Callable[[Handler], ScriptedServer]]:
    """``scripted(handler)`` starts a ScriptedServer, closed after the test."""
    servers: list[ScriptedServer] = []

    def start(handler: Handler) -> ScriptedServer:
        server = ScriptedServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Respond], ScriptedServer]]:
    """``serve(respond)`` starts a keep-alive server calling ``respond(peer, method, target,
    headers, body)`` for every request."""
    servers: list[ScriptedServer] = []

    def start(respond: Respond) -> ScriptedServer:
        server = keep_alive_server(respond)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="session")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    """A session-wide nginx (Debian package); the test is skipped when nginx is missing."""
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (apt-get install nginx; scripts/setup-test.sh does)")
    directory: Path = tmp_path_factory.mktemp("nginx")
    with running_nginx(directory) as server:
        yield server


def _crlf_server_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("crlf.cli.run") is not None


@pytest.fixture(scope="module", params=["crlf", "uvicorn"])
def app_server(request: pytest.FixtureRequest) -> Iterator[AppServer]:
    """tests/client/asgi_app.py served by crlf's own server, then by uvicorn."""
    import importlib.util

    if request.param == "crlf" and not _crlf_server_available():
        pytest.skip("crlf's server (crlf run) is not there yet")
    if request.param == "uvicorn" and importlib.util.find_spec("uvicorn") is None:
        pytest.skip("uvicorn is not installed")
    server = AppServer(request.param)
    try:
        yield server
    finally:
        server.stop()
