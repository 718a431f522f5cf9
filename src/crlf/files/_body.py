"""Sending a file's bytes over ASGI: from memory, zero-copy, or in chunks with backpressure.

Backpressure comes from the server: an ASGI ``send`` of a body chunk returns only once the
transport has room again (crlf's server and uvicorn both wait for the write buffer to drain below
its high-water mark). So this module reads one chunk, sends it, and reads the next only after
``send`` returned: at most one chunk per response is in our hands, and a slow client on a 1 GiB
file costs one chunk of memory, not a gigabyte.

Reads run in the default executor: a ``pread`` of a cold file can block on the disk for
milliseconds, which must not stall every other connection of the event loop.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["Disconnect", "Receive", "Send", "send_file_chunks", "watch_disconnect"]

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class Disconnect:
    """Tells whether the client went away while a long body was being sent."""

    def __init__(self) -> None:
        """Start with the client connected."""
        self.event = asyncio.Event()

    @property
    def gone(self) -> bool:
        """True once ``http.disconnect`` arrived."""
        return self.event.is_set()


async def watch_disconnect(receive: Receive, disconnect: Disconnect) -> None:
    """Read ASGI messages until ``http.disconnect`` (a GET has no body left to read).

    Args:
        receive: the ASGI receive callable.
        disconnect: set when the client goes away.
    """
    body_done = False
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            disconnect.event.set()
            return
        if not message.get("more_body", False):
            if body_done:
                # A second "complete" request message: this server answers receive() at once
                # instead of waiting for the disconnect, so asking again would spin. Stop
                # watching; a gone client then shows only as a send that goes nowhere.
                return
            body_done = True


async def send_file_chunks(
    send: Send,
    fd: int,
    start: int,
    length: int,
    *,
    chunk_size: int,
    disconnect: Disconnect,
    more_body_after: bool = False,
) -> None:
    """Send ``length`` bytes of ``fd`` from ``start`` as ``http.response.body`` messages.

    Args:
        send: the ASGI send callable (its return is the backpressure).
        fd: an open file descriptor (positional reads: the offset is not shared state).
        start: the first byte.
        length: how many bytes.
        chunk_size: the largest chunk read and sent at once.
        disconnect: stop early when the client is gone.
        more_body_after: whether more body messages follow this range (multipart).

    Raises:
        OSError: the file shrank under us; the response is already started, so the caller can
            only let the connection be closed (the server sees a short body).
    """
    loop = asyncio.get_running_loop()
    offset, remaining = start, length
    while remaining > 0:
        if disconnect.gone:
            return
        want = min(chunk_size, remaining)
        data = await loop.run_in_executor(None, os.pread, fd, want, offset)
        if not data:
            raise OSError("file shrank while being sent")
        offset += len(data)
        remaining -= len(data)
        await send(
            {
                "type": "http.response.body",
                "body": data,
                "more_body": remaining > 0 or more_body_after,
            }
        )
