"""Turning a request target into a file under the root, safely.

Theory of operation: the decision is made in two steps.

1. :func:`split_path` is pure. It takes the *raw* path bytes as they arrived on the wire (ASGI
   ``raw_path``; the decoded ``path`` cannot tell ``/a%2Fb`` from ``/a/b``), splits on ``/``
   first and percent-decodes each segment after (RFC 3986 §2.4: decode only after the path has
   been split into its components). Any segment that decodes to ``.`` or ``..``, or that contains
   a ``/``, a backslash, a NUL or another control character, or is not UTF-8, rejects the whole
   path. Dotfiles (a segment starting with ``.``) are rejected unless allowed. Empty segments
   (``//``) are dropped, so no segment is ever absolute and ``//evil.example`` cannot turn into a
   scheme-relative redirect later.
2. :func:`locate` touches the file system. It joins the clean segments to the root and resolves
   symbolic links with :func:`os.path.realpath`; unless ``follow_symlinks_outside`` is set, a
   result that is not inside the (resolved) root is refused.

Refusals never say why on the wire: the app answers 404 for all of them (as nginx does for a
hidden file), so a probe learns nothing about what exists outside the root.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

__all__ = ["CleanPath", "locate", "split_path"]

# A path longer than this is refused outright; nginx's default large_client_header_buffers line
# is 8 KiB, PATH_MAX on Linux is 4096, so nothing longer can name a file anyway.
MAX_PATH_BYTES = 4096


@dataclass(frozen=True, slots=True)
class CleanPath:
    """A request path that passed :func:`split_path`.

    Attributes:
        segments: the decoded, non-empty path segments, none of them ``.``, ``..`` or containing
            a separator.
        trailing_slash: whether the path ended with ``/`` (a directory URL).
    """

    segments: tuple[str, ...]
    trailing_slash: bool

    @property
    def url_path(self) -> str:
        """The decoded path, normalised: ``/`` + segments joined with ``/`` (+ the trailing one)."""
        joined = "/" + "/".join(self.segments)
        if self.trailing_slash and self.segments:
            joined += "/"
        return joined


def _bad_char(segment: str) -> bool:
    # Separators of any OS and C0 controls (NUL first of all) never name a file we serve.
    return any(ch in "/\\" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in segment)


def split_path(raw_path: bytes, *, allow_dotfiles: bool = False) -> CleanPath | None:
    """Split and decode a raw request path, or refuse it.

    Args:
        raw_path: the path as received (``/a/b%20c``); a query string, if present, is cut off.
        allow_dotfiles: accept segments starting with ``.`` (never ``.`` and ``..`` themselves).

    Returns:
        The clean path, or None when the path must not be served (the caller answers 404).
    """
    raw_path = raw_path.split(b"?", 1)[0]
    if not raw_path.startswith(b"/") or len(raw_path) > MAX_PATH_BYTES:
        return None
    segments: list[str] = []
    for raw_segment in raw_path.split(b"/"):
        if not raw_segment:
            continue
        try:
            segment = unquote_to_bytes(raw_segment).decode("utf-8")
        except UnicodeDecodeError:
            return None
        if segment in (".", "..") or _bad_char(segment):
            return None
        if segment.startswith(".") and not allow_dotfiles:
            return None
        segments.append(segment)
    return CleanPath(tuple(segments), raw_path.endswith(b"/"))


def inside(root: str, path: str) -> bool:
    """Tell whether ``path`` is ``root`` or below it (both already resolved, absolute)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def locate(
    root: str, segments: tuple[str, ...], *, follow_symlinks_outside: bool = False
) -> str | None:
    """Resolve clean segments to a real path under ``root``.

    Args:
        root: the served directory, already resolved with :func:`os.path.realpath`.
        segments: from :attr:`CleanPath.segments`.
        follow_symlinks_outside: serve a symbolic link whose target is outside the root.

    Returns:
        The resolved path (it may not exist), or None when it escapes the root.
    """
    joined = os.path.join(root, *segments)
    # Belt and braces: split_path already refused everything that could climb out lexically.
    if not inside(root, os.path.normpath(joined)):
        return None
    real = os.path.realpath(joined)
    if not follow_symlinks_outside and not inside(root, real):
        return None
    return real
