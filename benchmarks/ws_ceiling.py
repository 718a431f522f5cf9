#!/usr/bin/env python3
"""ws_bench's ceiling row: the least a Python server can do per echo, with no WebSocket code.

After any upgrade request it answers ``101`` and then, for every ``--frame`` bytes received,
writes one fixed unmasked frame of the workload's size: no parsing, no unmasking, no
application. On uvloop when present, as crlf runs. What ws_bench measures for it is what the
machine itself allows (loopback TCP, the two processes' wakeups, the load generator): how
far a real server can possibly get. It speaks just enough for ws_bench's load generator and is
not a WebSocket server.

    python benchmarks/ws_ceiling.py PORT PAYLOAD_SIZE
"""

from __future__ import annotations

import asyncio
import sys

from ws_bench import frame  # the load generator's own framing (run from benchmarks/)


class BlindEcho(asyncio.Protocol):
    def __init__(self, request_size: int, reply: bytes) -> None:
        self.request_size = request_size
        self.reply = reply
        self.head = b""
        self.open = False
        self.pending = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        if not self.open:
            self.head += data
            if b"\r\n\r\n" not in self.head:
                return
            self.open = True
            self.transport.write(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n"
            )
            data = self.head.split(b"\r\n\r\n", 1)[1]
        self.pending += len(data)
        while self.pending >= self.request_size:
            self.pending -= self.request_size
            self.transport.write(self.reply)


async def serve(port: int, size: int) -> None:
    opcode = 0x1 if size < 1024 else 0x2
    reply = frame(opcode, b"x" * size, None)
    # The request: the same frame masked (4 more bytes of key, the mask bit in byte 2).
    request_size = len(reply) + 4
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: BlindEcho(request_size, reply), "127.0.0.1", port)
    await server.serve_forever()


def main() -> None:
    port, size = int(sys.argv[1]), int(sys.argv[2])
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(port, size))
    else:
        uvloop.run(serve(port, size))


if __name__ == "__main__":
    main()
