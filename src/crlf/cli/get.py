"""``crlf get URL``: fetch a URL like curl, with crlf's client.

Examples::

    crlf get http://127.0.0.1:8000/                     # body to stdout
    crlf get -v -H "Accept-Language: fr" http://127.0.0.1:8000/
    crlf get -d "name=Juan%20Garcia" http://127.0.0.1:8000/contact_form.php
    crlf get --form name=Juan --form doc=@carta.txt http://127.0.0.1:8000/upload
    crlf get -L -o page.html http://127.0.0.1:8000/moved
    crlf get -v http://127.0.0.1:8000/ http://127.0.0.1:8000/fr   # the second reuses the connection

``-v`` prints both heads on stderr exactly as they crossed the wire (the seed's examples are
such heads), with ``*`` lines saying when a connection is opened or reused. Exit status follows
curl: 0 for any HTTP response (22 with ``--fail`` for 4xx/5xx), 7 connection failed, 28 timeout,
47 too many redirects, 8 the server's answer was not valid HTTP/1.1, 61 bad content encoding.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from typing import IO, Any

from ..client import Client
from ..errors import (
    ConnectError,
    DecodingError,
    HTTPStatusError,
    ProtocolError,
    TimeoutException,
    TooManyRedirects,
    TransportError,
)

__all__ = ["add_parser", "main"]

PROGRESS_INTERVAL = 0.1  # seconds between progress-line updates (curl: 1 s; shorter reads better)


def add_parser(subparsers: Any) -> None:
    """Register ``get`` on the ``crlf`` command's subparsers.

    Args:
        subparsers: what ``ArgumentParser.add_subparsers()`` returned.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "get",
        help="fetch a URL (like curl)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "url", nargs="+", help="http:// or https:// URL; several share one keep-alive client"
    )
    parser.add_argument(
        "-X", "--request", dest="method", help="method (default GET, POST with -d/--form)"
    )
    parser.add_argument(
        "-H", "--header", action="append", default=[], help='"Name: value" (repeatable)'
    )
    parser.add_argument(
        "-d",
        "--data",
        action="append",
        default=[],
        help="request body; @file reads a file, @- stdin (repeatable, joined with &)",
    )
    parser.add_argument(
        "-F",
        "--form",
        action="append",
        default=[],
        help="multipart field name=value or name=@file (repeatable)",
    )
    parser.add_argument(
        "-o", "--output", help="write the body to this file (progress on a terminal)"
    )
    parser.add_argument("-L", "--location", action="store_true", help="follow redirects")
    parser.add_argument("--max-redirs", type=int, default=20, help="most redirects followed (20)")
    parser.add_argument(
        "--http1.0", dest="http1_0", action="store_true", help="send HTTP/1.0 requests"
    )
    parser.add_argument(
        "-I", "--head", action="store_true", help="HEAD: show the response head only"
    )
    parser.add_argument(
        "-i", "--include", action="store_true", help="print the response head before the body"
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="print both heads as sent and received, and connection events",
    )
    parser.add_argument("-s", "--silent", action="store_true", help="no progress or error messages")
    parser.add_argument(
        "-k", "--insecure", action="store_true", help="do not verify TLS certificates"
    )
    parser.add_argument("--cacert", help="CA bundle to verify the server with")
    parser.add_argument("--cert", help="client certificate (PEM, with its key unless --key)")
    parser.add_argument("--key", help="client certificate key (PEM)")
    parser.add_argument("-x", "--proxy", help="http:// proxy (default: the *_PROXY variables)")
    parser.add_argument(
        "-m", "--max-time", type=float, default=30.0, help="timeout of each phase, seconds (30)"
    )
    parser.add_argument("-f", "--fail", action="store_true", help="exit 22 on 4xx/5xx")
    parser.add_argument("--accept-language", help="Accept-Language value, e.g. fr")


def _read_data(value: str) -> bytes:
    if value == "@-":
        return sys.stdin.buffer.read()
    if value.startswith("@"):
        with open(value[1:], "rb") as f:
            return f.read().replace(b"\r", b"").replace(b"\n", b"")  # curl -d strips newlines
    return value.encode("utf-8")


def _headers(values: list[str]) -> list[tuple[str, str]]:
    out = []
    for line in values:
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"bad header {line!r}: use 'Name: value'")
        out.append((name.strip(), value.strip()))
    return out


class _Progress:
    """A curl-like one-line progress meter on stderr."""

    def __init__(self, stream: IO[str], total: int | None) -> None:
        self.stream = stream
        self.total = total
        self.done = 0
        self.start = self.last = time.monotonic()

    def update(self, n: int, final: bool = False) -> None:
        self.done += n
        now = time.monotonic()
        if not final and now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        rate = self.done / max(now - self.start, 1e-6)
        pct = f"{100 * self.done / self.total:5.1f}%" if self.total else "   ? %"
        total = _size(self.total) if self.total else "?"
        self.stream.write(f"\r{pct}  {_size(self.done)} / {total}  {_size(int(rate))}/s   ")
        if final:
            self.stream.write("\n")
        self.stream.flush()


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)  # pragma: no cover


def main(args: argparse.Namespace) -> int:
    """Run ``crlf get``; returns the exit status (see the module docstring)."""
    err = sys.stderr
    out = sys.stdout.buffer

    def trace(kind: str, data: bytes) -> None:
        if kind in ("send_head", "receive_head"):
            err.flush()
            sys.stderr.buffer.write(data)
            sys.stderr.buffer.flush()
        else:
            err.write(f"* {data.decode('utf-8', 'replace')}\n")

    try:
        headers = _headers(args.header)
    except ValueError as exc:
        err.write(f"crlf get: {exc}\n")
        return 2
    content: bytes | None = None
    files: list[tuple[str, Any]] | None = None
    fields: list[tuple[str, str]] | None = None
    opened: list[IO[bytes]] = []
    if args.data:
        content = b"&".join(_read_data(d) for d in args.data)
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    if args.form:
        files, fields = [], []
        for item in args.form:
            name, _, value = item.partition("=")
            if value.startswith("@"):
                f: IO[bytes] = open(value[1:], "rb")  # noqa: SIM115 - closed below
                opened.append(f)
                files.append((name, (os.path.basename(value[1:]), f)))
            else:
                fields.append((name, value))
    method = args.method or (
        "HEAD" if args.head else "POST" if (content is not None or files) else "GET"
    )
    verify: Any = False if args.insecure else (args.cacert or True)
    cert: Any = (args.cert, args.key) if args.cert and args.key else args.cert
    client = Client(
        follow_redirects=args.location,
        max_redirects=args.max_redirs,
        http1_0=args.http1_0,
        verify=verify,
        cert=cert,
        proxy=args.proxy,
        timeout=args.max_time,
        accept_language=args.accept_language,
        trace=trace if args.verbose else None,
    )
    status = 0
    try:
        kwargs: dict[str, Any] = {"headers": headers}
        if files is not None:
            kwargs["files"] = files
            kwargs["data"] = fields
        elif content is not None:
            kwargs["content"] = content
        for url in args.url:  # like curl: later URLs reuse the connection when they can
            with client.stream(method, url, **kwargs) as r:
                if (args.include or args.head) and not args.verbose:
                    out.write(f"{r.http_version} {r.status_code} {r.reason_phrase}\r\n".encode())
                    for name, value in r.headers.raw.raw_items():
                        out.write(name + b": " + value + b"\r\n")
                    out.write(b"\r\n")
                if not args.head:
                    _write_body(r, args, out, err)
                if args.fail:
                    r.raise_for_status()
    except HTTPStatusError as exc:
        status = 22
        if not args.silent:
            err.write(f"crlf get: {exc}\n")
    except (
        TransportError,
        ProtocolError,
        TooManyRedirects,
        DecodingError,
        OSError,
        ValueError,
    ) as exc:
        status = _exit_code(exc)
        if not args.silent:
            err.write(f"crlf get: {type(exc).__name__}: {exc}\n")
    finally:
        client.close()
        for f in opened:
            f.close()
        out.flush()
    return status


def _write_body(r: Any, args: argparse.Namespace, out: IO[bytes], err: IO[str]) -> None:
    if not args.output:
        for chunk in r.iter_bytes():
            out.write(chunk)
        return
    total = None
    if "content-length" in r.headers and "content-encoding" not in r.headers:
        with contextlib.suppress(ValueError):
            total = int(r.headers["content-length"])
    progress = _Progress(err, total) if err.isatty() and not args.silent else None
    with open(args.output, "wb") as f:
        for chunk in r.iter_bytes():
            f.write(chunk)
            if progress is not None:
                progress.update(len(chunk))
    if progress is not None:
        progress.update(0, final=True)


def _exit_code(exc: BaseException) -> int:
    if isinstance(exc, TimeoutException):
        return 28
    if isinstance(exc, ConnectError):
        return 7
    if isinstance(exc, TooManyRedirects):
        return 47
    if isinstance(exc, ProtocolError):
        return 8
    if isinstance(exc, DecodingError):
        return 61
    return 1
