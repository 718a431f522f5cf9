"""The demo's generated pages: the form's answer and the session page.

Every value that came from the request is escaped with :func:`html.escape` before it is placed in
the page; nothing else of the request is echoed.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["form_page", "page", "session_page"]


def page(title: str, body: str, *, lang: str = "en") -> bytes:
    """Wrap ``body`` (trusted HTML) in the demo's layout.

    Args:
        title: the page title (escaped here).
        body: HTML for ``<main>``.
        lang: the page's language tag.

    Returns:
        UTF-8 HTML.
    """
    title = html.escape(title)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n"
        '<link rel="icon" href="/img/crlf.png" type="image/png">\n'
        '<link rel="stylesheet" href="/style.css">\n</head>\n<body>\n'
        '<header><img src="/img/crlf.png" alt="crlf" width="48" height="48">'
        f'<h1>{title}</h1><nav><a href="/">Home</a></nav></header>\n'
        f"<main>\n{body}\n</main>\n</body>\n</html>\n"
    ).encode()


def _table(rows: Iterable[tuple[str, str]], head: tuple[str, str]) -> str:
    cells = "".join(
        f"<tr><td><code>{html.escape(name)}</code></td><td>{html.escape(value)}</td></tr>\n"
        for name, value in rows
    )
    return f"<table>\n<tr><th>{head[0]}</th><th>{head[1]}</th></tr>\n{cells}</table>"


def form_page(content_type: str, fields: Sequence[tuple[str, str]], raw_length: int) -> bytes:
    """The answer to ``POST /contact_form.php``: the decoded fields.

    Args:
        content_type: the request's media type (shown).
        fields: decoded ``(name, value)`` pairs, in order; a file shows as its name and size.
        raw_length: the body's length in bytes.

    Returns:
        UTF-8 HTML.
    """
    body = (
        f"<p>The server received {raw_length} bytes of <code>{html.escape(content_type)}</code> "
        "and decoded these fields:</p>\n"
        + _table(fields, ("Field", "Value"))
        + '\n<p><a href="/contact.html">Send another</a></p>'
    )
    return page("Form received", body)


def session_page(
    heads: Sequence[Sequence[tuple[str, str]]],
    *,
    requests_on_connection: int | None,
    keep_alive: str | None,
    client: str,
) -> bytes:
    """The session page: what this connection carried so far.

    Args:
        heads: the request heads received on this connection, oldest first; each head is a list
            of ``(label, value)`` lines (the request line first).
        requests_on_connection: how many requests this connection carried (this one included),
            when the server told.
        keep_alive: the ``Keep-Alive`` value the server sends with this response, when known.
        client: the peer's address.

    Returns:
        UTF-8 HTML.
    """
    parts = [f"<p>Your side of the TCP connection: <code>{html.escape(client)}</code>.</p>"]
    if requests_on_connection is not None:
        parts.append(
            f"<p>This connection has carried <strong>{requests_on_connection}</strong> "
            "request(s), this one included. Reload the page: the number grows while the "
            "connection is kept alive.</p>"
        )
    if keep_alive is not None:
        parts.append(
            f"<p>The server answers with <code>Keep-Alive: {html.escape(keep_alive)}</code>.</p>"
        )
    for number, head in enumerate(heads, start=1):
        lines = "\n".join(f"{label}{value}" for label, value in head)
        parts.append(f"<h2>Request {number}</h2>\n<pre>{html.escape(lines)}</pre>")
    return page("This HTTP session", "\n".join(parts))
