"""The small HTML bodies the static-file app writes itself: redirects, errors, listings.

The seed's 301 carries "a default page to show in case the user agent cannot follow the link"
(RFC 9110 §15.4.2: the server SHOULD generate a short hypertext note with a hyperlink to the new
URI). Every name and URL placed in these pages is escaped; none of them echoes request bytes
other than through :func:`html.escape`.
"""

from __future__ import annotations

import html
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["error_page", "listing_page", "redirect_page"]

_SIGNATURE = "crlf"


def _page(title: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html>\n"
        '<html><head><meta charset="utf-8">\n'
        f"<title>{title}</title>\n"
        f"</head><body>\n{body}\n<hr>\n<address>{_SIGNATURE}</address>\n</body></html>\n"
    ).encode()


def redirect_page(status: int, location: str) -> bytes:
    """The hypertext note of a redirect, as in the seed's ``301 Moved Permanently``.

    Args:
        status: 301, 302, 303, 307 or 308.
        location: the Location value (already percent-encoded).

    Returns:
        UTF-8 HTML.
    """
    phrase = HTTPStatus(status).phrase
    href = html.escape(location, quote=True)
    return _page(
        f"{status} {phrase}",
        f'<h1>{phrase}</h1>\n<p>The document has moved <a href="{href}">here</a>.</p>',
    )


def error_page(status: int) -> bytes:
    """A fixed error page for ``status`` (never echoes the request).

    Args:
        status: an HTTP status code.

    Returns:
        UTF-8 HTML.
    """
    status_obj = HTTPStatus(status)
    return _page(
        f"{status} {status_obj.phrase}",
        f"<h1>{status_obj.phrase}</h1>\n<p>{html.escape(status_obj.description)}.</p>",
    )


def listing_page(url_path: str, entries: Iterable[tuple[str, bool]]) -> bytes:
    """An index of a directory.

    Args:
        url_path: the decoded directory path, ending with ``/``.
        entries: ``(name, is_directory)`` pairs, already filtered and sorted.

    Returns:
        UTF-8 HTML with every name escaped and every link percent-encoded.
    """
    title = html.escape(f"Index of {url_path}")
    items = []
    if url_path != "/":
        items.append('<li><a href="../">../</a></li>')
    for name, is_dir in entries:
        suffix = "/" if is_dir else ""
        # './' first so that a name with a ':' is not taken as a scheme.
        href = html.escape("./" + quote(name) + suffix, quote=True)
        items.append(f'<li><a href="{href}">{html.escape(name + suffix)}</a></li>')
    return _page(title, f"<h1>{title}</h1>\n<ul>\n" + "\n".join(items) + "\n</ul>")
