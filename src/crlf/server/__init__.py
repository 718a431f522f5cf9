"""crlf.server: an asyncio HTTP/1.1 server for ASGI 3 and WSGI applications.

Programmatic use::

    from crlf.server import Config, run, serve

    run("myapp:app", port=8080)                    # blocking; workers, signals, exit code
    await serve(app, Config(port=8080))            # inside a running event loop

The layers (style.md §1): ``_http11.py`` (asyncio.Protocol + protocol Connection, keep-alive,
timeouts) → ``_asgi.py`` (one exchange as ASGI messages); ``config.py``, ``_server.py`` (sockets,
lifespan, shutdown), ``_workers.py``, ``_wsgi.py``, ``_proxy.py``, ``_tls.py``, ``_logging.py``.
"""

from __future__ import annotations

from ._server import Server as Server
from ._server import run as run
from ._server import serve as serve
from .config import Config as Config

__all__ = ["Config", "Server", "run", "serve"]
