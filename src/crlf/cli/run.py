"""``crlf run module:app``: serve an ASGI 3 or WSGI application (uvicorn's option names).

Examples::

    crlf run myapp:app                                  # http://127.0.0.1:8000
    crlf run myapp:app --host 0.0.0.0 --port 8080 --workers 4
    crlf run myproject.wsgi:application --interface wsgi
    crlf run myapp:create_app --factory --timeout-keep-alive 15 --max-requests-per-connection 100
    crlf run echo:app --trace                           # print each request and response head
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_parser", "config_from_args", "main"]


def _bool_pair(group: Any, name: str, default: bool, help_text: str) -> None:
    dest = name.replace("-", "_")
    group.add_argument(f"--{name}", dest=dest, action="store_true", default=default, help=help_text)
    group.add_argument(f"--no-{name}", dest=dest, action="store_false", help=argparse.SUPPRESS)


def add_parser(subparsers: Any) -> None:
    """Register ``run`` on the ``crlf`` command's subparsers.

    Args:
        subparsers: what ``ArgumentParser.add_subparsers()`` returned.
    """
    from crlf.server.config import LOG_LEVELS

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run",
        help="serve an ASGI or WSGI application",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("app", help="the application as module:attribute")
    where = parser.add_argument_group("where to listen")
    where.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    where.add_argument("--port", type=int, default=8000, help="port to bind (default %(default)s)")
    where.add_argument("--uds", default=None, help="bind a Unix domain socket at this path")
    where.add_argument("--fd", type=int, default=None, help="serve an inherited listening socket")
    where.add_argument("--backlog", type=int, default=2048, help="listen backlog (default 2048)")
    proc = parser.add_argument_group("processes")
    proc.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    proc.add_argument(
        "--loop", choices=["auto", "asyncio", "uvloop"], default="auto", help="event loop"
    )
    app = parser.add_argument_group("application")
    app.add_argument("--interface", choices=["auto", "asgi3", "wsgi"], default="auto")
    app.add_argument("--lifespan", choices=["auto", "on", "off"], default="auto")
    app.add_argument("--factory", action="store_true", help="APP is a factory to call")
    app.add_argument("--app-dir", default=".", help="put this directory first on sys.path")
    app.add_argument("--root-path", default="", help="ASGI root_path (mount point behind a proxy)")
    app.add_argument(
        "--wsgi-threads", type=int, default=16, help="thread pool size for WSGI (default 16)"
    )
    logs = parser.add_argument_group("logging")
    logs.add_argument("--log-level", choices=list(LOG_LEVELS), default="info")
    _bool_pair(logs, "access-log", True, "log each request (combined format + time); --no-...")
    logs.add_argument(
        "--trace", action="store_true", help="print each request and response head as on the wire"
    )
    session = parser.add_argument_group("connections")
    session.add_argument(
        "--timeout-keep-alive",
        type=float,
        default=5.0,
        help="idle seconds before a kept-alive connection closes (Keep-Alive: timeout=T; 5)",
    )
    session.add_argument(
        "--max-requests-per-connection",
        type=int,
        default=None,
        help="requests per connection (Keep-Alive: max=N, counted down; default unlimited)",
    )
    session.add_argument(
        "--timeout-header-read",
        type=float,
        default=10.0,
        help="seconds for a whole request head (slowloris; default 10)",
    )
    session.add_argument(
        "--timeout-body-read",
        type=float,
        default=30.0,
        help="seconds of silence while the app waits for body bytes (default 30)",
    )
    session.add_argument(
        "--body-min-rate",
        type=float,
        default=500.0,
        help="bytes/s a request body must keep up while the app waits (default 500; 0 = off)",
    )
    session.add_argument("--limit-concurrency", type=int, default=None, help="max connections")
    session.add_argument(
        "--timeout-graceful-shutdown",
        type=float,
        default=30.0,
        help="seconds in-flight requests get at shutdown (default 30)",
    )
    _bool_pair(session, "server-header", True, "send Server: crlf; --no-... to omit")
    _bool_pair(session, "date-header", True, "send Date; --no-... to omit")
    tls = parser.add_argument_group("TLS and proxies")
    tls.add_argument("--ssl-certfile", default=None)
    tls.add_argument("--ssl-keyfile", default=None)
    tls.add_argument("--ssl-keyfile-password", default=None)
    _bool_pair(tls, "proxy-headers", True, "trust X-Forwarded-*/Forwarded from allowed IPs")
    tls.add_argument(
        "--forwarded-allow-ips",
        default=None,
        help="comma-separated proxy IPs/networks to trust, or '*' (default 127.0.0.1)",
    )
    ws = parser.add_argument_group("WebSockets")
    ws.add_argument(
        "--ws-max-size", type=int, default=16777216, help="largest message in bytes (16 MiB)"
    )
    ws.add_argument(
        "--ws-ping-interval",
        type=float,
        default=20.0,
        help="seconds between keepalive Pings (default 20; 0 = off)",
    )
    ws.add_argument(
        "--ws-ping-timeout",
        type=float,
        default=20.0,
        help="seconds to wait for a Pong before closing with 1011 (default 20; 0 = off)",
    )
    ws.add_argument(
        "--ws-per-message-deflate",
        type=_truth,
        nargs="?",
        const=True,
        default=True,
        metavar="BOOL",
        help="negotiate permessage-deflate (default true; uvicorn's '--ws-per-message-deflate false')",
    )
    parser.set_defaults(func=main)


def _truth(value: str) -> bool:
    # uvicorn (click) spells a boolean option value true/false, 1/0, yes/no, on/off.
    lowered = value.lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"not a boolean: {value!r}")


def config_from_args(args: argparse.Namespace) -> Any:
    """Build a :class:`crlf.server.Config` from parsed ``crlf run`` options.

    Raises:
        ValueError: an option is out of range.
    """
    from crlf.server import Config

    options: dict[str, Any] = {
        name: getattr(args, name)
        for name in (
            "host",
            "port",
            "uds",
            "fd",
            "backlog",
            "workers",
            "loop",
            "interface",
            "lifespan",
            "factory",
            "app_dir",
            "root_path",
            "wsgi_threads",
            "log_level",
            "access_log",
            "trace",
            "timeout_keep_alive",
            "max_requests_per_connection",
            "timeout_header_read",
            "timeout_body_read",
            "limit_concurrency",
            "timeout_graceful_shutdown",
            "server_header",
            "date_header",
            "ssl_certfile",
            "ssl_keyfile",
            "ssl_keyfile_password",
            "proxy_headers",
        )
    }
    options["body_min_rate"] = args.body_min_rate or None
    options["ws_max_size"] = args.ws_max_size
    options["ws_ping_interval"] = args.ws_ping_interval or None
    options["ws_ping_timeout"] = args.ws_ping_timeout or None
    options["ws_per_message_deflate"] = args.ws_per_message_deflate
    if args.forwarded_allow_ips is not None:
        options["forwarded_allow_ips"] = args.forwarded_allow_ips
    return Config(**options)


def main(args: argparse.Namespace) -> int:
    """Run ``crlf run``.

    Args:
        args: the parsed command line.

    Returns:
        The exit status: 0; 1 when the application cannot be loaded; 2 for a bad option;
        3 when the application's lifespan startup failed.
    """
    from crlf.server import run

    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"crlf run: {exc}", file=sys.stderr)
        return 2
    try:
        return run(args.app, config)
    except OSError as exc:  # the address is taken, the certificate unreadable...
        print(f"crlf run: {exc}", file=sys.stderr)
        return 1
