"""Zero-copy file bodies on any event loop: ``os.sendfile`` on the connection's own socket.

``loop.sendfile`` exists only on asyncio's own loops (uvloop has none), and it costs a waiter, a
pause and a resume of reading and an fd hand-over per call. The server does it itself instead:

1. Bytes still on their way out go first. What the connection has corked (the response head,
   a chunk-size line) is written straight to the socket when the transport's buffer is empty
   (the usual case); when the transport still holds bytes (uvloop writes small pieces at the end
   of the loop iteration; a slow client), the cork goes to the transport and we wait until it is
   empty: write-buffer limits of (0, 0) make the transport call ``pause_writing`` now and
   ``resume_writing`` once everything is written, through the public flow-control API.
2. ``os.sendfile(socket, file, offset, count)`` on the non-blocking socket sends what the socket
   buffer takes. When it is full we wait until the socket is writable again with
   ``loop.add_writer`` on a ``dup()`` of its descriptor: both loops refuse a writer on the
   descriptor a transport owns, but a duplicate is another number for the same socket, so the
   poller accepts it. The writer is removed *before* the duplicate is closed (an epoll
   registration outlives a closed fd while another fd still refers to the socket), once per
   file, in a ``finally``: no descriptor outlives the body, whether it ended, the peer went
   away, the connection was closed under it, or the task was cancelled.
3. The peer closing mid-file (``EPIPE``, ``ECONNRESET``) aborts the connection; a file that
   shrank under us (``sendfile`` returns 0) closes it, since the framing promised more bytes.

The wait shares the connection's drain waiter (``HttpProtocol.drain``), so ``connection_lost``
and ``resume_writing`` wake it as they wake any writer. Nothing else writes to the transport
while a file is being sent: the connection writes the next response only after this one
completes, and pipelined requests wait in the protocol (``PAUSED``).
"""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._http11 import HttpProtocol

__all__ = ["sendfile"]

# sendfile() refusing this file or socket (not a failure of the connection): read instead.
_UNSUPPORTED = frozenset(
    {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EOVERFLOW, errno.ENOTSOCK}
)


async def sendfile(proto: HttpProtocol, fd: int, offset: int, count: int) -> int:
    """Send ``count`` bytes of the file ``fd`` from ``offset`` on ``proto``'s socket, zero-copy.

    Args:
        proto: the connection (its transport is a plain TCP or Unix socket, no TLS).
        fd: the file's descriptor (a regular file).
        offset: where its bytes start.
        count: how many to send.

    Returns:
        The bytes sent: ``count``; fewer when the connection is gone (``transport.is_closing()``)
        or when ``sendfile`` refused the file or socket before a byte went (the caller reads).
    """
    transport = proto.transport
    sock = transport.get_extra_info("socket")
    sock_fd = sock.fileno() if sock is not None else -1
    if sock_fd < 0:
        return 0
    loop = proto.loop
    sent = 0
    dup_fd = -1
    try:
        while sent < count:
            if proto.closed or transport.is_closing():
                return sent
            if transport.get_write_buffer_size():
                proto.flush()
                await _written(proto)
                continue
            cork = proto.cork
            if cork:
                out = cork[0] if len(cork) == 1 else b"".join(cork)
                cork.clear()
                proto.corked = 0
                try:
                    n = os.write(sock_fd, out)
                except BlockingIOError:
                    n = 0
                except OSError:  # the peer is gone
                    transport.abort()
                    return sent
                if n < len(out):
                    transport.write(memoryview(out)[n:])
                    continue
            try:
                n = os.sendfile(sock_fd, fd, offset + sent, count - sent)
            except BlockingIOError:
                n = -1
            except OSError as exc:
                if sent == 0 and exc.errno in _UNSUPPORTED:
                    return 0
                transport.abort()  # EPIPE, ECONNRESET...: the peer is gone
                return sent
            if n == 0:  # end of file before `count` bytes: it shrank, the framing is broken
                proto.close()
                return sent
            if n > 0:
                sent += n
                if sent == count:
                    break
            # The socket buffer is full: wait until the socket takes more (or the end).
            if dup_fd < 0:
                dup_fd = os.dup(sock_fd)
                loop.add_writer(dup_fd, proto.wake_writer)
            await proto.drain()
    finally:
        if dup_fd >= 0:
            loop.remove_writer(dup_fd)  # before close(): see the module docstring
            os.close(dup_fd)
        waiter = proto.drain_waiter
        if waiter is not None and waiter.done():  # cancelled with us: not for the next drain()
            proto.drain_waiter = None
    return sent


async def _written(proto: HttpProtocol) -> None:
    """Wait until the transport has written everything it holds (or the connection is gone)."""
    transport = proto.transport
    low, high = transport.get_write_buffer_limits()
    # (0, 0): pause_writing() now (anything buffered is above 0), resume_writing() at empty.
    transport.set_write_buffer_limits(high=0, low=0)
    try:
        while transport.get_write_buffer_size() and not (proto.closed or transport.is_closing()):
            await proto.drain()
    finally:
        if not (proto.closed or transport.is_closing()):
            transport.set_write_buffer_limits(high=high, low=low)
