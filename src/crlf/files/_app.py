"""``StaticFiles``: the static-file ASGI 3 application.

Theory of operation, per request:

1. Method: GET and HEAD serve; OPTIONS answers ``Allow``; anything else is 405 with ``Allow``
   (RFC 9110 §9.3.7, §15.5.6).
2. Path: :func:`crlf.files._paths.split_path` on the raw path; a refused path is a 404.
3. ``_redirects`` rules (reloaded when the file changes) answer 301-308 with ``Location``.
4. Resolution (:meth:`StaticFiles._resolve`): the directory of the last segment is listed (cached,
   revalidated by its stat); a directory without a trailing slash is a 301 to the slash form; a
   directory's ``index.html`` is looked up like any file; the language variants of the file are
   negotiated with Accept-Language, then its precompressed siblings with Accept-Encoding
   (decisions in :mod:`crlf.semantics.negotiation`).
5. Validators: a strong ETag and Last-Modified from the file's stat; preconditions are evaluated
   in RFC 9110 §13.2.2 order by :func:`crlf.semantics.conditional.evaluate` (304 / 412).
6. Ranges (GET only, RFC 9110 §14.2): parsed and capped by :mod:`crlf.semantics.ranges`, gated
   by If-Range; one range is a 206, several a ``multipart/byteranges`` 206, none satisfiable 416.
7. Body: small files from the in-memory cache (:mod:`crlf.files._cache`), large ones with
   ``http.response.pathsend`` when the server offers it, else chunked reads with backpressure
   (:mod:`crlf.files._body`).

Nothing outside the root is ever opened (see :mod:`crlf.files._paths`); failures to open or stat
are 404 (absent) or 403 (permission denied), never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gzip
import os
import secrets
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crlf.files import _html
from crlf.files._body import Disconnect, Message, Receive, Send, send_file_chunks, watch_disconnect
from crlf.files._cache import CachedFile, DirectoryCache, FileCache, is_racy, stat_key
from crlf.files._paths import CleanPath, locate, split_path
from crlf.files._redirects import Rule, match_redirect, parse_redirects
from crlf.files._variants import encoded_siblings, language_variants
from crlf.semantics import conditional, dates, mime, negotiation, ranges
from crlf.semantics.conditional import ETag

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["StaticFiles"]

Scope = dict[str, Any]
Headers = list[tuple[bytes, bytes]]

ALLOW = b"GET, HEAD, OPTIONS"
INDEX = "index.html"
NOT_FOUND_PAGE = "404.html"
REDIRECTS_FILE = "_redirects"
HTML_UTF8 = b"text/html; charset=utf-8"

# Default sizes, with precedents.
DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024  # nginx open_file_cache holds descriptors, not bytes;
# Varnish's default malloc storage is 100 MiB; 64 MiB keeps a typical site's assets in memory.
CACHE_ENTRY_MAX_BYTES = 1024 * 1024  # larger files go zero-copy (pathsend) or in chunks
CHUNK_SIZE = 256 * 1024  # Starlette FileResponse 64 KiB, aiohttp 256 KiB; fewer executor hops
# More range-specs than this and the Range field is ignored (a 200); Starlette caps at 100 too.
MAX_RANGES = 100
# Suffixes that keep the entity-tags of the content codings apart.
_CODING_TAGS = {"gzip": "gz", "br": "br"}
GZIP_LEVEL = 6  # nginx gzip_comp_level default is 1, zlib's default 6: better ratio, still cheap


@dataclass(slots=True)
class _Selected:
    """The representation chosen for a request: which file, and how it was chosen."""

    path: str  # real path of the file to send
    name: str  # file name of the identity (uncompressed) variant, for the media type
    content_language: str | None
    content_encoding: str | None  # of a precompressed sibling
    vary: list[bytes]
    gzip_candidate: bool  # compressible, no precompressed sibling: gzip on the fly by size
    may_gzip: bool  # ... and the client takes gzip


@dataclass(slots=True)
class _Moved:
    """A redirect to answer (directory slash or a ``_redirects`` rule)."""

    status: int
    location: str


@dataclass(slots=True)
class _Listing:
    """A directory index page to generate."""

    path: str
    url_path: str


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

        Raises:
            NotADirectoryError: ``directory`` is not a directory.
            ValueError: the ``_redirects`` file is malformed.
        """
        self.root = os.path.realpath(directory)
        if not os.path.isdir(self.root):
            raise NotADirectoryError(f"not a directory: {directory}")
        self.default_language = default_language.lower()
        self.listing = listing
        self.allow_dotfiles = allow_dotfiles
        self.follow_symlinks_outside = follow_symlinks_outside
        self.cache_control = cache_control.encode("latin-1") if cache_control else None
        self.gzip_min_size = gzip_min_size
        self.chunk_size = chunk_size
        self.cache = FileCache(cache_max_bytes, CACHE_ENTRY_MAX_BYTES)
        self.directories = DirectoryCache()
        self._redirects_key: tuple[int, ...] | None = None
        self._redirects: list[Rule] = []
        self._load_redirects(strict=True)

    # -- ASGI entry point ------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection scope (``http``; ``lifespan`` is acknowledged)."""
        kind = scope["type"]
        if kind == "lifespan":
            await _lifespan(receive, send)
            return
        if kind != "http":
            # A WebSocket (or other) scope: refuse the handshake (ASGI: close before accept).
            await send({"type": "websocket.close", "code": 1000})
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request scope."""
        method: str = scope["method"]
        head = method == "HEAD"
        if method not in ("GET", "HEAD"):
            if method == "OPTIONS":
                # RFC 9110 §9.3.7: a 200 with Allow and no content.
                await _respond(send, 200, [(b"allow", ALLOW), (b"content-length", b"0")], b"")
            else:
                await _respond_page(send, 405, [(b"allow", ALLOW)], head=False)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        clean = split_path(raw_path, allow_dotfiles=self.allow_dotfiles)
        if clean is None:
            await self._not_found(scope, send, head)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        self._load_redirects(strict=False)
        rule = match_redirect(self._redirects, clean.url_path, query)
        if rule is not None:
            await _respond_redirect(send, rule[0], rule[1], head)
            return
        request = _request_headers(scope)
        try:
            found = self._resolve(clean, request, query)
        except PermissionError:
            await _respond_page(send, 403, [], head)
            return
        if found is None:
            await self._not_found(scope, send, head)
        elif isinstance(found, _Moved):
            await _respond_redirect(send, found.status, found.location, head)
        elif isinstance(found, _Listing):
            await self._send_listing(send, found, head)
        else:
            await self._send_file(scope, receive, send, found, request, head)

    # -- resolution (synchronous: stat and listdir on cached, small directories) -------------

    def _visible(self, directory: str, st: os.stat_result) -> frozenset[str]:
        names = self.directories.listing(directory, st)
        hidden = {n for n in names if n.startswith(".")} if not self.allow_dotfiles else set()
        if directory == self.root and REDIRECTS_FILE in names:
            hidden.add(REDIRECTS_FILE)
        return names - hidden if hidden else names

    def _resolve(
        self, clean: CleanPath, request: dict[bytes, bytes], query: str
    ) -> _Selected | _Moved | _Listing | None:
        segments = clean.segments
        parent_segments, name = (segments[:-1], segments[-1]) if segments else ((), "")
        parent = locate(
            self.root, parent_segments, follow_symlinks_outside=self.follow_symlinks_outside
        )
        if parent is None:
            return None
        try:
            parent_st = os.stat(parent)
            if not stat.S_ISDIR(parent_st.st_mode):
                return None
            names = self._visible(parent, parent_st)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if name and name in names:
            real = locate(self.root, segments, follow_symlinks_outside=self.follow_symlinks_outside)
            if real is None:
                return None
            try:
                st = os.stat(real)
            except (FileNotFoundError, NotADirectoryError):
                return None
            if stat.S_ISDIR(st.st_mode):
                if not clean.trailing_slash:
                    # The seed's 301: a directory URL ends with '/', so relative links work.
                    location = _quote_path(clean.url_path + "/")
                    return _Moved(301, location + ("?" + query if query else ""))
                return self._directory(real, st, segments, clean.url_path, request)
        if not name:
            return self._directory(parent, parent_st, (), "/", request)
        if clean.trailing_slash:
            return None  # '/file.html/' names no file (nginx: 404 too)
        return self._select(parent, parent_segments, names, name, request)

    def _directory(
        self,
        real: str,
        st: os.stat_result,
        segments: tuple[str, ...],
        url_path: str,
        request: dict[bytes, bytes],
    ) -> _Selected | _Listing | None:
        names = self._visible(real, st)
        selected = self._select(real, segments, names, INDEX, request)
        if selected is not None:
            return selected
        if self.listing:
            return _Listing(real, url_path)
        return None

    def _select(
        self,
        directory: str,
        segments: tuple[str, ...],
        names: frozenset[str],
        name: str,
        request: dict[bytes, bytes],
    ) -> _Selected | None:
        variants = language_variants(names, name, self.default_language)
        if not variants:
            return None
        vary: list[bytes] = []
        language: str | None = None
        if len(variants) > 1:
            # RFC 9110 §12.5.4; the default language when nothing matches, never a 406.
            # The default language first, then by tag: ties (``*``) go to the first listed.
            available = sorted(variants, key=lambda tag: (tag != self.default_language, tag))
            language = negotiation.negotiate_language(
                request.get(b"accept-language"), available, available[0]
            )
            vary.append(b"accept-language")
            chosen = variants[language]
        else:
            ((only_language, chosen),) = variants.items()
            if chosen != name:
                language = only_language  # only an explicit page.LANG.html exists
        siblings = encoded_siblings(names, chosen)
        accept_encoding = request.get(b"accept-encoding")
        encoding: str | None = None
        if siblings:
            # RFC 9110 §12.5.3; None (identity refused too) still gets identity, which §12.5.3
            # allows rather than a 406.
            vary.append(b"accept-encoding")
            encoding = negotiation.negotiate_encoding(accept_encoding, [*siblings, "identity"])
            if encoding == "identity":
                encoding = None
        # On-the-fly gzip is possible for a compressible type without precompressed siblings;
        # whether the response then varies depends on the size (known after the stat).
        gzip_candidate = (
            not siblings
            and self.gzip_min_size is not None
            and mime.is_compressible(mime.guess_type(chosen))
        )
        may_gzip = gzip_candidate and (
            negotiation.negotiate_encoding(accept_encoding, ["gzip", "identity"]) == "gzip"
        )
        for candidate, coding in ((siblings.get(encoding or ""), encoding), (chosen, None)):
            if candidate is None:
                continue
            real = locate(
                self.root,
                (*segments, candidate),
                follow_symlinks_outside=self.follow_symlinks_outside,
            )
            if real is not None and os.path.isfile(real):
                return _Selected(real, chosen, language, coding, vary, gzip_candidate, may_gzip)
        return None

    # -- responses ---------------------------------------------------------------------------

    async def _not_found(self, scope: Scope, send: Send, head: bool) -> None:
        """404, with the site's ``404.html`` (negotiated) as the body when there is one."""
        request = _request_headers(scope)
        try:
            st = os.stat(self.root)
            names = self._visible(self.root, st)
            page = self._select(self.root, (), names, NOT_FOUND_PAGE, request)
        except OSError:
            page = None
        if page is None or page.content_encoding is not None:
            await _respond_page(send, 404, [], head)
            return
        try:
            data, _ = self._read_small(page.path)
        except OSError:
            await _respond_page(send, 404, [], head)
            return
        headers: Headers = [(b"content-type", HTML_UTF8), (b"content-length", b"%d" % len(data))]
        if page.content_language:
            headers.append((b"content-language", page.content_language.encode("ascii")))
        if page.vary:
            headers.append((b"vary", b", ".join(page.vary)))
        headers.append((b"x-content-type-options", b"nosniff"))
        await _respond(send, 404, headers, b"" if head else data)

    def _read_small(self, path: str) -> tuple[bytes, os.stat_result]:
        """Read a whole (small) file through one descriptor, with the fstat of that descriptor."""
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, "not a regular file")
            data = _read_all(fd, st.st_size)
        finally:
            os.close(fd)
        return data, st

    async def _send_listing(self, send: Send, listing: _Listing, head: bool) -> None:
        try:
            st = os.stat(listing.path)
            names = self._visible(listing.path, st)
        except OSError:
            await _respond_page(send, 404, [], head)
            return
        body = _html.listing_page(listing.url_path, _entries(listing.path, names))
        headers: Headers = [
            (b"content-type", HTML_UTF8),
            (b"content-length", b"%d" % len(body)),
            (b"x-content-type-options", b"nosniff"),
        ]
        if self.cache_control:
            headers.append((b"cache-control", self.cache_control))
        await _respond(send, 200, headers, b"" if head else body)

    async def _send_file(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        selected: _Selected,
        request: dict[bytes, bytes],
        head: bool,
    ) -> None:
        # One stat answers "is the cached copy current?"; a miss opens the file and uses fstat.
        try:
            st = os.stat(selected.path)
            entry = self.cache.get(selected.path, stat_key(st))
            fd: int | None = None
            if entry is None:
                fd = os.open(selected.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    os.close(fd)
                    await self._not_found(scope, send, head)
                    return
                if st.st_size <= self.cache.max_entry_bytes or (
                    selected.may_gzip and st.st_size <= CACHE_ENTRY_MAX_BYTES
                ):
                    # Small (or to be compressed): read whole, through the descriptor we fstat'ed.
                    data = _read_all(fd, st.st_size)
                    os.close(fd)
                    fd = None
                    entry = CachedFile(stat_key(st), data)
                    if not is_racy(st):
                        self.cache.put(selected.path, entry)
        except FileNotFoundError:
            await self._not_found(scope, send, head)
            return
        except PermissionError:
            await _respond_page(send, 403, [], head)
            return
        try:
            await self._send_representation(
                scope, receive, send, selected, request, head, st, entry, fd
            )
        finally:
            if fd is not None:
                os.close(fd)

    async def _send_representation(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        selected: _Selected,
        request: dict[bytes, bytes],
        head: bool,
        st: os.stat_result,
        entry: CachedFile | None,
        fd: int | None,
    ) -> None:
        data = entry.data if entry is not None else None
        encoding = selected.content_encoding
        size = st.st_size
        vary = selected.vary
        gzip_applies = (
            selected.gzip_candidate
            and self.gzip_min_size is not None
            and self.gzip_min_size <= size <= CACHE_ENTRY_MAX_BYTES
        )
        if gzip_applies:
            vary = [*vary, b"accept-encoding"]
        if gzip_applies and selected.may_gzip and entry is not None:
            if entry.gzip is None:
                # mtime=0: the same bytes give the same gzip stream, so the ETag stays strong.
                entry.gzip = gzip.compress(entry.data, GZIP_LEVEL, mtime=0)
                self.cache.grew(selected.path, len(entry.gzip))
            data, encoding, size = entry.gzip, "gzip", len(entry.gzip)
        etag = conditional.make_etag(st.st_size, st.st_mtime_ns)
        if encoding:
            # Each content coding is its own representation with its own strong tag (§8.8.3).
            etag = ETag(f"{etag.tag}-{_CODING_TAGS.get(encoding, encoding)}")
        last_modified = int(st.st_mtime)
        validators = conditional.Validators(etag=etag, last_modified=last_modified)
        # Representation metadata a 304 must repeat (RFC 9110 §15.4.5).
        meta: Headers = [
            (b"etag", etag.to_bytes()),
            (b"last-modified", dates.format_http_date_bytes(last_modified)),
        ]
        if self.cache_control:
            meta.append((b"cache-control", self.cache_control))
        if vary:
            meta.append((b"vary", b", ".join(vary)))
        outcome = conditional.evaluate(scope["method"].encode("ascii"), request, validators)
        if outcome is conditional.Outcome.NOT_MODIFIED:
            await _respond(send, 304, meta, b"")
            return
        if outcome is conditional.Outcome.PRECONDITION_FAILED:
            await _respond_page(send, 412, [], head)
            return
        content_type = mime.guess_type(selected.name)
        headers: Headers = [
            *meta,
            (b"content-type", content_type.encode("latin-1")),
            (b"accept-ranges", b"bytes"),
            (b"x-content-type-options", b"nosniff"),
        ]
        if selected.content_language:
            headers.append((b"content-language", selected.content_language.encode("ascii")))
        if encoding:
            headers.append((b"content-encoding", encoding.encode("ascii")))
        wanted = request.get(b"range") if not head else None
        if wanted is not None and not conditional.if_range_allows(
            request.get(b"if-range"), validators
        ):
            wanted = None
        if wanted is not None:
            parsed = ranges.parse_range(wanted, size, max_ranges=MAX_RANGES)
            if parsed is not None:
                await self._send_ranges(
                    scope, receive, send, headers, parsed, size, content_type, data, fd
                )
                return
        headers.append((b"content-length", b"%d" % size))
        if head:
            await _respond(send, 200, headers, b"")
        elif data is not None:
            await _respond(send, 200, headers, data)
        else:
            assert fd is not None
            parts = [(b"", 0, size - 1)] if size else []
            await self._stream(scope, receive, send, 200, headers, fd, parts, b"", selected.path)

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
            body = _html.error_page(416)
            await _respond(
                send,
                416,
                [
                    (b"content-range", ranges.unsatisfied_range(size)),
                    (b"content-type", HTML_UTF8),
                    (b"content-length", b"%d" % len(body)),
                    (b"x-content-type-options", b"nosniff"),
                ],
                body,
            )
            return
        if len(parsed) == 1:
            ((first, last),) = parsed
            headers.append((b"content-range", ranges.content_range(first, last, size)))
            headers.append((b"content-length", b"%d" % (last - first + 1)))
            if data is not None:
                await _respond(send, 206, headers, data[first : last + 1])
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
            await _respond(send, 206, headers, multipart.encode(data))
        else:
            assert fd is not None
            await self._stream(
                scope, receive, send, 206, headers, fd, list(multipart.parts()), multipart.closing
            )

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
        """Send a large file: zero-copy when whole and offered, else in chunks with backpressure.

        Args:
            parts: ``(prefix bytes, first, last)`` spans of the file (last inclusive).
            closing: bytes after the last span (a multipart closing delimiter, or empty).
            path: the file, for ``http.response.pathsend`` (only a whole-file 200 uses it).
        """
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if path is not None and "http.response.pathsend" in scope.get("extensions", {}):
            await send({"type": "http.response.pathsend", "path": path})
            return
        disconnect = Disconnect()
        watcher = asyncio.ensure_future(watch_disconnect(receive, disconnect))
        try:
            for index, (prefix, first, last) in enumerate(parts):
                if prefix:
                    await send({"type": "http.response.body", "body": prefix, "more_body": True})
                more = index + 1 < len(parts) or bool(closing)
                await send_file_chunks(
                    send,
                    fd,
                    first,
                    last - first + 1,
                    chunk_size=self.chunk_size,
                    disconnect=disconnect,
                    more_body_after=more,
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
        path = os.path.join(self.root, REDIRECTS_FILE)
        try:
            st = os.stat(path)
        except OSError:
            self._redirects_key, self._redirects = None, []
            return
        key = stat_key(st)
        if key == self._redirects_key and not is_racy(st):
            return
        try:
            with open(path, encoding="utf-8") as file:
                rules = parse_redirects(file.read())
        except (OSError, ValueError, UnicodeDecodeError):
            if strict:
                raise
            return
        self._redirects_key, self._redirects = key, rules


# -- helpers --------------------------------------------------------------------------------


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


def _entries(directory: str, names: frozenset[str]) -> list[tuple[str, bool]]:
    """``(name, is_directory)`` for a listing, sorted by name."""
    return [(name, os.path.isdir(os.path.join(directory, name))) for name in sorted(names)]


def _quote_path(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def _request_headers(scope: Scope) -> dict[bytes, bytes]:
    """The request's header fields by lowercased name; repeats joined with ', ' (RFC 9110 §5.3)."""
    fields: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        name = name.lower()
        fields[name] = fields[name] + b", " + value if name in fields else value
    return fields


async def _respond(send: Send, status: int, headers: Headers, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _respond_page(
    send: Send, status: int, headers: Iterable[tuple[bytes, bytes]], head: bool
) -> None:
    """A fixed small HTML page for an error status."""
    body = _html.error_page(status)
    all_headers: Headers = [
        *headers,
        (b"content-type", HTML_UTF8),
        (b"content-length", b"%d" % len(body)),
        (b"x-content-type-options", b"nosniff"),
    ]
    await _respond(send, status, all_headers, b"" if head else body)


async def _respond_redirect(send: Send, status: int, location: str, head: bool) -> None:
    """A redirect with Location and the seed's short hypertext note."""
    body = _html.redirect_page(status, location)
    headers: Headers = [
        (b"location", location.encode("latin-1")),
        (b"content-type", HTML_UTF8),
        (b"content-length", b"%d" % len(body)),
    ]
    await _respond(send, status, headers, b"" if head else body)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message: Message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
