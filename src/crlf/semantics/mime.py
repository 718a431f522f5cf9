"""Media types for file names, from a private table (RFC 9110 §8.3, IANA media types).

The table is crlf's own and fixed: the host's ``/etc/mime.types`` (which :mod:`mimetypes`
reads) differs between machines, so the same file would get different Content-Types; and
nothing here mutates global state (aiohttp and Starlette both had bugs from shared
:mod:`mimetypes` state). Text types get ``; charset=utf-8``: without it a browser guesses
(RFC 9110 §8.3.1 leaves the default to the media type, and for text/* that guess is often
wrong), and the site's files are UTF-8 in practice.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DEFAULT_TYPE", "MEDIA_TYPES", "guess_type", "is_compressible"]

DEFAULT_TYPE = "application/octet-stream"
"""The type of a file whose extension is unknown (RFC 9110 §8.3: a recipient may then sniff,
which ``X-Content-Type-Options: nosniff`` forbids, so it is downloaded)."""

_UTF8 = "; charset=utf-8"

# Extension (lowercase, no dot) -> media type. Text-like types carry the charset here, so a
# lookup is one dict access. Sources: IANA media types registry, WHATWG MIME Sniffing, nginx's
# mime.types.
MEDIA_TYPES: Mapping[str, str] = MappingProxyType(
    {
        # Text and the web platform
        "html": "text/html" + _UTF8,
        "htm": "text/html" + _UTF8,
        "xhtml": "application/xhtml+xml" + _UTF8,
        "css": "text/css" + _UTF8,
        "js": "text/javascript" + _UTF8,  # RFC 9239: text/javascript, not application/
        "mjs": "text/javascript" + _UTF8,
        "cjs": "text/javascript" + _UTF8,
        "json": "application/json",  # RFC 8259 §11: no charset parameter; JSON is UTF-8
        "map": "application/json",
        "jsonld": "application/ld+json",
        "webmanifest": "application/manifest+json",
        "txt": "text/plain" + _UTF8,
        "text": "text/plain" + _UTF8,
        "log": "text/plain" + _UTF8,
        "md": "text/markdown" + _UTF8,
        "markdown": "text/markdown" + _UTF8,
        "csv": "text/csv" + _UTF8,
        "tsv": "text/tab-separated-values" + _UTF8,
        "ics": "text/calendar" + _UTF8,
        "vtt": "text/vtt" + _UTF8,
        "xml": "application/xml" + _UTF8,
        "xsl": "application/xml" + _UTF8,
        "rss": "application/rss+xml" + _UTF8,
        "atom": "application/atom+xml" + _UTF8,
        "svg": "image/svg+xml" + _UTF8,
        "wasm": "application/wasm",
        # Images
        "png": "image/png",
        "apng": "image/apng",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "webp": "image/webp",
        "avif": "image/avif",
        "ico": "image/x-icon",
        "bmp": "image/bmp",
        "tif": "image/tiff",
        "tiff": "image/tiff",
        # Fonts (RFC 8081)
        "woff": "font/woff",
        "woff2": "font/woff2",
        "ttf": "font/ttf",
        "otf": "font/otf",
        # Audio and video
        "mp3": "audio/mpeg",
        "ogg": "audio/ogg",
        "oga": "audio/ogg",
        "wav": "audio/wav",
        "flac": "audio/flac",
        "m4a": "audio/mp4",
        "mp4": "video/mp4",
        "m4v": "video/mp4",
        "webm": "video/webm",
        "ogv": "video/ogg",
        "mov": "video/quicktime",
        # Documents and archives
        "pdf": "application/pdf",
        "zip": "application/zip",
        "gz": "application/gzip",
        "tgz": "application/gzip",
        "br": "application/octet-stream",  # a raw brotli stream has no registered type
        "zst": "application/zstd",
        "xz": "application/x-xz",
        "bz2": "application/x-bzip2",
        "tar": "application/x-tar",
        "7z": "application/x-7z-compressed",
        "rtf": "application/rtf",
        "epub": "application/epub+zip",
        "doc": "application/msword",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls": "application/vnd.ms-excel",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt": "application/vnd.ms-powerpoint",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt": "application/vnd.oasis.opendocument.text",
        "ods": "application/vnd.oasis.opendocument.spreadsheet",
        "bin": "application/octet-stream",
        "exe": "application/octet-stream",
        "iso": "application/octet-stream",
        "dmg": "application/octet-stream",
    }
)
"""Extension -> Content-Type, read-only. Pass your own mapping to :func:`guess_type` to extend."""

# Compressible beyond text/*: structured text under application/ and image/, and uncompressed
# binary formats. Already-compressed formats (images, fonts woff/woff2, media, archives) are not.
_COMPRESSIBLE = frozenset(
    {
        "application/javascript",
        "application/json",
        "application/ld+json",
        "application/manifest+json",
        "application/xml",
        "application/xhtml+xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/wasm",
        "application/rtf",
        "application/x-tar",
        "image/svg+xml",
        "image/x-icon",
        "image/bmp",
        "font/ttf",
        "font/otf",
    }
)


def guess_type(path: str, types: Mapping[str, str] = MEDIA_TYPES) -> str:
    """The Content-Type for a file name, by its last extension.

    Args:
        path: a file name or path; only the part after the last ``/`` and its last ``.``
            count, case-insensitively (``index.fr.html`` is HTML, ``.bashrc`` has no
            extension, ``style.css.gz`` is gzip: strip a precompressed suffix first).
        types: the table to use (defaults to :data:`MEDIA_TYPES`); extensions lowercase
            without the dot.

    Returns:
        The media type, with ``; charset=utf-8`` for text types, or :data:`DEFAULT_TYPE`.
    """
    name = path.rpartition("/")[2]
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:  # no extension, or a dotfile such as ".htaccess"
        return DEFAULT_TYPE
    return types.get(extension.lower(), DEFAULT_TYPE)


def is_compressible(content_type: str | bytes) -> bool:
    """Whether compressing a representation of this type is worth it (for on-the-fly gzip).

    Args:
        content_type: a Content-Type, parameters allowed (``text/html; charset=utf-8``).

    Returns:
        ``True`` for ``text/*``, ``+json``/``+xml`` types and the other structured or
        uncompressed types of the table; ``False`` for images, audio, video, fonts that are
        already compressed, archives and unknown types.
    """
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    media_type = content_type.partition(";")[0].strip().lower()
    return (
        media_type.startswith("text/")
        or media_type.endswith(("+json", "+xml"))
        or media_type in _COMPRESSIBLE
    )
