"""Running the server: sockets, event loop, lifespan, signals and graceful shutdown.

:class:`Server` serves one application in one process. ``await Server(app, config).serve()`` binds
(or adopts) the listening sockets, runs the lifespan startup, accepts connections until
:meth:`Server.request_exit` (or SIGTERM/SIGINT in the main thread), then shuts down gracefully:

1. stop accepting (close the listening servers);
2. close idle keep-alive connections at once; connections with a request in flight get
   ``Connection: close`` on their response and close after it;
3. wait up to ``timeout_graceful_shutdown`` for them and for application tasks still running
   (background tasks after a response), then abort whatever is left;
4. run the lifespan shutdown.

A second signal skips the wait. :func:`run` is the blocking entry point the CLI uses; with
``workers > 1`` it hands over to :mod:`crlf.server._workers`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ._http11 import HttpProtocol
from ._lifespan import Lifespan
from ._loading import AppLoadError, detect_interface, load_app
from ._logging import configure_logging
from ._tls import make_ssl_context
from ._transport import ServerState
from ._wsgi import WSGIAdapter
from .config import Config

__all__ = ["EXIT_APP_LOAD", "EXIT_STARTUP_FAILED", "Server", "bind_sockets", "run", "serve"]

EXIT_APP_LOAD = 1  # the application could not be imported (uvicorn exits 1 too)
EXIT_STARTUP_FAILED = 3  # lifespan startup failed (gunicorn's WORKER_BOOT_ERROR is 3)

logger = logging.getLogger("crlf.error")


def bind_sockets(config: Config) -> list[socket.socket]:
    """Create the listening socket the configuration asks for.

    Args:
        config: ``fd``, ``uds`` or ``host``/``port``, and ``backlog``.

    Returns:
        One listening, non-blocking socket (a list, for symmetry with ``serve(sockets=...)``).

    Raises:
        OSError: the address is in use or not ours to bind.
    """
    if config.fd is not None:
        sock = socket.socket(fileno=config.fd)
    elif config.uds is not None:
        path = config.uds
        if os.path.exists(path) and stat.S_ISSOCK(os.stat(path).st_mode):
            os.unlink(path)  # a stale socket from a previous run
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(path)
        os.chmod(path, 0o666)
    else:
        family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((config.host, config.port))
        except OSError:
            sock.close()
            raise
    sock.listen(config.backlog)
    sock.setblocking(False)
    return [sock]


def _describe(sock: socket.socket, is_ssl: bool) -> str:
    name = sock.getsockname()
    if sock.family == socket.AF_UNIX:
        return f"unix socket {name}"
    scheme = "https" if is_ssl else "http"
    host = f"[{name[0]}]" if sock.family == socket.AF_INET6 else name[0]
    return f"{scheme}://{host}:{name[1]}"


class Server:
    """One server process serving one application.

    Args:
        app: the application, or its ``module:attr`` string.
        config: the configuration.
    """

    def __init__(self, app: Any, config: Config) -> None:
        self.app_spec = app
        self.config = config
        self.started = threading.Event()
        self.addresses: list[Any] = []
        self.state: ServerState | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._exit: asyncio.Event | None = None
        self._force = False
        self._executor: ThreadPoolExecutor | None = None

    def request_exit(self, force: bool = False) -> None:
        """Ask the server to shut down gracefully (thread-safe; ``force`` skips the wait)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._on_exit, force)
        except RuntimeError:
            # The loop closed between the check and the call (the server finished on its own
            # thread meanwhile): there is nothing left to stop.
            if not loop.is_closed():
                raise

    def _on_exit(self, force: bool) -> None:
        if self._exit is None:
            return
        if self._exit.is_set() or force:
            self._force = True
        self._exit.set()

    def _prepare_app(self) -> Any:
        config = self.config
        app = load_app(self.app_spec, app_dir=config.app_dir, factory=config.factory)
        interface: str = config.interface
        if interface == "auto":
            interface = detect_interface(app)
        if interface == "wsgi":
            self._executor = ThreadPoolExecutor(
                max_workers=config.wsgi_threads, thread_name_prefix="crlf-wsgi"
            )
            app = WSGIAdapter(app, self._executor, multiprocess=config.workers > 1)
        return app

    async def serve(self, sockets: list[socket.socket] | None = None) -> int:
        """Serve until asked to exit.

        Args:
            sockets: listening sockets to adopt (workers share their parent's); bound from the
                configuration when None.

        Returns:
            The process exit code: 0, or :data:`EXIT_STARTUP_FAILED` / :data:`EXIT_APP_LOAD`.
        """
        config = self.config
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._exit = asyncio.Event()
        try:
            app = self._prepare_app()
        except AppLoadError as exc:
            logger.error("Error loading application: %s", exc)
            return EXIT_APP_LOAD
        state = ServerState(app, config, loop)
        self.state = state
        try:
            from ._websocket import handle_upgrade  # written by the WebSocket developer
        except ImportError:
            pass
        else:
            state.websocket_handler = handle_upgrade
        ssl_context = (
            make_ssl_context(config.ssl_certfile, config.ssl_keyfile, config.ssl_keyfile_password)
            if config.ssl_certfile
            else None
        )
        own_sockets = sockets is None
        # Bind before the lifespan startup: a taken port fails fast, before the app connects
        # to its databases.
        listening = bind_sockets(config) if sockets is None else sockets
        lifespan = Lifespan(app, config.lifespan)
        if not await lifespan.startup():
            logger.error("Application startup failed: %s. Exiting.", lifespan.failed_message)
            state.stop()
            self._shutdown_executor()
            if own_sockets:
                for sock in listening:
                    sock.close()
            return EXIT_STARTUP_FAILED
        state.app_state = lifespan.state
        servers: list[asyncio.base_events.Server] = []
        for sock in listening:
            if sock.family == socket.AF_UNIX:
                server = await loop.create_unix_server(
                    lambda: HttpProtocol(state), sock=sock, ssl=ssl_context, backlog=config.backlog
                )
            else:
                server = await loop.create_server(
                    lambda: HttpProtocol(state), sock=sock, ssl=ssl_context, backlog=config.backlog
                )
            servers.append(server)
            self.addresses.append(sock.getsockname())
            logger.info("crlf running on %s (Press CTRL+C to quit)", _describe(sock, config.is_ssl))
        self._install_signals(loop)
        self.started.set()
        try:
            await self._exit.wait()
        finally:
            self._remove_signals(loop)
            await self._shutdown(state, servers)
            await lifespan.shutdown()
            state.stop()
            self._shutdown_executor()
            if own_sockets:
                for sock in listening:
                    sock.close()
                if config.uds is not None:
                    try:
                        os.unlink(config.uds)
                    except OSError:
                        pass
        return 0

    async def _shutdown(self, state: ServerState, servers: list[Any]) -> None:
        logger.info("Shutting down")
        for server in servers:
            server.close()
        state.shutting_down = True
        for conn in list(state.connections):
            conn.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.timeout_graceful_shutdown
        assert self._exit is not None
        while (state.connections or state.tasks) and not self._force:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            waiters: list[Any] = list(state.tasks)
            if state.connections:
                waiters.append(loop.create_task(_until_no_connections(state)))
            self._exit.clear()
            waiters.append(loop.create_task(self._exit.wait()))
            _done, pending = await asyncio.wait(
                waiters, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in pending:
                if waiter not in state.tasks:
                    waiter.cancel()
        if state.connections:
            logger.warning("Closing %d connection(s) still open", len(state.connections))
            for conn in list(state.connections):
                if conn.transport is not None:
                    conn.transport.abort()
        for task in list(state.tasks):
            task.cancel()
        if state.tasks:
            await asyncio.wait(list(state.tasks), timeout=1.0)

    def _shutdown_executor(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def _install_signals(self, loop: asyncio.AbstractEventLoop) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self._on_exit, False)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - not on Unix
                pass

    def _remove_signals(self, loop: asyncio.AbstractEventLoop) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.remove_signal_handler(sig)
            except (NotImplementedError, RuntimeError):  # pragma: no cover
                pass


async def _until_no_connections(state: ServerState) -> None:
    """Wait until the last connection is gone (polled on connection close, not on a clock)."""
    while state.connections:
        future = state.loop.create_future()
        state.on_idle = future
        await future


def _loop_factory(name: str) -> Any:
    """The event loop constructor for ``--loop`` (uvloop when available with ``auto``)."""
    if name in ("auto", "uvloop"):
        try:
            import uvloop
        except ImportError:
            if name == "uvloop":
                raise
        else:
            return uvloop.new_event_loop
    return asyncio.new_event_loop


async def serve(app: Any, config: Config | None = None, **options: Any) -> int:
    """Serve ``app`` on the running event loop until cancelled or signalled.

    Args:
        app: an ASGI 3 or WSGI application, or its ``module:attr`` string.
        config: the configuration; ``options`` build one when it is None.
        **options: :class:`Config` fields.

    Returns:
        The exit code (0 on a clean shutdown).
    """
    config = config or Config(**options)
    return await Server(app, config).serve()


def run(app: Any, config: Config | None = None, **options: Any) -> int:
    """Serve ``app`` until SIGINT/SIGTERM, in this process or in ``workers`` processes.

    Args:
        app: an ASGI 3 or WSGI application, or its ``module:attr`` string.
        config: the configuration; ``options`` build one when it is None.
        **options: :class:`Config` fields.

    Returns:
        The process exit code.
    """
    config = config or Config(**options)
    configure_logging(config.log_level_number)
    if config.workers > 1:
        from ._workers import Supervisor

        return Supervisor(app, config).run()
    with asyncio.Runner(loop_factory=_loop_factory(config.loop)) as runner:
        return runner.run(Server(app, config).serve())
