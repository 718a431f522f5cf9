"""Static files with the semantics of nginx and Apache, as an ASGI 3 application.

``StaticFiles(directory)`` serves GET, HEAD and OPTIONS with validators (strong ETag,
Last-Modified), conditional requests, byte ranges, language variants (``page.fr.html`` beside
``page.html``, Apache MultiViews style), precompressed ``.br``/``.gz`` siblings, optional gzip on
the fly, directory redirects and indexes, a ``_redirects`` rules file and a custom ``404.html``.
See :class:`StaticFiles` for the options and :mod:`crlf.files._redirects` for the rules format.
"""

from __future__ import annotations

from crlf.files._app import StaticFiles as StaticFiles

__all__ = ["StaticFiles"]
