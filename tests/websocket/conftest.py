"""Fixtures: a real crlf server on 127.0.0.1 (port 0) in a thread, serving a given ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import TYPE_CHECKING, Any

import pytest

from crlf.server import Config, Server

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@contextlib.contextmanager
def serving(app: Any, **options: Any) -> Iterator[tuple[str, int]]:
    """Run ``app`` under crlf in a background thread; yields ``(host, port)``."""
    with running_server(app, **options) as (host, port, _server):
        yield host, port


@contextlib.contextmanager
def running_server(app: Any, **options: Any) -> Iterator[tuple[str, int, Server]]:
    """Run ``app`` under crlf in a background thread; yields ``(host, port, server)``."""
    config = Config(port=0, lifespan="off", access_log=False, log_level="critical", **options)
    server = Server(app, config)
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(server.serve())
        except BaseException as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)
            server.started.set()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    assert server.started.wait(10)
    assert not errors, errors
    host, port = server.addresses[0][:2]
    try:
        yield host, port, server
    finally:
        server.request_exit(force=True)
        server.request_exit(force=True)
        thread.join(10)


@pytest.fixture
def serve() -> Callable[..., contextlib.AbstractContextManager[tuple[str, int]]]:
    """``with serve(app, **config) as (host, port): ...``"""
    return serving
