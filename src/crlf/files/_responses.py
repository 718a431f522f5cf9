"""Small complete responses: fixed pages, redirects, and the ASGI lifespan handshake."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crlf.files import _html

if TYPE_CHECKING:
    from collections.abc import Iterable

    from crlf.files._body import Message, Receive, Send

__all__ = [
    "HTML_UTF8",
    "NOSNIFF",
    "Headers",
    "lifespan",
    "request_headers",
    "respond",
    "respond_page",
    "respond_redirect",
]

Headers = list[tuple[bytes, bytes]]
HTML_UTF8 = b"text/html; charset=utf-8"
NOSNIFF = (b"x-content-type-options", b"nosniff")


def request_headers(scope: Message) -> dict[bytes, bytes]:
    """The request's fields by lowercased name; repeats joined with ', ' (RFC 9110 §5.3).

    Args:
        scope: the ASGI HTTP scope.

    Returns:
        A mapping from lowercased field name to its combined value.
    """
    fields: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        name = name.lower()
        fields[name] = fields[name] + b", " + value if name in fields else value
    return fields


async def respond(send: Send, status: int, headers: Headers, body: bytes) -> None:
    """Send a whole response: the head, then the body in one message."""
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def respond_page(
    send: Send, status: int, headers: Iterable[tuple[bytes, bytes]], head: bool
) -> None:
    """A fixed small HTML page for an error status (never echoes the request)."""
    body = _html.error_page(status)
    all_headers: Headers = [
        *headers,
        (b"content-type", HTML_UTF8),
        (b"content-length", b"%d" % len(body)),
        NOSNIFF,
    ]
    await respond(send, status, all_headers, b"" if head else body)


async def respond_redirect(send: Send, status: int, location: str, head: bool) -> None:
    """A redirect with Location and the seed's short hypertext note (RFC 9110 §15.4)."""
    body = _html.redirect_page(status, location)
    headers: Headers = [
        (b"location", location.encode("latin-1")),
        (b"content-type", HTML_UTF8),
        (b"content-length", b"%d" % len(body)),
    ]
    await respond(send, status, headers, b"" if head else body)


async def lifespan(receive: Receive, send: Send) -> None:
    """Acknowledge the ASGI lifespan protocol (StaticFiles has nothing to start or stop)."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
