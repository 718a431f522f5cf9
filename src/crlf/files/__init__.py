"""Static files with the semantics of nginx and Apache, as an ASGI 3 application.

``StaticFiles(directory)`` serves GET, HEAD and OPTIONS (anything else: 405 with ``Allow``) with
validators (strong ETag, Last-Modified), conditional requests (304 / 412, RFC 9110 §13.2.2
order), byte ranges (206, ``multipart/byteranges``, 416), content negotiation, directory
redirects and indexes, redirect rules and a custom 404 page. ``crlf serve DIR`` runs it.

How a site is laid out (the conventions the app reads from disk)::

    site/
      index.html            the page for "/" in the default language (default_language="en")
      index.fr.html         its French variant      } Accept-Language picks one (RFC 9110 §12.5.4):
      index.es.html         its Spanish variant     } "fr-CA" takes fr; nothing acceptable takes
      index.pt-br.html      a regional variant      } the default language, never a 406
      about.en.html         explicit default-language files work too (then no plain about.html)
      style.css
      style.css.br          precompressed siblings: sent with Content-Encoding br / gzip when
      style.css.gz          Accept-Encoding allows (RFC 9110 §12.5.3), each with its own ETag
      404.html              the body of every 404 (404.fr.html ... negotiated like any page)
      _redirects            redirect rules, one "FROM TO [STATUS]" a line (see below)
      .hidden               dotfiles are never served (allow_dotfiles=True serves them)

- **Language variants** (Apache MultiViews manner): for an HTML file ``NAME.EXT``, every
  ``NAME.LANG.EXT`` beside it, where LANG is a language tag (``fr``, ``es``, ``pt-br``). Only
  HTML takes part (``lib.es.js`` is an ES module, not Spanish). A negotiated response carries
  ``Content-Language`` and ``Vary: Accept-Language``. A variant asked for by its own name
  (``/index.fr.html``) is served as it is.
- **Compression**: precompressed ``.br``/``.gz`` siblings first; with ``gzip_min_size`` set,
  compressible types (text, JSON, SVG...) of at least that size, up to 1 MiB, are gzipped on
  the fly (and kept in the cache). Either way ``Vary: Accept-Encoding``.
- **Directories**: ``/dir`` is a 301 to ``/dir/`` with a short HTML note, as in the seed;
  ``/dir/`` serves ``index.html`` (negotiated), or an escaped listing with ``listing=True``,
  or 404.
- **_redirects** (format in :mod:`crlf.files._redirects`): ``/old /new 301``, ``/blog/*
  /news/:splat 302``, ``/ext https://example.org/ 308``; statuses 301 302 303 307 308; the
  first match wins, before the file system; reloaded when the file changes.
- **Safety**: no path leaves the root: ``..`` and ``%2e%2e``, encoded slashes and backslashes,
  NUL and control characters, non-UTF-8, and symbolic links pointing outside (unless
  ``follow_symlinks_outside=True``) are all a 404.
- **Speed**: files up to 1 MiB are served from a bounded LRU cache (``cache_max_bytes``)
  with their response prepared, reused without touching the disk for ``revalidate_after``
  seconds (1 by default; a change on disk shows at the latest that much later, never as a body
  mismatching its ETag; 0 revalidates by ``stat`` on every request); larger ones go through the server's
  ``http.response.pathsend`` (whole files) and ``http.response.zerocopy`` (ranges) extensions
  when offered (crlf's server sends them zero-copy on asyncio and uvloop), else in 256 KiB reads that
  wait for the client (backpressure), so a slow client never makes the server hold the file.
"""

from __future__ import annotations

from crlf.files._app import StaticFiles as StaticFiles

__all__ = ["StaticFiles"]
