"""Logging: the error log, the access log (combined format + response time) and ``--trace``.

Three loggers, as uvicorn names its own: ``crlf.error`` (lifecycle and application errors),
``crlf.access`` (one line per exchange, INFO) and ``crlf.trace`` (``--trace``: each exchange's
request and response heads as they were on the wire, like the seed's examples).

The access line is Apache's combined format followed by the response time in microseconds
(Apache ``%D``)::

    127.0.0.1 - - [26/Nov/2026:14:28:02 +0000] "GET / HTTP/1.1" 200 13 "-" "curl/8.5.0" 152

Bytes from the request (target, Referer, User-Agent) are escaped as Apache does, so a client cannot
forge log lines with CR/LF or quotes.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

__all__ = [
    "access_line",
    "configure_logging",
    "escape",
    "log_access",
    "trace_request",
    "trace_response",
]


def escape(value: bytes | None) -> str:
    """A request byte string made safe for one log line (``\\xNN`` for controls, ``\\"``)."""
    if value is None:
        return "-"
    text = value.decode("ascii", "backslashreplace")
    if text.isprintable() and '"' not in text and "\\" not in text:
        return text
    out = []
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\x{ord(ch):02x}")
    return "".join(out)


def access_line(
    client: tuple[str, int] | None,
    method: bytes,
    target: bytes,
    http_version: bytes,
    status: int,
    size: int,
    referer: bytes | None,
    user_agent: bytes | None,
    started: float,
    duration: float,
) -> str:
    """Format one combined-log line.

    Args:
        client: the client address (after proxy-header resolution).
        method: the request method.
        target: the request-target as received.
        http_version: ``b"1.1"`` or ``b"1.0"``.
        status: the final status sent.
        size: response body bytes sent.
        referer: the Referer field value.
        user_agent: the User-Agent field value.
        started: wall-clock time the request head arrived (seconds since the epoch).
        duration: seconds from the request head to the end of the response.

    Returns:
        The line, without a newline.
    """
    host = client[0] if client else "-"
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(started))
    request = f"{escape(method)} {escape(target)} HTTP/{http_version.decode('ascii')}"
    size_text = str(size) if size else "-"
    return (
        f'{host} - - [{stamp}] "{request}" {status} {size_text} '
        f'"{escape(referer)}" "{escape(user_agent)}" {int(duration * 1_000_000)}'
    )


def configure_logging(level: int) -> None:
    """Give the ``crlf`` loggers a stderr handler and level unless the host program set them up.

    Args:
        level: the :mod:`logging` level for ``crlf.error``; ``crlf.access`` follows it, so
            ``--log-level warning`` silences the access log as with uvicorn.
    """
    logging.addLevelName(5, "TRACE")
    root = logging.getLogger("crlf")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s:  %(message)s"))
        root.addHandler(handler)
        root.propagate = False
    root.setLevel(level)
    access = logging.getLogger("crlf.access")
    if not access.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(handler)
        access.propagate = False
    trace = logging.getLogger("crlf.trace")
    if not trace.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        trace.addHandler(handler)
        trace.propagate = False
        trace.setLevel(logging.DEBUG)


# The driver's logging steps, kept out of the hot-path module (``self`` is the HttpProtocol).


def log_access(self: Any, cycle: Any) -> None:
    """One combined-format access line for the finished exchange."""
    request = cycle.request
    headers = request.headers
    now = time.time()
    self.state.access_logger.info(
        access_line(
            cycle.client,
            request.method,
            request.target,
            self.conn.their_http_version or b"1.1",
            cycle.status,
            cycle.sent,
            headers.get(b"referer"),
            headers.get(b"user-agent"),
            cycle.started_at or now,
            now - cycle.started_at if cycle.started_at else 0.0,
        )
    )


def trace_request(self: Any, request: Any) -> None:
    """``--trace``: the request head as it came, like the seed's examples."""
    lines = [
        b"%s %s HTTP/%s" % (request.method, request.target, request.http_version),
        *(name + b": " + value for name, value in request.headers.raw_items()),
    ]
    peer = f"{self.client[0]}:{self.client[1]}" if self.client else "unix"
    text = "\n".join(line.decode("latin-1") for line in lines)
    self.state.trace_logger.info("--> %s\n%s\n", peer, text)


def trace_response(self: Any, head: bytes) -> None:
    """``--trace``: the response head exactly as written."""
    peer = f"{self.client[0]}:{self.client[1]}" if self.client else "unix"
    text = head.decode("latin-1").replace("\r\n", "\n").rstrip("\n")
    self.state.trace_logger.info("<-- %s\n%s\n", peer, text)
