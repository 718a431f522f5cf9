"""Variants on disk: language versions and precompressed siblings of one resource.

The naming, in the Apache MultiViews manner (documented in ``crlf.files``):

- **Language variants** exist for HTML only: the resource ``/dir/page.html`` has the variants
  ``page.html`` (the default language, unless an explicit file for it exists) and every
  ``page.LANG.html`` in the same directory, where ``LANG`` is a language tag of RFC 5646 shape
  (``fr``, ``es``, ``pt-br``, ``zh-hant-tw``), matched case-insensitively. HTML only, because
  elsewhere the middle part often means something else (``lib.es.js`` is an ES module).
- **Precompressed siblings**: ``FILE.br`` and ``FILE.gz`` next to the chosen file (language
  variant or not) are the same representation in the ``br`` and ``gzip`` content codings.

These functions are pure: they look at a directory listing, never at the disk; the choice between
the variants is made by :mod:`crlf.semantics.negotiation`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection

__all__ = ["ENCODING_SUFFIXES", "encoded_siblings", "language_variants", "negotiable"]

# The content codings a precompressed sibling may carry, in the server's order of preference
# (brotli is smaller at the same quality; RFC 9110 §8.4.1 names the codings).
ENCODING_SUFFIXES: tuple[tuple[str, str], ...] = (("br", ".br"), ("gzip", ".gz"))

# Extensions whose files take part in language negotiation.
NEGOTIABLE_EXTENSIONS = frozenset({".html", ".htm", ".xhtml"})

# RFC 5646 §2.1 in outline: a 2-3 letter primary language (or 'i'/'x' private use is not
# supported here), then subtags of 1-8 alphanumerics.
_LANG = r"[a-z]{2,3}(?:-[a-z0-9]{1,8}){0,4}"


def negotiable(name: str) -> bool:
    """Tell whether a file name takes part in language negotiation (HTML by extension).

    Args:
        name: a file name (one path segment).

    Returns:
        True when ``name`` has an HTML extension.
    """
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in NEGOTIABLE_EXTENSIONS


def language_variants(names: Collection[str], name: str, default_language: str) -> dict[str, str]:
    """Find the language variants of ``name`` among the file names of its directory.

    Args:
        names: the entries of the directory (a listing; dotfiles should already be gone).
        name: the requested file name, e.g. ``index.html``.
        default_language: the language of the plain ``name`` file.

    Returns:
        A mapping from lowercased language tag to file name; empty when ``name`` has no variant
        and does not exist itself. A plain file that has no sibling variant maps to the default
        language too, so a caller can tell "one variant" (no negotiation happened) by the length.
    """
    variants: dict[str, str] = {}
    if negotiable(name):
        dot = name.rfind(".")
        stem, ext = re.escape(name[:dot]), re.escape(name[dot:])
        pattern = re.compile(rf"{stem}\.({_LANG}){ext}", re.IGNORECASE)
        for candidate in names:
            match = pattern.fullmatch(candidate)
            if match is not None:
                variants.setdefault(match.group(1).lower(), candidate)
    if name in names:
        variants.setdefault(default_language.lower(), name)
    return variants


def encoded_siblings(names: Collection[str], name: str) -> dict[str, str]:
    """Find the precompressed siblings of ``name``.

    Args:
        names: the entries of the directory.
        name: the chosen file name, e.g. ``index.fr.html``.

    Returns:
        A mapping from content coding (``br``, ``gzip``) to file name, in preference order.
    """
    return {coding: name + suffix for coding, suffix in ENCODING_SUFFIXES if name + suffix in names}
