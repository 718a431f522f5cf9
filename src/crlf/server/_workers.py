"""``--workers N``: N processes serving one listening socket, and a supervisor.

The supervisor binds the socket *before* forking, so every worker inherits the same listening
file descriptor and the kernel hands each new connection to whichever worker accepts first (no
``SO_REUSEPORT``: a worker that is busy stops accepting, and the others take the load). The
application is imported once, in the supervisor, so an import error stops everything at once;
each worker runs its own event loop and its own lifespan.

The supervisor blocks SIGCHLD/SIGINT/SIGTERM/SIGHUP and waits for them with ``sigtimedwait``: no
handlers racing with ``waitpid``. A worker that dies unexpectedly is replaced; SIGINT/SIGTERM are
passed on to every worker, which shuts down gracefully; a worker still alive
``timeout_graceful_shutdown`` + 5 seconds later is killed. A worker whose lifespan startup fails
exits 3, and then the supervisor stops everything and exits 3 (restarting it would fail again).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from typing import TYPE_CHECKING, Any

from ._loading import AppLoadError, load_app

if TYPE_CHECKING:
    import socket

    from .config import Config

__all__ = ["Supervisor"]

logger = logging.getLogger("crlf.error")

_SIGNALS = {signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


class Supervisor:
    """Forks and watches the worker processes.

    Args:
        app: the application or its ``module:attr`` string.
        config: the configuration (``workers`` > 1).
    """

    def __init__(self, app: Any, config: Config) -> None:
        self.app_spec = app
        self.config = config
        self.workers: dict[int, int] = {}  # pid -> slot number
        self.exit_code = 0

    def run(self) -> int:
        """Bind, fork the workers, supervise until told to stop; the exit code."""
        from ._server import EXIT_APP_LOAD, bind_sockets

        try:
            app = load_app(self.app_spec, app_dir=self.config.app_dir, factory=False)
        except AppLoadError as exc:
            logger.error("Error loading application: %s", exc)
            return EXIT_APP_LOAD
        sockets = bind_sockets(self.config)
        logger.info("Started supervisor [%d] for %d workers", os.getpid(), self.config.workers)
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        try:
            for slot in range(self.config.workers):
                self._spawn(slot, app, sockets, old_mask)
            self._supervise(app, sockets, old_mask)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            for sock in sockets:
                sock.close()
            if self.config.uds is not None:
                try:
                    os.unlink(self.config.uds)
                except OSError:
                    pass
        return self.exit_code

    def _spawn(self, slot: int, app: Any, sockets: list[socket.socket], mask: Any) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
                code = _worker_main(app, self.config, sockets)
            except BaseException:
                logger.exception("Worker crashed")
            finally:
                os._exit(code)
        self.workers[pid] = slot
        logger.info("Started worker [%d]", pid)

    def _supervise(self, app: Any, sockets: list[socket.socket], mask: Any) -> None:
        from ._server import EXIT_STARTUP_FAILED

        stopping = False
        deadline = 0.0
        while self.workers:
            info = signal.sigtimedwait(_SIGNALS, 0.5)
            if info is not None and info.si_signo in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                if not stopping:
                    stopping = True
                    deadline = time.monotonic() + self.config.timeout_graceful_shutdown + 5.0
                    logger.info("Stopping %d workers", len(self.workers))
                self._signal_all(signal.SIGTERM)
            # Reap every worker that exited (one SIGCHLD may stand for several).
            while self.workers:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    self.workers.clear()
                    break
                if pid == 0:
                    break
                slot = self.workers.pop(pid, None)
                if slot is None:
                    continue
                code = os.waitstatus_to_exitcode(status)
                if stopping:
                    continue
                if code == EXIT_STARTUP_FAILED:
                    logger.error("Worker [%d] failed to start the application; stopping", pid)
                    self.exit_code = EXIT_STARTUP_FAILED
                    stopping = True
                    deadline = time.monotonic() + self.config.timeout_graceful_shutdown + 5.0
                    self._signal_all(signal.SIGTERM)
                    continue
                logger.warning("Worker [%d] died (exit code %s); starting another", pid, code)
                self._spawn(slot, app, sockets, mask)
            if stopping and time.monotonic() > deadline:
                self._signal_all(signal.SIGKILL)

    def _signal_all(self, sig: int) -> None:
        for pid in list(self.workers):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass


def _worker_main(app: Any, config: Config, sockets: list[socket.socket]) -> int:
    from ._server import Server, _loop_factory

    with asyncio.Runner(loop_factory=_loop_factory(config.loop)) as runner:
        return runner.run(Server(app, config).serve(sockets=sockets))
