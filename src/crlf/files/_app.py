"""``StaticFiles``: the static-file ASGI 3 application.

Theory of operation, per request:

1. Method: GET and HEAD serve; OPTIONS answers ``Allow``; anything else is 405 with ``Allow``
   (RFC 9110 §9.3.7, §15.5.6).
2. Path: :func:`crlf.files._paths.split_path` on the raw path; a refused path is a 404.
3. ``_redirects`` rules (reloaded when the file changes) answer 301-308 with ``Location``.
4. Resolution (:class:`crlf.files._resolve.Resolver`): directory slash redirect, index,
   language variants, precompressed siblings; cached per path and negotiation fields.
5. Validators: a strong ETag and Last-Modified from the file's stat; preconditions are evaluated
   in RFC 9110 §13.2.2 order by :func:`crlf.semantics.conditional.evaluate` (304 / 412).
6. Ranges (GET only, RFC 9110 §14.2): parsed and capped by :mod:`crlf.semantics.ranges`, gated
   by If-Range; one range is a 206, several a ``multipart/byteranges`` 206, none satisfiable 416.
7. Body: small files from the in-memory cache (:mod:`crlf.files._cache`), large ones with
   ``http.response.pathsend`` (a whole file) or ``http.response.zerocopy`` (ranges) when the
   server offers them (crlf's sends them with ``os.sendfile``), else chunked reads with
   backpressure (:mod:`crlf.files._body`).

The prepared-response cache in front of steps 2-7: once a small file was served from the memory
cache, its response (the 200's fields with Content-Length, the validators, the cached bytes) is
kept by (routed path, Accept-Language, Accept-Encoding), the fields its selection depended on. For
``revalidate_after`` seconds (1 by default) a request with that key is answered from it without
touching the disk: no ``stat`` of ``_redirects``, of the deciding directory or of the file. An
unconditional GET or HEAD is then two ``send`` calls; one with preconditions or a Range still
goes through steps 5-6 against the kept validators. After the window the next request takes the
full path, which revalidates everything by ``stat`` and prepares the response afresh. So a change
on disk (content, a new variant, a new redirect rule) is seen at the latest ``revalidate_after``
seconds later, and the body, ETag and Last-Modified sent meanwhile always belong together (the
older version). nginx's ``open_file_cache_valid`` (60 s by default) makes the same trade.
``revalidate_after=0`` revalidates on every request. Under crlf's server an unconditional
GET or HEAD of a ready response does not even run the application: the server asks
``crlf_prepared_response`` first (docs/design.md, "Answers from memory").

Nothing outside the root is ever opened (see :mod:`crlf.files._paths`); failures to open or stat
are 404 (absent) or 403 (permission denied), never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import os
import secrets
import stat
import time
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import quote

from crlf.files import _html
from crlf.files._body import Disconnect, Receive, Send, send_file_chunks, watch_disconnect
from crlf.files._cache import CachedFile, FileCache, StatKey, is_racy, stat_key
from crlf.files._paths import split_path
from crlf.files._redirects import Rule, match_redirect, parse_redirects
from crlf.files._resolve import NOT_FOUND_PAGE, REDIRECTS_FILE, Listing, Moved, Resolver, Selected
from crlf.files._responses import (
    HTML_UTF8,
    NOSNIFF,
    Headers,
    lifespan,
    request_headers,
    respond,
    respond_page,
    respond_redirect,
)
from crlf.semantics import conditional, dates, mime, ranges
from crlf.semantics.conditional import ETag

__all__ = ["StaticFiles"]

Scope = MutableMapping[str, Any]

ALLOW = b"GET, HEAD, OPTIONS"
# Default sizes, with precedents.
DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024  # Varnish's default malloc storage is 100 MiB
CACHE_ENTRY_MAX_BYTES = 1024 * 1024  # larger files go zero-copy (pathsend) or in chunks
CHUNK_SIZE = 256 * 1024  # Starlette FileResponse 64 KiB, aiohttp 256 KiB; fewer executor hops
GZIP_LEVEL = 6  # nginx gzip_comp_level default is 1, zlib's default 6: better ratio, still cheap
# More range-specs than this and the Range field is ignored (a 200); Starlette caps at 100 too.
MAX_RANGES = 100
# Seconds a prepared small-file response is reused before the disk is looked at again. nginx's
# open_file_cache_valid is 60 s; 1 s keeps edits visible at once to a person reloading a page.
REVALIDATE_AFTER = 1.0
# Prepared responses kept; the key holds request header values, so the table starts over when
# full rather than letting clients grow it (each entry points at a cached file, not a copy).
MAX_PREPARED_RESPONSES = 4096
# Request fields that need more than the prepared 200: preconditions (RFC 9110 §13.1) and
# ranges (§14.2).
_CONDITIONAL_OR_RANGE = frozenset(
    {b"if-match", b"if-none-match", b"if-modified-since", b"if-unmodified-since", b"range"}
)
# The fields that keep the server's prepared-response path away (crlf_prepared_response):
# those that ask for more than a plain 200, a body, and a protocol switch.
_NOT_PREPARED = _CONDITIONAL_OR_RANGE | {
    b"content-length",
    b"transfer-encoding",
    b"expect",
    b"upgrade",
}
_KEY_FIELDS = frozenset({b"accept-language", b"accept-encoding"})
# Suffixes that keep the entity-tags of the content codings apart.
_CODING_TAGS = {"gzip": "gz", "br": "br"}
_O_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)


class _Prepared:
    """Response fields of one file identity and coding, reused while the file is unchanged."""

    __slots__ = ("content_type", "fields", "meta", "validators")

    def __init__(
        self, validators: conditional.Validators, meta: Headers, fields: Headers, content_type: str
    ) -> None:
        self.validators = validators
        self.meta = meta  # what a 304 repeats (RFC 9110 §15.4.5)
        self.fields = fields  # the 200's fields, without Content-Length
        self.content_type = content_type


class _Ready:
    """A small file's response, answered from memory until ``expires`` (module docstring)."""

    __slots__ = ("etag", "expires", "file", "gzipped", "headers", "prepared", "size")

    def __init__(
        self,
        prepared: _Prepared,
        file: CachedFile,
        gzipped: bool,
        size: int,
        expires: float,
    ) -> None:
        self.prepared = prepared
        self.file = file  # the cache entry: its bytes are the body (file.live says they are)
        self.gzipped = gzipped  # the body is file.gzip, not file.data
        self.size = size
        self.headers: Headers = [*prepared.fields, (b"content-length", b"%d" % size)]
        etag = prepared.validators.etag
        assert etag is not None  # _prepare always makes one
        self.etag = etag.to_bytes()  # as sent, so a cache sends these very bytes back
        self.expires = expires


class StaticFiles:
    """Serve a directory over ASGI with the semantics of nginx and Apache.

    Language variants follow the Apache MultiViews manner: ``page.html`` (the default language)
    beside ``page.fr.html``, ``page.es.html``, ``page.pt-br.html``; precompressed siblings are
    ``FILE.br`` and ``FILE.gz``. A ``404.html`` at the root (and its language variants) is the
    body of every 404. A ``_redirects`` file at the root holds redirect rules (format in
    :mod:`crlf.files._redirects`). Dotfiles and ``_redirects`` are never served unless
    ``allow_dotfiles`` (which allows dotfiles only).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        default_language: str = "en",
        listing: bool = False,
        allow_dotfiles: bool = False,
        follow_symlinks_outside: bool = False,
        cache_control: str | None = "no-cache",
        gzip_min_size: int | None = None,
        cache_max_bytes: int = DEFAULT_CACHE_MAX_BYTES,
        chunk_size: int = CHUNK_SIZE,
        revalidate_after: float = REVALIDATE_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create the app.

        Args:
            directory: the root to serve.
            default_language: the language of files without a language tag, chosen when no
                variant matches Accept-Language (never 406).
            listing: generate an index page for a directory without ``index.html``.
            allow_dotfiles: serve names starting with ``.``.
            follow_symlinks_outside: serve symbolic links whose target is outside the root.
            cache_control: the Cache-Control value of file responses (None: no header, caches
                use heuristic freshness). The default ``no-cache`` makes caches revalidate.
            gzip_min_size: compress responses of compressible types of at least this many
                bytes on the fly (up to 1 MiB) when the client accepts gzip; None disables it.
            cache_max_bytes: total bytes of small files kept in memory (0 disables the cache).
            chunk_size: bytes read and sent at once for large files.
            revalidate_after: seconds a small file's prepared response is reused without
                looking at the disk; a change is seen at the latest this much later (0: look
                on every request). See the module docstring.
            clock: the monotonic clock (seconds) that times ``revalidate_after``.

        Raises:
            NotADirectoryError: ``directory`` is not a directory.
            ValueError: the ``_redirects`` file is malformed, or ``revalidate_after`` < 0.
        """
        if not revalidate_after >= 0:  # NaN too
            raise ValueError(f"revalidate_after must be >= 0, not {revalidate_after!r}")
        self.root = os.path.realpath(directory)
        if not os.path.isdir(self.root):
            raise NotADirectoryError(f"not a directory: {directory}")
        self.allow_dotfiles = allow_dotfiles
        self.cache_control = cache_control.encode("latin-1") if cache_control else None
        self.gzip_min_size = gzip_min_size
        self.chunk_size = chunk_size
        self.cache = FileCache(cache_max_bytes, CACHE_ENTRY_MAX_BYTES)
        self.revalidate_after = revalidate_after
        self.clock = clock
        self._ready: dict[tuple[bytes, bytes | None, bytes | None], _Ready] = {}
        self.resolver = Resolver(
            self.root,
            default_language=default_language.lower(),
            listing=listing,
            allow_dotfiles=allow_dotfiles,
            follow_symlinks_outside=follow_symlinks_outside,
            gzip=gzip_min_size is not None,
        )
        self._redirects_path = os.path.join(self.root, REDIRECTS_FILE)
        self._redirects_key: StatKey | None = None
        self._redirects: list[Rule] = []
        self._load_redirects(strict=True)

    # -- ASGI entry point ------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection scope (``http``; ``lifespan`` is acknowledged)."""
        if scope["type"] != "http":
            await _other_scope(scope, receive, send)
            return
        method: str = scope["method"]
        head = method == "HEAD"
        if not head and method != "GET":
            await _other_method(send, method)
            return
        raw_path = _route_path(scope)
        ready_key, plain = _ready_key(raw_path, scope["headers"], _CONDITIONAL_OR_RANGE)
        ready = self._ready.get(ready_key)
        if ready is not None and ready.file.live and self.clock() < ready.expires:
            file = ready.file
            body = file.gzip if ready.gzipped else file.data
            assert body is not None  # a released entry is not live
            if plain:
                # Fresh copies: middleware may edit the list in place (Starlette's does).
                await send(
                    {"type": "http.response.start", "status": 200, "headers": ready.headers[:]}
                )
                await send(
                    {
                        "type": "http.response.body",
                        "body": b"" if head else body,
                        "more_body": False,
                    }
                )
                return
            request = request_headers(scope)
            if (
                request.get(b"if-none-match") == ready.etag
                and b"if-match" not in request
                and b"if-unmodified-since" not in request
            ):
                # A cache revalidating the copy it has (it sends back the ETag it was given):
                # RFC 9110 §13.2.2 step 3, If-None-Match matches, so 304 for GET and HEAD,
                # before any Range (step 5), and If-Modified-Since is ignored (§13.1.3).
                await respond(send, 304, ready.prepared.meta[:], b"")
            else:
                await self._answer(
                    scope, receive, send, ready.prepared, body, ready.size, request, head, None
                )
            return
        request = request_headers(scope)
        await self._serve(scope, receive, send, raw_path, request, ready_key, head)

    def crlf_prepared_response(
        self, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]
    ) -> tuple[int, Headers, bytes] | None:
        """A cached small file's 200 for crlf's server to send without running the app.

        crlf's server extension (``ServerState.prepared`` in :mod:`crlf.server._transport`):
        the server offers each request here first and runs the ASGI application only when this
        returns None. The answer is the one ``__call__`` would send from its prepared responses
        (module docstring), so only a plain GET or HEAD of a path whose response is ready gets
        one; anything else (a query, a conditional or Range field, a body, an Upgrade) goes to
        the application.

        Args:
            method: the request method.
            target: the request-target as received.
            headers: the request's fields (lowercase names).

        Returns:
            ``(status, fields, body)``, or None.
        """
        if (method != b"GET" and method != b"HEAD") or target[:1] != b"/":
            return None
        if target.find(b"?") >= 0:
            return None
        key, plain = _ready_key(target, headers, _NOT_PREPARED)
        ready = self._ready.get(key)
        if not plain or ready is None or not ready.file.live or self.clock() >= ready.expires:
            return None
        if method == b"HEAD":
            return 200, ready.headers, b""
        body = ready.file.gzip if ready.gzipped else ready.file.data
        assert body is not None  # a released entry is not live
        return 200, ready.headers, body

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        raw_path: bytes,
        request: dict[bytes, bytes],
        ready_key: tuple[bytes, bytes | None, bytes | None],
        head: bool,
    ) -> None:
        """The full path of a GET or HEAD: redirect rules, resolution, the file (steps 2-7)."""
        self._load_redirects(strict=False)
        # The fast path: the same path and negotiation fields, and the deciding directory
        # unchanged (one stat). Redirect rules were checked before the lookup was cached, and
        # a change to them empties the cache.
        found: Selected | Moved | Listing | None = self.resolver.cached(raw_path, request)
        if found is None:
            clean = split_path(raw_path, allow_dotfiles=self.allow_dotfiles)
            if clean is None:
                await self._not_found(request, send, head)
                return
            query = scope.get("query_string", b"").decode("latin-1")
            rule = match_redirect(self._redirects, clean.url_path, query)
            if rule is not None:
                await respond_redirect(send, rule[0], rule[1], head)
                return
            try:
                found = self.resolver.resolve(clean, request, raw_path, query)
            except PermissionError:
                await respond_page(send, 403, [], head)
                return
        if isinstance(found, Selected):
            await self._send_file(scope, receive, send, found, request, head, ready_key)
        elif found is None:
            await self._not_found(request, send, head)
        elif isinstance(found, Moved):
            # Mounted under a prefix (Starlette's Mount, a proxy's root_path): keep it.
            prefix = quote(scope.get("root_path", ""), safe="/")
            await respond_redirect(send, found.status, prefix + found.location, head)
        else:
            await self._send_listing(send, found, head)

    # -- simple responses ------------------------------------------------------------------

    async def _not_found(self, request: dict[bytes, bytes], send: Send, head: bool) -> None:
        """404, with the site's ``404.html`` (negotiated) as the body when there is one."""
        resolver = self.resolver
        try:
            names = resolver.visible(self.root, os.stat(self.root))
            page = resolver.select(
                self.root, (), names, NOT_FOUND_PAGE, {**request, b"accept-encoding": b"identity"}
            )
            data = _read_small(page.path) if page is not None else None
        except OSError:
            page, data = None, None
        if page is None or data is None:
            await respond_page(send, 404, [], head)
            return
        headers: Headers = [(b"content-type", HTML_UTF8), (b"content-length", b"%d" % len(data))]
        if page.content_language:
            headers.append((b"content-language", page.content_language.encode("ascii")))
        if page.vary:
            headers.append((b"vary", b", ".join(page.vary)))
        headers.append(NOSNIFF)
        await respond(send, 404, headers, b"" if head else data)

    async def _send_listing(self, send: Send, listing: Listing, head: bool) -> None:
        try:
            names = self.resolver.visible(listing.path, os.stat(listing.path))
            entries = _entries(listing.path, names)
        except OSError:
            await respond_page(send, 404, [], head)
            return
        body = _html.listing_page(listing.url_path, entries)
        headers: Headers = [
            (b"content-type", HTML_UTF8),
            (b"content-length", b"%d" % len(body)),
            NOSNIFF,
        ]
        if self.cache_control:
            headers.append((b"cache-control", self.cache_control))
        await respond(send, 200, headers, b"" if head else body)

    # -- files -------------------------------------------------------------------------------

    async def _send_file(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        selected: Selected,
        request: dict[bytes, bytes],
        head: bool,
        ready_key: tuple[bytes, bytes | None, bytes | None],
    ) -> None:
        # One stat answers "is the cached copy current?"; a miss opens the file and uses fstat.
        fd: int | None = None
        try:
            st = os.stat(selected.path)
            entry = self.cache.get(selected.path, stat_key(st))
            if entry is None:
                fd = os.open(selected.path, _O_FLAGS)
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    raise IsADirectoryError(selected.path)  # a directory or device by now
                if st.st_size <= CACHE_ENTRY_MAX_BYTES:
                    # Small: read whole, through the descriptor we fstat'ed, and keep it when
                    # the cache takes it (its own size limits apply in put()).
                    data = _read_all(fd, st.st_size)
                    os.close(fd)
                    fd = None
                    entry = CachedFile(stat_key(st), data)
                    if not is_racy(st):
                        self.cache.put(selected.path, entry)
        except OSError as exc:  # gone since the lookup, a link loop, not a regular file...
            if fd is not None:
                os.close(fd)
            if isinstance(exc, PermissionError):
                await respond_page(send, 403, [], head)
            else:
                await self._not_found(request, send, head)
            return
        try:
            await self._send_representation(
                scope, receive, send, selected, request, head, st, entry, fd, ready_key
            )
        finally:
            if fd is not None:
                os.close(fd)

    def _prepare(
        self, selected: Selected, st: os.stat_result, encoding: str | None, vary: list[bytes]
    ) -> _Prepared:
        """The fields of a response for this file identity and coding (memoised on ``selected``)."""
        key = (stat_key(st), encoding)
        prepared: _Prepared | None = selected.prepared.get(key)
        if prepared is not None:
            return prepared
        etag = conditional.make_etag(st.st_size, st.st_mtime_ns)
        if encoding:
            # Each content coding is its own representation with its own strong tag (§8.8.3).
            etag = ETag(f"{etag.tag}-{_CODING_TAGS.get(encoding, encoding)}")
        last_modified = int(st.st_mtime)
        meta: Headers = [
            (b"etag", etag.to_bytes()),
            (b"last-modified", dates.format_http_date_bytes(last_modified)),
        ]
        if self.cache_control:
            meta.append((b"cache-control", self.cache_control))
        if vary:
            meta.append((b"vary", b", ".join(vary)))
        content_type = mime.guess_type(selected.name)
        fields: Headers = [
            *meta,
            (b"content-type", content_type.encode("latin-1")),
            (b"accept-ranges", b"bytes"),
            NOSNIFF,
        ]
        if selected.content_language:
            fields.append((b"content-language", selected.content_language.encode("ascii")))
        if encoding:
            fields.append((b"content-encoding", encoding.encode("ascii")))
        validators = conditional.Validators(etag=etag, last_modified=last_modified)
        prepared = _Prepared(validators, meta, fields, content_type)
        if len(selected.prepared) > 8:
            selected.prepared.clear()  # old identities of a file that keeps changing
        selected.prepared[key] = prepared
        return prepared

    async def _send_representation(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        selected: Selected,
        request: dict[bytes, bytes],
        head: bool,
        st: os.stat_result,
        entry: CachedFile | None,
        fd: int | None,
        ready_key: tuple[bytes, bytes | None, bytes | None],
    ) -> None:
        data = entry.data if entry is not None else None
        encoding = selected.content_encoding
        size = st.st_size
        vary = selected.vary
        gzipped = False
        if (
            selected.gzip_candidate
            and self.gzip_min_size is not None
            and self.gzip_min_size <= size <= CACHE_ENTRY_MAX_BYTES
        ):
            vary = [*vary, b"accept-encoding"]
            if selected.may_gzip and entry is not None:
                packed = entry.gzip
                if packed is None:
                    # mtime=0: the same bytes give the same gzip stream, so the ETag stays strong.
                    packed = entry.gzip = gzip.compress(entry.data, GZIP_LEVEL, mtime=0)
                    self.cache.grew(selected.path, len(packed))  # may let the entry go
                data, encoding, size, gzipped = packed, "gzip", len(packed), True
        prepared = self._prepare(selected, st, encoding, vary)
        if (
            entry is not None
            and self.revalidate_after > 0
            and self.cache.holds(selected.path, entry)
        ):
            # Kept only while the file cache keeps the bytes (its memory bound is the bound).
            ready = self._ready
            if len(ready) >= MAX_PREPARED_RESPONSES:
                ready.clear()
            ready[ready_key] = _Ready(
                prepared, entry, gzipped, size, self.clock() + self.revalidate_after
            )
        await self._answer(
            scope, receive, send, prepared, data, size, request, head, fd, selected.path
        )

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        prepared: _Prepared,
        data: bytes | None,
        size: int,
        request: dict[bytes, bytes],
        head: bool,
        fd: int | None,
        path: str | None = None,
    ) -> None:
        """Preconditions (§13.2.2), then a 304, 412, 206, 416 or the 200, from memory or ``fd``.

        Args:
            data: the whole representation, when it is in memory (else ``fd`` is open).
            path: the file, for ``http.response.pathsend`` of a whole large file.
        """
        if (
            b"if-match" in request
            or b"if-none-match" in request
            or b"if-modified-since" in request
            or b"if-unmodified-since" in request
        ):
            outcome = conditional.evaluate(
                scope["method"].encode("ascii"), request, prepared.validators
            )
            if outcome is conditional.Outcome.NOT_MODIFIED:
                await respond(send, 304, prepared.meta[:], b"")  # a copy: middleware may edit it
                return
            if outcome is conditional.Outcome.PRECONDITION_FAILED:
                await respond_page(send, 412, [], head)
                return
        headers = prepared.fields.copy()
        wanted = request.get(b"range") if not head else None
        if wanted is not None and conditional.if_range_allows(
            request.get(b"if-range"), prepared.validators
        ):
            parsed = ranges.parse_range(wanted, size, max_ranges=MAX_RANGES)
            if parsed is not None:
                await self._send_ranges(
                    scope, receive, send, headers, parsed, size, prepared.content_type, data, fd
                )
                return
        headers.append((b"content-length", b"%d" % size))
        if head:
            await respond(send, 200, headers, b"")
        elif data is not None:
            await respond(send, 200, headers, data)
        else:
            assert fd is not None
            parts = [(b"", 0, size - 1)] if size else []
            await self._stream(scope, receive, send, 200, headers, fd, parts, b"", path)

    async def _send_ranges(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: Headers,
        parsed: list[tuple[int, int]] | ranges.Unsatisfiable,
        size: int,
        content_type: str,
        data: bytes | None,
        fd: int | None,
    ) -> None:
        """206 for one range, 206 multipart/byteranges for several, 416 for none (§14)."""
        if parsed is ranges.UNSATISFIABLE:
            # RFC 9110 §15.5.17: a 416 to a byte-range request SHOULD carry Content-Range */N.
            await respond_page(
                send, 416, [(b"content-range", ranges.unsatisfied_range(size))], False
            )
            return
        if len(parsed) == 1:
            ((first, last),) = parsed
            headers.append((b"content-range", ranges.content_range(first, last, size)))
            headers.append((b"content-length", b"%d" % (last - first + 1)))
            if data is not None:
                await respond(send, 206, headers, data[first : last + 1])
            else:
                assert fd is not None
                await self._stream(
                    scope, receive, send, 206, headers, fd, [(b"", first, last)], b""
                )
            return
        multipart = ranges.MultipartByteranges(parsed, size, content_type, secrets.token_hex(16))
        # The representation's Content-Type moves into the parts (RFC 9110 §14.6).
        headers = [(n, v) for n, v in headers if n != b"content-type"]
        headers.append((b"content-type", multipart.content_type))
        headers.append((b"content-length", b"%d" % multipart.content_length))
        if data is not None:
            await respond(send, 206, headers, multipart.encode(data))
        else:
            assert fd is not None
            parts = list(multipart.parts())
            await self._stream(scope, receive, send, 206, headers, fd, parts, multipart.closing)

    async def _stream(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        headers: Headers,
        fd: int,
        parts: list[tuple[bytes, int, int]],
        closing: bytes,
        path: str | None = None,
    ) -> None:
        """Send a large file: zero-copy when the server offers it, else chunks with backpressure.

        Args:
            parts: ``(prefix bytes, first, last)`` spans of the file (last inclusive).
            closing: bytes after the last span (a multipart closing delimiter, or empty).
            path: the file, for ``http.response.pathsend`` (only a whole-file 200 uses it).
        """
        await send({"type": "http.response.start", "status": status, "headers": headers})
        extensions = scope.get("extensions") or {}
        if path is not None and "http.response.pathsend" in extensions:
            await send({"type": "http.response.pathsend", "path": path})
            return
        if "http.response.zerocopy" in extensions:
            # Ranges too go zero-copy: the server sends each span from the file itself (the
            # ASGI zero-copy send extension wants a file object; ours leaves the fd to us).
            with os.fdopen(fd, "rb", buffering=0, closefd=False) as file:
                for index, (prefix, first, last) in enumerate(parts):
                    if prefix:
                        await send(
                            {"type": "http.response.body", "body": prefix, "more_body": True}
                        )
                    await send(
                        {
                            "type": "http.response.zerocopy",
                            "file": file,
                            "offset": first,
                            "count": last - first + 1,
                            "more_body": index + 1 < len(parts) or bool(closing),
                        }
                    )
            if closing or not parts:
                await send({"type": "http.response.body", "body": closing, "more_body": False})
            return
        disconnect = Disconnect()
        watcher = asyncio.ensure_future(watch_disconnect(receive, disconnect))
        try:
            for index, (prefix, first, last) in enumerate(parts):
                if prefix:
                    await send({"type": "http.response.body", "body": prefix, "more_body": True})
                await send_file_chunks(
                    send,
                    fd,
                    first,
                    last - first + 1,
                    chunk_size=self.chunk_size,
                    disconnect=disconnect,
                    more_body_after=index + 1 < len(parts) or bool(closing),
                )
                if disconnect.gone:
                    return
            if closing or not parts:
                await send({"type": "http.response.body", "body": closing, "more_body": False})
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    # -- _redirects ------------------------------------------------------------------------

    def _load_redirects(self, *, strict: bool) -> None:
        """(Re)load ``_redirects`` when its stat changed; keep the old rules on a bad edit."""
        try:
            st = os.stat(self._redirects_path)
        except OSError:
            if self._redirects_key is not None:
                self._redirects_key, self._redirects = None, []
                self.resolver.clear()
                self._ready.clear()
            return
        key = stat_key(st)
        if key == self._redirects_key and not is_racy(st):
            return
        try:
            with open(self._redirects_path, encoding="utf-8") as file:
                rules = parse_redirects(file.read())
        except (OSError, ValueError, UnicodeDecodeError):
            if strict:
                raise
            return
        if rules != self._redirects:
            self.resolver.clear()
            self._ready.clear()
        self._redirects_key, self._redirects = key, rules


# -- helpers --------------------------------------------------------------------------------


async def _other_scope(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
    else:
        # A WebSocket (or other) scope: refuse the handshake (ASGI: close before accept).
        await send({"type": "websocket.close", "code": 1000})


async def _other_method(send: Send, method: str) -> None:
    if method == "OPTIONS":
        # RFC 9110 §9.3.7: a 200 with Allow and no content.
        await respond(send, 200, [(b"allow", ALLOW), (b"content-length", b"0")], b"")
    else:
        await respond_page(send, 405, [(b"allow", ALLOW)], head=False)


def _ready_key(
    raw_path: bytes, headers: Iterable[tuple[bytes, bytes]], refused: frozenset[bytes]
) -> tuple[tuple[bytes, bytes | None, bytes | None], bool]:
    """The prepared-response key of a request, and whether it has none of ``refused``.

    The key needs two fields (repeats joined as in ``request_headers``); one pass over the
    list finds them and any refused one, without a dict of every field.
    """
    language = coding = None
    plain = True
    for name, value in headers:
        name = name.lower()  # ASGI servers send lowercase names; not every one does
        if name in _KEY_FIELDS:
            if name == b"accept-language":
                language = value if language is None else language + b", " + value
            else:
                coding = value if coding is None else coding + b", " + value
        elif name in refused:
            plain = False
    return (raw_path, language, coding), plain


def _route_path(scope: Scope) -> bytes:
    """The raw path to resolve: no query, no mount prefix.

    ``raw_path`` is preferred, since only the raw bytes tell ``/a%2Fb`` from ``/a/b``. A
    server that gives none gets ``path`` percent-encoded again, so that a literal ``%`` in a
    file name is not decoded twice. When the app is mounted (``root_path``, as Starlette's
    ``Mount`` sets it), the prefix is cut off when the path starts with it.
    """
    raw: bytes | None = scope.get("raw_path")
    if raw is None:
        raw = quote(scope["path"], safe="/").encode("ascii")
    else:
        # find(), not ``b"?" in raw``: CPython's bytes.__contains__ first tries the operand as
        # an int and raises and clears a TypeError each time (a few thousand instructions).
        cut = raw.find(b"?")
        if cut >= 0:
            raw = raw[:cut]
    root_path: str = scope.get("root_path", "")
    if root_path:
        prefix = quote(root_path, safe="/").encode("ascii")
        if raw.startswith(prefix) and raw[len(prefix) : len(prefix) + 1] in (b"", b"/"):
            raw = raw[len(prefix) :] or b"/"
    return raw


def _read_all(fd: int, size: int) -> bytes:
    """Read ``size`` bytes from offset 0 (fewer if the file shrank meanwhile)."""
    parts: list[bytes] = []
    offset = 0
    while offset < size:
        chunk = os.pread(fd, size - offset, offset)
        if not chunk:
            break
        parts.append(chunk)
        offset += len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _read_small(path: str) -> bytes | None:
    """A whole (small) regular file, read through one descriptor; None if not a regular file."""
    fd = os.open(path, _O_FLAGS)
    try:
        st = os.fstat(fd)
        return _read_all(fd, st.st_size) if stat.S_ISREG(st.st_mode) else None
    finally:
        os.close(fd)


def _entries(directory: str, names: frozenset[str]) -> list[tuple[str, bool]]:
    """``(name, is_directory)`` for a listing, sorted by name."""
    return [(name, os.path.isdir(os.path.join(directory, name))) for name in sorted(names)]
