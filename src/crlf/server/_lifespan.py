"""The ASGI lifespan protocol: ``startup`` before the first connection, ``shutdown`` after the last.

The application runs once with a ``lifespan`` scope in its own task. We send
``lifespan.startup`` and wait for ``lifespan.startup.complete`` or ``.failed``; at shutdown we send
``lifespan.shutdown`` and wait for ``.complete`` or ``.failed``. ``scope["state"]`` is a dict the
application may fill at startup; every request scope gets a shallow copy of it (ASGI lifespan
spec 2.3, "Lifespan State").

With ``--lifespan auto`` an application that raises before answering startup is taken not to
support lifespan (many plain ASGI apps raise on unknown scope types) and serving continues; with
``on`` that is a startup failure. A ``startup.failed`` always stops the server (exit code 3).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

__all__ = ["Lifespan"]

logger = logging.getLogger("crlf.error")


class Lifespan:
    """Drives one application's lifespan scope.

    Args:
        app: the ASGI 3 application.
        mode: ``"auto"``, ``"on"`` or ``"off"``.
    """

    def __init__(self, app: Any, mode: str) -> None:
        self.app = app
        self.mode = mode
        self.state: dict[str, Any] = {}
        self.failed_message: str | None = None
        self._receive_queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._startup_done = asyncio.Event()
        self._shutdown_done = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsupported = False
        self._errored = False

    async def startup(self) -> bool:
        """Run the application's startup.

        Returns:
            True when serving may begin, False when startup failed (``failed_message`` says why).
        """
        if self.mode == "off":
            return True
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "state": self.state,
        }
        self._task = asyncio.get_running_loop().create_task(self._main(scope))
        await self._receive_queue.put({"type": "lifespan.startup"})
        await self._startup_done.wait()
        if self.failed_message is not None:
            return False
        if self._errored and self.mode == "on":
            self.failed_message = "the application raised during startup"
            return False
        return True

    async def shutdown(self) -> None:
        """Run the application's shutdown (a no-op when lifespan is unsupported or off)."""
        if self.mode == "off" or self._unsupported or self._errored or self._task is None:
            return
        await self._receive_queue.put({"type": "lifespan.shutdown"})
        await self._shutdown_done.wait()
        if self.failed_message is not None:
            logger.error("Application shutdown failed: %s", self.failed_message)

    async def _main(self, scope: dict[str, Any]) -> None:
        try:
            await self.app(scope, self._receive, self._send)
        except BaseException as exc:
            self._errored = True
            if not self._startup_done.is_set():
                if self.mode == "auto":
                    self._unsupported = True
                    logger.info("ASGI 'lifespan' protocol appears unsupported.")
                else:
                    self.failed_message = f"the application raised {type(exc).__name__}"
                    logger.error("Exception in 'lifespan' protocol", exc_info=exc)
            else:
                logger.error("Exception in 'lifespan' protocol", exc_info=exc)
            if isinstance(exc, (KeyboardInterrupt, SystemExit, asyncio.CancelledError)):
                raise
        finally:
            # Whatever happened, nobody may wait forever.
            self._startup_done.set()
            self._shutdown_done.set()

    async def _receive(self) -> dict[str, Any]:
        return await self._receive_queue.get()

    async def _send(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "lifespan.startup.complete":
            self._startup_done.set()
        elif kind == "lifespan.startup.failed":
            self.failed_message = str(message.get("message") or "lifespan.startup.failed")
            self._startup_done.set()
        elif kind == "lifespan.shutdown.complete":
            self._shutdown_done.set()
        elif kind == "lifespan.shutdown.failed":
            self.failed_message = str(message.get("message") or "lifespan.shutdown.failed")
            self._shutdown_done.set()
        else:
            raise RuntimeError(f"unexpected ASGI lifespan message type {kind!r}")
