"""From a clean request path to the representation to send: directories, variants, encodings.

Theory of operation: :meth:`Resolver.resolve` lists the directory of the last segment (cached by
its stat, :class:`~crlf.files._cache.DirectoryCache`), answers a 301 for a directory named without
its trailing slash, looks a directory's ``index.html`` up like any file, negotiates the language
variants of the file (Accept-Language), then its precompressed siblings (Accept-Encoding); every
candidate goes through :func:`~crlf.files._paths.locate`, so a symbolic link leaving the root is
refused here too.

The result of a file lookup is cached per (raw path, Accept-Language, Accept-Encoding), and
revalidated on each use by one ``stat`` of the *real* directory that decided it: any change that
could alter the decision (a variant or sibling added or removed, a file replaced by a symbolic
link, a path component swapped for a link elsewhere) changes that directory's mtime or identity.
Entries younger than the file system's timestamp granularity are not cached (see ``is_racy``).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from crlf.files._cache import DirectoryCache, StatKey, is_racy, stat_key
from crlf.files._paths import CleanPath, locate
from crlf.files._variants import encoded_siblings, language_variants
from crlf.semantics import mime, negotiation

__all__ = ["INDEX", "NOT_FOUND_PAGE", "REDIRECTS_FILE", "Listing", "Moved", "Resolver", "Selected"]

INDEX = "index.html"
NOT_FOUND_PAGE = "404.html"
REDIRECTS_FILE = "_redirects"

# Cached lookups; the key holds request header values, so the cache starts over when full
# rather than letting a client grow it (a lookup costs a few stats to redo).
MAX_LOOKUPS = 8192


@dataclass(slots=True)
class Selected:
    """The representation chosen for a request: which file, and how it was chosen.

    Attributes:
        path: the real path of the file to send.
        name: the file name of the identity (uncompressed) variant, for the media type.
        content_language: the variant's language, when variants were negotiated.
        content_encoding: the coding of a precompressed sibling that was chosen.
        vary: the request fields the choice depended on (RFC 9110 §12.5.5).
        gzip_candidate: compressible and without precompressed siblings: gzip on the fly
            depending on the size.
        may_gzip: ... and the client accepts gzip.
        prepared: response fields computed for a file identity, reused while it holds
            (owned by the app).
    """

    path: str
    name: str
    content_language: str | None
    content_encoding: str | None
    vary: list[bytes]
    gzip_candidate: bool
    may_gzip: bool
    prepared: dict[Any, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Moved:
    """A redirect to answer: a directory named without its trailing slash."""

    status: int
    location: str


@dataclass(slots=True)
class Listing:
    """A directory index page to generate."""

    path: str
    url_path: str


class Resolver:
    """Resolve clean paths under one root (see the module docstring)."""

    def __init__(
        self,
        root: str,
        *,
        default_language: str,
        listing: bool,
        allow_dotfiles: bool,
        follow_symlinks_outside: bool,
        gzip: bool,
    ) -> None:
        """Create a resolver.

        Args:
            root: the served directory, resolved with :func:`os.path.realpath`.
            default_language: lowercased language of files without a tag.
            listing: answer :class:`Listing` for a directory without an index.
            allow_dotfiles: names starting with ``.`` are visible.
            follow_symlinks_outside: symbolic links may leave the root.
            gzip: on-the-fly gzip is enabled (makes compressible files gzip candidates).
        """
        self.root = root
        self.default_language = default_language
        self.listing = listing
        self.allow_dotfiles = allow_dotfiles
        self.follow_symlinks_outside = follow_symlinks_outside
        self.gzip = gzip
        self.directories = DirectoryCache()
        self._lookups: dict[
            tuple[bytes, bytes | None, bytes | None], tuple[str, StatKey, Selected]
        ] = {}

    def clear(self) -> None:
        """Forget every cached lookup (the redirect rules changed)."""
        self._lookups.clear()

    def cached(self, raw_path: bytes, request: dict[bytes, bytes]) -> Selected | None:
        """A previous lookup of the same path and negotiation fields, if still valid.

        Args:
            raw_path: the request's raw path (no query).
            request: the request's fields.

        Returns:
            The selection, or None (then call :meth:`resolve`).
        """
        key = (raw_path, request.get(b"accept-language"), request.get(b"accept-encoding"))
        hit = self._lookups.get(key)
        if hit is None:
            return None
        directory, key_then, selected = hit
        try:
            st = os.stat(directory)
        except OSError:
            del self._lookups[key]
            return None
        if stat_key(st) != key_then:
            del self._lookups[key]
            return None
        return selected

    def visible(self, directory: str, st: os.stat_result) -> frozenset[str]:
        """The names of ``directory`` a client may see (no dotfiles, no ``_redirects``)."""
        names = self.directories.listing(directory, st)
        hidden = set() if self.allow_dotfiles else {n for n in names if n.startswith(".")}
        if directory == self.root and REDIRECTS_FILE in names:
            hidden.add(REDIRECTS_FILE)
        return names - hidden if hidden else names

    def resolve(
        self, clean: CleanPath, request: dict[bytes, bytes], raw_path: bytes, query: str
    ) -> Selected | Moved | Listing | None:
        """Look a clean path up on disk.

        Args:
            clean: from :func:`~crlf.files._paths.split_path`.
            request: the request's fields (Accept-Language, Accept-Encoding are read).
            raw_path: the raw path, the cache key of a file lookup.
            query: the raw query string, carried over into a directory redirect.

        Returns:
            What to answer; None for a 404.

        Raises:
            PermissionError: a directory on the way cannot be read (the app answers 403).
        """
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
            names = self.visible(parent, parent_st)
        except PermissionError:
            raise
        except OSError:  # absent, a symbolic link loop (ELOOP), a name too long...
            return None
        directory, directory_st = parent, parent_st
        if name and name in names:
            real = locate(self.root, segments, follow_symlinks_outside=self.follow_symlinks_outside)
            if real is None:
                return None
            try:
                st = os.stat(real)
            except PermissionError:
                raise
            except OSError:
                return None
            if stat.S_ISDIR(st.st_mode):
                if not clean.trailing_slash:
                    # The seed's 301: a directory URL ends with '/', so relative links work.
                    location = quote(clean.url_path + "/", safe="/")
                    return Moved(301, location + ("?" + query if query else ""))
                directory, directory_st = real, st
                names = self.visible(real, st)
                parent_segments, name = segments, ""
        if name and clean.trailing_slash:
            return None  # '/file.html/' names no file (nginx: 404 too)
        found = self.select(directory, parent_segments, names, name or INDEX, request)
        if found is None:
            if not name and self.listing:
                return Listing(directory, clean.url_path)
            return None
        if not is_racy(directory_st):
            if len(self._lookups) >= MAX_LOOKUPS:
                self._lookups.clear()
            key = (raw_path, request.get(b"accept-language"), request.get(b"accept-encoding"))
            self._lookups[key] = (directory, stat_key(directory_st), found)
        return found

    def select(
        self,
        directory: str,
        segments: tuple[str, ...],
        names: frozenset[str],
        name: str,
        request: dict[bytes, bytes],
    ) -> Selected | None:
        """Negotiate among the variants of ``name`` in one directory.

        Args:
            directory: the directory's real path.
            segments: its clean segments under the root.
            names: its visible entries.
            name: the requested file name (``index.html`` for a directory).
            request: the request's fields.

        Returns:
            The selection, or None when no variant exists.
        """
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
            # RFC 9110 §12.5.3. None (identity refused too) still gets identity, which the
            # section allows rather than a 406.
            vary.append(b"accept-encoding")
            encoding = negotiation.negotiate_encoding(accept_encoding, [*siblings, "identity"])
            if encoding == "identity":
                encoding = None
        # On-the-fly gzip is possible for a compressible type without precompressed siblings;
        # whether the response then varies depends on the size (known after the stat).
        gzip_candidate = (
            not siblings and self.gzip and mime.is_compressible(mime.guess_type(chosen))
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
                return Selected(real, chosen, language, coding, vary, gzip_candidate, may_gzip)
        return None
