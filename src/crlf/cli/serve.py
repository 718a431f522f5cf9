"""``crlf serve [DIR]``: serve a directory, the production replacement for ``python -m http.server``.

Examples::

    crlf serve                       # the current directory on http://127.0.0.1:8000/
    crlf serve site --port 8080 --listing --gzip-min-size 1024
    crlf serve public --host 0.0.0.0 --cache-control "public, max-age=3600"
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

__all__ = ["add_parser", "add_server_options", "main", "run_app"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000  # the seed: "other ports such as 8000 or 8080"; http.server uses 8000 too


def add_server_options(parser: argparse.ArgumentParser, *, access_log: bool) -> None:
    """The server options ``crlf serve`` and ``crlf demo`` share (a subset of ``crlf run``'s).

    Args:
        parser: the subcommand's parser.
        access_log: whether requests are logged unless ``--no-access-log`` / ``--access-log``
            says otherwise.
    """
    group = parser.add_argument_group("server")
    group.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default %(default)s)")
    group.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="port to bind (default %(default)s; 0 picks one)",
    )
    group.add_argument(
        "--workers", type=int, default=1, help="worker processes (default %(default)s)"
    )
    # auto: uvloop when installed, else asyncio. Large files go zero-copy on both (the server
    # calls os.sendfile itself, server/_sendfile.py), and uvloop costs less per request.
    group.add_argument(
        "--loop",
        choices=["auto", "asyncio", "uvloop"],
        default="auto",
        help="event loop (default %(default)s: uvloop when installed, else asyncio)",
    )
    group.add_argument(
        "--timeout-keep-alive",
        type=float,
        default=None,
        help="seconds an idle kept-alive connection stays open (the Keep-Alive: timeout=T)",
    )
    group.add_argument(
        "--max-requests-per-connection",
        type=int,
        default=None,
        help="requests one connection may make (the Keep-Alive: max=N, counted down)",
    )
    group.add_argument(
        "--log-level", default="info", help="critical, error, warning, info, debug, trace"
    )
    group.add_argument(
        "--access-log",
        dest="access_log",
        action="store_true",
        default=access_log,
        help="log each request" + (" (the default)" if access_log else ""),
    )
    group.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        help="do not log each request" + ("" if access_log else " (the default)"),
    )


def add_parser(subparsers: Any) -> None:
    """Register ``serve`` on the ``crlf`` command's subparsers.

    Args:
        subparsers: what ``ArgumentParser.add_subparsers()`` returned.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="serve a directory of static files",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "directory",
        nargs="?",
        default=".",
        help="the directory to serve (default: the current one)",
    )
    files = parser.add_argument_group("files")
    files.add_argument(
        "--listing", action="store_true", help="index pages for directories without index.html"
    )
    files.add_argument("--dotfiles", action="store_true", help="serve names starting with '.'")
    files.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="serve symbolic links that point outside the directory",
    )
    files.add_argument(
        "--default-language",
        default="en",
        help="language of files without a tag (default %(default)s)",
    )
    files.add_argument(
        "--cache-control",
        default="no-cache",
        help="Cache-Control of file responses (default %(default)r; '' for none)",
    )
    files.add_argument(
        "--gzip-min-size",
        type=int,
        default=None,
        metavar="BYTES",
        help="gzip compressible responses of at least BYTES on the fly (default: off)",
    )
    files.add_argument(
        "--cache-max-bytes",
        type=int,
        default=64 * 1024 * 1024,
        metavar="BYTES",
        help="memory for small files (default 64 MiB; 0 disables the cache)",
    )
    files.add_argument(
        "--revalidate-after",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="reuse a small file's response this long before checking the disk again: a change"
        " shows at the latest this much later (default %(default)s; 0 checks every request)",
    )
    # Quiet by default, as Caddy's file_server: a log line per request costs more than serving
    # a small file from memory (--access-log turns it on).
    add_server_options(parser, access_log=False)
    parser.set_defaults(func=main)


def run_app(app: Any, args: argparse.Namespace, *, banner: str) -> int:
    """Start crlf's server with ``app`` as the command line asked, until interrupted.

    Args:
        app: the ASGI application.
        args: parsed options (see :func:`add_server_options`).
        banner: a line printed once the address is known.

    Returns:
        The process exit code.
    """
    from crlf.server import Config, run

    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "workers": args.workers,
        "loop": args.loop,
        "log_level": args.log_level,
        "access_log": args.access_log,
        "lifespan": "off",
    }
    if args.timeout_keep_alive is not None:
        options["timeout_keep_alive"] = args.timeout_keep_alive
    if args.max_requests_per_connection is not None:
        options["max_requests_per_connection"] = args.max_requests_per_connection
    try:
        config = Config(**options)
    except ValueError as exc:
        print(f"crlf: {exc}", file=sys.stderr)
        return 2
    print(banner.format(url=f"http://{args.host}:{args.port}/"), file=sys.stderr, flush=True)
    try:
        return run(app, config)
    except OSError as exc:  # the address is taken, or not ours to bind
        print(f"crlf: {exc}", file=sys.stderr)
        return 1


def main(args: argparse.Namespace) -> int:
    """Run ``crlf serve``.

    Args:
        args: the parsed command line.

    Returns:
        The process exit code: 0, or 2 for a bad option or directory.
    """
    from crlf.files import StaticFiles

    directory = os.path.abspath(args.directory)
    try:
        app = StaticFiles(
            directory,
            default_language=args.default_language,
            listing=args.listing,
            allow_dotfiles=args.dotfiles,
            follow_symlinks_outside=args.follow_symlinks,
            cache_control=args.cache_control or None,
            gzip_min_size=args.gzip_min_size,
            cache_max_bytes=args.cache_max_bytes,
            revalidate_after=args.revalidate_after,
        )
    except (OSError, ValueError) as exc:
        print(f"crlf serve: {exc}", file=sys.stderr)
        return 2
    return run_app(app, args, banner=f"crlf serve: {directory} on {{url}}")
