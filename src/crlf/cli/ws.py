"""``crlf ws URL``: talk to a WebSocket server from the terminal.

Examples::

    crlf ws ws://127.0.0.1:8000/ws                  # interactive: each line is sent as text,
                                                    # every message received is printed
    crlf ws ws://127.0.0.1:8000/ws -m hello -m bye  # send these, print one reply each, close
    crlf ws wss://example.org/feed -s chat.v1 -H 'Authorization: Bearer x' --no-compression

Received text is printed as is; binary messages as ``<N bytes> hex...``. With ``-v`` the
handshake's response headers and the close code are printed to stderr.
Exit status: 0 after a clean close, 1 when the connection failed or closed abnormally.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

__all__ = ["add_parser", "main"]


def add_parser(subparsers: Any) -> None:
    """Register ``ws`` on the ``crlf`` command's subparsers.

    Args:
        subparsers: what ``ArgumentParser.add_subparsers()`` returned.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "ws",
        help="open a WebSocket and exchange messages",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("url", help="ws:// or wss:// URL")
    parser.add_argument(
        "-m", "--message", action="append", default=[], help="send this text, print the reply"
    )
    parser.add_argument(
        "-s", "--subprotocol", action="append", default=[], help="offer a subprotocol"
    )
    parser.add_argument(
        "-H", "--header", action="append", default=[], help="extra request header 'Name: value'"
    )
    parser.add_argument("--origin", default=None, help="send this Origin header")
    parser.add_argument(
        "--no-compression", action="store_true", help="do not offer permessage-deflate"
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait (default %(default)s)"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="print the handshake and close to stderr"
    )


def _show(message: str | bytes) -> str:
    if isinstance(message, str):
        return message
    preview = message[:32].hex(" ")
    return f"<{len(message)} bytes> {preview}{' ...' if len(message) > 32 else ''}"


def _headers(values: list[str]) -> list[tuple[bytes, bytes]]:
    out: list[tuple[bytes, bytes]] = []
    for value in values:
        name, sep, rest = value.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"header must be 'Name: value', not {value!r}")
        out.append((name.strip().encode("latin-1"), rest.strip().encode("latin-1")))
    return out


async def _run(args: argparse.Namespace) -> int:
    from crlf.errors import CrlfError
    from crlf.wsclient import WebSocketClosed, connect

    try:
        ws = await connect(
            args.url,
            subprotocols=args.subprotocol,
            headers=_headers(args.header),
            origin=args.origin,
            compression=not args.no_compression,
            open_timeout=args.timeout,
            close_timeout=args.timeout,
        )
    except (CrlfError, ValueError) as exc:
        print(f"crlf ws: {exc}", file=sys.stderr)
        return 1
    if args.verbose:
        for name, value in ws.response_headers:
            print(f"{name.decode('latin-1')}: {value.decode('latin-1')}", file=sys.stderr)
    try:
        if args.message:
            for text in args.message:
                await ws.send(text)
                print(_show(await asyncio.wait_for(ws.recv(), args.timeout)), flush=True)
        else:
            await _interactive(ws)
    except WebSocketClosed:
        pass
    except TimeoutError:
        print("crlf ws: no reply in time", file=sys.stderr)
        await ws.close(1000)
        return 1
    await ws.close(1000)
    if args.verbose:
        print(f"closed: {ws.close_code} {ws.close_reason}".rstrip(), file=sys.stderr)
    return 0 if ws.close_code in (1000, 1001) else 1


_LINGER = 0.3  # after stdin ends, close once no message came for this long (replies in flight)


async def _interactive(ws: Any) -> None:
    # Print incoming messages while sending stdin's lines; stdin EOF closes the connection.
    received = [0]

    async def printer() -> None:
        async for message in ws:
            received[0] += 1
            print(_show(message), flush=True)

    task = asyncio.create_task(printer())
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line or task.done():
                break
            await ws.send(line.rstrip("\r\n"))
        while not task.done():
            seen = received[0]
            await asyncio.sleep(_LINGER)
            if received[0] == seen:
                break
    finally:
        await ws.close(1000)
        await task


def main(args: argparse.Namespace) -> int:
    """Run ``crlf ws``.

    Args:
        args: the parsed command line.

    Returns:
        0 after a clean close, 1 otherwise.
    """
    return asyncio.run(_run(args))
