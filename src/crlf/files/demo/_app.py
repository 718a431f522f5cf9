"""The demo: a small ASGI router around :class:`~crlf.files.StaticFiles` replaying the seed.

Routes (everything else is the bundled site under ``site/``, served by StaticFiles):

- ``POST /contact_form.php``: the seed's form. ``application/x-www-form-urlencoded`` is decoded by
  :func:`crlf.semantics.forms.parse_urlencoded` (the standard library's parser);
  ``multipart/form-data`` by :func:`crlf.semantics.forms.parse_multipart` (python-multipart, the
  optional ``crlf[multipart]`` extra; without it the answer is 415). A GET there is a 303 to the
  form page.
- ``GET /session``: the request heads this TCP connection carried and the Keep-Alive count.
- ``GET /api/poll``: a JSON tick for the polling half of the push page.
- WebSocket ``/ws/feed`` (a message a second, and an echo of what the page sends) and
  ``/ws/echo`` (a plain echo, for ``browser_check.py --ws``). They are plain ASGI: they work on
  any server that speaks the ASGI WebSocket messages.

The session page needs to know which requests came on which connection. When the server puts its
own record in the scope (``scope["extensions"]["crlf.connection"]``, see
:func:`_server_session`) that is used; otherwise the router keeps one itself, keyed by the
client's address and port, which stay the same for the life of one TCP connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections import OrderedDict
from collections.abc import Mapping, MutableMapping, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from crlf.files._app import StaticFiles
from crlf.files.demo import _pages
from crlf.semantics import dates, forms

if TYPE_CHECKING:
    from crlf.files._body import Message, Receive, Send

__all__ = ["SITE", "DemoApp"]

Scope = MutableMapping[str, Any]

SITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "site")

# The form body is read whole; the seed's is 64 bytes. nginx client_max_body_size is 1 MiB.
MAX_FORM_BYTES = 1024 * 1024
# Connections remembered for the session page, and request heads kept per connection.
MAX_CONNECTIONS = 1024
MAX_HEADS = 20
# uvicorn's and crlf's default keep-alive timeout, when the app is not told the server's.
DEFAULT_IDLE = 5.0
FEED_INTERVAL = 1.0  # seconds between two WebSocket feed messages


class DemoApp:
    """The ``crlf demo`` application (ASGI 3)."""

    def __init__(
        self,
        site: str | None = None,
        *,
        gzip_min_size: int | None = 512,
        keep_alive: tuple[float, int | None] | None = None,
    ) -> None:
        """Create the demo.

        Args:
            site: the directory to serve (default: the bundled site).
            gzip_min_size: on-the-fly gzip threshold for the static files (None disables).
            keep_alive: the server's ``(timeout_keep_alive, max_requests_per_connection)``, so
                the session page can show the ``Keep-Alive`` header the server sends with it
                (crlf's server counts ``max`` down from the configured number, one per request).
        """
        self.static = StaticFiles(site or SITE, default_language="en", gzip_min_size=gzip_min_size)
        self.keep_alive = keep_alive
        # Per client address: (when its last request came, its request heads). A connection idle
        # longer than the server's keep-alive timeout is closed, so a later request from the same
        # address and port is a new connection that happens to reuse the port.
        self._connections: OrderedDict[
            tuple[str, int], tuple[float, list[list[tuple[str, str]]]]
        ] = OrderedDict()
        self._idle_limit = keep_alive[0] if keep_alive is not None else DEFAULT_IDLE
        self._poll_count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Route one ASGI scope."""
        kind = scope["type"]
        if kind == "http":
            self._remember(scope)
            path = scope["path"]
            if path == "/contact_form.php":
                await self._contact(scope, receive, send)
            elif path == "/session":
                await self._session(scope, send)
            elif path == "/api/poll":
                await self._poll(scope, send)
            else:
                await self.static(scope, receive, send)
        elif kind == "websocket":
            if scope["path"] == "/ws/feed":
                await _feed(receive, send)
            elif scope["path"] == "/ws/echo":
                await _echo(receive, send)
            else:
                await send({"type": "websocket.close", "code": 1000})
        else:
            await self.static(scope, receive, send)  # lifespan

    # -- the session page -------------------------------------------------------------------

    def _remember(self, scope: Scope) -> None:
        client = scope.get("client")
        if not client:
            return
        key = (str(client[0]), int(client[1]))
        now = time.monotonic()
        last, heads = self._connections.pop(key, (now, []))
        if now - last > self._idle_limit:
            heads = []
        heads.append(_head_lines(scope))
        del heads[:-MAX_HEADS]
        self._connections[key] = (now, heads)
        while len(self._connections) > MAX_CONNECTIONS:
            self._connections.popitem(last=False)

    async def _session(self, scope: Scope, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await _simple(send, 405, b"", [(b"allow", b"GET, HEAD")])
            return
        client = scope.get("client") or ("?", 0)
        from_server = _server_session(scope)
        if from_server is not None:
            heads, count, keep_alive = from_server
        else:
            record = self._connections.get((str(client[0]), int(client[1])))
            heads = record[1] if record is not None else [_head_lines(scope)]
            count, keep_alive = len(heads), self._keep_alive_value(len(heads))
        body = _pages.session_page(
            heads,
            requests_on_connection=count,
            keep_alive=keep_alive,
            client=f"{client[0]}:{client[1]}",
        )
        await _simple(
            send, 200, body if scope["method"] == "GET" else b"", _no_store_html(len(body))
        )

    def _keep_alive_value(self, count: int) -> str | None:
        """The Keep-Alive value crlf's server sends with the ``count``-th response of a connection."""
        if self.keep_alive is None:
            return None
        timeout, most = self.keep_alive
        value = f"timeout={max(1, round(timeout))}"
        if most is not None:
            if count >= most:
                return None  # the last allowed request: the server closes (Connection: close)
            value += f", max={most - count}"
        return value

    # -- push by polling ----------------------------------------------------------------------

    async def _poll(self, scope: Scope, send: Send) -> None:
        self._poll_count += 1
        body = json.dumps(
            {"seq": self._poll_count, "date": dates.format_http_date(time.time())}
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
        ]
        await _simple(send, 200, body if scope["method"] != "HEAD" else b"", headers)

    # -- the seed's form ----------------------------------------------------------------------

    async def _contact(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] in ("GET", "HEAD"):
            body = _pages.page(
                "See Other", '<p>The form is on <a href="/contact.html">this page</a>.</p>'
            )
            headers = [(b"location", b"/contact.html"), *_no_store_html(len(body))]
            await _simple(send, 303, body if scope["method"] == "GET" else b"", headers)
            return
        if scope["method"] != "POST":
            await _simple(
                send, 405, b"", [(b"allow", b"GET, HEAD, POST"), (b"content-length", b"0")]
            )
            return
        raw = await _read_body(receive, MAX_FORM_BYTES)
        if raw is None:
            await _error(send, 413)
            return
        content_type = _header(scope, b"content-type").decode("latin-1")
        media_type = content_type.split(";", 1)[0].strip().lower()
        fields: list[tuple[str, str]]
        try:
            if media_type == "application/x-www-form-urlencoded":
                fields = forms.parse_urlencoded(raw)
            elif media_type == "multipart/form-data":
                fields = _multipart_fields(raw, content_type)
            else:
                await _error(send, 415)
                return
        except ImportError:
            await _error(send, 415)  # multipart without the crlf[multipart] extra
            return
        except ValueError:
            await _error(send, 400)
            return
        body = _pages.form_page(content_type, fields, len(raw))
        await _simple(send, 200, body, _no_store_html(len(body)))


def _multipart_fields(raw: bytes, content_type: str) -> list[tuple[str, str]]:
    """Decode a multipart body to display pairs; files show as name and size."""
    result: list[tuple[str, str]] = []
    for part in forms.parse_multipart(raw, content_type):
        if part.filename is not None:
            result.append((part.name, f"file {part.filename!r}, {len(part.data)} bytes"))
        else:
            result.append((part.name, part.data.decode("utf-8", "replace")))
    return result


def _server_session(
    scope: Scope,
) -> tuple[list[list[tuple[str, str]]], int | None, str | None] | None:
    """The server's own record of this connection, when it puts one in the scope."""
    record = scope.get("extensions", {}).get("crlf.connection")
    if not isinstance(record, Mapping):
        return None
    heads_raw = record.get("request_heads")
    heads: list[list[tuple[str, str]]] = []
    if isinstance(heads_raw, Sequence):
        for head in heads_raw:
            if isinstance(head, bytes):
                text = head.decode("latin-1").rstrip("\r\n")
                heads.append([("", line) for line in text.split("\r\n")])
    count = record.get("requests")
    keep_alive = record.get("keep_alive")
    return (
        heads,
        count if isinstance(count, int) else len(heads),
        keep_alive.decode("latin-1") if isinstance(keep_alive, bytes) else keep_alive,
    )


def _head_lines(scope: Scope) -> list[tuple[str, str]]:
    target = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    if scope.get("query_string"):
        target += "?" + scope["query_string"].decode("latin-1")
    lines = [("", f"{scope['method']} {target} HTTP/{scope.get('http_version', '1.1')}")]
    for name, value in scope["headers"]:
        lines.append((name.decode("latin-1") + ": ", value.decode("latin-1")))
    return lines


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value)
    return b""


def _no_store_html(length: int) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", b"%d" % length),
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
    ]


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _simple(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _error(send: Send, status: int) -> None:
    phrase = HTTPStatus(status).phrase
    body = _pages.page(f"{status} {phrase}", f"<p>{phrase}.</p>")
    await _simple(send, status, body, _no_store_html(len(body)))


# -- WebSocket: plain ASGI messages, any server that speaks them ---------------------------------


async def _echo(receive: Receive, send: Send) -> None:
    """Echo every text and binary message until the client closes."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("bytes") is not None:
            await send({"type": "websocket.send", "bytes": message["bytes"]})
        else:
            await send({"type": "websocket.send", "text": message.get("text") or ""})


async def _feed(receive: Receive, send: Send) -> None:
    """Push a message every second; echo what the page sends, both ways on one socket."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    incoming: asyncio.Queue[Message] = asyncio.Queue()

    async def pump() -> None:
        while True:
            msg = await receive()
            await incoming.put(msg)
            if msg["type"] == "websocket.disconnect":
                return

    reader = asyncio.ensure_future(pump())
    seq = 0
    try:
        while True:
            try:
                msg = await asyncio.wait_for(incoming.get(), FEED_INTERVAL)
            except TimeoutError:
                seq += 1
                text = f"push #{seq} at {dates.format_http_date(time.time())}"
                await send({"type": "websocket.send", "text": text})
                continue
            if msg["type"] == "websocket.disconnect":
                return
            await send({"type": "websocket.send", "text": f"echo: {msg.get('text') or ''}"})
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
